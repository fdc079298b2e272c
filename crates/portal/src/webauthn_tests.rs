//! The relying party's checks on responses built here the way an authenticator builds them
//! (keys from ring, COSE_Key and CBOR from coset). The browser test feeds it Chromium's own.

use super::*;
use coset::{CborSerializable, CoseKeyBuilder};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair};

const ORIGIN: &str = "https://e.court.cn:8443";

fn rp() -> RelyingParty {
    RelyingParty {
        id: "e.court.cn".into(),
        origin: ORIGIN.into(),
    }
}

/// A software authenticator holding one key.
enum Signer {
    P256(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl Signer {
    fn p256() -> Signer {
        let rng = SystemRandom::new();
        let alg = &signature::ECDSA_P256_SHA256_ASN1_SIGNING;
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
        Signer::P256(EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).unwrap())
    }

    fn ed25519() -> Signer {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        Signer::Ed25519(Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap())
    }

    fn cose_key(&self) -> Vec<u8> {
        let key = match self {
            Signer::P256(k) => {
                let point = k.public_key().as_ref();
                let (x, y) = (point[1..33].to_vec(), point[33..].to_vec());
                CoseKeyBuilder::new_ec2_pub_key(iana::EllipticCurve::P_256, x, y)
                    .algorithm(iana::Algorithm::ES256)
            }
            Signer::Ed25519(k) => CoseKeyBuilder::new_okp_key()
                .param(-1, Value::from(6u64))
                .param(-2, Value::Bytes(k.public_key().as_ref().to_vec()))
                .algorithm(iana::Algorithm::EdDSA),
        };
        key.build().to_vec().unwrap()
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        match self {
            Signer::P256(k) => k
                .sign(&SystemRandom::new(), message)
                .unwrap()
                .as_ref()
                .to_vec(),
            Signer::Ed25519(k) => k.sign(message).as_ref().to_vec(),
        }
    }
}

fn client_data(kind: &str, challenge: &str, origin: &str) -> Vec<u8> {
    format!(
        r#"{{"type":"{kind}","challenge":"{challenge}","origin":"{origin}","crossOrigin":false}}"#
    )
    .into_bytes()
}

fn auth_data(rp_id: &str, flags: u8, count: u32, attested: Option<(&[u8], &[u8])>) -> Vec<u8> {
    let mut d = digest(&SHA256, rp_id.as_bytes()).as_ref().to_vec();
    d.push(flags);
    d.extend_from_slice(&count.to_be_bytes());
    if let Some((id, key)) = attested {
        d.extend_from_slice(&[0u8; 16]);
        d.extend_from_slice(&(id.len() as u16).to_be_bytes());
        d.extend_from_slice(id);
        d.extend_from_slice(key);
    }
    d
}

fn attestation_object(auth_data: Vec<u8>) -> Vec<u8> {
    let object = Value::Map(vec![
        (Value::Text("fmt".into()), Value::Text("none".into())),
        (Value::Text("attStmt".into()), Value::Map(Vec::new())),
        (Value::Text("authData".into()), Value::Bytes(auth_data)),
    ]);
    let mut out = Vec::new();
    coset::cbor::ser::into_writer(&object, &mut out).unwrap();
    out
}

/// An assertion over `auth` and `client`, signed by `signer`.
fn assert_with(signer: &Signer, client: &[u8], auth: &[u8]) -> Result<Asserted, Invalid> {
    let mut signed = auth.to_vec();
    signed.extend_from_slice(digest(&SHA256, client).as_ref());
    rp().assertion(client, auth, &signer.sign(&signed), &signer.cose_key())
}

#[test]
fn a_registration_gives_the_credential_and_its_key_bytes_exactly() {
    let signer = Signer::p256();
    let key = signer.cose_key();
    // Extension data (flag ED) after the key must not be taken as part of it.
    let mut auth = auth_data(
        "e.court.cn",
        0x01 | 0x04 | 0x40 | 0x80,
        3,
        Some((&b"cred-1"[..], key.as_slice())),
    );
    auth.extend_from_slice(&[0xa1, 0x63, b'f', b'o', b'o', 0xf5]);
    let client = client_data("webauthn.create", "Y2hhbGxlbmdl", ORIGIN);
    let (challenge, c) = rp()
        .registration(&client, &attestation_object(auth))
        .unwrap();
    assert_eq!(challenge, "Y2hhbGxlbmdl");
    assert_eq!(c.credential_id, b"cred-1");
    assert_eq!(c.public_key, key);
    assert_eq!((c.algorithm, c.sign_count, c.backed_up), (ES256, 3, false));
    assert_eq!(c.attestation, "none");
}

#[test]
fn a_registration_for_another_site_or_ceremony_or_without_presence_is_refused() {
    let key = Signer::p256().cose_key();
    let good_auth = || auth_data("e.court.cn", 0x45, 0, Some((&b"c"[..], key.as_slice())));
    let create = |origin: &str| client_data("webauthn.create", "x", origin);
    let rp = rp();
    let object = attestation_object(good_auth());
    assert_eq!(
        rp.registration(&create("https://evil.cn"), &object),
        Err(Invalid::WrongSite)
    );
    let get = client_data("webauthn.get", "x", ORIGIN);
    assert_eq!(rp.registration(&get, &object), Err(Invalid::WrongType));
    let other_rp = attestation_object(auth_data(
        "evil.cn",
        0x45,
        0,
        Some((&b"c"[..], key.as_slice())),
    ));
    assert_eq!(
        rp.registration(&create(ORIGIN), &other_rp),
        Err(Invalid::WrongSite)
    );
    let absent = attestation_object(auth_data(
        "e.court.cn",
        0x44,
        0,
        Some((&b"c"[..], key.as_slice())),
    ));
    assert_eq!(
        rp.registration(&create(ORIGIN), &absent),
        Err(Invalid::NoUserPresence)
    );
    let mut cut = good_auth();
    cut.truncate(37 + 16 + 2 + 1);
    assert!(matches!(
        rp.registration(&create(ORIGIN), &attestation_object(cut)),
        Err(Invalid::Malformed(_))
    ));
    assert!(matches!(
        rp.registration(&create(ORIGIN), b"\xa0"),
        Err(Invalid::Malformed(_))
    ));
}

#[test]
fn a_key_of_another_algorithm_is_refused_by_name() {
    let p384 =
        CoseKeyBuilder::new_ec2_pub_key(iana::EllipticCurve::P_384, vec![1; 48], vec![2; 48])
            .algorithm(iana::Algorithm::ES384)
            .build()
            .to_vec()
            .unwrap();
    let auth = auth_data("e.court.cn", 0x45, 0, Some((&b"c"[..], p384.as_slice())));
    let client = client_data("webauthn.create", "x", ORIGIN);
    assert_eq!(
        rp().registration(&client, &attestation_object(auth)),
        Err(Invalid::UnsupportedKey)
    );
}

#[test]
fn an_assertion_verifies_with_the_registered_key_only() {
    for signer in [Signer::p256(), Signer::ed25519()] {
        let client = client_data("webauthn.get", "Y2g", ORIGIN);
        let auth = auth_data("e.court.cn", 0x05, 9, None);
        let asserted = assert_with(&signer, &client, &auth).unwrap();
        assert_eq!(asserted.challenge, "Y2g");
        assert_eq!((asserted.sign_count, asserted.user_verified), (9, true));

        // Signed by another key of the same kind.
        let mut signed = auth.clone();
        signed.extend_from_slice(digest(&SHA256, &client).as_ref());
        let other = match &signer {
            Signer::P256(_) => Signer::p256(),
            Signer::Ed25519(_) => Signer::ed25519(),
        };
        let forged = rp().assertion(&client, &auth, &other.sign(&signed), &signer.cose_key());
        assert_eq!(forged, Err(Invalid::BadSignature));
        // The counter changed after signing.
        let mut raised = auth.clone();
        raised[36] = 10;
        let sig = signer.sign(&signed);
        let tampered = rp().assertion(&client, &raised, &sig, &signer.cose_key());
        assert_eq!(tampered, Err(Invalid::BadSignature));
    }
    let signer = Signer::p256();
    let get = client_data("webauthn.get", "Y2g", ORIGIN);
    let presence_only = auth_data("e.court.cn", 0x01, 0, None);
    assert_eq!(
        assert_with(&signer, &get, &presence_only),
        Err(Invalid::NotVerified),
        "a touch without fingerprint, face or PIN"
    );
    let elsewhere = client_data("webauthn.get", "Y2g", "https://e.court.cn");
    let auth = auth_data("e.court.cn", 0x05, 0, None);
    assert_eq!(
        assert_with(&signer, &elsewhere, &auth),
        Err(Invalid::WrongSite),
        "another port is another origin"
    );
}
