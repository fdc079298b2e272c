//! The signing-certificate attribute of a CAdES signature (ETSI EN 319 122-1 §5.2.2): which
//! certificate the signer meant.

use super::*;

/// What requires a signing-certificate attribute of a CAdES signature.
pub(super) const CADES: &str = "ETSI EN 319 122-1 §5.2.2 and, in a PDF, ETSI EN 319 142-1 §5.1";

/// What a PKCS #7 signature without a signing-certificate attribute is told.
pub(super) const NO_SIGNING_CERTIFICATE_NEEDED: &str = "no signing-certificate attribute: adbe.pkcs7.detached does not require one (ISO 32000-1 §12.8.3.3); the signer is the certificate the signature names";

/// The signing-certificate attribute (ETSI EN 319 122-1 §5.2.2): v2 (RFC 5035) with any allowed
/// hash and, when present, issuerSerial; or v1 (RFC 2634, SHA-1) as older signers write it. Its
/// first identifier must name the signer's certificate. `required_by` names what requires one,
/// for the failure when there is none.
pub(crate) fn signing_certificate_check(
    v2: Option<&der::Any>,
    v1: Option<&der::Any>,
    cert_der: &[u8],
    required_by: &str,
) -> crate::Check {
    use crate::{SubIndication, check};
    let named = match (v2, v1) {
        (Some(v), _) => v
            .decode_as::<SigningCertificateV2>()
            .map_err(|e| {
                (
                    SubIndication::FormatFailure,
                    format!("signing-certificate-v2 does not decode: {e}"),
                )
            })
            .and_then(|sc| {
                let first = sc.certs.first().ok_or((
                    SubIndication::FormatFailure,
                    "signing-certificate-v2 names no certificate".to_string(),
                ))?;
                crate::tsa::names_certificate(
                    first.hash_algorithm.as_ref().map(|a| &a.oid),
                    first.cert_hash.as_bytes(),
                    first.issuer_serial.as_ref(),
                    cert_der,
                )
                .map(|()| "signing-certificate-v2 names the signer's certificate".to_string())
                .map_err(|e| {
                    (
                        SubIndication::SigConstraintsFailure,
                        format!("signing-certificate-v2: {e}"),
                    )
                })
            }),
        (None, Some(v)) => v
            .decode_as::<crate::tsa::SigningCertificate>()
            .map_err(|e| {
                (
                    SubIndication::FormatFailure,
                    format!("signing-certificate does not decode: {e}"),
                )
            })
            .and_then(|sc| {
                let first = sc.certs.first().ok_or((
                    SubIndication::FormatFailure,
                    "signing-certificate names no certificate".to_string(),
                ))?;
                let sha1 = der::asn1::ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
                crate::tsa::names_certificate(
                    Some(&sha1),
                    first.cert_hash.as_bytes(),
                    first.issuer_serial.as_ref(),
                    cert_der,
                )
                .map(|()| {
                    "signing-certificate (v1, SHA-1) names the signer's certificate".to_string()
                })
                .map_err(|e| {
                    (
                        SubIndication::SigConstraintsFailure,
                        format!("signing-certificate: {e}"),
                    )
                })
            }),
        (None, None) => Err((
            SubIndication::FormatFailure,
            format!("no signing-certificate-v2 attribute ({required_by} require one)"),
        )),
    };
    check("signing_certificate", named)
}
