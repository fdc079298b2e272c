//! The hub's timestamp authority: RFC 3161 timestamp tokens (CMS SignedData over a TSTInfo, with the
//! ESS signing-certificate-v2 attribute), signed through ring, and their verification against
//! configured TSA trust anchors with the timeStamping purpose required.

use crate::Rejection;
use crate::{KeyHolder, SealError};
use cms::cert::IssuerAndSerialNumber;
use cms::cert::x509::attr::Attribute;
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedAttributes, SignedData, SignerIdentifier,
    SignerInfo, SignerInfos,
};
use der::asn1::{GeneralizedTime, Int, ObjectIdentifier, OctetString, SetOfVec};
use der::{Any, Decode, Encode, Sequence};
use rustls_pki_types::{CertificateDer, UnixTime};
use std::time::{Duration, SystemTime};
use x509_cert::Certificate;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_tsp::{MessageImprint, TspVersion, TstInfo};

pub(crate) const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
pub(crate) const ECDSA_SHA256: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
pub(crate) const SIGNED_DATA: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
pub(crate) const CONTENT_TYPE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
pub(crate) const MESSAGE_DIGEST: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
pub(crate) const SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
/// id-kp-timeStamping, as webpki wants it (OID contents).
const TIME_STAMPING_EKU: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08];
/// How far a token's genTime may lie after the time it is judged at (clocks differ a little).
const MAX_CLOCK_SKEW_SECS: u64 = 300;
/// The hub's (development) timestamp policy.
pub const DEFAULT_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.59648.1.1");

/// ESSCertIDv2 (RFC 5035 §3): the hash algorithm (absent: SHA-256, its DEFAULT), the
/// certificate's hash, and optionally the issuer and serial of the certificate (pyHanko and others
/// include it). The hub writes only the hash.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct EssCertIdV2 {
    pub(crate) hash_algorithm: Option<AlgorithmIdentifierOwned>,
    pub(crate) cert_hash: OctetString,
    pub(crate) issuer_serial: Option<IssuerSerial>,
}

/// IssuerSerial (RFC 5035 §3, RFC 2634 §5.4.1).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct IssuerSerial {
    pub(crate) issuer: x509_cert::ext::pkix::name::GeneralNames,
    pub(crate) serial_number: x509_cert::serial_number::SerialNumber,
}

/// SigningCertificateV2 (RFC 5035): the certificates, and policies (read, not used).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct SigningCertificateV2 {
    pub(crate) certs: Vec<EssCertIdV2>,
    pub(crate) policies: Option<Vec<Any>>,
}

/// ESSCertID (RFC 2634 §5.4.1): SHA-1 of the certificate, optionally its issuer and serial.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct EssCertId {
    pub(crate) cert_hash: OctetString,
    pub(crate) issuer_serial: Option<IssuerSerial>,
}

/// SigningCertificate (RFC 2634 §5.4), the v1 attribute.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct SigningCertificate {
    pub(crate) certs: Vec<EssCertId>,
    pub(crate) policies: Option<Vec<Any>>,
}

/// id-aa-signingCertificate (RFC 2634).
pub(crate) const SIGNING_CERTIFICATE_V1: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.12");

/// Whether an ESS certificate identifier (hash algorithm, hash, optional issuer and serial) names
/// `cert_der`. Hashes: SHA-1 (v1 only), SHA-256, SHA-384, SHA-512.
pub(crate) fn names_certificate(
    hash_algorithm: Option<&ObjectIdentifier>,
    cert_hash: &[u8],
    issuer_serial: Option<&IssuerSerial>,
    cert_der: &[u8],
) -> Result<(), Rejection> {
    use ring::digest;
    let oid = hash_algorithm.map(ToString::to_string);
    if oid.as_deref() == Some("1.2.156.10197.1.401") {
        return if crate::sm::sm3_of(&[cert_der]) == cert_hash {
            names_issuer_serial(issuer_serial, cert_der)
        } else {
            Err(Rejection::Failed(
                "its certificate hash is not the signer certificate's".into(),
            ))
        };
    }
    let algorithm = match oid.as_deref() {
        None | Some("2.16.840.1.101.3.4.2.1") => &digest::SHA256,
        Some("2.16.840.1.101.3.4.2.2") => &digest::SHA384,
        Some("2.16.840.1.101.3.4.2.3") => &digest::SHA512,
        Some("1.3.14.3.2.26") => &digest::SHA1_FOR_LEGACY_USE_ONLY,
        Some(other) => {
            return Err(Rejection::Unsupported(format!(
                "hash algorithm {other} is not on the allow-list"
            )));
        }
    };
    if digest::digest(algorithm, cert_der).as_ref() != cert_hash {
        return Err(Rejection::Failed(
            "its certificate hash is not the signer certificate's".into(),
        ));
    }
    names_issuer_serial(issuer_serial, cert_der)
}

/// Whether the optional issuer and serial of an ESS certificate identifier name `cert_der`.
fn names_issuer_serial(
    issuer_serial: Option<&IssuerSerial>,
    cert_der: &[u8],
) -> Result<(), Rejection> {
    let Some(is) = issuer_serial else {
        return Ok(());
    };
    let cert = Certificate::from_der(cert_der).map_err(Rejection::malformed)?;
    let issuer_named = is.issuer.iter().any(|n| {
        matches!(n, x509_cert::ext::pkix::name::GeneralName::DirectoryName(d)
            if *d == cert.tbs_certificate.issuer)
    });
    if is.serial_number != cert.tbs_certificate.serial_number || !issuer_named {
        return Err(Rejection::Failed(
            "its issuer and serial number are not the signer certificate's".into(),
        ));
    }
    Ok(())
}

pub(crate) fn sha256(data: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

/// Big-endian bytes of a positive INTEGER in minimal DER form (no leading zeros, a zero byte only
/// where the top bit would otherwise make it negative).
fn minimal_unsigned(n: u64) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    let first = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len() - 1);
    let mut out = bytes[first..].to_vec();
    if out[0] & 0x80 != 0 {
        out.insert(0, 0);
    }
    out
}

pub(crate) fn alg(oid: ObjectIdentifier) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid,
        parameters: None,
    }
}

pub(crate) fn attribute(oid: ObjectIdentifier, value: Any) -> Result<Attribute, der::Error> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value])?,
    })
}

/// A SignerInfo for an ECDSA P-256 / SHA-256 signature by `cert` over `signed_attrs`.
pub(crate) fn signer_info(
    cert: &Certificate,
    signed_attrs: SetOfVec<Attribute>,
    signature: Vec<u8>,
    unsigned_attrs: Option<SetOfVec<Attribute>>,
    curve: crate::Curve,
) -> Result<SignerInfo, der::Error> {
    let (digest, signing) = algorithms(curve);
    Ok(SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: cert.tbs_certificate.issuer.clone(),
            serial_number: cert.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: alg(digest),
        signed_attrs: Some(signed_attrs),
        signature_algorithm: alg(signing),
        signature: OctetString::new(signature)?,
        unsigned_attrs,
    })
}

pub(crate) const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");

/// The digest a key of `curve` signs `data` with (the TSTInfo's messageDigest).
fn digest_for(curve: crate::Curve, data: &[u8]) -> Vec<u8> {
    let algorithm = match curve {
        crate::Curve::P256 => &ring::digest::SHA256,
        crate::Curve::P384 => &ring::digest::SHA384,
        crate::Curve::Sm2 => return crate::sm::sm3_of(&[data]),
    };
    ring::digest::digest(algorithm, data).as_ref().to_vec()
}

/// (digest, signature algorithm) a key of `curve` signs with.
fn algorithms(curve: crate::Curve) -> (ObjectIdentifier, ObjectIdentifier) {
    match curve {
        crate::Curve::P256 => (SHA256, ECDSA_SHA256),
        crate::Curve::P384 => (SHA384, ECDSA_SHA384),
        crate::Curve::Sm2 => (crate::sm::SM3, crate::sm::SM2_WITH_SM3),
    }
}

/// The certificates of `pool` on `cert`'s issuer path, nearest first, without a self-signed root;
/// at most eight (a longer path is no path a validator follows). Unreadable ones are skipped.
fn issuers_of(cert: &[u8], pool: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let parsed: Vec<(Certificate, &Vec<u8>)> = (pool.iter())
        .filter_map(|der| Certificate::from_der(der).ok().map(|c| (c, der)))
        .collect();
    let mut out = Vec::new();
    let Ok(mut at) = Certificate::from_der(cert) else {
        return out;
    };
    while out.len() < 8 {
        let issuer = &at.tbs_certificate.issuer;
        let Some((next, der)) = (parsed.iter()).find(|(c, _)| &c.tbs_certificate.subject == issuer)
        else {
            break;
        };
        if next.tbs_certificate.subject == next.tbs_certificate.issuer || out.contains(*der) {
            break;
        }
        out.push((*der).clone());
        at = next.clone();
    }
    out
}

/// A timestamp authority: its certificate (with the critical timeStamping EKU) and key.
pub struct TimestampAuthority {
    holder: KeyHolder,
    /// The CA certificates (DER) between the TSA's certificate and its root, carried in every
    /// token: a validator given only the root (pyHanko, `openssl ts -verify -CAfile`) builds
    /// the chain from the token alone (RFC 3161 §2.4.1 allows certificates beyond the TSA's).
    chain: Vec<Vec<u8>>,
    policy: ObjectIdentifier,
    serial: std::sync::atomic::AtomicU64,
}

impl TimestampAuthority {
    /// A TSA with the development policy; serial numbers start from the current time in µs so they
    /// stay unique across restarts.
    pub fn new(holder: KeyHolder) -> TimestampAuthority {
        let start = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_micros() as u64;
        TimestampAuthority {
            holder,
            chain: Vec::new(),
            policy: DEFAULT_POLICY,
            serial: std::sync::atomic::AtomicU64::new(start),
        }
    }

    /// The TSA with the CAs of `pool` (DER) that issued its certificate, its own issuer first,
    /// up to the root (left out: a root is the validator's to trust, not the token's to give).
    pub fn with_chain(mut self, pool: &[Vec<u8>]) -> TimestampAuthority {
        self.chain = issuers_of(self.holder.cert(), pool);
        self
    }

    /// The TSA's certificate (DER), for validation material embedded beside signatures.
    pub fn cert(&self) -> &[u8] {
        self.holder.cert()
    }

    /// The curve of its key (P-256 signs with SHA-256, P-384 with SHA-384).
    pub fn curve(&self) -> crate::Curve {
        self.holder.curve()
    }

    /// Issues a TimeStampToken (DER ContentInfo) over the imprint of `data` at `now`: SHA-256
    /// for an ECDSA TSA, SM3 for an SM2 TSA (GM/T 0033 §6: SM2 tokens stamp an SM3 imprint).
    pub fn timestamp(&self, data: &[u8], now: SystemTime) -> Result<Vec<u8>, SealError> {
        if self.holder.curve() == crate::Curve::Sm2 {
            return self.timestamp_imprint(crate::sm::SM3, &crate::sm::sm3_of(&[data]), now);
        }
        let digest: [u8; 32] = sha256(data).try_into().expect("SHA-256 is 32 bytes");
        self.timestamp_digest(&digest, now)
    }

    /// [`Self::timestamp`] for data known by its SHA-256 (a PDF document timestamp's byte range).
    pub fn timestamp_digest(
        &self,
        digest: &[u8; 32],
        now: SystemTime,
    ) -> Result<Vec<u8>, SealError> {
        self.timestamp_imprint(SHA256, digest, now)
    }

    /// A token over an imprint `digest` computed with the hash `hash_oid`.
    fn timestamp_imprint(
        &self,
        hash_oid: ObjectIdentifier,
        digest: &[u8],
        now: SystemTime,
    ) -> Result<Vec<u8>, SealError> {
        let curve = self.holder.curve();
        let serial = self
            .serial
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let secs = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_err(|_| SealError::Invalid("time before 1970".into()))?;
        let tst = TstInfo {
            version: TspVersion::V1,
            policy: self.policy,
            message_imprint: MessageImprint {
                hash_algorithm: x509_cert::spki::AlgorithmIdentifier {
                    oid: hash_oid,
                    parameters: None,
                },
                hashed_message: OctetString::new(digest.to_vec())?,
            },
            serial_number: Int::new(&minimal_unsigned(serial))?,
            gen_time: GeneralizedTime::from_unix_duration(Duration::from_secs(secs.as_secs()))?,
            accuracy: None,
            ordering: false,
            nonce: None,
            tsa: None,
            extensions: None,
        };
        let tst_der = tst.to_der()?;
        let cert = Certificate::from_der(self.holder.cert())?;
        let signing_cert = SigningCertificateV2 {
            certs: vec![match curve {
                // GM/T 0033: an SM2 TSA names its certificate by SM3.
                crate::Curve::Sm2 => EssCertIdV2 {
                    hash_algorithm: Some(alg(crate::sm::SM3)),
                    cert_hash: OctetString::new(crate::sm::sm3_of(&[self.holder.cert()]))?,
                    issuer_serial: None,
                },
                _ => EssCertIdV2 {
                    hash_algorithm: None,
                    cert_hash: OctetString::new(sha256(self.holder.cert()))?,
                    issuer_serial: None,
                },
            }],
            policies: None,
        };
        let signed_attrs: SetOfVec<Attribute> = SetOfVec::try_from(vec![
            attribute(CONTENT_TYPE, Any::encode_from(&TST_INFO)?)?,
            attribute(
                MESSAGE_DIGEST,
                Any::encode_from(&OctetString::new(digest_for(curve, &tst_der))?)?,
            )?,
            attribute(SIGNING_CERTIFICATE_V2, Any::encode_from(&signing_cert)?)?,
        ])?;
        let signature = self.holder.sign(&signed_attrs.to_der()?)?;
        let signer = signer_info(&cert, signed_attrs, signature, None, curve)?;
        let signed_data = SignedData {
            version: CmsVersion::V3,
            digest_algorithms: SetOfVec::try_from(vec![alg(algorithms(curve).0)])?,
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: TST_INFO,
                econtent: Some(Any::encode_from(&OctetString::new(tst_der)?)?),
            },
            certificates: Some(CertificateSet(SetOfVec::try_from(
                std::iter::once(Ok(cert))
                    .chain(self.chain.iter().map(|c| Certificate::from_der(c)))
                    .map(|c| c.map(cms::cert::CertificateChoices::Certificate))
                    .collect::<Result<Vec<_>, _>>()?,
            )?)),
            crls: None,
            signer_infos: SignerInfos(SetOfVec::try_from(vec![signer])?),
        };
        let token = ContentInfo {
            content_type: SIGNED_DATA,
            content: Any::encode_from(&signed_data)?,
        };
        Ok(token.to_der()?)
    }
}

/// A verified token: when, and by whom.
#[derive(Debug, Clone)]
pub struct VerifiedTimestamp {
    /// The TSA's time.
    pub gen_time: SystemTime,
    /// The TSA certificate's subject.
    pub tsa: String,
}

/// What a timestamp token says, read without verifying it (to plan archival renewal, never to
/// judge).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenFacts {
    /// The TSA's time.
    pub gen_time: SystemTime,
    /// The end of the TSA certificate's validity.
    pub tsa_not_after: SystemTime,
    /// The TSA's signature algorithm (OID, dotted).
    pub algorithm: String,
}

/// Reads [`TokenFacts`] from a token (DER, trailing zero padding allowed).
pub fn token_facts(token: &[u8]) -> Result<TokenFacts, Rejection> {
    let mut reader = der::SliceReader::new(token).map_err(Rejection::malformed)?;
    let info = ContentInfo::decode(&mut reader)
        .map_err(|e| Rejection::Malformed(format!("not a DER ContentInfo: {e}")))?;
    let sd: SignedData = info.content.decode_as().map_err(Rejection::malformed)?;
    let tst_der = tst_info_der(&sd, Rejection::malformed)?;
    let tst = crate::tst::decode(tst_der.as_bytes())?;
    // The TSA's own certificate, named by the signer: a token may carry its CAs too, and a DER
    // SET OF sorts them by encoding, so the first is not necessarily the TSA's.
    // A signer named otherwise (by key identifier) leaves the first certificate, as before.
    let named = tsa_signer(&sd)
        .ok()
        .and_then(|(_, der)| Certificate::from_der(&der).ok());
    let first = || {
        sd.certificates.as_ref().and_then(|set| {
            set.0.iter().find_map(|c| match c {
                cms::cert::CertificateChoices::Certificate(c) => Some(c.clone()),
                cms::cert::CertificateChoices::Other(_) => None,
            })
        })
    };
    let tsa = named
        .or_else(first)
        .ok_or_else(|| Rejection::Malformed("the token carries no TSA certificate".into()))?;
    let not_after =
        SystemTime::UNIX_EPOCH + tsa.tbs_certificate.validity.not_after.to_unix_duration();
    let algorithm = sd
        .signer_infos
        .0
        .iter()
        .next()
        .map(|s| s.signature_algorithm.oid.to_string())
        .ok_or_else(|| Rejection::Malformed("the token has no signer".into()))?;
    Ok(TokenFacts {
        gen_time: tst.gen_time,
        tsa_not_after: not_after,
        algorithm,
    })
}

/// Verifies that `token` is a valid timestamp over `data` by a TSA chaining to `anchors`
/// (with `intermediates`) whose certificate carries the timeStamping purpose, its chain judged at
/// the token's own genTime (for a chain of tokens each covered by the next, as the log's signed
/// checkpoints are).
pub fn verify_timestamp(
    token: &[u8],
    data: &[u8],
    anchors: &[Vec<u8>],
    intermediates: &[Vec<u8>],
) -> Result<VerifiedTimestamp, Rejection> {
    verify_timestamp_of_parts(token, &[data], (anchors, intermediates), None)
}

/// [`verify_timestamp`] with the TSA's chain judged at `valid_at` (ETSI EN 319 102-1 §5.6.2.4):
/// the validation time, or the time a later archive timestamp proves the token existed. A token
/// whose TSA certificate expired before then proves nothing.
pub fn verify_timestamp_at(
    token: &[u8],
    data: &[u8],
    (anchors, intermediates): (&[Vec<u8>], &[Vec<u8>]),
    valid_at: SystemTime,
) -> Result<VerifiedTimestamp, Rejection> {
    verify_timestamp_of_parts(token, &[data], (anchors, intermediates), Some(valid_at))
}

/// [`verify_timestamp`] for data given in parts (a PDF document timestamp's two byte ranges). The
/// imprint, the token's message digest and the TSA's signature may use any allow-listed
/// algorithm ([`crate::algs`]): TSAs sign with RSA as often as with ECDSA. The TSA's chain is
/// judged at `valid_at`, or at the token's genTime when `None`.
pub fn verify_timestamp_of_parts(
    token: &[u8],
    parts: &[&[u8]],
    (anchors, intermediates): (&[Vec<u8>], &[Vec<u8>]),
    valid_at: Option<SystemTime>,
) -> Result<VerifiedTimestamp, Rejection> {
    let (sd, tst_der) = unwrap_token(token)?;
    let tst = crate::tst::decode(tst_der.as_bytes())?;
    check_imprint(&tst, parts)?;
    let (signer, tsa_der) = tsa_signer(&sd)?;
    let attrs = check_signed_attributes(signer, &tsa_der, tst_der.as_bytes())?;
    check_tsa_signature(signer, attrs, &tsa_der)?;
    let gen_time = tst.gen_time;
    let since_epoch = check_gen_time(gen_time, valid_at)?;
    // The token's own certificates (the TSA's CAs) may complete the TSA's chain.
    let intermediates: Vec<Vec<u8>> = (intermediates.iter().cloned())
        .chain(crate::cades::carried_certificates(&sd, &tsa_der))
        .collect();
    verify_tsa_chain(&tsa_der, (anchors, &intermediates), valid_at, since_epoch)?;
    let tsa = time_stamping_subject(&tsa_der)?;

    Ok(VerifiedTimestamp { gen_time, tsa })
}

/// Decodes an RFC 3161 token: a CMS SignedData whose encapsulated content is a DER TSTInfo;
/// returns the SignedData and the TSTInfo's encoding (what the messageDigest covers).
fn unwrap_token(token: &[u8]) -> Result<(SignedData, OctetString), Rejection> {
    let info = ContentInfo::from_der(token)
        .map_err(|e| Rejection::Malformed(format!("not a DER ContentInfo: {e}")))?;
    if info.content_type != SIGNED_DATA {
        return Err(Rejection::Malformed("not a CMS SignedData".into()));
    }
    let sd: SignedData = info
        .content
        .decode_as()
        .map_err(|e| Rejection::Malformed(format!("SignedData does not decode: {e}")))?;
    if sd.encap_content_info.econtent_type != TST_INFO {
        return Err(Rejection::Malformed(
            "the token does not carry a TSTInfo".into(),
        ));
    }
    let tst_der = tst_info_der(&sd, |e| {
        Rejection::Malformed(format!("TSTInfo is not in an OCTET STRING: {e}"))
    })?;
    Ok((sd, tst_der))
}

/// The TSTInfo's encoding a token's SignedData encapsulates (in an OCTET STRING); content that is
/// no OCTET STRING is refused as `not_octets` words it.
fn tst_info_der(
    sd: &SignedData,
    not_octets: impl FnOnce(der::Error) -> Rejection,
) -> Result<OctetString, Rejection> {
    sd.encap_content_info
        .econtent
        .as_ref()
        .ok_or_else(|| Rejection::Malformed("the token has no content".into()))?
        .decode_as::<OctetString>()
        .map_err(not_octets)
}

/// Checks the TSTInfo's messageImprint against the digest of the stamped `parts`, with the
/// (allow-listed) hash algorithm the imprint names.
fn check_imprint(tst: &crate::tst::TstCore, parts: &[&[u8]]) -> Result<(), Rejection> {
    let imprint = crate::algs::digest_of(&tst.message_imprint.hash_algorithm.oid, parts)
        .map_err(|e| Rejection::Failed(format!("the timestamp's imprint: {e}")))?;
    if tst.message_imprint.hashed_message.as_bytes() != imprint.as_slice() {
        return Err(Rejection::Failed(
            "the timestamp's imprint is not the digest of what it stamps".into(),
        ));
    }
    Ok(())
}

/// The token's SignerInfo and the TSA's certificate (DER) it names by issuer and serial, taken
/// from the certificates the token carries.
fn tsa_signer(sd: &SignedData) -> Result<(&SignerInfo, Vec<u8>), Rejection> {
    let signer = sd
        .signer_infos
        .0
        .iter()
        .next()
        .ok_or_else(|| Rejection::Malformed("the token has no signer".into()))?;
    let SignerIdentifier::IssuerAndSerialNumber(sid) = &signer.sid else {
        return Err(Rejection::Malformed(
            "the TSA signer is not identified by issuer and serial".into(),
        ));
    };
    let certs = sd
        .certificates
        .as_ref()
        .ok_or_else(|| Rejection::Malformed("the token carries no TSA certificate".into()))?;
    let tsa_cert = certs
        .0
        .iter()
        .find_map(|c| match c {
            cms::cert::CertificateChoices::Certificate(c)
                if c.tbs_certificate.issuer == sid.issuer
                    && c.tbs_certificate.serial_number == sid.serial_number =>
            {
                Some(c)
            }
            _ => None,
        })
        .ok_or_else(|| Rejection::Malformed("the TSA's certificate is not in the token".into()))?;
    let tsa_der = tsa_cert.to_der().map_err(Rejection::malformed)?;
    Ok((signer, tsa_der))
}

/// Checks the TSA's signed attributes (contentType id-ct-TSTInfo, ESS signing-certificate when
/// present, messageDigest of `tst_der`) and returns them for the signature check.
fn check_signed_attributes<'a>(
    signer: &'a SignerInfo,
    tsa_der: &[u8],
    tst_der: &[u8],
) -> Result<&'a SignedAttributes, Rejection> {
    let attrs = signer
        .signed_attrs
        .as_ref()
        .ok_or_else(|| Rejection::Malformed("the token has no signed attributes".into()))?;
    let find = |oid: ObjectIdentifier| {
        attrs
            .iter()
            .find(|a| a.oid == oid)
            .and_then(|a| a.values.iter().next())
    };
    match find(CONTENT_TYPE).map(der::Any::decode_as::<ObjectIdentifier>) {
        Some(Ok(t)) if t == TST_INFO => {}
        Some(Ok(t)) => {
            return Err(Rejection::Malformed(format!(
                "the signed contentType is {t}, not id-ct-TSTInfo (RFC 3161 §2.4.2)"
            )));
        }
        _ => {
            return Err(Rejection::Malformed(
                "no signed contentType attribute (RFC 5652 §5.3)".into(),
            ));
        }
    }
    // The signed signing-certificate attribute binds the TSA's certificate (RFC 3161 §2.4.1,
    // RFC 5035): a token naming another certificate proves nothing. Tokens without it (pyHanko's
    // TSA writes none) are bound by their SignerIdentifier and the signature alone.
    let (v2, v1) = (find(SIGNING_CERTIFICATE_V2), find(SIGNING_CERTIFICATE_V1));
    if v2.is_some() || v1.is_some() {
        let named = crate::cades::signing_certificate_check(
            v2,
            v1,
            tsa_der,
            "RFC 3161 §2.4.1 and RFC 5816",
        );
        if let crate::CheckStatus::Failed(_) = named.status {
            return Err(Rejection::Malformed(format!(
                "the TSA's certificate: {}",
                named.detail
            )));
        }
    }
    let digest = find(MESSAGE_DIGEST)
        .ok_or_else(|| Rejection::Malformed("no messageDigest attribute".into()))?
        .decode_as::<OctetString>()
        .map_err(Rejection::malformed)?;
    if digest.as_bytes() != crate::algs::digest_of(&signer.digest_alg.oid, &[tst_der])?.as_slice() {
        return Err(Rejection::Failed(
            "the signed messageDigest does not match the TSTInfo".into(),
        ));
    }
    Ok(attrs)
}

/// Verifies the TSA's signature over the DER of its signed attributes with the (allow-listed)
/// algorithm its SignerInfo names and the key of its certificate.
fn check_tsa_signature(
    signer: &SignerInfo,
    attrs: &SignedAttributes,
    tsa_der: &[u8],
) -> Result<(), Rejection> {
    let (algorithm, _) =
        crate::algs::signer_algorithm(&signer.digest_alg.oid, &signer.signature_algorithm, tsa_der)
            .map_err(|e| Rejection::Malformed(format!("the TSA's signature: {e}")))?;
    crate::algs::verify_with(
        algorithm,
        tsa_der,
        &attrs.to_der().map_err(Rejection::malformed)?,
        signer.signature.as_bytes(),
    )
    .map_err(|_| Rejection::Failed("the TSA's signature does not verify".into()))?;
    Ok(())
}

/// Refuses a genTime after the time the token is judged at (beyond the clock skew allowed) and
/// returns genTime since the Unix epoch, the time the TSA's chain is judged at by default.
fn check_gen_time(
    gen_time: SystemTime,
    valid_at: Option<SystemTime>,
) -> Result<Duration, Rejection> {
    // A timestamp proves a time before it was judged, never after.
    let judged_at = valid_at.unwrap_or_else(SystemTime::now);
    if gen_time > judged_at + Duration::from_secs(MAX_CLOCK_SKEW_SECS) {
        return Err(Rejection::Malformed(format!(
            "the token's genTime {} is after the time it is judged at ({}): a timestamp cannot prove a time still to come",
            crate::report::beijing(gen_time),
            crate::report::beijing(judged_at)
        )));
    }
    let since_epoch = gen_time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(|_| Rejection::Failed("genTime is before 1970".into()))?;
    Ok(since_epoch)
}

/// Builds the TSA certificate's chain to a configured TSA anchor (through `intermediates`) at
/// `valid_at`, or at genTime (`since_epoch`) when `None`, with the timeStamping purpose if present.
fn verify_tsa_chain(
    tsa_der: &[u8],
    (anchors, intermediates): (&[Vec<u8>], &[Vec<u8>]),
    valid_at: Option<SystemTime>,
    since_epoch: Duration,
) -> Result<(), Rejection> {
    // The TSA's certificate must chain to a configured TSA anchor and be for time-stamping, at genTime.
    let anchors = crate::chain_steps::trust_anchors(anchors)
        .map_err(|e| Rejection::Malformed(format!("a configured TSA anchor is unusable: {e}")))?;
    let inter = crate::chain_steps::certificate_ders(intermediates);
    let ee_der = CertificateDer::from(tsa_der);
    let ee = webpki::EndEntityCert::try_from(&ee_der).map_err(|e| {
        Rejection::Malformed(format!("TSA certificate unusable: {}", crate::explain(&e)))
    })?;
    let at = match valid_at {
        Some(t) => UnixTime::since_unix_epoch(
            t.duration_since(SystemTime::UNIX_EPOCH)
                .map_err(|_| Rejection::Failed("the validation time is before 1970".into()))?,
        ),
        None => UnixTime::since_unix_epoch(since_epoch),
    };
    // webpki applies an EKU requirement to every certificate of the path (intermediates without EKU
    // would fail `required`), so the chain is built with `required_if_present` and the TSA's own
    // certificate is then held to RFC 3161 §2.3: exactly the timeStamping purpose, marked critical.
    ee.verify_for_usage(
        crate::sm::chain_algorithms(),
        &anchors,
        &inter,
        at,
        webpki::KeyUsage::required_if_present(TIME_STAMPING_EKU),
        None,
        None,
    )
    .map_err(|e| {
        Rejection::Failed(format!(
            "the TSA is not trusted for time-stamping: {}",
            crate::explain(&e)
        ))
    })?;
    Ok(())
}

/// Holds the TSA's own certificate to RFC 3161 §2.3 (exactly the timeStamping purpose, marked
/// critical) and returns its subject, the TSA a report names.
fn time_stamping_subject(tsa_der: &[u8]) -> Result<String, Rejection> {
    let (_, parsed) = x509_parser::parse_x509_certificate(tsa_der)
        .map_err(|e| Rejection::Malformed(format!("TSA certificate: {e}")))?;
    match parsed.extended_key_usage() {
        Ok(Some(eku)) if eku.critical && eku.value.time_stamping && !eku.value.any && eku.value.other.is_empty() => {}
        _ => return Err(Rejection::Failed("the TSA is not trusted for time-stamping: its certificate lacks the critical timeStamping purpose".into())),
    }
    let tsa = parsed.subject().to_string();
    Ok(tsa)
}
