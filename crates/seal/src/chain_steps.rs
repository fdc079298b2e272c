//! Steps of the certificate path validation in `chain`: the key a validated chain is cached
//! under, the window its cache entry covers, and a failed path as an ETSI EN 319 102-1
//! sub-indication with its explanation.

use crate::{ChainCache, SubIndication, TrustStores, explain, intersect, sha256_of, sm, validity};
use rustls_pki_types::{CertificateDer, TrustAnchor};

/// The key a validated chain is cached under: the certificate's SHA-256, the SHA-256 of the
/// anchors it must chain to, and the extended key usage required.
pub(crate) fn cache_key(cert_der: &[u8], anchors: &[Vec<u8>], eku: &[u8]) -> Vec<u8> {
    let mut k = sha256_of(cert_der);
    k.extend_from_slice(&sha256_of(&anchors.concat()));
    k.extend_from_slice(eku);
    k
}

/// Certificates (DER) as webpki reads them, borrowed.
pub(crate) fn certificate_ders(ders: &[Vec<u8>]) -> Vec<CertificateDer<'_>> {
    ders.iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect()
}

/// Configured anchor certificates (DER) as webpki trust anchors; the first unusable one's error.
pub(crate) fn trust_anchors(ders: &[Vec<u8>]) -> Result<Vec<TrustAnchor<'static>>, webpki::Error> {
    certificate_ders(ders)
        .iter()
        .map(|a| webpki::anchor_from_trusted_cert(a).map(|t| t.to_owned()))
        .collect()
}

/// A configured CRL chosen to check against: its issuer's newest.
pub(crate) struct ChosenCrl {
    /// The CRL as webpki checks it.
    pub(crate) list: webpki::CertRevocationList<'static>,
    /// Its issuer's name (DER), as certificates name their issuer.
    pub(crate) issuer: Vec<u8>,
    /// Its thisUpdate, seconds since 1970.
    pub(crate) issued: i64,
    /// The CRL's DER, to read a revocation's date and reason from.
    pub(crate) der: Vec<u8>,
}

/// Some minutes of clock difference between a CA and the hub are no fault.
const CLOCK_SKEW_SECS: i64 = 300;

/// When and why the issuer's CRL among `crls` revoked `cert_der` (RFC 5280 §5.3.1 reasonCode),
/// the date as seconds since 1970; `None` when no CRL given lists it.
pub(crate) fn revocation_of(cert_der: &[u8], crls: &[ChosenCrl]) -> Option<(i64, Option<String>)> {
    let (_, cert) = x509_parser::parse_x509_certificate(cert_der).ok()?;
    let issuer = cert.issuer().as_raw();
    let chosen = crls.iter().find(|c| c.issuer == issuer)?;
    let (_, crl) = x509_parser::parse_x509_crl(&chosen.der).ok()?;
    let revoked = crl
        .iter_revoked_certificates()
        .find(|r| r.raw_serial() == cert.raw_serial())?;
    let reason = revoked.reason_code().map(|(_, r)| format!("{r:?}"));
    Some((revoked.revocation_date.timestamp(), reason))
}

/// The configured CRLs to check against, parsed: per issuer its newest (latest thisUpdate, then
/// highest cRLNumber). A CA's CRL lists every revocation still in force (RFC 5280 §5, §6.3.3),
/// so its newest says what holds — and webpki consults only the first CRL of an issuer it meets,
/// so an older CRL given first hid a revocation the newer one lists (outside tests, round 17b,
/// F1). The newest CRL's signature is still checked: a forged one fails the chain, never passes
/// it. One that does not parse fails the chain (a general failure).
pub(crate) fn configured_crls(
    trust: &TrustStores,
) -> Result<Vec<ChosenCrl>, (SubIndication, String)> {
    let general = |e: String| (SubIndication::CertificateChainGeneralFailure, e);
    let mut newest: Vec<(ChosenCrl, Vec<u8>)> = Vec::new();
    for der in &trust.crls {
        let (_, parsed) = x509_parser::parse_x509_crl(der)
            .map_err(|e| general(format!("a configured CRL does not parse: {e}")))?;
        let issuer = parsed.issuer().as_raw().to_vec();
        let issued = parsed.last_update().timestamp();
        let number = parsed
            .crl_number()
            .map(x509_parser::num_bigint::BigUint::to_bytes_be)
            .unwrap_or_default();
        let list = webpki::OwnedCertRevocationList::from_der(der)
            .map(webpki::CertRevocationList::from)
            .map_err(|e| general(format!("a configured CRL does not parse: {e}")))?;
        // A CRL issued after now points to a wrong clock or a faulty CA: trusted, it would
        // outrank the CA's real newest CRL and could clear a revoked certificate.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        if issued > now + CLOCK_SKEW_SECS {
            return Err(general(format!(
                "a configured CRL (issuer {}) is dated {}, after now: a CRL from the future points to a wrong clock or a faulty CA; replace it",
                parsed.issuer(),
                crate::report::beijing(
                    std::time::UNIX_EPOCH + std::time::Duration::from_secs(issued.max(0) as u64)
                )
            )));
        }
        let chosen = ChosenCrl {
            list,
            issuer,
            issued,
            der: der.clone(),
        };
        let rank = |c: &ChosenCrl, n: &[u8]| (c.issued, n.len(), n.to_vec());
        match newest.iter_mut().find(|(c, _)| c.issuer == chosen.issuer) {
            Some(kept) if rank(&kept.0, &kept.1) >= rank(&chosen, &number) => {}
            Some(kept) => *kept = (chosen, number),
            None => newest.push((chosen, number)),
        }
    }
    Ok(newest.into_iter().map(|(c, _)| c).collect())
}

/// What a passed path says of revocation: which CRL of the certificate's issuer was checked, or
/// that none was — a CRL of another CA proves nothing about this certificate (round 17b, F2).
pub(crate) fn revocation_said(cert_der: &[u8], crls: &[ChosenCrl]) -> String {
    let issuer = x509_parser::parse_x509_certificate(cert_der)
        .map(|(_, c)| c.issuer().as_raw().to_vec())
        .unwrap_or_default();
    match crls.iter().find(|c| c.issuer == issuer) {
        Some(c) => format!(
            "not revoked by its issuer's newest CRL given (issued {})",
            crate::report::beijing(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(c.issued.max(0) as u64)
            )
        ),
        None if crls.is_empty() => "revocation not checked: no CRL given".into(),
        None => format!(
            "revocation not checked: none of the {} CRL(s) given is its issuer's",
            crls.len()
        ),
    }
}

/// Revocation checking of the end-entity certificate against the CRLs (none given: no checking);
/// a CRL past its nextUpdate is refused, a certificate no CRL covers is allowed.
pub(crate) fn revocation_options<'a>(
    crl_refs: &'a [&'a webpki::CertRevocationList<'a>],
) -> Option<webpki::RevocationOptions<'a>> {
    match webpki::RevocationOptionsBuilder::new(crl_refs) {
        Ok(b) => Some(
            b.with_depth(webpki::RevocationCheckDepth::EndEntity)
                .with_status_policy(webpki::UnknownStatusPolicy::Allow)
                // A CRL past its nextUpdate says nothing about the time that counts.
                .with_expiration_policy(webpki::ExpirationPolicy::Enforce)
                .build(),
        ),
        Err(_) => None,
    }
}

/// Caches a validated path for the window in which the certificate and every intermediate are
/// valid (nothing cached when the windows do not overlap).
pub(crate) fn remember_window<'p>(
    cache: &ChainCache,
    key: Vec<u8>,
    cert_der: &[u8],
    path: &'p webpki::VerifiedPath<'p>,
) {
    let mut window = validity(cert_der);
    for c in path.intermediate_certificates() {
        window = intersect(window, validity(c.der().as_ref()));
    }
    if let Some(w) = window {
        cache.put(key, w);
    }
}

/// Why a certificate path does not validate, as an ETSI EN 319 102-1 sub-indication and words
/// for people (an SM2 signature failure names GM/T 0015's distinguishing ID).
pub(crate) fn chain_error(e: webpki::Error, cert_der: &[u8]) -> (SubIndication, String) {
    match e {
        webpki::Error::UnknownIssuer => (
            SubIndication::NoCertificateChainFound,
            "no chain to a configured trust anchor (the certificates at hand lead to none of the anchors given; a certificate inside a signature is never an anchor)".into(),
        ),
        webpki::Error::CertRevoked => (SubIndication::Revoked, "the certificate is revoked".into()),
        e @ webpki::Error::CrlExpired { .. } => (SubIndication::TryLater, explain(&e)),
        e @ webpki::Error::CertNotValidYet { .. } => (SubIndication::NotYetValid, explain(&e)),
        e @ webpki::Error::CertExpired { .. } => (SubIndication::OutOfBoundsNoPoe, explain(&e)),
        webpki::Error::InvalidSignatureForPublicKey
        | webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            let hint = if sm::is_sm2_cert(cert_der) {
                "; SM2 certificates are signed under the distinguishing ID 1234567812345678 (GM/T 0015) — OpenSSL 3 writes that only with -sigopt distid:1234567812345678"
            } else {
                ""
            };
            (
                SubIndication::NoCertificateChainFound,
                format!("the chain's signatures do not verify against the configured anchors{hint}"),
            )
        }
        e => (
            SubIndication::CertificateChainGeneralFailure,
            format!("chain validation failed: {}", explain(&e)),
        ),
    }
}
