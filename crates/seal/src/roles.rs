//! Who may make a seal. GB/T 38540 separates the seal maker (制章者, who signs the `SESeal`) from
//! the signers the seal names; a signer's certificate minting its own seal must not pass. A maker
//! is therefore held to two things: its chain ends at a configured *maker* anchor, and its
//! certificate carries the maker role the configuration names — as an extended key usage, or as a
//! certificate policy (RFC 5280 §4.2.1.12, §4.2.1.4), whichever the court's CA writes.
//!
//! Who may sign a proof of service: one signer only, the hub's, named by its certificate. A
//! court's root certifies many keys that sign documents (each department's seal, a clerk's
//! export); a chain to that root says a key is the court's, not that it is the hub's.

use der::asn1::ObjectIdentifier;

/// The maker role ecenter's development PKI writes (an EKU under the project's arc) and every
/// hub expects unless `[seal] maker_role` names another.
pub const SEAL_MAKER_ROLE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.59648.1.2");

/// The role a configuration names, or [`SEAL_MAKER_ROLE`].
pub(crate) fn role_of(trust: &crate::TrustStores) -> ObjectIdentifier {
    trust.maker_role.unwrap_or(SEAL_MAKER_ROLE)
}

/// Whether `cert_der` carries `role` as an EKU or a certificate policy; the error names the role
/// and says what the certificate may do instead.
pub fn maker_role_ok(
    cert_der: &[u8],
    role: ObjectIdentifier,
) -> Result<String, (crate::SubIndication, String)> {
    let bad = |m: String| (crate::SubIndication::ChainConstraintsFailure, m);
    let (_, cert) = x509_parser::parse_x509_certificate(cert_der)
        .map_err(|e| bad(format!("the seal maker's certificate does not parse: {e}")))?;
    let role_text = role.to_string();
    let in_eku = matches!(cert.extended_key_usage(), Ok(Some(eku))
        if eku.value.other.iter().any(|o| o.to_id_string() == role_text));
    let in_policies = cert.extensions().iter().any(|ext| {
        matches!(ext.parsed_extension(), x509_parser::extensions::ParsedExtension::CertificatePolicies(p)
            if p.iter().any(|pi| pi.policy_id.to_id_string() == role_text))
    });
    match (in_eku, in_policies) {
        (true, _) => Ok(format!(
            "the maker's certificate carries the maker role {role_text} (extended key usage)"
        )),
        (_, true) => Ok(format!(
            "the maker's certificate carries the maker role {role_text} (certificate policy)"
        )),
        _ => Err(bad(format!(
            "the certificate that made this seal does not carry the seal-maker role {role_text} (as extended key usage or certificate policy): it may sign documents, not make seals"
        ))),
    }
}

/// With no maker role required ([`crate::TrustStores::maker_role_waived`]) only the anchors tell a
/// maker from a signer, so a maker's certificate `cert_der` must not chain to the signers' anchors
/// at `at` (revocation aside): otherwise a signer's certificate could make its own seal. The error
/// says what to name instead.
pub(crate) fn maker_apart(
    cert_der: &[u8],
    trust: &crate::TrustStores,
    at: std::time::SystemTime,
) -> Result<String, (crate::SubIndication, String)> {
    let as_signer = crate::Anchors {
        certs: &trust.signers,
        eku: &[],
    };
    // Revocation aside: a chain that would fail only for want of a CRL still chains.
    let unrevoked = crate::TrustStores {
        crls: Vec::new(),
        ..trust.clone()
    };
    match crate::chain(cert_der, as_signer, &unrevoked, at, false, None) {
        Ok(_) => Err((
            crate::SubIndication::ChainConstraintsFailure,
            "no seal-maker role is required, but the certificate that made this seal also chains to the signers' anchors, so nothing tells it from a signer's: name maker anchors that certify no signer, or require the maker role".into(),
        )),
        Err(_) => Ok(
            "no seal-maker role required: the maker chains to the maker anchors, not to the signers'"
                .into(),
        ),
    }
}

/// The EKU webpki must find (if any EKU is present) on a maker's certificate.
pub(crate) fn maker_usage(role: ObjectIdentifier) -> Vec<u8> {
    role.as_bytes().to_vec()
}

/// Whether the signer's certificate `cert_der` certifies the public key of one of `pinned` (the
/// certificates a relying party names as the only signer it accepts, e.g. the hub's proof signer,
/// several across a renewal). Keys, not certificates, are compared (SubjectPublicKeyInfo, RFC 5280
/// §4.1.2.7): a certificate renewed over the same key names the same signer. The error names who
/// signed instead.
pub fn pinned_signer(
    cert_der: &[u8],
    pinned: &[Vec<u8>],
) -> Result<String, (crate::SubIndication, String)> {
    let key_of = |der: &[u8]| {
        x509_parser::parse_x509_certificate(der)
            .ok()
            .map(|(_, c)| (c.public_key().raw.to_vec(), c.subject().to_string()))
    };
    let Some((key, subject)) = key_of(cert_der) else {
        return Err((
            crate::SubIndication::SigConstraintsFailure,
            "the signer's certificate does not parse".into(),
        ));
    };
    match pinned
        .iter()
        .filter_map(|p| key_of(p))
        .find(|(k, _)| *k == key)
    {
        Some((_, named)) => Ok(format!("signed with the key of the named signer {named}")),
        None => Err((
            crate::SubIndication::SigConstraintsFailure,
            format!(
                "signed by {subject}, whose key is not the named signer's: a certificate under the \
                 same root is not enough"
            ),
        )),
    }
}
