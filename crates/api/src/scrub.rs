//! The scrub: every stored document the log names is read back and hashed, so a document damaged
//! or deleted on disk is found before anyone needs it, not when a court asks for it. Each missing or
//! altered one is a `blob_corrupt` event (see [`crate::documents`]). `EventLogService.Scrub` runs
//! one pass on request (`clerk scrub`); `[scrub]` runs one in the background every `interval_hours`,
//! throttled to `bytes_per_second` so that it does not compete with intake.

use crate::documents::{self, StoredDocument};
use ecenter_store::verified::Found;
use ecenter_store::{EventStore, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// `[scrub]`: the background pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScrubConfig {
    /// Hours between background passes; 0 turns them off (default 24).
    pub interval_hours: u64,
    /// Most bytes read per second by a background pass (default 64 MiB/s); on-request passes run
    /// at full speed.
    pub bytes_per_second: u64,
}

impl Default for ScrubConfig {
    fn default() -> Self {
        ScrubConfig {
            interval_hours: 24,
            bytes_per_second: 64 << 20,
        }
    }
}

/// A document found damaged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damaged {
    /// The document.
    pub document: StoredDocument,
    /// What is there instead.
    pub found: Found,
}

/// What one pass did.
#[derive(Debug, Clone, Default)]
pub struct ScrubOutcome {
    /// Distinct documents checked.
    pub documents: u64,
    /// Their bytes.
    pub bytes: u64,
    /// The damaged ones.
    pub damaged: Vec<Damaged>,
    /// The log entry up to which references were collected.
    pub up_to_seq: u64,
}

/// Every document the log names, once (by SHA-256), with how people name it.
pub fn referenced<S: EventStore>(store: &S) -> Result<(BTreeMap<String, String>, u64), StoreError> {
    let mut out = BTreeMap::new();
    let up_to = store.for_each_entry(|entry| {
        for (sha, label) in entry.event.documents_named() {
            out.entry(sha).or_insert(label);
        }
    })?;
    Ok((out, up_to))
}

/// One pass over every referenced document; `rate` bounds the bytes read per second.
pub async fn run_pass<S: EventStore>(
    store: Arc<S>,
    rate: Option<u64>,
) -> Result<ScrubOutcome, StoreError> {
    let reader = store.clone();
    let (mut outcome, found) = tokio::task::spawn_blocking(move || {
        let (refs, up_to_seq) = referenced(&*reader)?;
        Ok::<_, StoreError>(hash_all(&*reader, refs, up_to_seq, rate))
    })
    .await
    .map_err(|e| StoreError::Io(std::io::Error::other(e)))??;
    for (doc, what) in found {
        let _ = documents::report(&*store, &doc, what.clone(), "scrub").await;
        outcome.damaged.push(Damaged {
            document: doc,
            found: what,
        });
    }
    Ok(outcome)
}

/// Hashes every referenced blob with one reused buffer (on a blocking thread); returns the
/// outcome and each damaged document with what was found.
fn hash_all<S: EventStore>(
    store: &S,
    refs: BTreeMap<String, String>,
    up_to_seq: u64,
    rate: Option<u64>,
) -> (ScrubOutcome, Vec<(StoredDocument, Found)>) {
    let mut outcome = ScrubOutcome {
        up_to_seq,
        ..Default::default()
    };
    let mut found = Vec::new();
    let mut buf = vec![0; 1 << 20];
    let started = Instant::now();
    for (sha, label) in refs {
        outcome.documents += 1;
        let damage = match ecenter_store::blobs::hash_file_with(&store.blobs().path(&sha), &mut buf)
        {
            Ok((sha256, size)) => {
                outcome.bytes += size;
                (sha256 != sha).then_some(Found::Other { sha256, size })
            }
            Err(e) => Some(Found::from(e)),
        };
        if let Some(what) = damage {
            found.push((StoredDocument::new(&sha, label), what));
        }
        if let Some(rate) = rate.filter(|r| *r > 0) {
            let due = Duration::from_secs_f64(outcome.bytes as f64 / rate as f64);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
    }
    (outcome, found)
}

/// The background pass: one every `interval_hours`, the first one interval after start.
pub async fn run_background<S: EventStore>(
    store: Arc<S>,
    config: ScrubConfig,
    mut stop: watch::Receiver<bool>,
) {
    if config.interval_hours == 0 {
        return;
    }
    let every = Duration::from_secs(config.interval_hours * 3600);
    loop {
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let pass = run_pass(store.clone(), Some(config.bytes_per_second));
        tokio::select! {
            done = pass => match done {
                Ok(o) => tracing::info!(documents = o.documents, bytes = o.bytes, damaged = o.damaged.len(), "scrub finished"),
                Err(e) => tracing::error!(error = %e, "scrub failed"),
            },
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}
