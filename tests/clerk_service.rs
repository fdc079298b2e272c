//! `clerk` on electronic service, as a process against a running hub over mutual TLS: the order's
//! table, dead letters retried and resolved, a proof saved and verified offline (and refused once
//! altered).

mod common;

use common::CASE;
use common::service::run_clerk as clerk;
use common::service::*;
use common::smtp::{received, start_aiosmtpd};
use ecenter_proto::v1 as pb;
use std::path::Path;
use std::process::Output;

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Checks `clerk service` shows the order as a table (in Beijing time) and as JSON.
fn order_is_shown(w: &World, order_id: &str) {
    // The order as a table, in Beijing time, and as JSON.
    let out = clerk(&["service", order_id], Some(w));
    assert!(out.status.success(), "{}", text(&out));
    let table = text(&out);
    assert!(
        table.contains("张三")
            && table.contains("effective")
            && table.contains("第31条第2款第1项：受送达人确认已阅读送达材料")
            && !table.contains("recipient_confirmed_reading"),
        "{table}"
    );
    assert!(table.contains("UNSERVED"), "{table}");
    // The attempts its help promises, per channel tried.
    let header = table.lines().find(|l| l.contains("STATE")).unwrap();
    assert!(header.contains("ATTEMPTS 次数"), "{table}");
    assert!(table.contains("effective 已生效"), "{table}");
    let row: Vec<&str> = table
        .lines()
        .find(|l| l.contains("张三"))
        .unwrap()
        .split_whitespace()
        .collect();
    // ID, NAME, STATE (token and name), CHANNEL, ATTEMPTS: one e-mail attempt.
    assert_eq!(row.get(5), Some(&"1"), "{table}");
    let out = clerk(&["service", order_id, "--json"], Some(w));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["recipients"][0]["state"], "effective");
    // Scripts keep the rule's id.
    assert_eq!(
        json["recipients"][0]["effective"]["rule"],
        "recipient_confirmed_reading"
    );
    assert_eq!(json["case_number"], CASE);
}

/// Checks `clerk deliveries` filters by case and state, by name and by date, and refuses a bad filter.
fn deliveries_are_filtered(w: &World) {
    // Deliveries, filtered: by case and state, by name, by date; a bad filter exits 2 with why.
    let out = clerk(
        &[
            "deliveries",
            "--case",
            "(2026)鄂06民初123号",
            "--status",
            "effective",
            "--json",
        ],
        Some(w),
    );
    let found: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = found["deliveries"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{found}");
    assert_eq!(rows[0]["name"], "张三");
    // The day the orders were made, in Beijing time, as the hub recorded it (not the test's clock
    // now: a run that crosses Beijing midnight must not fail).
    let ordered = rows[0]["ordered_at"].as_str().unwrap_or_default();
    assert!(
        ordered.ends_with("+08:00"),
        "a time for scripts names its offset: {found}"
    );
    let today =
        chrono::NaiveDate::parse_from_str(ordered.get(..10).unwrap_or_default(), "%Y-%m-%d")
            .unwrap_or_else(|e| panic!("ordered_at {ordered:?}: {e}; {found}"));
    let out = clerk(&["deliveries", "--recipient", "李"], Some(w));
    let table = text(&out);
    assert!(table.contains("李四") && !table.contains("张三"), "{table}");
    let out = clerk(
        &[
            "deliveries",
            "--from",
            &today.to_string(),
            "--to",
            &today.to_string(),
            "--json",
        ],
        Some(w),
    );
    let found: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(found["deliveries"].as_array().unwrap().len(), 2, "{found}");
    // One row a page: the first page says more match; --all reads every page.
    let out = clerk(&["deliveries", "--limit", "1", "--json"], Some(w));
    let found: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(found["deliveries"].as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found["truncated"], true, "{found}");
    let out = clerk(&["deliveries", "--limit", "1", "--all", "--json"], Some(w));
    let found: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = (found["deliveries"].as_array().unwrap().iter())
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{found}");
    assert!(
        names.contains(&"张三") && names.contains(&"李四"),
        "{found}"
    );
    assert_eq!(found["truncated"], false, "{found}");
    bad_delivery_filters_are_refused(w, today);
}

/// Checks days out of order exit 2 naming the flags, a day with nothing lists nothing, and a case
/// number the hub cannot read is its refusal (exit 1), as JSON when JSON was asked for.
fn bad_delivery_filters_are_refused(w: &World, today: chrono::NaiveDate) {
    let yesterday = today.pred_opt().unwrap().to_string();
    // Days out of order: refused before the hub is asked, naming the flags (round 15, F11).
    let out = clerk(
        &[
            "deliveries",
            "--from",
            &today.to_string(),
            "--to",
            &yesterday,
        ],
        Some(w),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("--to") && text(&out).contains("--from"),
        "{}",
        text(&out)
    );
    let out = clerk(&["deliveries", "--to", &yesterday, "--json"], Some(w));
    let found: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(found["deliveries"].as_array().unwrap().len(), 0, "{found}");
    let out = clerk(&["deliveries", "--case", "鄂06民初"], Some(w));
    assert_eq!(out.status.code(), Some(1), "refused by the hub: exit 1");
    assert!(text(&out).contains("refused"), "{}", text(&out));
    // Asked for JSON, the refusal is JSON too (on standard error), with the same exit code.
    let out = clerk(&["deliveries", "--case", "鄂06民初", "--json"], Some(w));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let failure: serde_json::Value =
        serde_json::from_slice(&out.stderr).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    assert_eq!(
        (failure["tool"].as_str(), failure["exit_code"].as_i64()),
        (Some("clerk"), Some(1))
    );
    assert!(
        failure["error"]
            .as_str()
            .unwrap_or_default()
            .contains("refused"),
        "{failure}"
    );
}

/// Checks R2's dead letter is listed, a retry to the hard-bounced address refused, and a resolve clears it.
fn dead_letters_are_handled(w: &World, order_id: &str) {
    // Dead letters: listed; a retry to a hard-bounced address is refused with why (exit 1);
    // resolved with a note, it is gone.
    let out = clerk(&["dead-letters"], Some(w));
    assert!(
        text(&out).contains("perm-fail") || text(&out).contains("5.1.1"),
        "{}",
        text(&out)
    );
    let out = clerk(&["retry", order_id, "R2", "--channel", "email"], Some(w));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("bounced for good"), "{}", text(&out));
    let out = clerk(
        &[
            "resolve",
            order_id,
            "R2",
            "--channel",
            "email",
            "--note",
            "已改为邮寄送达",
        ],
        Some(w),
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = clerk(&["dead-letters", "--json"], Some(w));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list["recipients"].as_array().unwrap().len(), 0, "{list}");
    assert!(list["replies"].is_array(), "{list}");
}

/// Checks R1's proof, saved by `clerk proof`, verifies offline and fails once altered.
fn saved_proof_verifies_offline(w: &World, order_id: &str) {
    // The proof, saved and verified offline with nothing but the court's root.
    let saved = tempfile::tempdir().unwrap();
    let out = clerk(
        &[
            "proof",
            order_id,
            "R1",
            "--out",
            saved.path().to_str().unwrap(),
        ],
        Some(w),
    );
    assert!(out.status.success(), "{}", text(&out));
    let file = saved.path().join(format!("{order_id}-R1.json"));
    let signature = file.with_extension("p7s");
    let hub_signer = w.pki.path().join("seal.pem");
    let verify = |file: &Path| {
        run_clerk_trusting(
            &[
                "verify-proof",
                file.to_str().unwrap(),
                "--signature",
                signature.to_str().unwrap(),
                "--signer",
                hub_signer.to_str().unwrap(),
            ],
            w.pki.path(),
            None,
        )
    };
    let out = verify(&file);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("PASSED") && text(&out).contains("送达生效"),
        "{}",
        text(&out)
    );
    let mut altered = std::fs::read(&file).unwrap();
    let at = altered.len() / 3;
    altered[at] ^= 1;
    let altered_file = saved.path().join("altered.json");
    std::fs::write(&altered_file, altered).unwrap();
    let out = verify(&altered_file);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("FAILED"));
    other_signed_bytes_are_no_proof(w, saved.path());
    another_courts_key_signs_no_proof(w, &file);
    the_signature_completes_its_own_chain(w, &file);
    a_proof_without_a_timestamp_fails_unless_allowed(w, &file);
}

/// The certificates a proof's signature carries complete its chains (the seal CA, the TSA's CA):
/// the court's root alone verifies it, as `openssl cms -verify -CAfile root` does (round 15, F3).
fn the_signature_completes_its_own_chain(w: &World, proof: &Path) {
    let (root, signer) = (
        w.pki.path().join("root-ca.pem"),
        w.pki.path().join("seal.pem"),
    );
    let signature = proof.with_extension("p7s");
    let args = [
        "verify-proof",
        proof.to_str().unwrap(),
        "--signature",
        signature.to_str().unwrap(),
        "--trust",
        root.to_str().unwrap(),
        "--signer",
        signer.to_str().unwrap(),
    ];
    let out = run_clerk(&args, None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("PASSED"), "{}", text(&out));
}

/// A proof signed again by the hub's own key without a timestamp — back-dated, say, by whoever
/// held the key later — fails: its time rests on the signer's word alone. A hub without a TSA
/// issues such proofs; `--allow-no-timestamp` passes them, saying so (round 15, F4).
fn a_proof_without_a_timestamp_fails_unless_allowed(w: &World, proof: &Path) {
    let dir = proof.parent().unwrap();
    let mut back_dated: serde_json::Value =
        serde_json::from_slice(&std::fs::read(proof).unwrap()).unwrap();
    back_dated["effective"]["at"]["beijing"] = serde_json::json!("2026-01-01 08:00:00");
    let file = dir.join("back-dated.json");
    std::fs::write(&file, serde_json::to_vec(&back_dated).unwrap()).unwrap();
    let p7s = file.with_extension("p7s");
    openssl_cades(&file, w.pki.path(), ("seal.pem", "seal.key"), &p7s);
    let signer = w.pki.path().join("seal.pem");
    let mut args = vec![
        "verify-proof",
        file.to_str().unwrap(),
        "--signature",
        p7s.to_str().unwrap(),
        "--signer",
        signer.to_str().unwrap(),
        "--json",
    ];
    let out = run_clerk_trusting(&args, w.pki.path(), None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let checks = report["checks"].as_array().unwrap();
    let timestamp = checks.iter().find(|c| c["name"] == "timestamp").unwrap();
    assert!(
        timestamp["status"].as_str().unwrap().starts_with("FAILED")
            && timestamp["detail"]
                .as_str()
                .unwrap()
                .contains("--allow-no-timestamp"),
        "{report}"
    );
    args.push("--allow-no-timestamp");
    let out = run_clerk_trusting(&args, w.pki.path(), None);
    assert!(out.status.success(), "{}", text(&out));
}

/// Signs `content` as CAdES with OpenSSL (`cert`, `key` under `dir`), detached, into `out`.
fn openssl_cades(content: &Path, dir: &Path, (cert, key): (&str, &str), out: &Path) {
    let done = std::process::Command::new("openssl")
        .args(["cms", "-sign", "-binary", "-cades", "-outform", "DER"])
        .arg("-in")
        .arg(content)
        .arg("-signer")
        .arg(dir.join(cert))
        .arg("-inkey")
        .arg(dir.join(key))
        .arg("-out")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
}

/// Issues `other.pem` / `other.key` in `dir` with OpenSSL: another seal of the court (执行局's),
/// certified by the seal CA of `pki` for signing documents, as the hub's seal is.
fn issue_another_seal(dir: &Path, pki: &Path) {
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
    };
    let ca = |f: &str| pki.join(f).to_str().unwrap().to_string();
    std::fs::write(
        dir.join("other.ext"),
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n",
    )
    .unwrap();
    run(&[
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "other.key",
        "-utf8",
        "-subj",
        "/O=湖北省襄阳市中级人民法院/CN=执行局印章",
        "-out",
        "other.csr",
    ]);
    run(&[
        "x509",
        "-req",
        "-in",
        "other.csr",
        "-CA",
        &ca("seal-ca.pem"),
        "-CAkey",
        &ca("seal-ca.key"),
        "-set_serial",
        "4242",
        "-days",
        "30",
        "-extfile",
        "other.ext",
        "-out",
        "other.pem",
    ]);
}

/// A proof rewritten (service effective a day earlier) and signed as CAdES by OpenSSL with
/// another seal key the court's seal CA certified (执行局's, not the hub's): the chain, the
/// signature and the content all pass, and still it is no proof — the key is not the hub's
/// proof signer named by `--signer`. Without `--signer` clap refuses, naming it.
fn another_courts_key_signs_no_proof(w: &World, proof: &Path) {
    let pki = w.pki.path();
    let dir = proof.parent().unwrap();
    issue_another_seal(dir, pki);
    let mut forged: serde_json::Value =
        serde_json::from_slice(&std::fs::read(proof).unwrap()).unwrap();
    forged["effective"]["rule_text"] = serde_json::json!("送达于发出前一日生效");
    let forged_file = dir.join("forged.json");
    std::fs::write(&forged_file, serde_json::to_vec(&forged).unwrap()).unwrap();
    let p7s = forged_file.with_extension("p7s");
    openssl_cades(&forged_file, dir, ("other.pem", "other.key"), &p7s);
    let mut args = vec![
        "verify-proof",
        forged_file.to_str().unwrap(),
        "--signature",
        p7s.to_str().unwrap(),
    ];
    let out = run_clerk_trusting(&args, pki, None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--signer"), "{}", text(&out));
    let hub_signer = pki.join("seal.pem");
    args.extend(["--signer", hub_signer.to_str().unwrap(), "--json"]);
    let out = run_clerk_trusting(&args, pki, None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let status = |name: &str| {
        let checks = report["checks"].as_array().unwrap();
        let c = checks.iter().find(|c| c["name"] == name);
        c.map(|c| c["status"].as_str().unwrap().to_string())
    };
    for passed in ["signature", "signer_chain", "proof_content"] {
        assert_eq!(status(passed).as_deref(), Some("PASSED"), "{report}");
    }
    assert!(
        status("proof_signer").is_some_and(|s| s.starts_with("FAILED")),
        "{report}"
    );
    assert!(report.to_string().contains("执行局印章"), "{report}");
}

/// Bytes other than a proof, signed by OpenSSL as CAdES with a key under the court's root (the
/// seal's): the signature verifies, but `verify-proof` says the file is no proof of service.
fn other_signed_bytes_are_no_proof(w: &World, dir: &Path) {
    for (name, body) in [
        ("text.json", &b"not json at all"[..]),
        ("other.json", br#"{"title": "receipt", "case_number": "x"}"#),
    ] {
        let file = dir.join(name);
        std::fs::write(&file, body).unwrap();
        let p7s = file.with_extension("p7s");
        let p = w.pki.path();
        openssl_cades(&file, p, ("seal.pem", "seal.key"), &p7s);
        let hub_signer = p.join("seal.pem");
        let args = [
            "verify-proof",
            file.to_str().unwrap(),
            "--signature",
            p7s.to_str().unwrap(),
            "--signer",
            hub_signer.to_str().unwrap(),
        ];
        let out = run_clerk_trusting(&args, p, None);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", text(&out));
        assert!(
            text(&out).contains("not a proof of service"),
            "{name}: {}",
            text(&out)
        );
        // The signature itself verifies: what fails is what was signed.
        let said = text(&out);
        let signature = said
            .lines()
            .find(|l| l.trim_start().starts_with("signature "));
        assert!(signature.is_some_and(|l| l.contains("PASSED")), "{said}");
    }
}

/// A case the hub holds nothing of (a mistyped number): refused (exit 1), nothing written at
/// `empty` — not a signed, valid-looking empty bundle (round 20, m5).
fn a_case_of_nothing_is_not_exported(w: &World, empty: &std::path::Path) {
    let case = "（2026）鄂06民初99999号";
    let out = clerk(
        &["export", "--case", case, "--out", empty.to_str().unwrap()],
        Some(w),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("no filing and no serve order"), "{said}");
    assert!(!empty.exists(), "an empty export was left");
}

/// Checks `clerk export` writes every file as its manifest says, with the events and an openssl-verified signature.
fn case_export_is_signed(w: &World, order_id: &str) {
    // The whole case, exported and signed by the clerk: every file as the manifest says, the log
    // entries about it, the signature verified by openssl with the court's root.
    let export = tempfile::tempdir().unwrap();
    // Without the clerk's own key to sign with, nothing is written: an export nobody signed is
    // no evidence. (A development-mode login has no key at all; the same check refuses it.)
    let unsigned = export.path().join("unsigned");
    let (pki, hub) = (w.pki.path(), w.hub.addr.to_string());
    let (ca, cert) = (pki.join("root-ca.pem"), pki.join("clients/clerk-c0001.pem"));
    let missing = export.path().join("no-such.key");
    let args = [
        "export",
        "--case",
        CASE,
        "--out",
        unsigned.to_str().unwrap(),
        "--hub",
        &hub,
        "--ca",
        ca.to_str().unwrap(),
        "--cert",
        cert.to_str().unwrap(),
        "--key",
        missing.to_str().unwrap(),
    ];
    let out = clerk(&args, None);
    let said = text(&out);
    assert!(!out.status.success() && said.contains("--key"), "{said}");
    assert!(!unsigned.exists(), "a partial export was left");
    a_case_of_nothing_is_not_exported(w, &export.path().join("empty"));
    let dir = export.path().join("case");
    let out = clerk(
        &["export", "--case", CASE, "--out", dir.to_str().unwrap()],
        Some(w),
    );
    assert!(out.status.success(), "{}", text(&out));
    let manifest_bytes = std::fs::read(dir.join("manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(&manifest_bytes).unwrap();
    assert_eq!(manifest["case_number"], CASE);
    let files = manifest["files"].as_array().unwrap();
    for f in files {
        let data = std::fs::read(dir.join(f["path"].as_str().unwrap())).unwrap();
        assert_eq!(f["sha256"], common::sha256_hex(&data), "{f}");
    }
    let paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert!(
        paths.contains(&format!("proofs/{order_id}-R1.json").as_str()),
        "{paths:?}"
    );
    assert!(
        paths.iter().any(|p| p.starts_with("receipts/F")),
        "{paths:?}"
    );
    let events = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    assert!(
        events.contains("\"service_ordered\"") && events.contains("\"received\""),
        "{events}"
    );
    assert!(openssl_verifies(
        w.pki.path(),
        &manifest_bytes,
        &std::fs::read(dir.join("manifest.p7s")).unwrap()
    ));
    let mut altered = manifest_bytes.clone();
    altered[10] ^= 1;
    assert!(!openssl_verifies(
        w.pki.path(),
        &altered,
        &std::fs::read(dir.join("manifest.p7s")).unwrap()
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clerk_shows_the_order_handles_dead_letters_and_verifies_a_saved_proof_offline() {
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("mail");
    let smtp = start_aiosmtpd(&maildir);
    let w = world(smtp.addr.port(), 10).await;
    let document = w.sealed_document().await;
    let mut court = w.service("court-xiangyang-cms").await;
    let ordered = court
        .serve_order(order(
            "clerk-1",
            &document,
            vec![
                recipient("张三", "zhangsan@example.cn", pb::AddressBasis::Discovered),
                recipient("李四", "perm-fail@example.cn", pb::AddressBasis::Confirmed),
            ],
        ))
        .await
        .unwrap()
        .into_inner();
    let order_id = ordered.order_id.clone();

    // 张三 opens and confirms; 李四's address is refused (550 5.1.1).
    let mail = until(30, "the notice", || async {
        received(&maildir).into_iter().next()
    })
    .await;
    let link = link_in(mail["body"].as_str().unwrap());
    let (_, page) = w.curl(&[&link]);
    let (code, _) = w.curl(&[
        "-d",
        &format!("form={}", form_in(&page)),
        &format!("{link}/confirm"),
    ]);
    assert_eq!(code, 200);
    until(30, "R1's proof and R2's dead letter", || {
        let mut c = court.clone();
        let o = order_id.clone();
        async move {
            let r1 = status(&mut c, &o, "R1").await;
            let r2 = status(&mut c, &o, "R2").await;
            (r1.proofs > 0 && !r2.dead_letters.is_empty()).then_some(())
        }
    })
    .await;

    order_is_shown(&w, &order_id);
    deliveries_are_filtered(&w);
    dead_letters_are_handled(&w, &order_id);
    saved_proof_verifies_offline(&w, &order_id);
    case_export_is_signed(&w, &order_id);

    drop(smtp);
    w.hub.stop().await;
}
