//! Passkeys over HTTP, driven by curl (not a browser, not ours): the options a browser gets for
//! adding one and signing in, and every request that must be refused before any authenticator is
//! involved — another site's POST, a missing CSRF token, a challenge the hub never issued, a
//! response that is not WebAuthn's, an unknown credential, a challenge used twice, removing a
//! passkey that is not the lawyer's. Chromium's own keys are in `browser_passkey.rs`.

mod common;

use common::portal::*;
use common::service::*;
use common::smtp::start_aiosmtpd;
use common::*;

const ZHANG: (&str, &str, &str) = (
    "urn:ecenter:lawyer:14201202010000001",
    "14201202010000001",
    "zhang@chutian-law.cn",
);

/// Writes `value` to a file in `dir` and gives its path (curl sends it as the body).
fn body(dir: &std::path::Path, name: &str, value: serde_json::Value) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, value.to_string()).unwrap();
    path
}

/// Posts the assertion in file `sent` to the sign-in; asserts the status and that the error says
/// `words`.
fn refused_with(browser: &Curl<'_>, sent: &std::path::Path, status: u16, words: &str) {
    let json = ["Content-Type: application/json".to_string()];
    let (got, answer) = browser.script("POST", "/portal/passkey/sign-in", &json, Some(sent));
    assert_eq!(got, status, "{answer}");
    let error = json_body(&answer)["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(error.contains(words), "{answer}");
}

/// How many log entries of `kind` there are.
async fn count(w: &World, kind: &str) -> usize {
    let mut log = ecenter_proto::v1::event_log_service_client::EventLogServiceClient::new(
        channel_as(w.hub.addr, w.pki.path(), COURT_STEM).await,
    );
    let entries = all_entries(&mut log).await;
    entries.iter().filter(|e| e.kind == kind).count()
}

/// The creation options a signed-in lawyer's page gets: this RP, the lawyer by licence number
/// (not their identity), ES256, EdDSA and RS256, no attestation, a discoverable key and user
/// verification.
fn creation_options(browser: &Curl<'_>, csrf: &str) -> serde_json::Value {
    let csrf = [csrf.to_string()];
    let (status, answer) = browser.script("POST", "/portal/passkeys/options", &csrf, None);
    assert_eq!(status, 200, "{answer}");
    let o = json_body(&answer);
    assert_eq!(o["rp"]["id"], "localhost", "{o}");
    assert_eq!(o["user"]["name"], ZHANG.1, "{o}");
    assert_eq!(o["attestation"], "none", "{o}");
    let selection = &o["authenticatorSelection"];
    assert_eq!(selection["residentKey"], "required", "{o}");
    assert_eq!(selection["userVerification"], "required", "{o}");
    let algs: Vec<i64> = o["pubKeyCredParams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["alg"].as_i64().unwrap())
        .collect();
    assert_eq!(algs, [-7, -8, -257], "ES256, EdDSA, RS256");
    assert!(
        !answer.contains(ZHANG.0),
        "the user handle is not the identity"
    );
    o
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_a_passkey_offers_webauthn_options_and_refuses_what_is_not_a_credential() {
    let (maildir, jars) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let smtp = start_aiosmtpd(maildir.path());
    let w = world(smtp.addr.port(), 10).await;
    let browser = signed_in(&w, jars.path(), maildir.path(), ZHANG, 0).await;
    let (status, page) = browser.get("/portal/passkeys");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("您还没有添加通行密钥"), "{page}");
    let csrf = format!("X-CSRF-Token: {}", attribute(&page, "data-csrf"));
    let json = "Content-Type: application/json".to_string();

    let o = creation_options(&browser, &csrf);

    let (status, answer) = browser.script("POST", "/portal/passkeys/options", &[], None);
    assert_eq!(status, 403, "no CSRF token: {answer}");
    let foreign = "Origin: https://evil.example".to_string();
    let (status, _) = browser.script(
        "POST",
        "/portal/passkeys/options",
        &[csrf.clone(), foreign],
        None,
    );
    assert_eq!(status, 403, "another site");

    let dir = tempfile::tempdir().unwrap();
    let not_webauthn = serde_json::json!({
        "challenge": o["challenge"], "name": "办公室电脑",
        "clientDataJson": "e30", "attestationObject": "oA",
    });
    let sent = body(dir.path(), "junk.json", not_webauthn);
    let (status, answer) = browser.script(
        "POST",
        "/portal/passkeys",
        &[csrf.clone(), json.clone()],
        Some(&sent),
    );
    assert_eq!(status, 400, "{answer}");
    assert!(
        json_body(&answer)["error"]
            .as_str()
            .unwrap()
            .contains("浏览器提交的通行密钥信息"),
        "{answer}"
    );
    let forged = serde_json::json!({
        "challenge": "AAAA", "clientDataJson": "e30", "attestationObject": "oA",
    });
    let sent = body(dir.path(), "forged.json", forged);
    let (status, answer) = browser.script(
        "POST",
        "/portal/passkeys",
        &[csrf.clone(), json],
        Some(&sent),
    );
    assert_eq!(status, 400, "{answer}");
    assert!(
        json_body(&answer)["error"]
            .as_str()
            .unwrap()
            .contains("已过期或已使用"),
        "{answer}"
    );
    assert_eq!(count(&w, "passkey_registered").await, 0);

    let token = attribute(&page, "data-csrf");
    let (status, page) = browser.post("/portal/passkeys/not-mine/remove", &[("csrf", &token)]);
    assert_eq!(status, 404, "{page}");
    assert!(page.contains("没有找到这个通行密钥"), "{page}");
    assert_eq!(count(&w, "passkey_removed").await, 0);
    drop(smtp);
    w.hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passkey_sign_in_takes_only_the_hubs_challenges_once_and_records_each_refusal() {
    let (maildir, jars) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let smtp = start_aiosmtpd(maildir.path());
    let w = world(smtp.addr.port(), 10).await;
    let browser = Curl::new(&w, jars.path(), "anyone");
    let (status, page) = browser.get("/portal/");
    assert!(
        status == 200 && page.contains("passkey-sign-in-button"),
        "{page}"
    );

    let foreign = "Origin: https://evil.example".to_string();
    let (status, _) = browser.script("POST", "/portal/passkey/options", &[foreign], None);
    assert_eq!(status, 403, "another site");
    let (status, answer) = browser.script("POST", "/portal/passkey/options", &[], None);
    assert_eq!(status, 200, "{answer}");
    let o = json_body(&answer);
    assert_eq!(o["rpId"], "localhost", "{o}");
    assert!(
        o.get("allowCredentials").is_none(),
        "no lawyer's credentials are named: {o}"
    );

    let dir = tempfile::tempdir().unwrap();
    let assertion = |challenge: &serde_json::Value| {
        serde_json::json!({
            "challenge": challenge, "id": "bm90LXJlZ2lzdGVyZWQ",
            "clientDataJson": "e30", "authenticatorData": "AA", "signature": "AA",
        })
    };
    let forged = body(dir.path(), "forged.json", assertion(&"AAAA".into()));
    refused_with(&browser, &forged, 400, "登录请求无效");
    let none = count(&w, "sign_in_refused").await;
    assert_eq!(none, 0, "noise is not recorded");

    let unknown = body(dir.path(), "unknown.json", assertion(&o["challenge"]));
    refused_with(&browser, &unknown, 401, "未在本院诉讼服务平台登记");
    refused_with(&browser, &unknown, 401, "已使用过");
    assert_eq!(count(&w, "sign_in_refused").await, 2);
    assert!(
        browser.cookie("__Host-ecenter-portal").is_none(),
        "no session"
    );
    drop(smtp);
    w.hub.stop().await;
}

/// A software authenticator whose key and signatures are OpenSSL's (`openssl genpkey`, `dgst`,
/// `pkeyutl`): RS256 as Windows Hello uses, or EdDSA.
struct OpensslKey {
    dir: tempfile::TempDir,
    rsa: bool,
}

fn openssl(args: &[&str]) -> Vec<u8> {
    let out = std::process::Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl is installed");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

impl OpensslKey {
    fn new(rsa: bool) -> OpensslKey {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("key.pem");
        let kind: &[&str] = if rsa {
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
        } else {
            &["-algorithm", "ED25519"]
        };
        let mut args = vec!["genpkey"];
        args.extend_from_slice(kind);
        args.extend(["-out", key.to_str().unwrap()]);
        openssl(&args);
        OpensslKey { dir, rsa }
    }

    fn key(&self) -> String {
        self.dir
            .path()
            .join("key.pem")
            .to_str()
            .unwrap()
            .to_string()
    }

    /// The public key as a COSE_Key (RFC 8230 §4 for RSA, RFC 9053 §7.2 for OKP).
    fn cose_key(&self) -> Vec<u8> {
        use coset::cbor::Value;
        use coset::{CborSerializable, CoseKeyBuilder, iana};
        let builder = if self.rsa {
            let out = openssl(&["rsa", "-in", &self.key(), "-noout", "-modulus"]);
            let n = hex::decode(
                String::from_utf8(out)
                    .unwrap()
                    .trim()
                    .trim_start_matches("Modulus="),
            )
            .unwrap();
            CoseKeyBuilder::new()
                .key_type(iana::KeyType::RSA)
                .param(-1, Value::Bytes(n))
                .param(-2, Value::Bytes(vec![1, 0, 1]))
                .algorithm(iana::Algorithm::RS256)
        } else {
            let der = openssl(&["pkey", "-in", &self.key(), "-pubout", "-outform", "DER"]);
            CoseKeyBuilder::new_okp_key()
                .param(-1, Value::from(6u64))
                .param(-2, Value::Bytes(der[der.len() - 32..].to_vec()))
                .algorithm(iana::Algorithm::EdDSA)
        };
        builder.build().to_vec().unwrap()
    }

    /// OpenSSL's signature of `message` (PKCS #1 v1.5 with SHA-256, or Ed25519).
    fn sign(&self, message: &[u8]) -> Vec<u8> {
        let (msg, sig) = (self.dir.path().join("msg"), self.dir.path().join("sig"));
        std::fs::write(&msg, message).unwrap();
        let (msg, sig, key) = (msg.to_str().unwrap(), sig.to_str().unwrap(), self.key());
        if self.rsa {
            openssl(&["dgst", "-sha256", "-sign", &key, "-out", sig, msg]);
        } else {
            openssl(&[
                "pkeyutl", "-sign", "-rawin", "-inkey", &key, "-in", msg, "-out", sig,
            ]);
        }
        std::fs::read(sig).unwrap()
    }
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Authenticator data for RP ID `localhost`: UP and UV, the counter, and the credential if given.
fn auth_data(flags: u8, count: u32, credential: Option<(&[u8], &[u8])>) -> Vec<u8> {
    let mut d = ring::digest::digest(&ring::digest::SHA256, b"localhost")
        .as_ref()
        .to_vec();
    d.push(flags);
    d.extend_from_slice(&count.to_be_bytes());
    if let Some((id, key)) = credential {
        d.extend_from_slice(&[0; 16]);
        d.extend_from_slice(&u16::try_from(id.len()).unwrap().to_be_bytes());
        d.extend_from_slice(id);
        d.extend_from_slice(key);
    }
    d
}

fn client_data(kind: &str, challenge: &serde_json::Value, origin: &str) -> Vec<u8> {
    serde_json::json!({"type": kind, "challenge": challenge, "origin": origin})
        .to_string()
        .into_bytes()
}

/// Registers `key` as credential `id` through the options and POST a browser would use.
fn register(
    browser: &Curl<'_>,
    csrf: &str,
    key: &OpensslKey,
    id: &[u8],
    dir: &std::path::Path,
) -> serde_json::Value {
    let csrf = format!("X-CSRF-Token: {csrf}");
    let (_, answer) = browser.script(
        "POST",
        "/portal/passkeys/options",
        std::slice::from_ref(&csrf),
        None,
    );
    let o = json_body(&answer);
    let auth = auth_data(0x45, 0, Some((id, &key.cose_key())));
    let object = coset::cbor::Value::Map(vec![
        ("fmt".into(), "none".into()),
        ("attStmt".into(), coset::cbor::Value::Map(Vec::new())),
        ("authData".into(), coset::cbor::Value::Bytes(auth)),
    ]);
    let mut attestation = Vec::new();
    coset::cbor::ser::into_writer(&object, &mut attestation).unwrap();
    let created = serde_json::json!({
        "challenge": o["challenge"], "name": "OpenSSL",
        "clientDataJson": b64(&client_data("webauthn.create", &o["challenge"], &browser.base)),
        "attestationObject": b64(&attestation),
    });
    let sent = body(dir, "created.json", created);
    let json = "Content-Type: application/json".to_string();
    let (status, answer) = browser.script("POST", "/portal/passkeys", &[csrf, json], Some(&sent));
    assert_eq!(status, 201, "{answer}");
    o
}

/// Signs in with `key` (credential `id`, counter `count`); the status and the answer.
fn sign_in(
    browser: &Curl<'_>,
    key: &OpensslKey,
    id: &[u8],
    handle: &serde_json::Value,
    count: u32,
    dir: &std::path::Path,
) -> (u16, String) {
    let (_, answer) = browser.script("POST", "/portal/passkey/options", &[], None);
    let challenge = json_body(&answer)["challenge"].clone();
    let client = client_data("webauthn.get", &challenge, &browser.base);
    let auth = auth_data(0x05, count, None);
    let mut signed = auth.clone();
    signed.extend_from_slice(ring::digest::digest(&ring::digest::SHA256, &client).as_ref());
    let assertion = serde_json::json!({
        "challenge": challenge, "id": b64(id), "userHandle": handle,
        "clientDataJson": b64(&client), "authenticatorData": b64(&auth),
        "signature": b64(&key.sign(&signed)),
    });
    let sent = body(dir, "assertion.json", assertion);
    let json = "Content-Type: application/json".to_string();
    browser.script("POST", "/portal/passkey/sign-in", &[json], Some(&sent))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rs256_and_ed25519_passkeys_signed_by_openssl_register_and_sign_in() {
    let (maildir, jars) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let smtp = start_aiosmtpd(maildir.path());
    let w = world(smtp.addr.port(), 10).await;
    let browser = signed_in(&w, jars.path(), maildir.path(), ZHANG, 0).await;
    let csrf = attribute(&browser.get("/portal/passkeys").1, "data-csrf");
    let dir = tempfile::tempdir().unwrap();
    for (rsa, id) in [
        (true, &b"openssl-rs256"[..]),
        (false, &b"openssl-ed25519"[..]),
    ] {
        let key = OpensslKey::new(rsa);
        let options = register(&browser, &csrf, &key, id, dir.path());
        let handle = &options["user"]["id"];
        let stranger = Curl::new(&w, jars.path(), &format!("stranger-{rsa}"));
        let (status, answer) = sign_in(&stranger, &key, id, handle, 1, dir.path());
        assert_eq!(status, 200, "{answer}");
        assert_eq!(json_body(&answer)["location"], "/portal/");
        assert!(stranger.get("/portal/").1.contains("您已登录"));
        // Someone else's signature over the same data: refused, recorded.
        let (status, answer) = sign_in(&stranger, &OpensslKey::new(rsa), id, handle, 2, dir.path());
        assert_eq!(status, 401, "{answer}");
        assert!(
            json_body(&answer)["error"]
                .as_str()
                .unwrap()
                .contains("通行密钥验证失败"),
            "{answer}"
        );
    }
    let mut log = ecenter_proto::v1::event_log_service_client::EventLogServiceClient::new(
        channel_as(w.hub.addr, w.pki.path(), COURT_STEM).await,
    );
    let registered: Vec<String> = all_entries(&mut log)
        .await
        .into_iter()
        .filter(|e| e.kind == "passkey_registered")
        .map(|e| e.detail_json)
        .collect();
    assert_eq!(registered.len(), 2, "{registered:?}");
    assert!(
        registered[0].contains("\"algorithm\":-257"),
        "{registered:?}"
    );
    assert!(registered[1].contains("\"algorithm\":-8"), "{registered:?}");
    drop(smtp);
    w.hub.stop().await;
}
