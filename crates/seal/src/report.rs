//! A validation report in the manner of the EU DSS / ETSI EN 319 102-1: an overall indication, a
//! sub-indication from a fixed list, and every individual check with its status.

use std::fmt;

/// The overall result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indication {
    /// Every check passed.
    Passed,
    /// A check proves the seal invalid.
    Failed,
    /// The seal cannot be shown valid or invalid with what is known.
    Indeterminate,
}

/// Why the result is not PASSED (ETSI EN 319 102-1 names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubIndication {
    /// Not a well-formed, strictly DER-encoded seal signature.
    FormatFailure,
    /// The document's hash differs from the signed one.
    HashFailure,
    /// A signature does not verify.
    SigCryptoFailure,
    /// The signer's certificate is revoked.
    Revoked,
    /// The signer's certificate was not yet valid at the signing time.
    NotYetValid,
    /// The signing time lies outside the certificate's validity and nothing proves an earlier time.
    OutOfBoundsNoPoe,
    /// No chain to a configured trust anchor.
    NoCertificateChainFound,
    /// The chain could not be validated for another reason.
    CertificateChainGeneralFailure,
    /// The certificate may not be used for this (key usage).
    ChainConstraintsFailure,
    /// The seal's own constraints fail (signer not listed, seal not valid at the signing time).
    SigConstraintsFailure,
    /// The algorithm is not on the allow-list.
    CryptoConstraintsFailure,
    /// A timestamp is present but proves nothing (untrusted TSA, wrong imprint, bad signature).
    NoPoe,
    /// The revocation information is out of date (a CRL past its nextUpdate): the status is
    /// unknown until fresher information is configured.
    TryLater,
}

impl SubIndication {
    /// The ETSI name, e.g. `HASH_FAILURE`.
    pub fn as_str(self) -> &'static str {
        match self {
            SubIndication::FormatFailure => "FORMAT_FAILURE",
            SubIndication::HashFailure => "HASH_FAILURE",
            SubIndication::SigCryptoFailure => "SIG_CRYPTO_FAILURE",
            SubIndication::Revoked => "REVOKED",
            SubIndication::NotYetValid => "NOT_YET_VALID",
            SubIndication::OutOfBoundsNoPoe => "OUT_OF_BOUNDS_NO_POE",
            SubIndication::NoCertificateChainFound => "NO_CERTIFICATE_CHAIN_FOUND",
            SubIndication::CertificateChainGeneralFailure => "CERTIFICATE_CHAIN_GENERAL_FAILURE",
            SubIndication::ChainConstraintsFailure => "CHAIN_CONSTRAINTS_FAILURE",
            SubIndication::SigConstraintsFailure => "SIG_CONSTRAINTS_FAILURE",
            SubIndication::CryptoConstraintsFailure => "CRYPTO_CONSTRAINTS_FAILURE",
            SubIndication::NoPoe => "NO_POE",
            SubIndication::TryLater => "TRY_LATER",
        }
    }

    /// FAILED for proofs of invalidity, INDETERMINATE otherwise.
    pub fn indication(self) -> Indication {
        match self {
            SubIndication::FormatFailure
            | SubIndication::HashFailure
            | SubIndication::SigCryptoFailure
            | SubIndication::Revoked
            | SubIndication::NotYetValid => Indication::Failed,
            _ => Indication::Indeterminate,
        }
    }
}

impl fmt::Display for SubIndication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Status of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckStatus {
    /// It holds.
    Passed,
    /// It does not hold, for this reason.
    Failed(SubIndication),
    /// Not done (e.g. no timestamp present), with why in the detail.
    NotApplicable,
}

/// One check and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Stable name, e.g. `document_hash`.
    pub name: &'static str,
    /// Outcome.
    pub status: CheckStatus,
    /// What was found, for people.
    pub detail: String,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationReport {
    /// Overall indication.
    pub indication: Indication,
    /// Why, unless PASSED.
    pub sub_indication: Option<SubIndication>,
    /// Every check, in the order done.
    pub checks: Vec<Check>,
    /// The seal's name, when it could be read.
    pub seal_name: Option<String>,
    /// The signer's subject, when it could be read.
    pub signer: Option<String>,
    /// The seal's id (esID), when it could be read: what the hub's registry knows it by.
    pub seal_id: Option<String>,
    /// SHA-256 (hex) of the seal's DER (`SESeal`), when the signature carries the seal itself:
    /// the registry holds it against the seal it registered under that id, since another maker's
    /// seal may carry the same id.
    pub seal_sha256: Option<String>,
    /// The trusted signing time: the timestamp's when a valid one is present, else the
    /// validation time (a claimed earlier time proves nothing).
    pub signing_time: Option<std::time::SystemTime>,
}

impl ValidationReport {
    /// The report of `checks`: FAILED if any proves invalidity, INDETERMINATE if any other fails.
    pub fn from_checks(
        checks: Vec<Check>,
        seal_name: Option<String>,
        signer: Option<String>,
    ) -> Self {
        let failures: Vec<SubIndication> = checks
            .iter()
            .filter_map(|c| match c.status {
                CheckStatus::Failed(s) => Some(s),
                _ => None,
            })
            .collect();
        // A proof of invalidity outweighs an open question.
        let sub = failures
            .iter()
            .find(|s| s.indication() == Indication::Failed)
            .or_else(|| failures.first())
            .copied();
        ValidationReport {
            indication: sub.map_or(Indication::Passed, SubIndication::indication),
            sub_indication: sub,
            checks,
            seal_name,
            signer,
            seal_id: None,
            seal_sha256: None,
            signing_time: None,
        }
    }

    /// Adds a check afterwards (the registry's, say) and judges the indication again.
    pub fn with_check(self, check: Check) -> Self {
        let ValidationReport {
            mut checks,
            seal_name,
            signer,
            seal_id,
            seal_sha256,
            signing_time,
            ..
        } = self;
        checks.push(check);
        ValidationReport {
            seal_id,
            seal_sha256,
            signing_time,
            ..ValidationReport::from_checks(checks, seal_name, signer)
        }
    }

    /// The check with this name.
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }
}

/// `t` for people: `YYYY-MM-DD hh:mm:ss (Beijing time)`.
pub(crate) fn beijing(t: std::time::SystemTime) -> String {
    let shanghai = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    format!(
        "{} (Beijing time)",
        chrono::DateTime::<chrono::Utc>::from(t)
            .with_timezone(&shanghai)
            .format("%Y-%m-%d %H:%M:%S")
    )
}

/// The verdict on a document with several signatures: PASSED only when it has some and every one
/// passed; FAILED when any failed; INDETERMINATE otherwise (none, or some undecided).
pub fn overall(indications: impl IntoIterator<Item = Indication>) -> Indication {
    let all: Vec<Indication> = indications.into_iter().collect();
    if all.is_empty() {
        Indication::Indeterminate
    } else if all.iter().all(|i| *i == Indication::Passed) {
        Indication::Passed
    } else if all.contains(&Indication::Failed) {
        Indication::Failed
    } else {
        Indication::Indeterminate
    }
}
