//! Electronic seals (电子签章) after GB/T 38540-2020: a seal maker makes a seal (`SESeal`) naming the
//! certificates allowed to use it; a signer seals a document with a detached `SES_Signature`; anyone
//! verifies it against configured trust stores and gets a [`ValidationReport`].
//!
//! Invariants: algorithms come from an explicit allow-list ([`SignatureAlgorithm`]); chains are built
//! only to configured trust anchors, never to certificates carried inside a signature; the decoder
//! accepts strict DER only.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod algs;
pub mod asn1;
pub mod asn1_2014;
pub mod cades;
mod chain_steps;
pub mod layout;
mod rejection;
pub mod report;
pub mod roles;
pub mod sm;
pub mod trust_files;
pub mod tsa;
mod tst;
mod verify_ses;

pub use rejection::Rejection;

use asn1::*;
use der::asn1::{BitString, GeneralizedTime, Ia5String, ObjectIdentifier, OctetString};
use der::{Decode, Encode};
pub use report::{Check, CheckStatus, Indication, SubIndication, ValidationReport};
use ring::signature::{self, EcdsaKeyPair, KeyPair};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivatePkcs8KeyDer, UnixTime};
use std::time::{Duration, SystemTime};

/// ecdsa-with-SHA256 (1.2.840.10045.4.3.2).
pub const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
pub use sm::SM2_WITH_SM3;
/// id-kp-documentSigning; signer certificates may carry it, or no EKU at all.
pub(crate) const DOCUMENT_SIGNING_EKU: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x24];

/// The signature algorithms of seals (the maker's over `SES_SealInfo`, the signer's over
/// `TBS_Sign`) that this build accepts: an explicit allow-list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureAlgorithm {
    /// ECDSA on P-256 with SHA-256, DER-encoded signatures.
    EcdsaP256Sha256,
    /// SM2 with SM3 (GB/T 32918.2, GM/T 0003.2), DER-encoded signatures, distinguishing ID
    /// `1234567812345678`; the document digest (`dataHash`) is SM3.
    Sm2Sm3,
}

impl SignatureAlgorithm {
    /// The allow-list.
    pub const ALLOWED: [SignatureAlgorithm; 2] = [
        SignatureAlgorithm::EcdsaP256Sha256,
        SignatureAlgorithm::Sm2Sm3,
    ];

    /// Its OID.
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            SignatureAlgorithm::EcdsaP256Sha256 => ECDSA_WITH_SHA256,
            SignatureAlgorithm::Sm2Sm3 => SM2_WITH_SM3,
        }
    }

    /// The allowed algorithm with this OID, if any.
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<SignatureAlgorithm> {
        Self::ALLOWED.into_iter().find(|a| &a.oid() == oid)
    }

    /// A name for reports and messages.
    pub fn name(self) -> &'static str {
        match self {
            SignatureAlgorithm::EcdsaP256Sha256 => "ECDSA P-256 with SHA-256",
            SignatureAlgorithm::Sm2Sm3 => "SM2 with SM3",
        }
    }

    /// The digest a seal's `dataHash` holds under this algorithm (SHA-256 or SM3, 32 bytes).
    pub fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            SignatureAlgorithm::EcdsaP256Sha256 => {
                ring::digest::digest(&ring::digest::SHA256, data)
                    .as_ref()
                    .to_vec()
            }
            SignatureAlgorithm::Sm2Sm3 => sm::sm3_of(&[data]),
        }
    }
}

/// Why making or applying a seal failed.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// A key is unusable, for this purpose or with this certificate.
    #[error("{0}")]
    Key(String),
    /// A certificate is not PEM or does not parse.
    #[error("certificate: {0}")]
    Certificate(String),
    /// DER encoding failed.
    #[error("encoding failed: {0}")]
    Der(#[from] der::Error),
    /// The input is not what was expected.
    #[error("{0}")]
    Invalid(String),
    /// A seal or signature given to use did not parse or verify.
    #[error(transparent)]
    Rejected(#[from] Rejection),
}

/// A certificate with its private key: a seal maker, a signer or a TSA.
pub struct KeyHolder {
    cert: Vec<u8>,
    key: PrivateKey,
    curve: Curve,
    rng: ring::rand::SystemRandom,
}

enum PrivateKey {
    Ecdsa(EcdsaKeyPair),
    Sm2(sm::Sm2Key),
}

/// The curve of a [`KeyHolder`]'s key. Seal makers and signers write ecdsa-with-SHA256 (P-256) or
/// SM2-with-SM3 (sm2p256v1); a TSA may also be P-384 with SHA-384, so that archive timestamps can
/// move to a stronger algorithm before P-256 ages out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    /// P-256, signing with SHA-256.
    P256,
    /// P-384, signing with SHA-384.
    P384,
    /// sm2p256v1, signing SM2 with SM3.
    Sm2,
}

impl KeyHolder {
    /// From a PEM certificate (the first one in the file counts) and a PEM PKCS#8 key: P-256,
    /// P-384 or SM2.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<KeyHolder, SealError> {
        let cert = CertificateDer::from_pem_slice(cert_pem)
            .map_err(|e| SealError::Certificate(e.to_string()))?;
        let key = PrivatePkcs8KeyDer::from_pem_slice(key_pem)
            .map_err(|e| SealError::Key(format!("key: {e}")))?;
        let rng = ring::rand::SystemRandom::new();
        let (key, curve, public) = private_key(key.secret_pkcs8_der(), &rng)?;
        let spki =
            public_key_of(cert.as_ref()).map_err(|e| SealError::Certificate(e.to_string()))?;
        if spki != public {
            return Err(SealError::Key(
                "the key does not belong to the certificate (its public key differs)".into(),
            ));
        }
        Ok(KeyHolder {
            cert: cert.as_ref().to_vec(),
            key,
            curve,
            rng,
        })
    }

    /// The key's curve.
    pub fn curve(&self) -> Curve {
        self.curve
    }

    /// The seal algorithm this key writes `what` in (a seal maker, a seal signer): P-256 keys
    /// ecdsa-with-SHA256, SM2 keys SM2-with-SM3; P-384 keys write no seal.
    pub fn seal_algorithm(&self, what: &str) -> Result<SignatureAlgorithm, SealError> {
        match self.curve {
            Curve::P256 => Ok(SignatureAlgorithm::EcdsaP256Sha256),
            Curve::Sm2 => Ok(SignatureAlgorithm::Sm2Sm3),
            Curve::P384 => Err(SealError::Key(format!(
                "{what} needs a P-256 key (ecdsa-with-SHA256) or an SM2 key (SM2-with-SM3); this one is P-384"
            ))),
        }
    }

    /// Refuses a key that cannot write `what` (the PAdES CMS structures here are ECDSA P-256).
    pub(crate) fn require_p256(&self, what: &str) -> Result<(), SealError> {
        match self.curve {
            Curve::P256 => Ok(()),
            Curve::P384 => Err(SealError::Key(format!(
                "{what} needs a P-256 key (ecdsa-with-SHA256); this one is P-384"
            ))),
            Curve::Sm2 => Err(SealError::Key(format!(
                "{what} needs a P-256 key (ecdsa-with-SHA256); this one is SM2, which PDF validators do not verify"
            ))),
        }
    }

    /// The certificate (DER).
    pub fn cert(&self) -> &[u8] {
        &self.cert
    }

    /// Signs `data`: ECDSA over SHA-256/384 of it, or SM2 over SM3 of `Z || data`; DER.
    pub(crate) fn sign(&self, data: &[u8]) -> Result<Vec<u8>, SealError> {
        match &self.key {
            PrivateKey::Ecdsa(key) => key
                .sign(&self.rng, data)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| SealError::Key("signing failed".into())),
            PrivateKey::Sm2(key) => Ok(key.sign(data)),
        }
    }
}

/// A PKCS#8 key as P-256, P-384 or SM2, with its curve and public point.
fn private_key(
    der: &[u8],
    rng: &ring::rand::SystemRandom,
) -> Result<(PrivateKey, Curve, Vec<u8>), SealError> {
    let ecdsa = |alg, curve| {
        EcdsaKeyPair::from_pkcs8(alg, der, rng).ok().map(|k| {
            let public = k.public_key().as_ref().to_vec();
            (PrivateKey::Ecdsa(k), curve, public)
        })
    };
    ecdsa(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, Curve::P256)
        .or_else(|| ecdsa(&signature::ECDSA_P384_SHA384_ASN1_SIGNING, Curve::P384))
        .or_else(|| {
            sm::Sm2Key::from_pkcs8(der).map(|k| {
                let public = k.public_point();
                (PrivateKey::Sm2(k), Curve::Sm2, public)
            })
        })
        .ok_or_else(|| {
            SealError::Key(
                "not a P-256, P-384 or SM2 (sm2p256v1) PKCS#8 EC key; RSA and other curves are not supported"
                    .into(),
            )
        })
}

fn public_key_of(cert_der: &[u8]) -> Result<Vec<u8>, Rejection> {
    let (_, cert) = x509_parser::parse_x509_certificate(cert_der)
        .map_err(|e| Rejection::Malformed(format!("certificate does not parse: {e}")))?;
    Ok(cert.public_key().subject_public_key.data.to_vec())
}

fn generalized(t: SystemTime) -> Result<GeneralizedTime, SealError> {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(|_| SealError::Invalid("time before 1970".into()))?;
    Ok(GeneralizedTime::from_unix_duration(Duration::from_secs(
        secs.as_secs(),
    ))?)
}

/// What a seal is: the standard's property and picture.
#[derive(Debug, Clone)]
pub struct SealSpec {
    /// 印章编码.
    pub seal_id: String,
    /// 印章名称, e.g. 襄阳市中级人民法院诉讼服务专用章.
    pub name: String,
    /// 1 for an organisation's seal.
    pub seal_type: u32,
    /// DER certificates of the signers allowed to use it.
    pub signers: Vec<Vec<u8>>,
    /// Validity window.
    pub valid_from: SystemTime,
    /// End of validity.
    pub valid_to: SystemTime,
    /// `PNG`, ...
    pub picture_type: String,
    /// The picture bytes.
    pub picture: Vec<u8>,
    /// Width and height in millimetres.
    pub size_mm: (u32, u32),
}

/// Makes a seal, signed by its maker; returns the DER of `SESeal`.
pub fn make_seal(spec: &SealSpec, maker: &KeyHolder) -> Result<Vec<u8>, SealError> {
    let algorithm = maker.seal_algorithm("a seal maker")?;
    let ia5 = |s: &str, what: &str| {
        Ia5String::new(s).map_err(|_| SealError::Invalid(format!("{what} must be ASCII")))
    };
    let info = SesSealInfo {
        header: SesHeader {
            id: ia5("ES", "id")?,
            version: 4,
            vid: ia5("ecenter", "vid")?,
        },
        es_id: ia5(&spec.seal_id, "seal id")?,
        property: SesPropertyInfo {
            seal_type: spec.seal_type,
            name: spec.name.clone(),
            cert_list_type: 1,
            cert_list: der::Any::encode_from(
                &spec
                    .signers
                    .iter()
                    .map(|c| OctetString::new(c.clone()))
                    .collect::<Result<Vec<_>, _>>()?,
            )?,
            create_date: Time(SystemTime::now()),
            valid_start: Time(spec.valid_from),
            valid_end: Time(spec.valid_to),
        },
        picture: SesPictureInfo {
            picture_type: ia5(&spec.picture_type, "picture type")?,
            data: OctetString::new(spec.picture.clone())?,
            width: spec.size_mm.0,
            height: spec.size_mm.1,
        },
        ext_datas: None,
    };
    let signature = maker.sign(&info.to_der()?)?;
    let seal = SeSeal {
        eseal_info: info,
        cert: OctetString::new(maker.cert().to_vec())?,
        sign_alg_id: algorithm.oid(),
        signed_value: BitString::from_bytes(&signature)?,
    };
    Ok(seal.to_der()?)
}

/// Seals `document` with the seal `seal_der`, as `signer`, at the claimed time `at`; returns the DER
/// of the detached `SES_Signature`. `property_info` names what was sealed (ASCII, e.g. an id).
pub fn seal_document(
    seal_der: &[u8],
    document: &[u8],
    signer: &KeyHolder,
    at: SystemTime,
    property_info: &str,
) -> Result<Vec<u8>, SealError> {
    Sealer::new(seal_der, signer)?.seal(document, at, property_info)
}

/// Wraps DER `parts` in a SEQUENCE.
fn sequence(parts: &[&[u8]]) -> Result<Vec<u8>, SealError> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut out = der::Header::new(der::Tag::Sequence, der::Length::try_from(len)?)?.to_der()?;
    out.reserve(len);
    for p in parts {
        out.extend_from_slice(p);
    }
    Ok(out)
}

/// The seal (`SESeal`, DER) a signature embeds in its `TBS_Sign`.
pub fn seal_of_signature(signature_der: &[u8]) -> Result<Vec<u8>, SealError> {
    Ok(layout::parse_signature(signature_der)?.seal.der)
}

/// Applies one seal many times: the seal's DER is checked once and then copied verbatim into each
/// `TBS_Sign`, so only the small per-document fields are encoded per seal.
pub struct Sealer<'a> {
    seal_der: &'a [u8],
    signer: &'a KeyHolder,
    hash: SignatureAlgorithm,
    version: Vec<u8>,
    cert: Vec<u8>,
    algorithm: Vec<u8>,
}

impl<'a> Sealer<'a> {
    /// Checks that `seal_der` is a strict-DER `SESeal` and that the signer is listed in it.
    pub fn new(seal_der: &'a [u8], signer: &'a KeyHolder) -> Result<Sealer<'a>, SealError> {
        let algorithm = signer.seal_algorithm("a seal signer")?;
        let seal = layout::parse_seal(seal_der)?;
        if seal.layout != layout::Layout::V4 {
            return Err(SealError::Invalid(format!(
                "the seal 「{}」 is in {}: the hub seals only with seals in GB/T 38540-2020 (version 4); make the seal again",
                seal.name,
                seal.layout.describe()
            )));
        }
        if !seal.signers.lists(signer.cert())? {
            return Err(SealError::Invalid(format!(
                "the signer's certificate is not listed in the seal 「{}」",
                seal.name
            )));
        }
        Ok(Sealer {
            seal_der,
            signer,
            hash: algorithm,
            version: 4u32.to_der()?,
            cert: OctetString::new(signer.cert().to_vec())?.to_der()?,
            algorithm: algorithm.oid().to_der()?,
        })
    }

    /// The algorithm the signer seals with (and the `dataHash` digest).
    pub fn algorithm(&self) -> SignatureAlgorithm {
        self.hash
    }

    /// Seals `document` at the claimed time `at`; returns the DER of the `SES_Signature`.
    pub fn seal(
        &self,
        document: &[u8],
        at: SystemTime,
        property_info: &str,
    ) -> Result<Vec<u8>, SealError> {
        let digest = self.hash.hash(document);
        let time = generalized(at)?.to_der()?;
        let hash = BitString::from_bytes(&digest)?.to_der()?;
        let info = Ia5String::new(property_info)
            .map_err(|_| SealError::Invalid("property info must be ASCII".into()))?
            .to_der()?;
        let tbs = sequence(&[&self.version, self.seal_der, &time, &hash, &info])?;
        let signature = BitString::from_bytes(&self.signer.sign(&tbs)?)?.to_der()?;
        sequence(&[&tbs, &self.cert, &self.algorithm, &signature])
    }
}

/// Where trust comes from, per purpose. Certificates inside a signature are never anchors.
#[derive(Debug, Clone, Default)]
pub struct TrustStores {
    /// Anchors for seal makers' certificates.
    pub seal_makers: Vec<Vec<u8>>,
    /// Anchors for signers' certificates.
    pub signers: Vec<Vec<u8>>,
    /// Intermediate CA certificates that may complete chains.
    pub intermediates: Vec<Vec<u8>>,
    /// CRLs (DER) used for revocation.
    pub crls: Vec<Vec<u8>>,
    /// Anchors for timestamp authorities.
    pub tsas: Vec<Vec<u8>>,
    /// The role a seal maker's certificate must carry (EKU or certificate policy); `None` means
    /// [`roles::SEAL_MAKER_ROLE`].
    pub maker_role: Option<ObjectIdentifier>,
    /// No maker role is required (`maker_role` is then unused): the maker anchors alone say who
    /// may make seals — another platform's seal-making CA, whose certificates carry no role, for
    /// GB/T 38540 defines none. A maker certificate must then not chain to the signers' anchors
    /// too (else a signer could mint its own seal), so set it only with maker anchors of their own.
    pub maker_role_waived: bool,
}

/// Adds an RFC 3161 timestamp over the signature value to a sealed signature; returns the new DER.
pub fn add_timestamp(
    signature_der: &[u8],
    tsa: &tsa::TimestampAuthority,
    now: SystemTime,
) -> Result<Vec<u8>, SealError> {
    let mut sealed = SesSignature::from_der(signature_der)?;
    let token = tsa.timestamp(sealed.signature.raw_bytes(), now)?;
    sealed.time_stamp = Some(BitString::from_bytes(&token)?);
    Ok(sealed.to_der()?)
}

/// A check named `name`: passed with what was found, or failed with the sub-indication
/// (ETSI EN 319 102-1 §5.1.3) and why.
pub fn check(name: &'static str, result: Result<String, (SubIndication, String)>) -> Check {
    match result {
        Ok(detail) => Check {
            name,
            status: CheckStatus::Passed,
            detail,
        },
        Err((sub, detail)) => Check {
            name,
            status: CheckStatus::Failed(sub),
            detail,
        },
    }
}

fn verify_raw(
    alg: SignatureAlgorithm,
    cert_der: &[u8],
    message: &[u8],
    sig: &[u8],
) -> Result<(), Rejection> {
    let public_key = public_key_of(cert_der)?;
    let algorithm = match alg {
        SignatureAlgorithm::EcdsaP256Sha256 => &signature::ECDSA_P256_SHA256_ASN1,
        SignatureAlgorithm::Sm2Sm3 if sm::is_sm2_cert(cert_der) => {
            return sm::verify(&public_key, message, sig);
        }
        SignatureAlgorithm::Sm2Sm3 => {
            return Err(Rejection::Unsupported(
                "an SM2 signature by a certificate whose key is not an SM2 key as GM/T 0015 writes it (id-ecPublicKey on the curve sm2p256v1, 1.2.156.10197.1.301)".into(),
            ));
        }
    };
    signature::UnparsedPublicKey::new(algorithm, public_key)
        .verify(message, sig)
        .map_err(|_| Rejection::Failed("the signature does not verify".into()))
}

/// The extended-key-usage rule of a chain, for a purpose known only at run time (a configured
/// maker role): a certificate listing purposes must list this one (webpki's `required_if_present`
/// wants a `'static` OID).
struct PurposeIfPresent<'a>(&'a [u8]);

impl webpki::ExtendedKeyUsageValidator for PurposeIfPresent<'_> {
    fn validate(&self, purposes: webpki::KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        if self.0.is_empty() {
            return Ok(()); // no purpose required (a role carried as a certificate policy)
        }
        let wanted = webpki::KeyPurposeId::new(self.0);
        let mut any = false;
        for purpose in purposes {
            any = true;
            if purpose? == wanted {
                return Ok(());
            }
        }
        #[allow(deprecated)]
        if any {
            Err(webpki::Error::RequiredEkuNotFound)
        } else {
            Ok(())
        }
    }
}

/// The trust anchors a certificate must chain to, and the extended key usage it must allow
/// (RFC 5280 §4.2.1.12; absent EKU allows every purpose).
pub(crate) struct Anchors<'a> {
    /// DER certificates of the anchors (signers', seal makers' or TSAs').
    pub(crate) certs: &'a [Vec<u8>],
    /// The purpose OID's DER content.
    pub(crate) eku: &'a [u8],
}

fn chain(
    cert_der: &[u8],
    anchors: Anchors<'_>,
    trust: &TrustStores,
    at: SystemTime,
    claimed_earlier: bool,
    cache: Option<&ChainCache>,
) -> Result<String, (SubIndication, String)> {
    let Anchors {
        certs: anchors,
        eku,
    } = anchors;
    let key = cache.map(|_| chain_steps::cache_key(cert_der, anchors, eku));
    let general = |e: String| (SubIndication::CertificateChainGeneralFailure, e);
    let crls = chain_steps::configured_crls(trust)?;
    // A path validated before is not built again; what the CRLs say of the certificate is said
    // afresh (outside tests, round 22b, F1: "not revoked (cached)" was said with no CRL given).
    if let (Some(cache), Some(key)) = (cache, &key)
        && let Some((from, to)) = cache.get(key)
        && from <= at
        && at <= to
        && chain_steps::revocation_of(cert_der, &crls).is_none()
    {
        return Ok(format!(
            "chains to a configured anchor (path validated before); {}",
            chain_steps::revocation_said(cert_der, &crls)
        ));
    }
    let anchors = chain_steps::trust_anchors(anchors)
        .map_err(|e| general(format!("a configured trust anchor is unusable: {e}")))?;
    let intermediates = chain_steps::certificate_ders(&trust.intermediates);
    let ee_der = CertificateDer::from(cert_der);
    let ee = webpki::EndEntityCert::try_from(&ee_der)
        .map_err(|e| general(format!("certificate unusable: {e}")))?;
    let crl_refs: Vec<&webpki::CertRevocationList<'_>> = crls.iter().map(|c| &c.list).collect();
    let revocation = chain_steps::revocation_options(&crl_refs);
    let since = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let usage = PurposeIfPresent(eku);
    match ee.verify_for_usage(
        sm::chain_algorithms(),
        &anchors,
        &intermediates,
        UnixTime::since_unix_epoch(since),
        usage,
        revocation,
        None,
    ) {
        Ok(path) => {
            if let (Some(cache), Some(key)) = (cache, key) {
                chain_steps::remember_window(cache, key, cert_der, &path);
            }
            Ok(format!(
                "chains to a configured anchor; {}",
                chain_steps::revocation_said(cert_der, &crls)
            ))
        }
        Err(e @ webpki::Error::CertExpired { .. }) if claimed_earlier => Err((
            SubIndication::OutOfBoundsNoPoe,
            format!(
                "{}; the claimed earlier signing time is not proven by a timestamp",
                explain(&e)
            ),
        )),
        Err(webpki::Error::CertRevoked) => revoked(cert_der, &crls, at),
        Err(e) => Err(chain_steps::chain_error(e, cert_der)),
    }
}

/// A certificate its issuer's CRL revokes, judged at `at`, the time that counts (ETSI EN 319
/// 102-1 §5.6.2.4): revoked after it — the signature proven older than the revocation by a
/// timestamp — the signature stands; revoked before, it fails, the date and reason named
/// (outside tests, round 22b, F2: a key revoked after a timely signature made it a forgery).
fn revoked(
    cert_der: &[u8],
    crls: &[chain_steps::ChosenCrl],
    at: SystemTime,
) -> Result<String, (SubIndication, String)> {
    let Some((when, reason)) = chain_steps::revocation_of(cert_der, crls) else {
        return Err(chain_steps::chain_error(
            webpki::Error::CertRevoked,
            cert_der,
        ));
    };
    let date = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(when.max(0) as u64);
    let reason = reason
        .map(|r| format!(" (reason: {r})"))
        .unwrap_or_default();
    if date > at {
        return Ok(format!(
            "chains to a configured anchor; revoked at {}{reason}, after the time that counts ({}): the certificate was valid when the signature was made",
            report::beijing(date),
            report::beijing(at)
        ));
    }
    Err((
        SubIndication::Revoked,
        format!(
            "the certificate was revoked at {}{reason}, before the time that counts ({}): a signature made after its key was withdrawn",
            report::beijing(date),
            report::beijing(at)
        ),
    ))
}

/// A certificate path error in words for people: the dates in Beijing time, no Rust debug text.
pub(crate) fn explain(e: &webpki::Error) -> String {
    let beijing = |t: &rustls_pki_types::UnixTime| {
        report::beijing(std::time::UNIX_EPOCH + std::time::Duration::from_secs(t.as_secs()))
    };
    match e {
        webpki::Error::CertNotValidYet { time, not_before } => format!(
            "the certificate is valid only from {}, and the time that counts is {}",
            beijing(not_before),
            beijing(time)
        ),
        webpki::Error::CertExpired { time, not_after } => format!(
            "the certificate expired at {}, and the time that counts is {}",
            beijing(not_after),
            beijing(time)
        ),
        webpki::Error::UnknownIssuer => "no chain to a configured trust anchor".into(),
        webpki::Error::CertRevoked => "the certificate is revoked".into(),
        #[allow(deprecated)]
        webpki::Error::RequiredEkuNotFoundContext(_) | webpki::Error::RequiredEkuNotFound => {
            "the certificate is not issued for this purpose (extended key usage)".into()
        }
        webpki::Error::InvalidSignatureForPublicKey => {
            "a signature in the chain does not verify".into()
        }
        webpki::Error::BadDer | webpki::Error::BadDerTime => {
            "a certificate is not valid DER".into()
        }
        webpki::Error::CrlExpired { time, next_update } => format!(
            "the configured CRL was due to be replaced at {} and the time that counts is {}: revocation is unknown until a fresh CRL is configured",
            beijing(next_update),
            beijing(time)
        ),
        webpki::Error::InvalidCrlSignatureForPublicKey => {
            "a configured CRL's signature does not verify with its issuer's key: the CRL was not signed by that CA (or, in SM2, not under the ID 1234567812345678); replace the CRL given (clerk --crl, or the hub's [seals] crls)".into()
        }
        other => format!("the certificate path is not valid ({other})"),
    }
}

fn sha256_of(data: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

type Window = (SystemTime, SystemTime);

fn validity(cert_der: &[u8]) -> Option<Window> {
    let (_, c) = x509_parser::parse_x509_certificate(cert_der).ok()?;
    let v = c.validity();
    let t = |s: i64| {
        u64::try_from(s)
            .ok()
            .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s))
    };
    Some((t(v.not_before.timestamp())?, t(v.not_after.timestamp())?))
}

fn intersect(a: Option<Window>, b: Option<Window>) -> Option<Window> {
    let ((a0, a1), (b0, b1)) = (a?, b?);
    let w = (a0.max(b0), a1.min(b1));
    (w.0 <= w.1).then_some(w)
}

/// Remembers, per certificate and anchor set, the time window in which its whole path is valid.
/// Sound because a [`Verifier`]'s trust stores and CRLs never change: build a new one when they do.
#[derive(Debug, Default)]
struct ChainCache(std::sync::Mutex<std::collections::HashMap<Vec<u8>, Window>>);

impl ChainCache {
    fn get(&self, key: &[u8]) -> Option<Window> {
        self.0.lock().ok()?.get(key).copied()
    }

    fn put(&self, key: Vec<u8>, window: Window) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() > 10_000 {
                map.clear();
            }
            map.insert(key, window);
        }
    }
}

/// Verifies many seals against one set of trust stores, caching validated chains.
#[derive(Debug)]
pub struct Verifier {
    trust: TrustStores,
    cache: ChainCache,
}

impl Verifier {
    /// The trust stores it checks against (also what PDF signatures are verified with).
    pub fn trust(&self) -> &TrustStores {
        &self.trust
    }

    /// A verifier for these trust stores (and CRLs).
    pub fn new(trust: TrustStores) -> Verifier {
        Verifier {
            trust,
            cache: ChainCache::default(),
        }
    }

    /// As [`verify`], reusing chains validated before.
    pub fn verify(
        &self,
        signature_der: &[u8],
        document: &[u8],
        now: SystemTime,
    ) -> ValidationReport {
        verify_ses::verify_with(signature_der, document, &self.trust, now, Some(&self.cache))
    }
}

/// Whether a signer's certificate allows signing (RFC 5280 §4.2.1.3: digitalSignature or
/// nonRepudiation). A certificate without keyUsage fails: RFC 5280 would read it as unrestricted,
/// but a key that signs for a court is expected to say so (policy, docs/VALIDATION.md).
fn key_usage_ok(cert_der: &[u8]) -> Result<String, (SubIndication, String)> {
    let bad = |m: &str| (SubIndication::ChainConstraintsFailure, m.to_string());
    let (_, cert) = x509_parser::parse_x509_certificate(cert_der)
        .map_err(|_| bad("certificate does not parse"))?;
    if cert
        .basic_constraints()
        .ok()
        .flatten()
        .is_some_and(|b| b.value.ca)
    {
        return Err(bad(
            "the certificate is a CA's (basicConstraints cA=TRUE): a CA certifies keys and signs no documents; a signer's certificate is an end entity's (RFC 5280 §4.2.1.9)",
        ));
    }
    match cert.key_usage() {
        Ok(Some(ku)) if ku.value.digital_signature() || ku.value.non_repudiation() => {
            Ok("keyUsage allows digitalSignature or nonRepudiation".into())
        }
        Ok(Some(_)) => Err(bad(
            "keyUsage allows neither digitalSignature nor nonRepudiation",
        )),
        Ok(None) => Err(bad(
            "the certificate has no keyUsage extension: a signer's certificate must allow digitalSignature or nonRepudiation explicitly (policy; RFC 5280 would read none as unrestricted)",
        )),
        Err(_) => Err(bad("keyUsage is malformed")),
    }
}

fn subject(cert_der: &[u8]) -> Option<String> {
    x509_parser::parse_x509_certificate(cert_der)
        .ok()
        .map(|(_, c)| c.subject().to_string())
}

/// Verifies a detached seal signature over `document` at the time `now`.
pub fn verify(
    signature_der: &[u8],
    document: &[u8],
    trust: &TrustStores,
    now: SystemTime,
) -> ValidationReport {
    verify_ses::verify_with(signature_der, document, trust, now, None)
}
