//! Archival renewal of the sealed PDFs the hub keeps (PAdES B-LTA, ETSI EN 319 142-1 §5.5; the
//! practice of ETSI TS 119 511 preservation services). A court keeps a judgment for decades; the
//! timestamp that proves when it was sealed is trusted only while its TSA's certificate is. Before
//! the newest timestamp of a sealed PDF ages out — `[seals] archive_lead_days` before its TSA
//! certificate's notAfter — the hub appends validation data and a fresh document timestamp, and
//! records `archive_timestamp_added`. The previous bytes stay stored (they are the prefix of the
//! new ones); downloads return the renewed document.
//!
//! A timestamp also ages out with its algorithm: `[seals] archive_algorithm_sunset` names, per
//! signature algorithm (OID), the date after which the court no longer trusts it (ETSI TS 119 312
//! gives such dates). A timestamp is good until the earlier of its TSA certificate's notAfter and its
//! algorithm's sunset; renewal is due `archive_lead_days` before that. Renewing with a TSA whose
//! own good-until is no later would prove nothing new: the hub then logs that its TSA certificate
//! or key must be renewed (a P-384 TSA outlives a P-256 sunset) and waits.

use crate::documents::{self, StoredDocument};
use crate::seal::SealContext;
use chrono::{DateTime, Utc};
use ecenter_domain::Event;
use ecenter_store::{EventStore, ReadView, StoreError};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::watch;

/// `[seals]` settings for B-LTA and renewal.
#[derive(Debug, Clone)]
pub struct ArchivePolicy {
    /// Whether sealed PDFs get a document timestamp at once (B-LTA).
    pub lta: bool,
    /// How long before the newest timestamp ages out renewal is due.
    pub lead: Duration,
    /// How often the hub looks; zero turns renewal off.
    pub every: Duration,
    /// Per signature algorithm (dotted OID), when the court stops trusting it.
    pub sunsets: Vec<(String, SystemTime)>,
}

impl ArchivePolicy {
    /// When a timestamp by a TSA certificate valid until `not_after`, signing with `algorithm`,
    /// stops proving anything: the earlier of the two.
    pub fn good_until(&self, not_after: SystemTime, algorithm: &str) -> SystemTime {
        self.sunsets
            .iter()
            .filter(|(a, _)| a == algorithm)
            .map(|(_, t)| *t)
            .fold(not_after, SystemTime::min)
    }
}

/// The signature algorithm (dotted OID) a TSA's key signs with.
fn tsa_algorithm(tsa: &ecenter_seal::tsa::TimestampAuthority) -> &'static str {
    match tsa.curve() {
        ecenter_seal::Curve::P256 => "1.2.840.10045.4.3.2",
        ecenter_seal::Curve::P384 => "1.2.840.10045.4.3.3",
        ecenter_seal::Curve::Sm2 => "1.2.156.10197.1.501",
    }
}

/// What one renewal pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenewalOutcome {
    /// Sealed PDFs looked at.
    pub checked: usize,
    /// `filing/document` renewed.
    pub renewed: Vec<String>,
    /// Due, but the hub's TSA certificate would not outlive the timestamp to renew.
    pub blocked: usize,
}

/// The sealed PDFs the log names: (filing, document id).
fn sealed_pdfs<S: EventStore>(store: &S) -> Result<Vec<(String, String)>, StoreError> {
    let mut out = Vec::new();
    store.for_each_entry(|entry| {
        if let Event::DocumentSealed { filing_id, applied } = &entry.event
            && applied.signature.media_type == "application/pdf"
        {
            out.push((filing_id.clone(), applied.signature.document_id.clone()));
        }
    })?;
    Ok(out)
}

fn expiry_of(cert: &[u8]) -> Option<SystemTime> {
    let (_, c) = x509_parser::parse_x509_certificate(cert).ok()?;
    u64::try_from(c.validity().not_after.timestamp())
        .ok()
        .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s))
}

/// The sealed PDF with validation data and a fresh document timestamp by the hub's TSA appended
/// (PAdES B-LTA renewal), computed off the async threads; `None`, logged, when renewal fails.
async fn renewed_bytes(
    ctx: &Arc<SealContext>,
    bytes: Vec<u8>,
    now: SystemTime,
    label: &str,
) -> Result<Option<Vec<u8>>, StoreError> {
    let c = ctx.clone();
    let renewed = tokio::task::spawn_blocking(move || {
        let tsa = c.tsa().expect("checked above");
        ecenter_pdfseal::archive_timestamp(&bytes, tsa, now, &c.validation_data())
    })
    .await
    .map_err(|e| StoreError::Io(std::io::Error::other(e)))?;
    match renewed {
        Ok(r) => Ok(Some(r)),
        Err(e) => {
            tracing::error!(document = %label, error = %e, "archival renewal failed");
            Ok(None)
        }
    }
}

/// A renewed sealed PDF, stored, to record as `archive_timestamp_added`.
struct Renewal<'a> {
    /// The filing.
    filing_id: &'a str,
    /// The sealed copy (`S1`, ...).
    document_id: &'a str,
    /// SHA-256 of the bytes renewed.
    previous: String,
    /// The renewed bytes as stored.
    blob: ecenter_store::BlobInfo,
    /// When the new document timestamp ages out.
    until: SystemTime,
}

/// Records `archive_timestamp_added` for a renewed sealed PDF, only if the document is still
/// what was renewed; returns whether it was recorded.
async fn record_renewal<S: EventStore>(
    store: &S,
    renewal: Renewal<'_>,
) -> Result<bool, StoreError> {
    let Renewal {
        filing_id,
        document_id,
        previous,
        blob,
        until,
    } = renewal;
    let event = Event::ArchiveTimestampAdded {
        filing_id: filing_id.to_string(),
        document_id: document_id.to_string(),
        previous_sha256: previous.clone(),
        sha256: blob.sha256,
        size: blob.size,
        renews_until: DateTime::<Utc>::from(until),
    };
    let (f, d) = (filing_id.to_string(), document_id.to_string());
    // Appended only if the document is still what was renewed.
    let (_, appended) = store
        .append(Box::new(move |view: &dyn ReadView| {
            let current = view
                .filing(&f)?
                .and_then(|filing| {
                    filing
                        .seals
                        .into_iter()
                        .find(|s| s.signature.document_id == d)
                })
                .map(|s| s.signature.sha256);
            Ok(match current {
                Some(sha) if sha == previous => (vec![event], true),
                _ => (Vec::new(), false),
            })
        }))
        .await?;
    Ok(appended)
}

/// One pass: renews every sealed PDF whose newest timestamp ages out within the lead time.
pub async fn renew_due<S: EventStore>(
    store: Arc<S>,
    ctx: Arc<SealContext>,
    now: SystemTime,
) -> Result<RenewalOutcome, StoreError> {
    let mut outcome = RenewalOutcome::default();
    let Some(tsa) = ctx.tsa() else {
        return Ok(outcome);
    };
    let Some(tsa_expiry) = expiry_of(tsa.cert()) else {
        return Ok(outcome);
    };
    let policy = &ctx.archive;
    let tsa_until = policy.good_until(tsa_expiry, tsa_algorithm(tsa));
    let reader = store.clone();
    let targets = tokio::task::spawn_blocking(move || sealed_pdfs(&*reader))
        .await
        .map_err(|e| StoreError::Io(std::io::Error::other(e)))??;
    for (filing_id, document_id) in targets {
        let Some(filing) = store.filing(&filing_id)? else {
            continue;
        };
        let Some(sealed) = filing
            .seals
            .iter()
            .find(|s| s.signature.document_id == document_id)
        else {
            continue;
        };
        outcome.checked += 1;
        let label = format!("filing {filing_id} document {document_id}");
        let doc = StoredDocument::new(&sealed.signature.sha256, label.clone());
        let Ok(bytes) = documents::read_verified(&*store, &doc, "archive renewal").await else {
            continue; // recorded as blob_corrupt by the read; nothing to renew from
        };
        let Some(newest) = ecenter_pdfseal::newest_timestamp(&bytes) else {
            continue;
        };
        let until = policy.good_until(newest.tsa_not_after, &newest.algorithm);
        if until > now + policy.lead {
            continue;
        }
        if tsa_until <= until {
            outcome.blocked += 1;
            tracing::warn!(document = %label, "archival renewal due, but a timestamp by the hub's TSA would age out no later than the one it renews: renew the TSA certificate, or move it to an algorithm not near its sunset");
            continue;
        }
        let Some(renewed) = renewed_bytes(&ctx, bytes, now, &label).await? else {
            continue;
        };
        let blob = crate::seal::store_blob(store.blobs(), renewed)
            .await
            .map_err(|s| StoreError::Io(std::io::Error::other(s.message().to_string())))?;
        let renewal = Renewal {
            filing_id: &filing_id,
            document_id: &document_id,
            previous: sealed.signature.sha256.clone(),
            blob,
            until,
        };
        if record_renewal(&*store, renewal).await? {
            outcome.renewed.push(format!("{filing_id}/{document_id}"));
        }
    }
    Ok(outcome)
}

/// Runs [`renew_due`] every `policy.every` until `stop`.
pub async fn run_background<S: EventStore>(
    store: Arc<S>,
    ctx: Arc<SealContext>,
    mut stop: watch::Receiver<bool>,
) {
    let every = ctx.archive.every;
    if every.is_zero() || ctx.tsa().is_none() {
        return;
    }
    loop {
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        match renew_due(store.clone(), ctx.clone(), SystemTime::now()).await {
            Ok(o) if !o.renewed.is_empty() || o.blocked > 0 => {
                tracing::info!(
                    checked = o.checked,
                    renewed = o.renewed.len(),
                    blocked = o.blocked,
                    "archival renewal"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "archival renewal failed"),
        }
    }
}
