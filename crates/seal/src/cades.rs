//! Detached CAdES signatures (CMS SignedData without content) as PAdES baseline signatures embed
//! them: content-type, message-digest and signing-certificate-v2 signed attributes, no signing-time
//! (PAdES takes the claimed time from the PDF's /M), the certificate chain, and optionally a
//! signature timestamp from the hub's TSA (PAdES-B-T).

use crate::Rejection;
use crate::tsa::{
    CONTENT_TYPE, EssCertIdV2, MESSAGE_DIGEST, SHA256, SIGNED_DATA, SIGNING_CERTIFICATE_V2,
    SigningCertificateV2, TimestampAuthority, alg, attribute, sha256, signer_info,
};
use crate::{KeyHolder, SealError};
use cms::cert::x509::attr::Attribute;
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{CertificateSet, EncapsulatedContentInfo, SignedData, SignerInfos};
use der::asn1::{ObjectIdentifier, OctetString, SetOfVec};
use der::{Any, Decode, Encode, Reader};
use std::time::SystemTime;
use x509_cert::Certificate;

mod named_seal;
mod signing_certificate;
use named_seal::named_seal;
pub(crate) use signing_certificate::signing_certificate_check;
use signing_certificate::{CADES, NO_SIGNING_CERTIFICATE_NEEDED};

/// id-data: the (absent) content is plain data.
const DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
/// id-aa-signatureTimeStampToken.
pub const SIGNATURE_TIMESTAMP: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");

/// id-aa-ecenter-eSeal (1.3.6.1.4.1.59648.1.3): a signed attribute carrying the GB/T 38540 seal
/// (`SESeal`, DER) whose picture a PDF seal shows, so a verifier checks that seal — its maker,
/// validity and signer list — and the registry's word on it, not just the picture.
pub const ESEAL_ATTRIBUTE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.59648.1.3");

/// Signs `digest` (SHA-256 of the signed bytes) as a detached CMS SignedData (DER ContentInfo),
/// carrying the signer's certificate and `chain`; with a TSA, the signature value is timestamped.
pub fn sign_detached(
    signer: &KeyHolder,
    chain: &[Vec<u8>],
    digest: &[u8; 32],
    tsa: Option<&TimestampAuthority>,
    now: SystemTime,
) -> Result<Vec<u8>, SealError> {
    sign_detached_with_seal(signer, chain, digest, tsa, now, None)
}

/// [`sign_detached`], naming the seal applied: `seal` (an `SESeal`, DER) becomes the signed
/// attribute [`ESEAL_ATTRIBUTE`].
pub fn sign_detached_with_seal(
    signer: &KeyHolder,
    chain: &[Vec<u8>],
    digest: &[u8; 32],
    tsa: Option<&TimestampAuthority>,
    now: SystemTime,
    seal: Option<&[u8]>,
) -> Result<Vec<u8>, SealError> {
    signer.require_p256("a PAdES signer")?;
    let cert = Certificate::from_der(signer.cert())?;
    let signing_cert = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            hash_algorithm: None,
            cert_hash: OctetString::new(sha256(signer.cert()))?,
            issuer_serial: None,
        }],
        policies: None,
    };
    let mut attrs = vec![
        attribute(CONTENT_TYPE, Any::encode_from(&DATA)?)?,
        attribute(
            MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(digest.to_vec())?)?,
        )?,
        attribute(SIGNING_CERTIFICATE_V2, Any::encode_from(&signing_cert)?)?,
    ];
    if let Some(seal) = seal {
        attrs.push(attribute(ESEAL_ATTRIBUTE, Any::from_der(seal)?)?);
    }
    let signed_attrs: SetOfVec<Attribute> = SetOfVec::try_from(attrs)?;
    let signature = signer.sign(&signed_attrs.to_der()?)?;
    let unsigned_attrs = match tsa {
        Some(tsa) => {
            let token = tsa.timestamp(&signature, now)?;
            Some(SetOfVec::try_from(vec![attribute(
                SIGNATURE_TIMESTAMP,
                Any::from_der(&token)?,
            )?])?)
        }
        None => None,
    };
    let mut certificates = vec![cms::cert::CertificateChoices::Certificate(cert.clone())];
    for c in chain {
        certificates.push(cms::cert::CertificateChoices::Certificate(
            Certificate::from_der(c)?,
        ));
    }
    let signer_info = signer_info(
        &cert,
        signed_attrs,
        signature,
        unsigned_attrs,
        crate::Curve::P256,
    )?;
    let signed_data = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![alg(SHA256)])?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: DATA,
            econtent: None,
        },
        certificates: Some(CertificateSet(SetOfVec::try_from(certificates)?)),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info])?),
    };
    Ok(ContentInfo {
        content_type: SIGNED_DATA,
        content: Any::encode_from(&signed_data)?,
    }
    .to_der()?)
}

/// Verifies a detached CAdES signature (DER ContentInfo, as a PDF's /Contents holds it, trailing
/// zero padding allowed) over the concatenation of `parts` (a PDF's two byte ranges, or one whole
/// file), with any allow-listed algorithm ([`crate::algs`]): format, message digest, signature,
/// signing-certificate-v2, the signer's chain to the configured signer anchors (at the timestamp's
/// time when a valid one is present), key usage and the signature timestamp. Returns the checks and
/// the signer's subject. The signature timestamp's TSA chain is judged at `poe`: the validation
/// time, or when a later archive timestamp proves the signature existed (a PDF's document
/// timestamp).
pub fn verify_detached(
    cms_der: &[u8],
    parts: &[&[u8]],
    trust: &crate::TrustStores,
    times: (SystemTime, SystemTime),
) -> DetachedReport {
    verify_detached_as(cms_der, parts, trust, times, Profile::Cades)
}

/// What a detached signature's format requires of its signed attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// CAdES (ETSI EN 319 122-1 §5.2; a PDF's `ETSI.CAdES.detached`, ETSI EN 319 142-1 §5.1; the
    /// hub's proofs of service): signed attributes with a signing-certificate attribute.
    Cades,
    /// A PDF's `adbe.pkcs7.detached` (ISO 32000-1 §12.8.3.3): PKCS #7 as RFC 5652 has it —
    /// signed attributes are optional (without them the signature is over the signed bytes
    /// themselves, §5.4) and no signing-certificate attribute is required.
    Pkcs7,
}

/// [`verify_detached`] under `profile`: with [`Profile::Pkcs7`], a signature without signed
/// attributes is verified over the signed bytes (held once more in memory, concatenated), and
/// one without a signing-certificate attribute passes that check, saying so.
pub fn verify_detached_as(
    cms_der: &[u8],
    parts: &[&[u8]],
    trust: &crate::TrustStores,
    times: (SystemTime, SystemTime),
    profile: Profile,
) -> DetachedReport {
    verify_detached_inner(
        cms_der,
        parts,
        trust,
        times,
        (profile, crate::DOCUMENT_SIGNING_EKU),
    )
}

/// id-kp-clientAuth (RFC 5280 §4.2.1.12), as webpki wants it (OID contents): the purpose of a
/// clerk's login certificate.
pub const CLIENT_AUTH_EKU: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02];

/// [`verify_detached`] of a signature whose signer's certificate was issued for `eku` rather than
/// for signing documents — a clerk's export manifest, signed with the login certificate that names
/// the clerk ([`CLIENT_AUTH_EKU`]); a certificate without extended key usage passes as for any
/// purpose. Everything else is checked as for any CAdES signature.
pub fn verify_detached_for(
    cms_der: &[u8],
    parts: &[&[u8]],
    trust: &crate::TrustStores,
    times: (SystemTime, SystemTime),
    eku: &'static [u8],
) -> DetachedReport {
    verify_detached_inner(cms_der, parts, trust, times, (Profile::Cades, eku))
}

fn verify_detached_inner(
    cms_der: &[u8],
    parts: &[&[u8]],
    trust: &crate::TrustStores,
    (now, poe): (SystemTime, SystemTime),
    (profile, eku): (Profile, &'static [u8]),
) -> DetachedReport {
    let mut checks = Vec::new();
    let signed = match SignedBy::read(cms_der, parts, &mut checks) {
        Ok(signed) => signed,
        Err((failed, subject)) => {
            checks.push(failed);
            return DetachedReport::of(checks, subject);
        }
    };
    let subject = crate::subject(&signed.cert_der);
    // The certificates the signature carries may complete a chain, never start one: trust comes
    // only from the anchors given (RFC 5652 §5.1 `certificates`: "intended to be sufficient to
    // make certification paths"; pyHanko and OpenSSL build paths from them alike).
    let carried = signed.carried_certificates();
    let trust = &crate::TrustStores {
        intermediates: trust
            .intermediates
            .iter()
            .chain(&carried)
            .cloned()
            .collect(),
        ..trust.clone()
    };
    let attributes = match (&signed.signer.signed_attrs, profile) {
        (None, Profile::Pkcs7) => {
            signed.content_checks(parts, &mut checks);
            Ok(())
        }
        _ => signed.attribute_checks(cms_der, profile, &mut checks),
    };
    if let Err(failed) = attributes {
        checks.push(failed);
        let mut report = DetachedReport::of(checks, subject);
        report.certificate = Some(signed.cert_der);
        return report;
    }
    let at = signed.timestamp_check(trust, (now, poe), &mut checks);
    checks.push(crate::check(
        "signer_chain",
        crate::chain(
            &signed.cert_der,
            crate::Anchors {
                certs: &trust.signers,
                eku,
            },
            trust,
            at,
            false,
            None,
        ),
    ));
    checks.push(crate::check(
        "key_usage",
        crate::key_usage_ok(&signed.cert_der),
    ));
    let mut report = DetachedReport::of(checks, subject);
    report.signing_time = Some(at);
    if let Some(seal) = signed.attribute(ESEAL_ATTRIBUTE) {
        named_seal(&mut report, seal, &signed.cert_der, trust, (now, at));
    }
    report.certificate = Some(signed.cert_der);
    report
}

/// The certificates in a SignedData's `certificates` set (DER) but `signer`: material from which
/// a chain to a configured anchor may be built, never an anchor (RFC 5652 §5.1).
pub(crate) fn carried_certificates(sd: &SignedData, signer: &[u8]) -> Vec<Vec<u8>> {
    let Some(set) = sd.certificates.as_ref() else {
        return Vec::new();
    };
    set.0
        .iter()
        .filter_map(|c| match c {
            cms::cert::CertificateChoices::Certificate(c) => c.to_der().ok(),
            cms::cert::CertificateChoices::Other(_) => None,
        })
        .filter(|der| der != signer)
        .collect()
}

/// A check that failed and ends the verification, with the signer's subject when known.
type Stop = (crate::Check, Option<String>);

/// A detached signature read far enough to check: its SignedData, its one signer, the signer's
/// certificate, the allow-listed algorithm and the digest of the signed bytes.
struct SignedBy {
    sd: SignedData,
    signer: cms::signed_data::SignerInfo,
    cert_der: Vec<u8>,
    algorithm: crate::algs::Verification,
    digest: Vec<u8>,
}

impl SignedBy {
    /// The certificates the signature carries besides the signer's own.
    fn carried_certificates(&self) -> Vec<Vec<u8>> {
        carried_certificates(&self.sd, &self.cert_der)
    }

    /// Reads the signature; pushes the format and algorithm checks it passed.
    fn read(cms_der: &[u8], parts: &[&[u8]], checks: &mut Vec<crate::Check>) -> Result<Self, Stop> {
        use crate::{SubIndication, check};
        let (sd, signer) = parse_signed_data(cms_der).map_err(|e| {
            (
                check("format", Err((SubIndication::FormatFailure, e.to_string()))),
                None,
            )
        })?;
        checks.push(check(
            "format",
            Ok("a detached CMS SignedData with one signer".into()),
        ));
        let cert_der = signer_certificate(&sd, &signer)
            .map_err(|e| (check("signer_certificate", Err(e)), None))?;
        // A digest the hub refuses (SHA-1) still names who signed with it.
        let digest = crate::algs::digest_of(&signer.digest_alg.oid, parts).map_err(|e| {
            let failed = check(
                "algorithm",
                Err((SubIndication::CryptoConstraintsFailure, e.to_string())),
            );
            (failed, crate::subject(&cert_der))
        })?;
        let algorithm = match crate::algs::signer_algorithm(
            &signer.digest_alg.oid,
            &signer.signature_algorithm,
            &cert_der,
        ) {
            Ok((alg, name)) => {
                checks.push(check("algorithm", Ok(name)));
                alg
            }
            Err(e) => {
                let failed = check(
                    "algorithm",
                    Err((SubIndication::CryptoConstraintsFailure, e.to_string())),
                );
                return Err((failed, crate::subject(&cert_der)));
            }
        };
        Ok(SignedBy {
            sd,
            signer,
            cert_der,
            algorithm,
            digest,
        })
    }

    /// The first value of the signed attribute `oid`.
    fn attribute(&self, oid: ObjectIdentifier) -> Option<&Any> {
        self.signer
            .signed_attrs
            .as_ref()?
            .iter()
            .find(|a| a.oid == oid)
            .and_then(|a| a.values.iter().next())
    }

    /// Content type, DER order, message digest, signature and signing certificate: pushes the
    /// last four; a missing or wrong structure stops the verification.
    fn attribute_checks(
        &self,
        cms_der: &[u8],
        profile: Profile,
        checks: &mut Vec<crate::Check>,
    ) -> Result<(), crate::Check> {
        use crate::{SubIndication, check};
        let Some(attrs) = self.signer.signed_attrs.as_ref() else {
            return Err(check(
                "message_digest",
                Err((SubIndication::FormatFailure, "no signed attributes".into())),
            ));
        };
        self.content_type_check()?;
        // RFC 5652 §5.4: the signature is over the DER of the signed attributes, a SET OF in DER
        // order. Attributes sent in another order cannot be what a conforming signer signed.
        if let Some(raw) = raw_signed_attributes(cms_der)
            && attrs.to_der().ok().as_deref() != Some(raw.as_slice())
        {
            return Err(check(
                "signed_attributes",
                Err((
                    SubIndication::FormatFailure,
                    "the signed attributes are not in DER order (RFC 5652 §5.4: a SET OF is signed as DER)"
                        .into(),
                )),
            ));
        }
        checks.push(self.message_digest_check());
        checks.push(check(
            "signature",
            attrs
                .to_der()
                .map_err(Rejection::malformed)
                .and_then(|tbs| {
                    crate::algs::verify_with(
                        self.algorithm,
                        &self.cert_der,
                        &tbs,
                        self.signer.signature.as_bytes(),
                    )
                })
                .map(|()| "the signer's signature over the signed attributes verifies".to_string())
                .map_err(|e| (SubIndication::SigCryptoFailure, e.to_string())),
        ));
        let (v2, v1) = (
            self.attribute(SIGNING_CERTIFICATE_V2),
            self.attribute(crate::tsa::SIGNING_CERTIFICATE_V1),
        );
        checks.push(match (v2, v1, profile) {
            (None, None, Profile::Pkcs7) => crate::check(
                "signing_certificate",
                Ok(NO_SIGNING_CERTIFICATE_NEEDED.into()),
            ),
            (v2, v1, Profile::Cades) => signing_certificate_check(v2, v1, &self.cert_der, CADES),
            (v2, v1, Profile::Pkcs7) => signing_certificate_check(v2, v1, &self.cert_der, ""),
        });
        Ok(())
    }

    /// A PKCS #7 signature without signed attributes (RFC 5652 §5.4): the signature is over the
    /// signed bytes themselves, so there is no message digest to compare and no
    /// signing-certificate attribute. Pushes the three checks in their usual places.
    fn content_checks(&self, parts: &[&[u8]], checks: &mut Vec<crate::Check>) {
        use crate::{SubIndication, check};
        checks.push(check(
            "message_digest",
            Ok("no signed attributes: the signature is over the signed bytes themselves (adbe.pkcs7.detached, RFC 5652 §5.4)".into()),
        ));
        let content = parts.concat();
        checks.push(check(
            "signature",
            crate::algs::verify_with(
                self.algorithm,
                &self.cert_der,
                &content,
                self.signer.signature.as_bytes(),
            )
            .map(|()| "the signer's signature over the signed bytes verifies".to_string())
            .map_err(|e| (SubIndication::SigCryptoFailure, e.to_string())),
        ));
        checks.push(check(
            "signing_certificate",
            Ok(NO_SIGNING_CERTIFICATE_NEEDED.into()),
        ));
    }

    /// RFC 5652 §5.3, §11.1: the content-type attribute is required and must name the
    /// encapsulated content type (id-data for a detached PDF signature).
    fn content_type_check(&self) -> Result<(), crate::Check> {
        let signed = self.sd.encap_content_info.econtent_type;
        let content_type = self
            .attribute(CONTENT_TYPE)
            .and_then(|v| v.decode_as::<ObjectIdentifier>().ok());
        if content_type == Some(signed) {
            return Ok(());
        }
        let detail = match content_type {
            None => "no content-type signed attribute (RFC 5652 §5.3 requires it)".into(),
            Some(t) => format!(
                "the content-type attribute says {t}, the signed content is {signed} (RFC 5652 §11.1)"
            ),
        };
        Err(crate::check(
            "content_type",
            Err((crate::SubIndication::FormatFailure, detail)),
        ))
    }

    /// The messageDigest attribute against the digest of the signed bytes.
    fn message_digest_check(&self) -> crate::Check {
        use crate::SubIndication;
        let signed_digest = self
            .attribute(MESSAGE_DIGEST)
            .and_then(|v| v.decode_as::<OctetString>().ok());
        crate::check(
            "message_digest",
            match signed_digest {
                Some(d) if d.as_bytes() == self.digest.as_slice() => {
                    Ok("the signed digest is the digest of the signed bytes".into())
                }
                Some(_) => Err((
                    SubIndication::HashFailure,
                    "the signed bytes were changed: their digest differs from the signed digest"
                        .into(),
                )),
                None => Err((
                    SubIndication::FormatFailure,
                    "no messageDigest attribute".into(),
                )),
            },
        )
    }

    /// Pushes the timestamp check; returns the trusted signing time: the timestamp's, when a
    /// valid one is present, else `now`.
    fn timestamp_check(
        &self,
        trust: &crate::TrustStores,
        (now, poe): (SystemTime, SystemTime),
        checks: &mut Vec<crate::Check>,
    ) -> SystemTime {
        let token = self
            .signer
            .unsigned_attrs
            .as_ref()
            .and_then(|u| u.iter().find(|a| a.oid == SIGNATURE_TIMESTAMP))
            .and_then(|a| a.values.iter().next())
            .and_then(|v| v.to_der().ok());
        let Some(token) = token else {
            checks.push(crate::Check {
                name: "timestamp",
                status: crate::CheckStatus::NotApplicable,
                detail: "no signature timestamp: the signing time is taken as the validation time"
                    .into(),
            });
            return now;
        };
        match crate::tsa::verify_timestamp_at(
            &token,
            self.signer.signature.as_bytes(),
            (&trust.tsas, &trust.intermediates),
            poe,
        ) {
            Ok(ts) => {
                checks.push(crate::check(
                    "timestamp",
                    Ok(format!("valid RFC 3161 signature timestamp by {}", ts.tsa)),
                ));
                ts.gen_time
            }
            Err(e) => {
                checks.push(crate::check(
                    "timestamp",
                    Err((crate::SubIndication::NoPoe, e.to_string())),
                ));
                now
            }
        }
    }
}

/// Exactly one DER ContentInfo (zero padding may follow, as in a PDF's /Contents) holding a
/// detached SignedData with one signer.
fn parse_signed_data(
    cms_der: &[u8],
) -> Result<(SignedData, cms::signed_data::SignerInfo), Rejection> {
    let mut reader = der::SliceReader::new(cms_der).map_err(Rejection::malformed)?;
    let info = ContentInfo::decode(&mut reader)
        .map_err(|e| Rejection::Malformed(format!("not a DER ContentInfo: {e}")))?;
    if !cms_der[reader.position().try_into().unwrap_or(0usize)..]
        .iter()
        .all(|b| *b == 0)
    {
        return Err(Rejection::Malformed(
            "bytes other than zero padding follow the signature".into(),
        ));
    }
    if info.content_type != SIGNED_DATA {
        return Err(Rejection::Malformed("not a CMS SignedData".into()));
    }
    let sd: SignedData = match info.content.decode_as() {
        Ok(sd) => sd,
        // RFC 5652 §5.1 makes the certificate set a SET OF, and X.690 lets a set hold the
        // same value twice; some signers repeat a certificate. The set is not signed, so it
        // is read once more with each certificate kept once.
        Err(e) if e.kind() == der::ErrorKind::SetDuplicate => {
            without_repeated_certificates(&info.content)
                .and_then(|c| c.decode_as().map_err(Rejection::malformed))
                .map_err(|e| Rejection::Malformed(format!("SignedData does not decode: {e}")))?
        }
        Err(e) => {
            return Err(Rejection::Malformed(format!(
                "SignedData does not decode: {e}"
            )));
        }
    };
    if sd.encap_content_info.econtent.is_some() {
        return Err(Rejection::Malformed("the signature is not detached".into()));
    }
    let mut signers = sd.signer_infos.0.iter();
    let signer = signers
        .next()
        .ok_or_else(|| Rejection::Malformed("no signer".into()))?
        .clone();
    if signers.next().is_some() {
        return Err(Rejection::Malformed(
            "more than one signer in one signature".into(),
        ));
    }
    Ok((sd, signer))
}

/// The signer's certificate, found in the signature by issuer and serial.
fn signer_certificate(
    sd: &SignedData,
    signer: &cms::signed_data::SignerInfo,
) -> Result<Vec<u8>, (crate::SubIndication, String)> {
    let cms::signed_data::SignerIdentifier::IssuerAndSerialNumber(sid) = &signer.sid else {
        return Err((
            crate::SubIndication::FormatFailure,
            "the signer is not identified by issuer and serial".into(),
        ));
    };
    let found = sd.certificates.as_ref().and_then(|set| {
        set.0.iter().find_map(|c| match c {
            cms::cert::CertificateChoices::Certificate(c)
                if c.tbs_certificate.issuer == sid.issuer
                    && c.tbs_certificate.serial_number == sid.serial_number =>
            {
                c.to_der().ok()
            }
            _ => None,
        })
    });
    found.ok_or_else(|| {
        (
            crate::SubIndication::NoCertificateChainFound,
            "the signer's certificate is not in the signature".into(),
        )
    })
}

/// What [`verify_detached`] found: the checks, and what the report names.
#[derive(Debug, Clone)]
pub struct DetachedReport {
    /// Every check, in order.
    pub checks: Vec<crate::Check>,
    /// The signer's subject, when the certificate was found.
    pub signer: Option<String>,
    /// The signer's certificate (DER), once the signature was read far enough to find it: for
    /// a relying party that expects one signer only ([`crate::roles::pinned_signer`]).
    pub certificate: Option<Vec<u8>>,
    /// The GB/T 38540 seal the signature names ([`ESEAL_ATTRIBUTE`]), by id and name.
    pub seal_id: Option<String>,
    /// Its name.
    pub seal_name: Option<String>,
    /// The trusted signing time (the timestamp's, else the validation time), once known.
    pub signing_time: Option<SystemTime>,
}

impl DetachedReport {
    fn of(checks: Vec<crate::Check>, signer: Option<String>) -> DetachedReport {
        DetachedReport {
            checks,
            signer,
            certificate: None,
            seal_id: None,
            seal_name: None,
            signing_time: None,
        }
    }
}

/// The signature timestamp token (DER) a detached CMS signature carries, if any (read, not
/// verified).
pub fn signature_timestamp(cms_der: &[u8]) -> Option<Vec<u8>> {
    let mut reader = der::SliceReader::new(cms_der).ok()?;
    let info = ContentInfo::decode(&mut reader).ok()?;
    let sd: SignedData = info.content.decode_as().ok()?;
    let signer = sd.signer_infos.0.iter().next()?;
    signer
        .unsigned_attrs
        .as_ref()?
        .iter()
        .find(|a| a.oid == SIGNATURE_TIMESTAMP)?
        .values
        .iter()
        .next()?
        .to_der()
        .ok()
}

/// `SignedData` (DER) with each certificate of its `[0] certificates` set kept once.
fn without_repeated_certificates(signed_data: &der::Any) -> Result<der::Any, Rejection> {
    use der::Tagged;
    let fields: Vec<der::Any> = signed_data.decode_as().map_err(Rejection::malformed)?;
    let mut out = Vec::with_capacity(fields.len());
    for field in fields {
        let is_certificates = field.tag()
            == der::Tag::ContextSpecific {
                constructed: true,
                number: der::TagNumber::N0,
            };
        if !is_certificates {
            out.push(field);
            continue;
        }
        let mut reader = der::SliceReader::new(field.value()).map_err(Rejection::malformed)?;
        let mut kept: Vec<der::Any> = Vec::new();
        while !reader.is_finished() {
            let cert = der::Any::decode(&mut reader).map_err(Rejection::malformed)?;
            if !kept.contains(&cert) {
                kept.push(cert);
            }
        }
        kept.sort_by(|a, b| der::DerOrd::der_cmp(a, b).unwrap_or(std::cmp::Ordering::Equal));
        let mut value = Vec::new();
        for cert in &kept {
            cert.encode_to_vec(&mut value)
                .map_err(Rejection::malformed)?;
        }
        out.push(der::Any::new(field.tag(), value).map_err(Rejection::malformed)?);
    }
    der::Any::encode_from(&out).map_err(Rejection::malformed)
}

/// The signed attributes of the first SignerInfo as sent, re-tagged as the SET the signature
/// covers (RFC 5652 §5.4: the `[0] IMPLICIT` tag is replaced by SET for the digest).
fn raw_signed_attributes(cms_der: &[u8]) -> Option<Vec<u8>> {
    use der::Tagged;
    let mut reader = der::SliceReader::new(cms_der).ok()?;
    let info = ContentInfo::decode(&mut reader).ok()?;
    let fields: Vec<der::Any> = info.content.decode_as().ok()?;
    let signer_infos = fields.last()?;
    let mut set = der::SliceReader::new(signer_infos.value()).ok()?;
    let first = der::Any::decode(&mut set).ok()?;
    let signer: Vec<der::Any> = first.decode_as().ok()?;
    let attrs = signer.iter().find(|f| {
        f.tag()
            == der::Tag::ContextSpecific {
                constructed: true,
                number: der::TagNumber::N0,
            }
    })?;
    der::Any::new(der::Tag::Set, attrs.value())
        .ok()?
        .to_der()
        .ok()
}
