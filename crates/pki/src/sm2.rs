//! The SM2 half of the development PKI (国密): the same shape as the ECDSA one, in SM2-with-SM3
//! certificates (1.2.156.10197.1.501, GM/T 0015) — a root, a seal CA with the seal maker (its role
//! EKU) and the seal signer, a timestamp CA with the TSA (critical timeStamping EKU), and the seal
//! CA's CRL. rcgen signs only with ring's algorithms, so these are built with RustCrypto's
//! `x509-cert` builder and signed with `sm2`; signatures are DER (r, s) under the default
//! distinguishing ID 1234567812345678, as OpenSSL 3 checks certificates. No TLS certificates:
//! rustls speaks no SM2 cipher suites, so the hub's TLS stays ECDSA.
//!
//! Layout under `<dir>/sm2/`: `root-ca`, `seal-ca`, `tsa-ca`, `seal-maker`, `seal`, `tsa`
//! (`.pem` with the chain for leaves, `.key` PKCS#8), `seal-ca.crl.pem`, `seal-ca.revoked`.

use crate::PkiError;
use der::asn1::{BitString, ObjectIdentifier};
use der::referenced::OwnedToRef;
use der::{Decode, EncodePem};
use sm2::pkcs8::EncodePrivateKey;
use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, SystemTime};
use x509_cert::Certificate;
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectKeyIdentifier,
};
use x509_cert::ext::{Extension, ToExtension};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{SubjectPublicKeyInfo, SubjectPublicKeyInfoRef};
use x509_cert::time::{Time, Validity};

/// The default distinguishing ID (GM/T 0009 §10).
const DISTID: &str = "1234567812345678";
const TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
const SEAL_MAKER: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.59648.1.2");
const DAY: u64 = 86_400;

/// What a certificate is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ca { path_len: u8 },
    Signer,
    SealMaker,
    Tsa,
}

/// A certificate's name, issuer and extensions, for the builder.
struct Profile {
    subject: Name,
    issuer: Option<Name>,
    kind: Kind,
}

impl BuilderProfile for Profile {
    fn get_issuer(&self, subject: &Name) -> Name {
        self.issuer.clone().unwrap_or_else(|| subject.clone())
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        spk: SubjectPublicKeyInfoRef<'_>,
        issuer_spk: SubjectPublicKeyInfoRef<'_>,
        tbs: &x509_cert::TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        let subject = tbs.subject();
        let mut out: Vec<Extension> = Vec::new();
        let ski = SubjectKeyIdentifier::try_from(spk)?;
        out.push(ski.to_extension(subject, &out)?);
        let aki = AuthorityKeyIdentifier {
            key_identifier: Some(SubjectKeyIdentifier::try_from(issuer_spk)?.0),
            ..Default::default()
        };
        out.push(aki.to_extension(subject, &out)?);
        let (usage, eku) = match self.kind {
            Kind::Ca { path_len } => {
                let bc = BasicConstraints {
                    ca: true,
                    path_len_constraint: Some(path_len),
                };
                out.push(bc.to_extension(subject, &out)?);
                let ca = KeyUsages::KeyCertSign | KeyUsages::CRLSign | KeyUsages::DigitalSignature;
                (ca, None)
            }
            Kind::Signer => (signing(), None),
            Kind::SealMaker => (signing(), Some((SEAL_MAKER, false))),
            Kind::Tsa => (signing(), Some((TIME_STAMPING, true))),
        };
        out.push(KeyUsage(usage).to_extension(subject, &out)?);
        if let Some((purpose, critical)) = eku {
            let mut e = ExtendedKeyUsage(vec![purpose]).to_extension(subject, &out)?;
            e.critical = critical; // RFC 3161 §2.3: a TSA's purpose is critical
            out.push(e);
        }
        Ok(out)
    }
}

fn signing() -> der::flagset::FlagSet<KeyUsages> {
    KeyUsages::DigitalSignature | KeyUsages::NonRepudiation
}

/// An SM2 key and its certificate (DER).
struct Holder {
    key: sm2::dsa::SigningKey,
    cert: Certificate,
}

fn pki<E: std::fmt::Display>(what: &str) -> impl Fn(E) -> PkiError + '_ {
    move |e| PkiError::Invalid(format!("SM2 {what}: {e}"))
}

fn new_key() -> Result<sm2::dsa::SigningKey, PkiError> {
    let rng = ring::rand::SystemRandom::new();
    loop {
        let mut bytes = [0u8; 32];
        ring::rand::SecureRandom::fill(&rng, &mut bytes)
            .map_err(|_| PkiError::Invalid("no system randomness".into()))?;
        // A scalar of zero or ≥ n is refused; draw again (probability about 2^-32).
        if let Ok(key) = sm2::dsa::SigningKey::from_slice(DISTID, &bytes) {
            return Ok(key);
        }
    }
}

fn serial() -> Result<SerialNumber, PkiError> {
    let mut bytes = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .map_err(|_| PkiError::Invalid("no system randomness".into()))?;
    bytes[0] = (bytes[0] & 0x7F) | 0x01;
    SerialNumber::new(&bytes).map_err(pki("serial number"))
}

fn name(common_name: &str) -> Result<Name, PkiError> {
    Name::from_str(&format!(
        "CN={common_name},O={},C=CN",
        crate::ORGANISATION.replace(',', "\\,")
    ))
    .map_err(pki("name"))
}

/// Issues a certificate for a fresh key, signed by `issuer` (or self-signed).
fn issue(cn: &str, kind: Kind, days: u64, issuer: Option<&Holder>) -> Result<Holder, PkiError> {
    let key = new_key()?;
    let now = SystemTime::now() - Duration::from_secs(3600);
    let validity = Validity::new(
        Time::try_from(now).map_err(pki("validity"))?,
        Time::try_from(now + Duration::from_secs(days * DAY)).map_err(pki("validity"))?,
    );
    let spki = SubjectPublicKeyInfo::from_key(key.verifying_key()).map_err(pki("public key"))?;
    let profile = Profile {
        subject: name(cn)?,
        issuer: issuer.map(|i| i.cert.tbs_certificate().subject().clone()),
        kind,
    };
    let builder =
        CertificateBuilder::new(profile, serial()?, validity, spki).map_err(pki("certificate"))?;
    let signer = issuer.map_or(&key, |i| &i.key);
    let cert = sign_with(builder, signer)?;
    Ok(Holder { key, cert })
}

/// Signs a builder's TBS in DER (r, s): `sm2`'s own bit-string encoding is the raw 64 bytes,
/// which OpenSSL and GM/T 0015 do not read.
fn sign_with<B: Builder>(
    mut builder: B,
    key: &sm2::dsa::SigningKey,
) -> Result<B::Output, PkiError> {
    use sm2::dsa::signature::Signer;
    let tbs = builder.finalize(key).map_err(pki("to-be-signed"))?;
    let signature: sm2::dsa::Signature = key.sign(&tbs);
    let bits = BitString::from_bytes(signature.to_der().as_bytes()).map_err(pki("signature"))?;
    builder.assemble(bits, key).map_err(pki("certificate"))
}

fn cert_pem(cert: &Certificate) -> Result<String, PkiError> {
    cert.to_pem(der::pem::LineEnding::LF).map_err(pki("PEM"))
}

fn key_pem(key: &sm2::dsa::SigningKey) -> Result<String, PkiError> {
    let secret = sm2::SecretKey::from_bytes(&key.to_bytes()).map_err(pki("key"))?;
    Ok(secret
        .to_pkcs8_pem(der::pem::LineEnding::LF)
        .map_err(pki("key"))?
        .to_string())
}

/// Writes `<stem>.pem` (the certificate, then its issuers) and `<stem>.key`.
fn write_holder(
    dir: &Path,
    stem: &str,
    holder: &Holder,
    chain: &[&Holder],
) -> Result<(), PkiError> {
    let mut pem = cert_pem(&holder.cert)?;
    for issuer in chain {
        pem.push_str(&cert_pem(&issuer.cert)?);
    }
    crate::write(&dir.join(format!("{stem}.pem")), &pem)?;
    crate::write(&dir.join(format!("{stem}.key")), &key_pem(&holder.key)?)
}

/// Creates the SM2 hierarchy in `<dir>/sm2/` (see the module documentation).
pub fn init(dir: &Path) -> Result<(), PkiError> {
    let dir = dir.join("sm2");
    let root = issue(
        "ecenter 开发用国密根证书 Development SM2 Root CA",
        Kind::Ca { path_len: 1 },
        7300,
        None,
    )?;
    write_holder(&dir, "root-ca", &root, &[])?;
    let seal_ca = issue(
        "ecenter 开发用国密电子印章 CA",
        Kind::Ca { path_len: 0 },
        3650,
        Some(&root),
    )?;
    write_holder(&dir, "seal-ca", &seal_ca, &[])?;
    let tsa_ca = issue(
        "ecenter 开发用国密时间戳 CA",
        Kind::Ca { path_len: 0 },
        3650,
        Some(&root),
    )?;
    write_holder(&dir, "tsa-ca", &tsa_ca, &[])?;
    let seal = issue(
        "襄阳中院诉讼服务专用章国密签名证书（开发用）",
        Kind::Signer,
        730,
        Some(&seal_ca),
    )?;
    write_holder(&dir, "seal", &seal, &[&seal_ca])?;
    let maker = issue(
        "襄阳中院国密电子印章制作者（开发用）",
        Kind::SealMaker,
        730,
        Some(&seal_ca),
    )?;
    write_holder(&dir, "seal-maker", &maker, &[&seal_ca])?;
    let tsa = issue(
        "ecenter 国密时间戳服务（开发用）",
        Kind::Tsa,
        730,
        Some(&tsa_ca),
    )?;
    write_holder(&dir, "tsa", &tsa, &[&tsa_ca])?;
    crate::write(&dir.join("seal-ca.revoked"), "")?;
    write_crl(&dir, &seal_ca, &[])
}

/// A CRL's extensions: its number, and the key of the CA that signs it as the CA's subject key
/// identifier names that key (RFC 5280 §5.2.1). Built here, not by x509-cert 0.3's CrlBuilder,
/// which copies the CA's own *authority* key identifier — its root's key — so that readers that
/// match a CRL to its CA by key identifier (OpenSSL) pass it by (outside tests, round 17, F8).
fn crl_extensions(
    ca: &Certificate,
    number: x509_cert::ext::pkix::CrlNumber,
) -> Result<Vec<Extension>, PkiError> {
    let issuer = ca.tbs_certificate().subject();
    let spki = ca
        .tbs_certificate()
        .subject_public_key_info()
        .owned_to_ref();
    let ski = SubjectKeyIdentifier::try_from(spki).map_err(pki("key identifier"))?;
    let aki = AuthorityKeyIdentifier {
        key_identifier: Some(ski.0),
        ..Default::default()
    };
    let number = number
        .to_extension(issuer, &[])
        .map_err(pki("CRL number"))?;
    let aki = (aki.to_extension(issuer, std::slice::from_ref(&number)))
        .map_err(pki("CRL key identifier"))?;
    Ok(vec![number, aki])
}

/// The algorithm `key` signs with: SM2 with SM3.
fn key_algorithm(
    key: &sm2::dsa::SigningKey,
) -> Result<x509_cert::spki::AlgorithmIdentifierOwned, PkiError> {
    use x509_cert::spki::DynSignatureAlgorithmIdentifier;
    key.signature_algorithm_identifier()
        .map_err(pki("algorithm"))
}

/// `tbs` signed by `key` (DER (r, s) under the default distinguishing ID).
fn signed_list(
    tbs: x509_cert::crl::TbsCertList,
    key: &sm2::dsa::SigningKey,
) -> Result<x509_cert::crl::CertificateList, PkiError> {
    use der::Encode;
    use sm2::dsa::signature::Signer;
    let der = tbs.to_der().map_err(pki("to-be-signed"))?;
    let signature: sm2::dsa::Signature = key.sign(&der);
    Ok(x509_cert::crl::CertificateList {
        signature_algorithm: tbs.signature.clone(),
        tbs_cert_list: tbs,
        signature: BitString::from_bytes(signature.to_der().as_bytes())
            .map_err(pki("signature"))?,
    })
}

/// Signs `<dir>/seal-ca.crl.pem` listing `serials` (hex), valid for a year.
fn write_crl(dir: &Path, ca: &Holder, serials: &[Vec<u8>]) -> Result<(), PkiError> {
    let now = SystemTime::now() - Duration::from_secs(60);
    let number = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos() as u64;
    let crl_number = x509_cert::ext::pkix::CrlNumber(
        der::asn1::Uint::new(&number.to_be_bytes()).map_err(pki("CRL number"))?,
    );
    let revoked = serials
        .iter()
        .map(|s| {
            Ok(x509_cert::crl::RevokedCert {
                serial_number: SerialNumber::<x509_cert::certificate::Rfc5280>::new(s)
                    .map_err(pki("serial number"))?,
                revocation_date: Time::try_from(now).map_err(pki("time"))?,
                crl_entry_extensions: None,
            })
        })
        .collect::<Result<Vec<_>, PkiError>>()?;
    let tbs_cert_list = x509_cert::crl::TbsCertList {
        version: x509_cert::Version::V2,
        signature: key_algorithm(&ca.key)?,
        issuer: ca.cert.tbs_certificate().subject().clone(),
        this_update: Time::try_from(now).map_err(pki("time"))?,
        next_update: Some(
            Time::try_from(now + Duration::from_secs(365 * DAY)).map_err(pki("time"))?,
        ),
        revoked_certificates: (!revoked.is_empty()).then_some(revoked),
        crl_extensions: Some(crl_extensions(&ca.cert, crl_number)?),
    };
    let crl = signed_list(tbs_cert_list, &ca.key)?;
    let pem = crl
        .to_pem(der::pem::LineEnding::LF)
        .map_err(pki("CRL PEM"))?;
    crate::write(&dir.join("seal-ca.crl.pem"), &pem)
}

/// Adds the certificate at `cert_pem_path` to the SM2 seal CA's revocation list and re-signs
/// `<dir>/sm2/seal-ca.crl.pem`.
pub fn revoke(dir: &Path, cert_pem_path: &Path) -> Result<(), PkiError> {
    let cert = first_cert(&crate::read(cert_pem_path)?)?;
    let ca = first_cert(&crate::read(&dir.join("sm2").join("seal-ca.pem"))?)?;
    // Only the seal CA's own certificates: another CA's serial on this CA's list names nothing
    // it issued, and may one day name a certificate it does issue.
    if cert.tbs_certificate().issuer() != ca.tbs_certificate().subject() {
        return Err(PkiError::Invalid(format!(
            "{} was not issued by the SM2 seal CA (its issuer is {}): only that CA's \
             certificates go on sm2/seal-ca.crl.pem",
            cert_pem_path.display(),
            cert.tbs_certificate().issuer()
        )));
    }
    let list = dir.join("sm2").join("seal-ca.revoked");
    let mut serials = crate::read(&list)?;
    serials.push_str(&hex::encode(
        cert.tbs_certificate().serial_number().as_bytes(),
    ));
    serials.push('\n');
    crate::write(&list, &serials)?;
    refresh_crl(dir)
}

/// Re-signs `<dir>/sm2/seal-ca.crl.pem`, fresh for a year, listing the serials of
/// `seal-ca.revoked` (hex, one a line).
pub fn refresh_crl(dir: &Path) -> Result<(), PkiError> {
    let dir = dir.join("sm2");
    let ca_pem = crate::read(&dir.join("seal-ca.pem"))?;
    let ca = Holder {
        cert: first_cert(&ca_pem)?,
        key: load_key(&crate::read(&dir.join("seal-ca.key"))?)?,
    };
    let serials = crate::read(&dir.join("seal-ca.revoked"))?;
    let bytes = (serials.lines().filter(|l| !l.is_empty()))
        .map(|h| {
            (0..h.len())
                .step_by(2)
                .map(|i| h.get(i..i + 2).and_then(|x| u8::from_str_radix(x, 16).ok()))
                .collect::<Option<Vec<u8>>>()
                .ok_or_else(|| PkiError::Invalid(format!("bad serial 「{h}」 in seal-ca.revoked")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    write_crl(&dir, &ca, &bytes)
}

fn first_cert(pem: &str) -> Result<Certificate, PkiError> {
    let (_, der) = der::pem::decode_vec(
        pem.split_inclusive("-----END CERTIFICATE-----\n")
            .next()
            .unwrap_or(pem)
            .as_bytes(),
    )
    .map_err(pki("certificate PEM"))?;
    Certificate::from_der(&der).map_err(pki("certificate"))
}

fn load_key(pem: &str) -> Result<sm2::dsa::SigningKey, PkiError> {
    use sm2::pkcs8::DecodePrivateKey;
    let secret = sm2::SecretKey::from_pkcs8_pem(pem).map_err(pki("key"))?;
    sm2::dsa::SigningKey::new(DISTID, &secret).map_err(pki("key"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// OpenSSL 3.0 checks a certificate's SM2 signature under the GM/T 0015 ID only when told
    /// (`-vfyopt`), and only for the certificate named, so each link is checked on its own.
    fn openssl_verifies(dir: &Path, cert: &str, issuer: &str, purpose: Option<&str>) -> String {
        let mut cmd = Command::new("openssl");
        cmd.current_dir(dir)
            .args([
                "verify",
                "-vfyopt",
                "distid:1234567812345678",
                "-partial_chain",
            ])
            .args(["-CAfile", issuer]);
        if let Some(p) = purpose {
            cmd.args(["-purpose", p]);
        }
        let out = cmd.arg(cert).output().expect("openssl runs");
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
    }

    #[test]
    fn openssl_accepts_every_link_of_the_sm2_hierarchy_and_refuses_a_wrong_issuer() {
        let dir = tempfile::tempdir().unwrap();
        init(dir.path()).unwrap();
        let sm2 = dir.path().join("sm2");
        for (cert, issuer, purpose) in [
            ("root-ca.pem", "root-ca.pem", None),
            ("seal-ca.pem", "root-ca.pem", None),
            ("tsa-ca.pem", "root-ca.pem", None),
            ("seal.pem", "seal-ca.pem", None),
            ("seal-maker.pem", "seal-ca.pem", None),
            ("tsa.pem", "tsa-ca.pem", Some("timestampsign")),
        ] {
            let said = openssl_verifies(&sm2, cert, issuer, purpose);
            assert!(said.contains(": OK"), "{cert} under {issuer}: {said}");
        }
        let said = openssl_verifies(&sm2, "seal.pem", "tsa-ca.pem", None);
        assert!(!said.contains(": OK"), "seal.pem under the TSA CA: {said}");
        let text = Command::new("openssl")
            .current_dir(&sm2)
            .args(["x509", "-noout", "-text", "-in", "tsa.pem"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(text.contains("SM2-with-SM3"), "{text}");
        assert!(
            text.contains("Extended Key Usage: critical\n                Time Stamping"),
            "{text}"
        );
    }

    #[test]
    fn revoking_lists_the_serial_in_a_re_signed_crl() {
        let dir = tempfile::tempdir().unwrap();
        init(dir.path()).unwrap();
        let sm2 = dir.path().join("sm2");
        // Another CA's certificate is refused, naming it; the list stays as it was.
        let foreign = revoke(dir.path(), &sm2.join("tsa.pem")).unwrap_err();
        assert!(
            foreign
                .to_string()
                .contains("not issued by the SM2 seal CA"),
            "{foreign}"
        );
        assert_eq!(
            std::fs::read_to_string(sm2.join("seal-ca.revoked")).unwrap(),
            ""
        );
        revoke(dir.path(), &sm2.join("seal.pem")).unwrap();
        let out = Command::new("openssl")
            .current_dir(&sm2)
            .args(["crl", "-noout", "-text", "-in", "seal-ca.crl.pem"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_uppercase();
        let serial = Command::new("openssl")
            .current_dir(&sm2)
            .args(["x509", "-noout", "-serial", "-in", "seal.pem"])
            .output()
            .unwrap();
        let serial = String::from_utf8_lossy(&serial.stdout);
        let serial = serial.trim().trim_start_matches("serial=");
        assert!(text.contains(serial), "{serial} not in {text}");
        assert!(text.contains("SM2-WITH-SM3"), "{text}");
        // The CRL names its CA's key as the CA's certificate does, as OpenSSL reads both.
        let ca = Command::new("openssl")
            .current_dir(&sm2)
            .args([
                "x509",
                "-noout",
                "-ext",
                "subjectKeyIdentifier",
                "-in",
                "seal-ca.pem",
            ])
            .output()
            .unwrap();
        let ca = String::from_utf8_lossy(&ca.stdout).to_uppercase();
        let ski = ca
            .lines()
            .nth(1)
            .map(str::trim)
            .unwrap_or_default()
            .to_string();
        assert!(ski.len() > 20, "{ca}");
        let aki = text
            .split("AUTHORITY KEY IDENTIFIER:")
            .nth(1)
            .unwrap_or_default();
        assert!(
            aki.trim_start().starts_with(&ski),
            "CA key {ski}, CRL: {text}"
        );
    }
}
