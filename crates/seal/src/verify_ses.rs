//! Verifying a GB/T 38540 seal signature (`SES_Signature`) over a document, in any layout
//! [`crate::layout`] reads: format, algorithms, the signer's signature, the document hash, the
//! maker's signature, chain and role, the timestamp, the seal's validity window, that the signer
//! is listed in the seal, the signer's chain and key usage.

use crate::layout::{SealView, SignatureView, parse_signature};
use crate::{
    ChainCache, Check, CheckStatus, DOCUMENT_SIGNING_EKU, SignatureAlgorithm, SubIndication,
    TrustStores, ValidationReport, chain, check, key_usage_ok, roles, subject, tsa, verify_raw,
};
use std::time::SystemTime;

pub(crate) fn verify_with(
    signature_der: &[u8],
    document: &[u8],
    trust: &TrustStores,
    now: SystemTime,
    cache: Option<&ChainCache>,
) -> ValidationReport {
    let mut checks = Vec::new();
    let sealed = match parse_signature(signature_der) {
        Ok(s) => s,
        Err(e) => {
            checks.push(check(
                "strict_der",
                Err((SubIndication::FormatFailure, e.to_string())),
            ));
            return ValidationReport::from_checks(checks, None, None);
        }
    };
    checks.push(check(
        "strict_der",
        Ok(format!(
            "strict DER SES_Signature, {}",
            sealed.layout.describe()
        )),
    ));
    let seal_name = Some(sealed.seal.name.clone());
    let signer_name = subject(&sealed.signer_cert);
    let Some(alg) = algorithm_check(&mut checks, &sealed) else {
        return ValidationReport::from_checks(checks, seal_name, signer_name);
    };
    signatures(&mut checks, &sealed, alg, document);
    tbs_extensions_check(&mut checks, &sealed);
    let (best_time, proven) = timestamp(&mut checks, &sealed, trust, now);
    seal_checks(
        &mut checks,
        &sealed.seal,
        &sealed.signer_cert,
        trust,
        best_time,
        cache,
    );
    if let (false, Some(claimed)) = (proven, sealed.claimed) {
        checks.push(check(
            "claimed_time",
            claimed_time(claimed, &sealed.signer_cert, &sealed.seal, now),
        ));
    }
    let claimed_earlier = !proven && sealed.claimed.is_some_and(|c| c < best_time);
    checks.push(check(
        "signer_chain",
        chain(
            &sealed.signer_cert,
            crate::Anchors {
                certs: &trust.signers,
                eku: DOCUMENT_SIGNING_EKU,
            },
            trust,
            best_time,
            claimed_earlier,
            cache,
        ),
    ));
    checks.push(check("key_usage", key_usage_ok(&sealed.signer_cert)));
    let seal_sha256 = ring::digest::digest(&ring::digest::SHA256, &sealed.seal.der);
    ValidationReport {
        seal_id: Some(sealed.seal.es_id.clone()),
        seal_sha256: Some(hex::encode(seal_sha256)),
        signing_time: Some(best_time),
        ..ValidationReport::from_checks(checks, seal_name, signer_name)
    }
}

/// The signer's signature and the document hash.
fn signatures(
    checks: &mut Vec<Check>,
    sealed: &SignatureView,
    alg: SignatureAlgorithm,
    document: &[u8],
) {
    checks.push(check(
        "signature",
        verify_raw(alg, &sealed.signer_cert, &sealed.tbs, &sealed.signature)
            .map(|()| "the signer's signature over TBS_Sign verifies".to_string())
            .map_err(|e| (SubIndication::SigCryptoFailure, e.to_string())),
    ));
    checks.push(check(
        "document_hash",
        if sealed.data_hash == alg.hash(document) {
            Ok(format!(
                "the document's {} matches the signed hash",
                match alg {
                    SignatureAlgorithm::EcdsaP256Sha256 => "SHA-256",
                    SignatureAlgorithm::Sm2Sm3 => "SM3",
                }
            ))
        } else {
            Err((
                SubIndication::HashFailure,
                hash_mismatch(alg, &sealed.data_hash, document),
            ))
        },
    ));
}

/// Without a timestamp the time a signature claims (TBS_Sign timeInfo) proves nothing, but
/// viewers show it: it must at least be a time the signature could have been made — not after
/// the validation time (five minutes of clock skew allowed), within the signer's certificate and
/// the seal's validity (GB/T 38540-2020 has a seal signature verified at its signing time, which
/// lies within both).
fn claimed_time(
    claimed: SystemTime,
    signer_cert: &[u8],
    seal: &SealView,
    now: SystemTime,
) -> Result<String, (SubIndication, String)> {
    let shown = crate::report::beijing;
    let bad = |why: String| {
        Err((
            SubIndication::SigConstraintsFailure,
            format!(
                "the signature claims it was made at {}, {why}",
                shown(claimed)
            ),
        ))
    };
    let cert_from = x509_parser::parse_x509_certificate(signer_cert)
        .ok()
        .and_then(|(_, c)| u64::try_from(c.validity().not_before.timestamp()).ok())
        .map(|s| SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(s));
    if claimed > now + std::time::Duration::from_secs(300) {
        bad("after the validation time".into())
    } else if cert_from.is_some_and(|from| claimed < from) {
        bad("before the signer's certificate was valid".into())
    } else if claimed < seal.valid_start || claimed > seal.valid_end {
        bad("outside the seal's validity window".into())
    } else {
        Ok(format!(
            "the claimed signing time {} is one the signature could have been made at \
             (not proven without a timestamp)",
            shown(claimed)
        ))
    }
}

/// The trusted signing time: the timestamp's when a valid one is present, otherwise `now` (a
/// claimed earlier time alone proves nothing). Returns it and whether a timestamp proved it.
fn timestamp(
    checks: &mut Vec<Check>,
    sealed: &SignatureView,
    trust: &TrustStores,
    now: SystemTime,
) -> (SystemTime, bool) {
    let Some(token) = &sealed.time_stamp else {
        checks.push(Check {
            name: "timestamp",
            status: CheckStatus::NotApplicable,
            detail: "no timestamp token: the signing time is taken as the validation time".into(),
        });
        return (now, false);
    };
    // GB/T 38540 has no archive timestamps: the TSA's chain is judged at the token's genTime, and
    // the hub's hash-chained, timestamped log is what proves the signature file existed since.
    match tsa::verify_timestamp(token, &sealed.signature, &trust.tsas, &trust.intermediates) {
        Ok(ts) => {
            checks.push(check(
                "timestamp",
                Ok(format!("valid RFC 3161 timestamp by {}", ts.tsa)),
            ));
            (ts.gen_time, true)
        }
        Err(e) => {
            checks.push(check(
                "timestamp",
                Err((SubIndication::NoPoe, e.to_string())),
            ));
            (now, false)
        }
    }
}

/// The "algorithm" check: the signer's and the seal maker's algorithms must both be on the
/// allow-list (ECDSA P-256 with SHA-256, SM2 with SM3); returns the signer's, or `None` if not.
fn algorithm_check(checks: &mut Vec<Check>, sealed: &SignatureView) -> Option<SignatureAlgorithm> {
    let alg = SignatureAlgorithm::from_oid(&sealed.alg);
    let maker_alg = SignatureAlgorithm::from_oid(&sealed.seal.maker_alg);
    let (Some(alg), Some(maker_alg)) = (alg, maker_alg) else {
        checks.push(check(
            "algorithm",
            Err((
                SubIndication::CryptoConstraintsFailure,
                format!(
                    "algorithm {} / {} is not on the allow-list (ecdsa-with-SHA256 1.2.840.10045.4.3.2, SM2-with-SM3 1.2.156.10197.1.501)",
                    sealed.alg, sealed.seal.maker_alg
                ),
            )),
        ));
        return None;
    };
    let algorithms = if alg == maker_alg {
        format!("{} (allow-listed)", alg.name())
    } else {
        format!(
            "signer {}, maker {} (allow-listed)",
            alg.name(),
            maker_alg.name()
        )
    };
    checks.push(check("algorithm", Ok(algorithms)));
    Some(alg)
}

/// Fails the "extensions" check when TBS_Sign carries critical extensions this verifier does not
/// understand (nothing is pushed when there are none).
fn tbs_extensions_check(checks: &mut Vec<Check>, sealed: &SignatureView) {
    if !sealed.critical_extensions.is_empty() {
        checks.push(check(
            "extensions",
            Err((
                SubIndication::FormatFailure,
                format!(
                    "TBS_Sign carries critical extensions this verifier does not understand: {}",
                    sealed.critical_extensions.join(", ")
                ),
            )),
        ));
    }
}

/// The checks of a seal itself, wherever it is carried (a `SES_Signature`, or a PDF signature's
/// signed attribute): the maker's signature over the seal, the maker's chain to the maker anchors
/// and its role (at the trusted signing time `at`), the seal's validity window at `at`, and that
/// it lists `signer_cert`.
pub(crate) fn seal_checks(
    checks: &mut Vec<Check>,
    seal: &SealView,
    signer_cert: &[u8],
    trust: &TrustStores,
    at: SystemTime,
    cache: Option<&ChainCache>,
) {
    checks.push(check("seal_maker_signature", maker_signature(seal)));
    let role = roles::role_of(trust);
    let role_check = if trust.maker_role_waived {
        roles::maker_apart(&seal.maker_cert, trust, at)
    } else {
        roles::maker_role_ok(&seal.maker_cert, role)
    };
    // A role carried as a certificate policy (or none required) leaves the certificate's EKUs to
    // other purposes.
    let usage = match &role_check {
        _ if trust.maker_role_waived => Vec::new(),
        Ok(d) if d.contains("certificate policy") => Vec::new(),
        _ => roles::maker_usage(role),
    };
    // The maker's chain is judged when the seal was used (the trusted signing time), as the
    // signer's is: a maker certificate that expired since does not undo a seal made before.
    checks.push(check(
        "seal_maker_chain",
        chain(
            &seal.maker_cert,
            crate::Anchors {
                certs: &trust.seal_makers,
                eku: &usage,
            },
            trust,
            at,
            false,
            cache,
        ),
    ));
    checks.push(check("seal_maker_role", role_check));
    if !seal.critical_extensions.is_empty() {
        checks.push(check(
            "extensions",
            Err((
                SubIndication::FormatFailure,
                format!(
                    "the seal carries critical extensions this verifier does not understand: {} (an unrecognised critical extension fails, as RFC 5280 §4.2 rules)",
                    seal.critical_extensions.join(", ")
                ),
            )),
        ));
    }
    checks.push(check(
        "seal_validity",
        if seal.valid_start <= at && at <= seal.valid_end {
            Ok("the seal is within its validity window".into())
        } else {
            Err((
                SubIndication::SigConstraintsFailure,
                "the seal is outside its validity window at the signing time".into(),
            ))
        },
    ));
    checks.push(check(
        "signer_listed_in_seal",
        match seal.signers.lists(signer_cert) {
            Ok(true) => Ok("the signer's certificate is listed in the seal".into()),
            Ok(false) => Err((
                SubIndication::SigConstraintsFailure,
                "the signer's certificate is not listed in the seal".into(),
            )),
            Err(e) => Err((SubIndication::CryptoConstraintsFailure, e.to_string())),
        },
    ));
}

/// The seal maker's signature over the seal (SES_SealInfo), with the maker's allow-listed
/// algorithm; a failure suggests the picture or a property was altered.
fn maker_signature(seal: &SealView) -> Result<String, (SubIndication, String)> {
    match SignatureAlgorithm::from_oid(&seal.maker_alg) {
        None => Err((
            SubIndication::CryptoConstraintsFailure,
            format!(
                "the seal maker's algorithm {} is not on the allow-list (ecdsa-with-SHA256)",
                seal.maker_alg
            ),
        )),
        Some(alg) => verify_raw(
            alg,
            &seal.maker_cert,
            &seal.signed_info,
            &seal.maker_signature,
        )
        .map(|()| "the seal maker's signature over the seal verifies".to_string())
        .map_err(|e| {
            (
                SubIndication::SigCryptoFailure,
                format!("seal: {e} (picture or property altered?)"),
            )
        }),
    }
}

/// Why a dataHash does not match: the document changed — or the signer hashed it with another
/// allow-listed algorithm than its signature algorithm implies (SHA-256 under SM2, SM3 under
/// ECDSA), which is the signer's fault, not the document's.
fn hash_mismatch(alg: SignatureAlgorithm, data_hash: &[u8], document: &[u8]) -> String {
    let other = SignatureAlgorithm::ALLOWED
        .into_iter()
        .find(|a| *a != alg && a.hash(document) == data_hash);
    let digest = |a: SignatureAlgorithm| match a {
        SignatureAlgorithm::EcdsaP256Sha256 => "SHA-256",
        SignatureAlgorithm::Sm2Sm3 => "SM3",
    };
    match other {
        Some(o) => format!(
            "the signed dataHash is this document's {}, but a signature in {} must carry its {}: the signer used the wrong digest",
            digest(o),
            alg.name(),
            digest(alg)
        ),
        None => "the document differs from the one that was sealed".into(),
    }
}
