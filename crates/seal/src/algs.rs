//! The CMS algorithms other people's signers and TSAs use, as an explicit allow-list verified
//! through ring: digests SHA-256/384/512 (FIPS 180-4), RSA PKCS#1 v1.5 and RSASSA-PSS (RFC 8017;
//! PSS only with MGF1 over the same hash and a salt as long as the hash, RFC 4055 §3.1, the only
//! form ring verifies) with 2048- to 8192-bit keys, and ECDSA on P-256 and P-384 with SHA-256 or
//! SHA-384 (RFC 5758 §3.2; ring verifies no ECDSA with SHA-512).
//!
//! SM2 with SM3 (GB/T 32918.2; in CMS as SM2-with-SM3 1.2.156.10197.1.501, the GM/T 0006 key
//! algorithm 1.2.156.10197.1.301.1, or id-ecPublicKey on sm2p256v1 with an SM3 digest) is
//! verified through [`crate::sm`], the one exception to ring.
//!
//! A CMS SignerInfo names the digest in `digestAlgorithm` and the signature in
//! `signatureAlgorithm`; RFC 5652 §5.3 lets the latter be the bare key algorithm (rsaEncryption,
//! id-ecPublicKey), in which case the digest algorithm completes it.

use crate::Rejection;
use der::Decode;
use der::asn1::ObjectIdentifier;
use ring::digest;
use ring::signature::{self, VerificationAlgorithm};
use x509_cert::spki::AlgorithmIdentifierOwned;

const SHA256: &str = "2.16.840.1.101.3.4.2.1";
const SHA384: &str = "2.16.840.1.101.3.4.2.2";
const SHA512: &str = "2.16.840.1.101.3.4.2.3";
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const RSASSA_PSS: &str = "1.2.840.113549.1.1.10";
const MGF1: &str = "1.2.840.113549.1.1.8";
const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const P256: &str = "1.2.840.10045.3.1.7";
const P384: &str = "1.3.132.0.34";
const SM3: &str = "1.2.156.10197.1.401";
const SM2_WITH_SM3: &str = "1.2.156.10197.1.501";
const SM2_SIGN: &str = "1.2.156.10197.1.301.1";
const SM2_CURVE: &str = "1.2.156.10197.1.301";

/// How a signature is checked: by ring, or by the SM2 module.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Verification {
    /// A ring algorithm.
    Ring(&'static dyn VerificationAlgorithm),
    /// SM2 with SM3, distinguishing ID 1234567812345678.
    Sm2,
}

/// The digest algorithm with this OID, when allowed.
pub(crate) fn digest_algorithm(
    oid: &ObjectIdentifier,
) -> Result<&'static digest::Algorithm, Rejection> {
    match oid.to_string().as_str() {
        SHA256 => Ok(&digest::SHA256),
        SHA384 => Ok(&digest::SHA384),
        SHA512 => Ok(&digest::SHA512),
        other => Err(Rejection::Unsupported(format!(
            "digest algorithm {other} is not on the allow-list (SHA-256, SHA-384, SHA-512, SM3)"
        ))),
    }
}

/// The digest of `parts` (e.g. a PDF's two signed byte ranges) under the algorithm `oid` names.
pub(crate) fn digest_of(oid: &ObjectIdentifier, parts: &[&[u8]]) -> Result<Vec<u8>, Rejection> {
    if oid.to_string() == SM3 {
        return Ok(crate::sm::sm3_of(parts));
    }
    let mut ctx = digest::Context::new(digest_algorithm(oid)?);
    for part in parts {
        ctx.update(part);
    }
    Ok(ctx.finish().as_ref().to_vec())
}

fn hash_name(oid: &str) -> Option<&'static str> {
    match oid {
        SHA256 => Some("SHA-256"),
        SHA384 => Some("SHA-384"),
        SHA512 => Some("SHA-512"),
        SM3 => Some("SM3"),
        _ => None,
    }
}

/// RSASSA-PSS-params (RFC 4055 §3.1); absent fields take the DEFAULTs (SHA-1, MGF1-SHA-1, 20),
/// which ring does not verify and so are refused.
#[derive(der::Sequence)]
struct PssParams {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    hash: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    mask_gen: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    salt_length: Option<u32>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    trailer_field: Option<u32>,
}

fn pss(params: Option<&der::Any>) -> Result<(Verification, String), Rejection> {
    let params = params
        .ok_or_else(|| Rejection::Malformed("RSASSA-PSS without parameters".into()))?
        .decode_as::<PssParams>()
        .map_err(|e| Rejection::Malformed(format!("RSASSA-PSS parameters do not decode: {e}")))?;
    let hash = params
        .hash
        .as_ref()
        .map(|h| h.oid.to_string())
        .ok_or_else(|| {
            Rejection::Unsupported(
                "RSASSA-PSS with the default hash SHA-1 is not on the allow-list".into(),
            )
        })?;
    let mgf_hash = params
        .mask_gen
        .as_ref()
        .filter(|m| m.oid.to_string() == MGF1)
        .and_then(|m| m.parameters.as_ref())
        .and_then(|p| p.decode_as::<AlgorithmIdentifierOwned>().ok())
        .map(|h| h.oid.to_string());
    let hash_len = digest_algorithm(&ObjectIdentifier::new(&hash).map_err(Rejection::malformed)?)
        .map(|d| d.output_len() as u32)?;
    if mgf_hash.as_deref() != Some(hash.as_str())
        || params.salt_length != Some(hash_len)
        || params.trailer_field.is_some_and(|t| t != 1)
    {
        return Err(Rejection::Malformed(format!(
            "RSASSA-PSS with a {}-byte salt: ecenter verifies PSS only with MGF1 over the same hash and a salt as long as the hash ({hash_len} bytes, as ETSI TS 119 312 §6.2.2 recommends); its crypto provider ring verifies no other",
            params
                .salt_length
                .map_or("20 (default)".to_string(), |n| n.to_string())
        )));
    }
    let alg: &'static dyn VerificationAlgorithm = match hash.as_str() {
        SHA256 => &signature::RSA_PSS_2048_8192_SHA256,
        SHA384 => &signature::RSA_PSS_2048_8192_SHA384,
        _ => &signature::RSA_PSS_2048_8192_SHA512,
    };
    Ok((
        Verification::Ring(alg),
        format!("RSASSA-PSS with {}", hash_name(&hash).unwrap_or("?")),
    ))
}

/// The named curve of an EC public key in `cert_der`.
fn curve_of(cert_der: &[u8]) -> Result<String, Rejection> {
    let cert = x509_cert::Certificate::from_der(cert_der).map_err(Rejection::malformed)?;
    let spki = &cert.tbs_certificate.subject_public_key_info.algorithm;
    if spki.oid.to_string() != EC_PUBLIC_KEY {
        return Err(Rejection::Malformed(
            "an ECDSA signature by a certificate whose key is not an EC key".into(),
        ));
    }
    spki.parameters
        .as_ref()
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
        .map(|o| o.to_string())
        .ok_or_else(|| Rejection::Malformed("the EC key names no curve".into()))
}

/// The ring algorithm verifying a CMS signature whose SignerInfo says `digest_oid` and
/// `signature`, by the key of `cert_der`, with a name for reports.
pub(crate) fn signer_algorithm(
    digest_oid: &ObjectIdentifier,
    signature: &AlgorithmIdentifierOwned,
    cert_der: &[u8],
) -> Result<(Verification, String), Rejection> {
    let digest_oid = digest_oid.to_string();
    let refuse = || {
        Rejection::Unsupported(format!(
            "{} with digest {digest_oid} is not on the allow-list (RSA PKCS#1 v1.5 or PSS with SHA-256/384/512; ECDSA P-256 or P-384 with SHA-256/384 — not SHA-512, which the hub's crypto provider does not verify; SM2 with SM3): ask for a copy signed with SHA-256",
            signature.oid
        ))
    };
    // The digest a combined algorithm names; a bare key algorithm takes the SignerInfo's.
    let (kind, hash) = match signature.oid.to_string().as_str() {
        RSASSA_PSS => return pss(signature.parameters.as_ref()),
        SM2_WITH_SM3 | SM2_SIGN => return sm2(&digest_oid, cert_der).ok_or_else(refuse),
        EC_PUBLIC_KEY if digest_oid == SM3 => return sm2(&digest_oid, cert_der).ok_or_else(refuse),
        RSA_ENCRYPTION => ("rsa", digest_oid.as_str()),
        "1.2.840.113549.1.1.11" => ("rsa", SHA256),
        "1.2.840.113549.1.1.12" => ("rsa", SHA384),
        "1.2.840.113549.1.1.13" => ("rsa", SHA512),
        EC_PUBLIC_KEY => ("ec", digest_oid.as_str()),
        "1.2.840.10045.4.3.2" => ("ec", SHA256),
        "1.2.840.10045.4.3.3" => ("ec", SHA384),
        _ => return Err(refuse()),
    };
    let hash_label = hash_name(hash).ok_or_else(refuse)?;
    let alg: &'static dyn VerificationAlgorithm = match (kind, hash) {
        ("rsa", SHA256) => &signature::RSA_PKCS1_2048_8192_SHA256,
        ("rsa", SHA384) => &signature::RSA_PKCS1_2048_8192_SHA384,
        ("rsa", _) => &signature::RSA_PKCS1_2048_8192_SHA512,
        (_, SHA512) => return Err(refuse()),
        _ => match (curve_of(cert_der)?.as_str(), hash) {
            (P256, SHA256) => &signature::ECDSA_P256_SHA256_ASN1,
            (P256, _) => &signature::ECDSA_P256_SHA384_ASN1,
            (P384, SHA256) => &signature::ECDSA_P384_SHA256_ASN1,
            (P384, _) => &signature::ECDSA_P384_SHA384_ASN1,
            (curve, _) => {
                return Err(Rejection::Unsupported(format!(
                    "ECDSA on curve {curve} is not on the allow-list"
                )));
            }
        },
    };
    let name = match (kind, curve_of(cert_der).as_deref()) {
        ("rsa", _) => format!("RSA PKCS#1 v1.5 with {hash_label}"),
        (_, Ok(P384)) => format!("ECDSA P-384 with {hash_label}"),
        _ => format!("ECDSA P-256 with {hash_label}"),
    };
    Ok((Verification::Ring(alg), name))
}

/// SM2 with SM3, when the digest is SM3 and the certificate's key is on the SM2 curve.
fn sm2(digest_oid: &str, cert_der: &[u8]) -> Option<(Verification, String)> {
    (digest_oid == SM3 && curve_of(cert_der).ok()? == SM2_CURVE)
        .then(|| (Verification::Sm2, "SM2 with SM3".to_string()))
}

/// Verifies `sig` over `message` by the public key of `cert_der` with `alg`.
pub(crate) fn verify_with(
    alg: Verification,
    cert_der: &[u8],
    message: &[u8],
    sig: &[u8],
) -> Result<(), Rejection> {
    let key = crate::public_key_of(cert_der)?;
    let alg = match alg {
        Verification::Ring(alg) => alg,
        Verification::Sm2 => return crate::sm::verify(&key, message, sig),
    };
    signature::UnparsedPublicKey::new(alg, key)
        .verify(message, sig)
        .map_err(|_| Rejection::Failed("the signature does not verify".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alg(oid: &str) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: ObjectIdentifier::new_unwrap(oid),
            parameters: None,
        }
    }

    #[test]
    fn bare_rsa_takes_the_signer_infos_digest_and_unknown_algorithms_are_named() {
        let sha384 = ObjectIdentifier::new_unwrap(SHA384);
        let (_, name) = signer_algorithm(&sha384, &alg(RSA_ENCRYPTION), &[]).unwrap();
        assert_eq!(name, "RSA PKCS#1 v1.5 with SHA-384");
        let md5 = ObjectIdentifier::new_unwrap("1.2.840.113549.2.5");
        let refused = signer_algorithm(&md5, &alg(RSA_ENCRYPTION), &[]).unwrap_err();
        assert!(matches!(refused, Rejection::Unsupported(_)), "{refused:?}");
        assert!(
            refused.reason().contains("not on the allow-list"),
            "{refused}"
        );
        let dsa = signer_algorithm(&sha384, &alg("1.2.840.10040.4.3"), &[]).unwrap_err();
        assert!(dsa.reason().contains("1.2.840.10040.4.3"), "{dsa}");
    }

    #[test]
    fn pss_with_default_parameters_is_refused_by_name() {
        let sha256 = ObjectIdentifier::new_unwrap(SHA256);
        let mut pss = alg(RSASSA_PSS);
        pss.parameters = Some(der::Any::from_der(&[0x30, 0x00]).unwrap());
        let refused = signer_algorithm(&sha256, &pss, &[]).unwrap_err();
        assert!(matches!(refused, Rejection::Unsupported(_)), "{refused:?}");
        assert!(refused.reason().contains("SHA-1"), "{refused}");
    }

    #[test]
    fn digests_of_parts_equal_the_digest_of_the_whole() {
        let sha512 = ObjectIdentifier::new_unwrap(SHA512);
        let whole = digest_of(&sha512, &[b"ab", b"cd"]).unwrap();
        assert_eq!(whole, digest::digest(&digest::SHA512, b"abcd").as_ref());
        assert!(digest_of(&ObjectIdentifier::new_unwrap("1.3.14.3.2.26"), &[b"x"]).is_err());
    }
}
