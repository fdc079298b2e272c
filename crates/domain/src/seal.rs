//! Seals in the registry (印章管理) and seals applied to filings' documents, as projections.

use crate::event::ReceivedDocument;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A seal as the registry knows it. Its DER (`SESeal`) is a blob named by `der_sha256`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealRecord {
    /// 印章编码, unique in the hub.
    pub seal_id: String,
    /// 印章名称.
    pub name: String,
    /// SHA-256 of the seal's DER in the blob store.
    pub der_sha256: String,
    /// Subject of the certificate allowed to sign with it.
    pub signer: String,
    /// Validity window.
    pub valid_from: DateTime<Utc>,
    /// End of validity.
    pub valid_to: DateTime<Utc>,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Why it was revoked, if it was.
    pub revoked: Option<String>,
    /// When it was revoked (the revoking entry's time).
    #[serde(default)]
    pub revoked_at: Option<DateTime<Utc>>,
    /// The seal's signature algorithm (dotted OID) when it is not ecdsa-with-SHA256: SM2 with
    /// SM3 is `1.2.156.10197.1.501`. Absent in seals made before SM2 existed, which are ECDSA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
}

/// A seal applied to one of a filing's documents: the detached signature is a blob too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedSeal {
    /// The sealed document.
    pub of_document_id: String,
    /// The seal used.
    pub seal_id: String,
    /// The signature file (`SES_Signature` DER), id `S1`, `S2`, ...
    pub signature: ReceivedDocument,
    /// Whether it carries an RFC 3161 timestamp.
    pub timestamped: bool,
    /// Who applied it.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}
