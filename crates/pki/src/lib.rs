//! The court PKI for development and tests, built on rcgen with ECDSA P-256 keys through ring.
//!
//! `init` lays out a root CA, four intermediate CAs (TLS, clients, seals, timestamps), the hub's server
//! certificate, client certificates for a court system, a clerk and two lawyers, a seal-signing and a
//! timestamp-authority certificate, and an (empty) CRL of the client CA. Client identities are SAN URIs
//! `urn:ecenter:<court|clerk|lawyer>:<id>`. Everything here is for development only: the private keys
//! are written next to the certificates.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

// sm2 0.14 signs certificates with the RustCrypto 0.8/0.3 generation of `der` and `x509-cert`;
// the seal crate is on 0.7/0.2 with `cms`. The workspace names both; here they keep their names.
extern crate der_0_8 as der;
extern crate x509_cert_0_3 as x509_cert;

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
    RevokedCertParams, SanType, SerialNumber,
};
pub use rcgen::{CustomExtension, ExtendedKeyUsagePurpose as Eku, KeyUsagePurpose as Ku};
use std::fs;
use std::path::{Path, PathBuf};
use time::{Duration, OffsetDateTime};

pub mod sm2;

/// What can go wrong making or loading the PKI.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// rcgen refused.
    #[error("certificate generation failed: {0}")]
    Rcgen(#[from] rcgen::Error),
    /// The directory already holds a PKI and `force` was not given.
    #[error("{0} already holds a PKI; pass --force to replace it")]
    Exists(PathBuf),
    /// Bad request.
    #[error("{0}")]
    Invalid(String),
}

/// Organisation written into every certificate's subject, marked as development.
pub const ORGANISATION: &str = "湖北省襄阳市中级人民法院（开发用，非正式）";

/// Roles that client certificates carry.
pub const ROLES: [&str; 3] = ["court", "clerk", "lawyer"];

/// A client of the development set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSpec {
    /// `court`, `clerk` or `lawyer`.
    pub role: String,
    /// Id within the role: system code, staff number or bar licence number.
    pub id: String,
    /// Common name shown to people.
    pub name: String,
    /// Start of validity.
    pub not_before: OffsetDateTime,
    /// End of validity.
    pub not_after: OffsetDateTime,
}

impl ClientSpec {
    /// A client valid from an hour ago for two years.
    pub fn new(role: &str, id: &str, name: &str) -> ClientSpec {
        let now = OffsetDateTime::now_utc();
        ClientSpec {
            role: role.into(),
            id: id.into(),
            name: name.into(),
            not_before: now - Duration::hours(1),
            not_after: now + Duration::days(730),
        }
    }

    /// The identity URN carried as SAN URI.
    pub fn urn(&self) -> String {
        format!("urn:ecenter:{}:{}", self.role, self.id)
    }

    /// File stem under `clients/`.
    pub fn file_stem(&self) -> String {
        format!("{}-{}", self.role, self.id)
    }
}

/// The clients `init` creates.
pub fn default_clients() -> Vec<ClientSpec> {
    vec![
        ClientSpec::new("court", "xiangyang-cms", "襄阳中院案件管理系统"),
        ClientSpec::new("clerk", "c0001", "书记员 李明"),
        ClientSpec::new("lawyer", "14201202010000001", "律师 张伟"),
        ClientSpec::new("lawyer", "14201202010000002", "律师 王芳"),
    ]
}

fn io<T>(path: &Path, r: std::io::Result<T>) -> Result<T, PkiError> {
    r.map_err(|source| PkiError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn write(path: &Path, contents: &str) -> Result<(), PkiError> {
    if let Some(parent) = path.parent() {
        io(parent, fs::create_dir_all(parent))?;
    }
    io(path, fs::write(path, contents))
}

fn read(path: &Path) -> Result<String, PkiError> {
    io(path, fs::read_to_string(path))
}

fn random_serial() -> SerialNumber {
    let mut bytes = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .expect("system randomness");
    bytes[0] &= 0x7F; // positive
    bytes[0] |= 0x01; // no leading zero byte
    SerialNumber::from_slice(&bytes)
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "CN");
    dn.push(DnType::OrganizationName, ORGANISATION);
    dn.push(DnType::CommonName, common_name);
    dn
}

fn base_params(common_name: &str, days: i64) -> CertificateParams {
    let mut p = CertificateParams::default();
    let now = OffsetDateTime::now_utc();
    p.not_before = now - Duration::hours(1);
    p.not_after = now + Duration::days(days);
    p.distinguished_name = name(common_name);
    p.serial_number = Some(random_serial());
    p.key_identifier_method = KeyIdMethod::Sha256;
    p.use_authority_key_identifier_extension = true;
    p
}

fn ca_params(common_name: &str, days: i64, path_len: Option<u8>) -> CertificateParams {
    let mut p = base_params(common_name, days);
    p.is_ca = IsCa::Ca(path_len.map_or(
        BasicConstraints::Unconstrained,
        BasicConstraints::Constrained,
    ));
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p
}

fn new_key() -> Result<KeyPair, PkiError> {
    Ok(KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?)
}

/// DER of ExtKeyUsage ::= SEQUENCE { id-kp-timeStamping }, for the critical extension RFC 3161 requires.
/// The seal-maker role EKU, 1.3.6.1.4.1.59648.1.2 (ecenter's arc), as ecenter_seal checks it.
pub const SEAL_MAKER_ROLE: [u64; 9] = [1, 3, 6, 1, 4, 1, 59648, 1, 2];

const TIME_STAMPING_EKU: [u8; 12] = [
    0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08,
];

/// Paths of a PKI directory.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The directory.
    pub dir: PathBuf,
}

impl Layout {
    /// A certificate or key file by name.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// A client's certificate chain (leaf, client CA).
    pub fn client_cert(&self, stem: &str) -> PathBuf {
        self.dir.join("clients").join(format!("{stem}.pem"))
    }

    /// A client's private key.
    pub fn client_key(&self, stem: &str) -> PathBuf {
        self.dir.join("clients").join(format!("{stem}.key"))
    }

    /// The client CA's CRL.
    pub fn client_crl(&self) -> PathBuf {
        self.dir.join("client-ca.crl.pem")
    }
}

/// An intermediate CA of the development set: its file stem, its issuer and its certificate (PEM).
type Intermediate = (&'static str, Issuer<'static, KeyPair>, String);

/// Creates the whole development PKI in `dir`.
pub fn init(dir: &Path, force: bool) -> Result<Layout, PkiError> {
    let layout = Layout {
        dir: dir.to_path_buf(),
    };
    if layout.file("root-ca.pem").exists() && !force {
        return Err(PkiError::Exists(dir.to_path_buf()));
    }
    let root = make_root(&layout)?;
    let [
        (_, tls_ca, tls_pem),
        (_, client_ca, client_pem),
        (_, seal_ca, seal_pem),
        (_, tsa_ca, tsa_pem),
    ] = make_intermediates(&layout, &root)?;

    write_server_cert(&layout, &tls_ca, &tls_pem)?;
    write_seal_certs(&layout, &seal_ca, &seal_pem)?;
    write_tsa_cert(&layout, &tsa_ca, &tsa_pem)?;

    for spec in default_clients() {
        issue_client_with(
            &layout,
            &client_ca,
            &client_pem,
            &spec,
            &[ExtendedKeyUsagePurpose::ClientAuth],
        )?;
    }
    write(&layout.file("client-ca.revoked"), "")?;
    write_crl(&layout.client_crl(), &client_ca, &[])?;
    sm2::init(dir)?;
    write(&layout.file("README.md"), README)?;
    Ok(layout)
}

/// The certificate and key paths of leaf `stem` in the PKI directory.
fn leaf_paths(layout: &Layout, stem: &str) -> (PathBuf, PathBuf) {
    (
        layout.file(&format!("{stem}.pem")),
        layout.file(&format!("{stem}.key")),
    )
}

/// Key usages of the signing leaves (seal and timestamp authority): digitalSignature and
/// nonRepudiation, as PAdES and RFC 3161 signers carry them.
const SIGNING: [KeyUsagePurpose; 2] = [
    KeyUsagePurpose::DigitalSignature,
    KeyUsagePurpose::ContentCommitment,
];

/// Makes and writes the court's development root CA; returns it as the issuer of the
/// intermediates.
fn make_root(layout: &Layout) -> Result<Issuer<'static, KeyPair>, PkiError> {
    let root_key = new_key()?;
    let root_params = ca_params("ecenter 开发用根证书 Development Root CA", 7300, Some(1));
    let root_cert = root_params.self_signed(&root_key)?;
    write(&layout.file("root-ca.pem"), &root_cert.pem())?;
    write(&layout.file("root-ca.key"), &root_key.serialize_pem())?;
    Ok(Issuer::new(root_params, root_key))
}

/// Makes and writes the four intermediate CAs under the root, in this order: TLS, clients,
/// seals (电子印章), timestamps.
fn make_intermediates(
    layout: &Layout,
    root: &Issuer<'_, KeyPair>,
) -> Result<[Intermediate; 4], PkiError> {
    let mut intermediates = Vec::new();
    for (stem, cn) in [
        ("tls-ca", "ecenter 开发用 TLS CA"),
        ("client-ca", "ecenter 开发用客户端 CA"),
        ("seal-ca", "ecenter 开发用电子印章 CA"),
        ("tsa-ca", "ecenter 开发用时间戳 CA"),
    ] {
        let key = new_key()?;
        let params = ca_params(cn, 3650, Some(0));
        let cert = params.signed_by(&key, root)?;
        write(&layout.file(&format!("{stem}.pem")), &cert.pem())?;
        write(&layout.file(&format!("{stem}.key")), &key.serialize_pem())?;
        intermediates.push((stem, Issuer::new(params, key), cert.pem()));
    }
    <[_; 4]>::try_from(intermediates).map_err(|_| PkiError::Invalid("four intermediates".into()))
}

/// The hub's TLS server certificate (localhost, 127.0.0.1, ::1), issued by the TLS CA.
fn write_server_cert(
    layout: &Layout,
    tls_ca: &Issuer<'_, KeyPair>,
    tls_pem: &str,
) -> Result<(), PkiError> {
    let mut p = base_params("ecenter hub (development)", 730);
    p.subject_alt_names = vec![
        SanType::DnsName("localhost".try_into()?),
        SanType::IpAddress("127.0.0.1".parse().expect("constant address")),
        SanType::IpAddress("::1".parse().expect("constant address")),
    ];
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    write_leaf(&p, tls_ca, tls_pem, leaf_paths(layout, "server"))?;
    Ok(())
}

/// The seal-signing certificate (for 诉讼服务专用章), and the seal maker (制章者) who signs
/// SESeals, issued by the seal CA.
fn write_seal_certs(
    layout: &Layout,
    seal_ca: &Issuer<'_, KeyPair>,
    seal_pem: &str,
) -> Result<(), PkiError> {
    for (stem, cn) in [
        ("seal", "襄阳中院诉讼服务专用章签名证书（开发用）"),
        ("seal-maker", "襄阳中院电子印章制作者（开发用）"),
    ] {
        let mut p = base_params(cn, 730);
        p.key_usages = SIGNING.to_vec();
        if stem == "seal-maker" {
            // The maker role (ecenter_seal::roles::SEAL_MAKER_ROLE): only a maker makes seals.
            p.extended_key_usages = vec![ExtendedKeyUsagePurpose::Other(SEAL_MAKER_ROLE.to_vec())];
        }
        write_leaf(&p, seal_ca, seal_pem, leaf_paths(layout, stem))?;
    }
    Ok(())
}

/// The timestamp authority's certificate: RFC 3161 wants the timeStamping purpose, alone and
/// critical.
fn write_tsa_cert(
    layout: &Layout,
    tsa_ca: &Issuer<'_, KeyPair>,
    tsa_pem: &str,
) -> Result<(), PkiError> {
    let mut p = base_params("ecenter 时间戳服务（开发用）", 730);
    p.key_usages = SIGNING.to_vec();
    let mut eku = CustomExtension::from_oid_content(&[2, 5, 29, 37], TIME_STAMPING_EKU.to_vec());
    eku.set_criticality(true);
    p.custom_extensions = vec![eku];
    write_leaf(&p, tsa_ca, tsa_pem, leaf_paths(layout, "tsa"))?;
    Ok(())
}

const README: &str = "# Development PKI — NOT FOR PRODUCTION\n\n\
These certificates and private keys were generated by `ecenter-pki init` for development and tests.\n\
The private keys are public (they are in the repository): never trust this root outside a developer's\n\
machine, and never configure a real hub with these files. Production paths come from the hub's config.\n\n\
| file | what |\n|---|---|\n\
| root-ca.pem / .key | court root CA |\n\
| tls-ca, client-ca, seal-ca, tsa-ca (.pem / .key) | intermediate CAs |\n\
| server.pem / .key | the hub's TLS certificate (localhost, 127.0.0.1, ::1), chain included |\n\
| clients/<role>-<id>.pem / .key | client certificates, SAN URI urn:ecenter:<role>:<id>, chain included |\n\
| seal.pem / .key | seal-signing certificate (digitalSignature, nonRepudiation) |\n\
| seal-maker.pem / .key | the seal maker's certificate, signs SESeal structures (EKU 1.3.6.1.4.1.59648.1.2, the maker role) |\n\
| tsa.pem / .key | timestamp authority (critical EKU timeStamping) |\n\
| client-ca.crl.pem | CRL of the client CA; client-ca.revoked lists its revoked serials |\n\
| sm2/ | the same seal and timestamp hierarchy in SM2-with-SM3 (国密): root-ca, seal-ca, tsa-ca, seal, seal-maker, tsa, seal-ca.crl.pem |\n\n\
Issue another client: `ecenter-pki issue-client --role lawyer --id 14201202010000003 --name 律师 赵六`.\n\
Revoke one: `ecenter-pki revoke clients/lawyer-14201202010000003.pem` (rewrites the CRL).\n";

fn load_ca(layout: &Layout, ca_stem: &str) -> Result<(Issuer<'static, KeyPair>, String), PkiError> {
    let pem = read(&layout.file(&format!("{ca_stem}.pem")))?;
    let key = KeyPair::from_pem(&read(&layout.file(&format!("{ca_stem}.key")))?)?;
    Ok((Issuer::from_ca_cert_pem(&pem, key)?, pem))
}

fn load_client_ca(layout: &Layout) -> Result<(Issuer<'static, KeyPair>, String), PkiError> {
    load_ca(layout, "client-ca")
}

/// A leaf certificate to issue under one of the PKI's CAs (for tests of other purposes).
#[derive(Debug, Clone)]
pub struct LeafSpec {
    /// Common name.
    pub name: String,
    /// Start of validity.
    pub not_before: OffsetDateTime,
    /// End of validity.
    pub not_after: OffsetDateTime,
    /// Key usages.
    pub key_usages: Vec<Ku>,
    /// Extended key usages.
    pub extended_key_usages: Vec<Eku>,
    /// Further extensions as DER (e.g. certificatePolicies naming a role).
    pub extensions: Vec<rcgen::CustomExtension>,
}

/// Issues a leaf under the CA `ca_stem` (e.g. `seal-ca`), written as `<out_stem>.pem` (chain) and
/// `<out_stem>.key` in the PKI directory.
pub fn issue_leaf(
    dir: &Path,
    ca_stem: &str,
    spec: &LeafSpec,
    out_stem: &str,
) -> Result<(PathBuf, PathBuf), PkiError> {
    let layout = Layout {
        dir: dir.to_path_buf(),
    };
    let (ca, ca_pem) = load_ca(&layout, ca_stem)?;
    let mut p = base_params(&spec.name, 1);
    p.not_before = spec.not_before;
    p.not_after = spec.not_after;
    p.key_usages = spec.key_usages.clone();
    p.extended_key_usages = spec.extended_key_usages.clone();
    p.custom_extensions = spec.extensions.clone();
    let paths = (
        layout.file(&format!("{out_stem}.pem")),
        layout.file(&format!("{out_stem}.key")),
    );
    write_leaf(&p, &ca, &ca_pem, paths)
}

/// Signs `params` with a fresh key under `ca` and writes the chain (leaf, CA) and the key.
fn write_leaf(
    params: &CertificateParams,
    ca: &Issuer<'_, KeyPair>,
    ca_pem: &str,
    (cert_path, key_path): (PathBuf, PathBuf),
) -> Result<(PathBuf, PathBuf), PkiError> {
    let key = new_key()?;
    let cert = params.signed_by(&key, ca)?;
    write(&cert_path, &format!("{}{}", cert.pem(), ca_pem))?;
    write(&key_path, &key.serialize_pem())?;
    Ok((cert_path, key_path))
}

fn issue_client_with(
    layout: &Layout,
    ca: &Issuer<'_, KeyPair>,
    ca_pem: &str,
    spec: &ClientSpec,
    eku: &[ExtendedKeyUsagePurpose],
) -> Result<(PathBuf, PathBuf), PkiError> {
    if !ROLES.contains(&spec.role.as_str()) {
        return Err(PkiError::Invalid(format!(
            "unknown role 「{}」: use court, clerk or lawyer",
            spec.role
        )));
    }
    if spec.id.is_empty()
        || !spec
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
    {
        return Err(PkiError::Invalid(format!(
            "id 「{}」 must be A-Z a-z 0-9 - . _",
            spec.id
        )));
    }
    let mut p = base_params(&spec.name, 1);
    p.not_before = spec.not_before;
    p.not_after = spec.not_after;
    p.subject_alt_names = vec![SanType::URI(spec.urn().as_str().try_into()?)];
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = eku.to_vec();
    let paths = (
        layout.client_cert(&spec.file_stem()),
        layout.client_key(&spec.file_stem()),
    );
    write_leaf(&p, ca, ca_pem, paths)
}

/// Issues one client certificate under the client CA of `dir`; returns the chain and key paths.
pub fn issue_client(dir: &Path, spec: &ClientSpec) -> Result<(PathBuf, PathBuf), PkiError> {
    issue_under_client_ca(dir, spec, &[ExtendedKeyUsagePurpose::ClientAuth])
}

/// Issues a certificate under the client CA whose only purpose is TLS *server* authentication: a
/// client presenting it must be refused.
pub fn issue_server_only(dir: &Path, spec: &ClientSpec) -> Result<(PathBuf, PathBuf), PkiError> {
    issue_under_client_ca(dir, spec, &[ExtendedKeyUsagePurpose::ServerAuth])
}

/// Issues a certificate under the client CA without any extendedKeyUsage (RFC 5280 reads that as
/// "any purpose"): the hub must refuse it as a client, because it demands clientAuth explicitly.
pub fn issue_without_eku(dir: &Path, spec: &ClientSpec) -> Result<(PathBuf, PathBuf), PkiError> {
    issue_under_client_ca(dir, spec, &[])
}

/// Issues one certificate under the client CA of `dir` with the purposes `eku`; returns the chain
/// and key paths.
fn issue_under_client_ca(
    dir: &Path,
    spec: &ClientSpec,
    eku: &[ExtendedKeyUsagePurpose],
) -> Result<(PathBuf, PathBuf), PkiError> {
    let layout = Layout {
        dir: dir.to_path_buf(),
    };
    let (ca, ca_pem) = load_client_ca(&layout)?;
    issue_client_with(&layout, &ca, &ca_pem, spec, eku)
}

/// Serial number (hex) of the first certificate in a PEM file.
pub fn serial_of(cert_pem_path: &Path) -> Result<String, PkiError> {
    let pem = io(cert_pem_path, fs::read(cert_pem_path))?;
    let bad = |e: String| {
        PkiError::Invalid(format!(
            "{}: not a PEM certificate: {e}",
            cert_pem_path.display()
        ))
    };
    let (_, block) = x509_parser::pem::parse_x509_pem(&pem).map_err(|e| bad(e.to_string()))?;
    let cert = block.parse_x509().map_err(|e| bad(e.to_string()))?;
    Ok(hex::encode(cert.raw_serial()))
}

/// Adds a certificate to the client CA's revocation list and rewrites the CRL.
pub fn revoke(dir: &Path, cert_pem_path: &Path) -> Result<(), PkiError> {
    revoke_under(dir, "client-ca", cert_pem_path)
}

/// Adds a certificate to the revocation list of the CA `ca_stem` and rewrites `<ca_stem>.crl.pem`.
pub fn revoke_under(dir: &Path, ca_stem: &str, cert_pem_path: &Path) -> Result<(), PkiError> {
    let layout = Layout {
        dir: dir.to_path_buf(),
    };
    let serial = serial_of(cert_pem_path)?;
    let list_path = layout.file(&format!("{ca_stem}.revoked"));
    let mut serials: Vec<String> = read(&list_path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    if !serials.contains(&serial) {
        serials.push(serial);
    }
    write(
        &list_path,
        &serials.iter().map(|s| format!("{s}\n")).collect::<String>(),
    )?;
    let (ca, _) = load_ca(&layout, ca_stem)?;
    write_crl(&layout.file(&format!("{ca_stem}.crl.pem")), &ca, &serials)
}

/// Re-issues the client CA's CRL from its revoked list (a fresh CRL before the old one expires).
pub fn refresh_crl(dir: &Path) -> Result<(), PkiError> {
    let layout = Layout {
        dir: dir.to_path_buf(),
    };
    let serials: Vec<String> = read(&layout.file("client-ca.revoked"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    let (ca, _) = load_client_ca(&layout)?;
    write_crl(&layout.client_crl(), &ca, &serials)
}

fn write_crl(path: &Path, ca: &Issuer<'_, KeyPair>, serials: &[String]) -> Result<(), PkiError> {
    let now = OffsetDateTime::now_utc();
    let revoked = serials
        .iter()
        .map(|hex| {
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|_| {
                    PkiError::Invalid(format!("bad serial 「{hex}」 in client-ca.revoked"))
                })?;
            Ok(RevokedCertParams {
                serial_number: SerialNumber::from_slice(&bytes),
                revocation_time: now - Duration::minutes(1),
                reason_code: None,
                invalidity_date: None,
            })
        })
        .collect::<Result<Vec<_>, PkiError>>()?;
    let crl_number = now.unix_timestamp_nanos() as u64;
    let params = CertificateRevocationListParams {
        this_update: now - Duration::minutes(1),
        next_update: now + Duration::days(365),
        crl_number: SerialNumber::from_slice(&crl_number.to_be_bytes()),
        issuing_distribution_point: None,
        revoked_certs: revoked,
        key_identifier_method: KeyIdMethod::Sha256,
    };
    let crl = params.signed_by(ca)?;
    write(path, &crl.pem()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::prelude::*;

    fn parse(path: &Path) -> Vec<u8> {
        let pem = fs::read(path).unwrap();
        let (_, p) = parse_x509_pem(&pem).unwrap();
        p.contents
    }

    #[test]
    fn init_lays_out_a_complete_chained_set_with_the_right_purposes() {
        let dir = tempfile::tempdir().unwrap();
        let layout = init(dir.path(), false).unwrap();
        assert!(matches!(init(dir.path(), false), Err(PkiError::Exists(_))));

        let root_der = parse(&layout.file("root-ca.pem"));
        let (_, root) = X509Certificate::from_der(&root_der).unwrap();
        let client_ca_der = parse(&layout.file("client-ca.pem"));
        let (_, client_ca) = X509Certificate::from_der(&client_ca_der).unwrap();
        assert!(client_ca.verify_signature(Some(root.public_key())).is_ok());
        assert!(client_ca.is_ca());

        let lawyer_der = parse(&layout.client_cert("lawyer-14201202010000001"));
        let (_, lawyer) = X509Certificate::from_der(&lawyer_der).unwrap();
        assert!(
            lawyer
                .verify_signature(Some(client_ca.public_key()))
                .is_ok()
        );
        let san = lawyer.subject_alternative_name().unwrap().unwrap();
        assert!(
            san.value
                .general_names
                .iter()
                .any(|n| matches!(n, GeneralName::URI("urn:ecenter:lawyer:14201202010000001")))
        );
        assert!(
            lawyer
                .extended_key_usage()
                .unwrap()
                .unwrap()
                .value
                .client_auth
        );
        assert!(
            lawyer.subject().to_string().contains("律师 张伟"),
            "{}",
            lawyer.subject()
        );

        let tsa_der = parse(&layout.file("tsa.pem"));
        let (_, tsa) = X509Certificate::from_der(&tsa_der).unwrap();
        let eku = tsa.extended_key_usage().unwrap().unwrap();
        assert!(eku.critical && eku.value.time_stamping);

        let server_der = parse(&layout.file("server.pem"));
        let (_, server) = X509Certificate::from_der(&server_der).unwrap();
        assert!(
            server
                .extended_key_usage()
                .unwrap()
                .unwrap()
                .value
                .server_auth
        );
        assert!(
            fs::read_to_string(layout.file("README.md"))
                .unwrap()
                .contains("NOT FOR PRODUCTION")
        );
    }

    #[test]
    fn revoking_a_client_lists_its_serial_in_a_fresh_signed_crl() {
        let dir = tempfile::tempdir().unwrap();
        let layout = init(dir.path(), false).unwrap();
        let spec = ClientSpec::new("lawyer", "14201202010000009", "律师 赵六");
        let (cert, _) = issue_client(dir.path(), &spec).unwrap();
        revoke(dir.path(), &cert).unwrap();
        let crl_der = parse(&layout.client_crl());
        let (_, crl) = CertificateRevocationList::from_der(&crl_der).unwrap();
        let serial = serial_of(&cert).unwrap();
        let listed: Vec<String> = crl
            .iter_revoked_certificates()
            .map(|r| r.raw_serial_as_string().replace(':', ""))
            .collect();
        assert_eq!(listed, vec![serial]);
        let ca_der = parse(&layout.file("client-ca.pem"));
        let (_, ca) = X509Certificate::from_der(&ca_der).unwrap();
        assert!(crl.verify_signature(ca.public_key()).is_ok());
        assert!(issue_client(dir.path(), &ClientSpec::new("judge", "1", "x")).is_err());
    }
}
