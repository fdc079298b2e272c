//! Archival renewal of the sealed PDFs the hub keeps (PAdES B-LTA, ETSI EN 319 142-1 §5.5; the
//! practice of ETSI TS 119 511 preservation services). A court keeps a judgment for decades; the
//! timestamp that proves when it was sealed is trusted only while its TSA's certificate is. Before
//! the newest timestamp of a sealed PDF ages out — `[seals] archive_lead_days` before its TSA
//! certificate's notAfter — the hub appends validation data and a fresh document timestamp, and
//! records `archive_timestamp_added`. The previous bytes stay stored (they are the prefix of the
//! new ones); downloads return the renewed document.
//!
//! Renewing with a TSA certificate that expires no later than the one being renewed would prove
//! nothing new: the hub then logs that its TSA certificate must be renewed and waits.

use crate::documents::{self, StoredDocument};
use crate::seal::SealContext;
use chrono::{DateTime, Utc};
use ecenter_domain::Event;
use ecenter_store::{EventStore, ReadView, StoreError};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::watch;

/// `[seals]` settings for B-LTA and renewal.
#[derive(Debug, Clone, Copy)]
pub struct ArchivePolicy {
    /// Whether sealed PDFs get a document timestamp at once (B-LTA).
    pub lta: bool,
    /// How long before the newest timestamp's TSA certificate expires renewal is due.
    pub lead: Duration,
    /// How often the hub looks; zero turns renewal off.
    pub every: Duration,
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
    let mut after = 0;
    loop {
        let page = store.entries_after(after, 1000)?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for entry in &page {
            if let Event::DocumentSealed { filing_id, applied } = &entry.event
                && applied.signature.media_type == "application/pdf"
            {
                out.push((filing_id.clone(), applied.signature.document_id.clone()));
            }
        }
    }
    Ok(out)
}

fn expiry_of(cert: &[u8]) -> Option<SystemTime> {
    let (_, c) = x509_parser::parse_x509_certificate(cert).ok()?;
    u64::try_from(c.validity().not_after.timestamp())
        .ok()
        .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s))
}

/// One pass: renews every sealed PDF whose newest timestamp ages out within the lead time.
pub async fn renew_due<S: EventStore>(
    store: Arc<S>,
    ctx: Arc<SealContext>,
    now: SystemTime,
) -> Result<RenewalOutcome, StoreError> {
    let mut outcome = RenewalOutcome::default();
    let Some(tsa_until) = ctx.tsa().and_then(|t| expiry_of(t.cert())) else {
        return Ok(outcome);
    };
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
        let Some((_, until)) = ecenter_pdfseal::newest_timestamp(&bytes) else {
            continue;
        };
        if until > now + ctx.archive.lead {
            continue;
        }
        if tsa_until <= until {
            outcome.blocked += 1;
            tracing::warn!(document = %label, "archival renewal due, but the hub's TSA certificate expires no later than the timestamp it would renew: renew the TSA certificate");
            continue;
        }
        let c = ctx.clone();
        let renewed = tokio::task::spawn_blocking(move || {
            let tsa = c.tsa().expect("checked above");
            ecenter_pdfseal::archive_timestamp(&bytes, tsa, now, &c.validation_data())
        })
        .await
        .map_err(|e| StoreError::Io(std::io::Error::other(e)))?;
        let renewed = match renewed {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(document = %label, error = %e, "archival renewal failed");
                continue;
            }
        };
        let blob = crate::seal::store_blob(store.blobs(), renewed)
            .await
            .map_err(|s| StoreError::Io(std::io::Error::other(s.message().to_string())))?;
        let previous = sealed.signature.sha256.clone();
        let event = Event::ArchiveTimestampAdded {
            filing_id: filing_id.clone(),
            document_id: document_id.clone(),
            previous_sha256: previous.clone(),
            sha256: blob.sha256,
            size: blob.size,
            renews_until: DateTime::<Utc>::from(until),
        };
        let (f, d) = (filing_id.clone(), document_id.clone());
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
        if appended {
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
            _ = tokio::time::sleep(every) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        match renew_due(store.clone(), ctx.clone(), SystemTime::now()).await {
            Ok(o) if !o.renewed.is_empty() || o.blocked > 0 => {
                tracing::info!(
                    checked = o.checked,
                    renewed = o.renewed.len(),
                    blocked = o.blocked,
                    "archival renewal"
                )
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "archival renewal failed"),
        }
    }
}
