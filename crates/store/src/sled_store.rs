//! The sled 0.34.7 backend. One writer thread owns the log: it runs decisions in order, writes each
//! one's entries and projections in a single sled transaction, then flushes once for the whole batch
//! of requests that queued meanwhile (group commit) before answering any of them. Readers read sled
//! directly and wait for the durable head where it matters.

use crate::chain::{ChainHead, ChainVerifier, StoredEntry, decode_entry, encode_entry, entry_key};
use crate::{
    Appended, BlobStore, Decide, DueWork, EventLog, FilingFilter, FilingPage, FilingReads,
    OutboxReads, ReadView, ServiceReads, StoreError,
};
use chrono::{DateTime, Utc};
use ecenter_domain::effective_service::Channel;
use ecenter_domain::service::{Due, DueAction, OrderSummary, RecipientService};
use ecenter_domain::{DeliveryKey, Event, Filing, LogPosition, RecipientKey, SealRecord};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot, watch};

mod keys;
pub(crate) use keys::LogAuditParts;
use keys::*;
mod writer;
use writer::*;
mod projection;
use projection::*;
mod drift;
mod lawyers;
mod notices;
mod passkeys;
mod portal;
mod pushes;
mod reasons;
pub use drift::ReadModelDrift;
mod rebuild;
mod replica;
mod service_reads;
mod unvouched;
pub use unvouched::cut_log_from;
#[cfg(test)]
mod recorded_spellings;
#[cfg(test)]
mod test_support;
use reasons::{explain_open_error, flush_reason};
pub(crate) use rebuild::forget_layout;
#[cfg(any(test, feature = "tamper"))]
pub(crate) use rebuild::pretend_layout;
pub use rebuild::{Rebuilt, rebuild_read_models};
pub use replica::REPLICA_AHEAD;

/// Most requests committed by one flush; bounds the latency a batch adds.
const MAX_BATCH: usize = 512;

/// A decision with its caller's value already captured: what the writer runs.
type ErasedDecide = Box<dyn FnOnce(&dyn ReadView) -> Result<Vec<Event>, StoreError> + Send>;
type Job = (
    ErasedDecide,
    oneshot::Sender<Result<Vec<Appended>, StoreError>>,
);

#[derive(Clone)]
struct Trees {
    events: sled::Tree,
    filings: sled::Tree,
    requests: sled::Tree,
    by_case: sled::Tree,
    by_submitter: sled::Tree,
    queues: sled::Tree,
    seals: sled::Tree,
    orders: sled::Tree,
    service: sled::Tree,
    due: sled::Tree,
    service_queues: sled::Tree,
    suppressed: sled::Tree,
    notices: sled::Tree,
    lawyers: sled::Tree,
    sign_in: sled::Tree,
    passkeys: sled::Tree,
    pushes: sled::Tree,
}

impl Trees {
    fn open(db: &sled::Db) -> sled::Result<Self> {
        Ok(Trees {
            events: db.open_tree("events")?,
            filings: db.open_tree("filings")?,
            requests: db.open_tree("requests")?,
            by_case: db.open_tree("by_case")?,
            by_submitter: db.open_tree("by_submitter")?,
            queues: db.open_tree("queues")?,
            seals: db.open_tree("seals")?,
            orders: db.open_tree("orders")?,
            service: db.open_tree("service")?,
            due: db.open_tree("due")?,
            service_queues: db.open_tree("service_queues")?,
            suppressed: db.open_tree("suppressed")?,
            notices: db.open_tree("notices")?,
            lawyers: db.open_tree("lawyers")?,
            sign_in: db.open_tree("sign_in")?,
            passkeys: db.open_tree("passkeys")?,
            pushes: db.open_tree("pushes")?,
        })
    }
}

/// The sled-backed [`EventStore`].
#[derive(Clone)]
pub struct SledStore {
    inner: Arc<Inner>,
}

struct Inner {
    trees: Trees,
    blobs: BlobStore,
    jobs: Mutex<Option<mpsc::UnboundedSender<Job>>>,
    /// Blobs no log entry names, found at start-up (removed by [`SledStore::remove_orphan_blobs`]).
    orphans: Mutex<std::collections::HashSet<String>>,
    /// Entry ranges an operator accepted as lost (`log_loss_accepted` entries).
    losses: Mutex<Vec<(u64, u64)>>,
    /// The newest signed checkpoint.
    checkpoint: Mutex<Option<crate::checkpoint::Checkpoint>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    head: watch::Receiver<ChainHead>,
    failure: watch::Receiver<Option<String>>,
    /// Where a read that finds the log's disk failed says so (sled reports a failed background
    /// write of its buffers on later reads): the writer takes it up as its own failure.
    failure_tx: Arc<watch::Sender<Option<String>>>,
    /// The writer stopped on a refusal of the log, not a failed flush ([`Writer::refused`]).
    refused: Arc<std::sync::atomic::AtomicBool>,
    instances: crate::Instances,
    /// `read_models`: the marker, and a repair not yet on the record ([`drift`]).
    meta: sled::Tree,
    /// A replica of PostgreSQL's log (several hubs), not a log of its own.
    replica: bool,
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        match e {
            sled::Error::Io(io) => StoreError::Io(io),
            other => StoreError::Database(other.to_string()),
        }
    }
}

fn key2(a: &str, b: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(a.len() + b.len() + 1);
    k.extend_from_slice(a.as_bytes());
    k.push(0);
    k.extend_from_slice(b.as_bytes());
    k
}

/// Opens sled, waiting up to five seconds for a previous holder of the data directory to let go:
/// sled keeps its file lock until its background threads have finished, which can outlast the drop of
/// the last handle (an in-process restart, or a new hub starting while the old one exits).
pub(crate) fn open_db(path: &Path) -> Result<sled::Db, StoreError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match sled::Config::new().path(path).open() {
            Err(sled::Error::Io(e)) if e.to_string().contains("could not acquire lock") => {
                if std::time::Instant::now() >= deadline {
                    return Err(StoreError::Io(std::io::Error::other(format!(
                        "{} is in use by another hub (its lock was not released within 5 s)",
                        path.display()
                    ))));
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other.map_err(StoreError::from),
        }
    }
}

/// sled writes a snapshot as `snap.<lsn>.generating` and renames it when complete; one left by an
/// interrupted start is read as a snapshot and refused as corrupt. It is incomplete by construction,
/// so it is moved to `set-aside/` (never deleted) and sled rebuilds from its log.
fn set_aside_partial_snapshots(data_dir: &Path) -> Result<(), StoreError> {
    let log = data_dir.join("log");
    let Ok(entries) = std::fs::read_dir(&log) else {
        return Ok(());
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !(name.starts_with("snap.") && name.ends_with(".generating")) {
            continue;
        }
        let aside = data_dir.join("set-aside");
        std::fs::create_dir_all(&aside)?;
        let to = aside.join(format!(
            "{name}.{}",
            Utc::now().format("%Y%m%dT%H%M%S%.3fZ")
        ));
        std::fs::rename(entry.path(), &to)?;
        tracing::warn!(from = %entry.path().display(), to = %to.display(), "an unfinished sled snapshot from an interrupted start was set aside");
    }
    Ok(())
}

/// The number the first of `events` gets: the next one, except after an accepted loss, whose entry
/// takes the number after the lost range so that no lost number is issued again.
fn first_number(events: &[Event], next: u64) -> Result<u64, StoreError> {
    match events.first().and_then(crate::chain::accepted_loss) {
        None => Ok(next),
        Some((first, last)) if first == next && first <= last => Ok(last + 1),
        Some((first, last)) => Err(StoreError::Database(format!(
            "an accepted loss of entries {first}–{last} must start at the log's next entry {next}"
        ))),
    }
}

/// Walks the whole event log of a data directory that no hub is serving (a copy, or a stopped
/// hub's) and returns its head, or the first entry that does not verify and why.
pub fn verify_log(data_dir: &Path) -> Result<ChainHead, StoreError> {
    require_log_dir(data_dir)?;
    audit_log(data_dir, &[]).map(|(head, _)| head)
}

/// Refuses a data directory without a sled log (a wrong path, or a hub that never started there).
pub(crate) fn require_log_dir(data_dir: &Path) -> Result<(), StoreError> {
    if data_dir.join("log").is_dir() {
        return Ok(());
    }
    Err(StoreError::Io(std::io::Error::new(
        std::io::ErrorKind::NotFound,
        format!(
            "{} holds no event log (no log/ directory)",
            data_dir.display()
        ),
    )))
}

/// Like [`verify_log`], also giving the hashes of the entries in `wanted` that the log has (to
/// compare with checkpoints). sled may rewrite a damaged log when it opens it: audit a copy.
pub fn audit_log(
    data_dir: &Path,
    wanted: &[u64],
) -> Result<(ChainHead, std::collections::BTreeMap<u64, [u8; 32]>), StoreError> {
    audit_log_with_losses(data_dir, wanted).map(|(head, hashes, _)| (head, hashes))
}

/// [`audit_log`], also giving the ranges an operator accepted as lost.
pub(crate) fn audit_log_with_losses(
    data_dir: &Path,
    wanted: &[u64],
) -> Result<LogAuditParts, StoreError> {
    let db = open_db(&data_dir.join("log"))?;
    let events = db.open_tree("events")?;
    let mut verifier = ChainVerifier::default();
    let mut hashes = std::collections::BTreeMap::new();
    let mut losses = Vec::new();
    // Every checkpoint's entry may be wanted: a set, not a scan per entry.
    let wanted: std::collections::HashSet<u64> = wanted.iter().copied().collect();
    for item in &events {
        let (k, v) = item?;
        let entry = verifier.push(&k, &v)?;
        if wanted.contains(&entry.seq) {
            hashes.insert(entry.seq, entry.hash);
        }
        losses.extend(crate::chain::accepted_loss(&entry.event));
    }
    Ok((verifier.head(), hashes, losses))
}

impl SledStore {
    /// Opens the store under `data_dir` (sled in `log/`, blobs in `blobs/`), verifies the whole
    /// chain and starts the writer. A log that does not verify is refused, naming the first bad entry.
    pub fn open(data_dir: &Path) -> Result<SledStore, StoreError> {
        let (opened, _) = Opened::read(data_dir)?;
        opened.read_models_current(Drift::Check)?;
        Ok(opened.start(None, crate::Instances::alone()?)?.0)
    }
}

/// Whether an open holds the read models against the log ([`drift`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Drift {
    /// Every open a hub serves from.
    Check,
    /// Not held: an instance's replica on PostgreSQL (`open_replicated` says why).
    Later,
}

/// A data directory read and verified, its writer not yet started.
struct Opened {
    db: sled::Db,
    trees: Trees,
    blobs: BlobStore,
    head: ChainHead,
    orphans: std::collections::HashSet<String>,
    losses: Vec<(u64, u64)>,
    /// How many entries the log holds.
    entries: u64,
}

impl Opened {
    /// Opens sled and the blobs under `data_dir` and verifies the whole log; returns it with its
    /// head.
    fn read(data_dir: &Path) -> Result<(Opened, ChainHead), StoreError> {
        std::fs::create_dir_all(data_dir)?;
        let blobs = BlobStore::open(data_dir.join("blobs"))?;
        set_aside_partial_snapshots(data_dir)?;
        let db = open_db(&data_dir.join("log")).map_err(|e| explain_open_error(data_dir, e))?;
        let trees = Trees::open(&db)?;
        let mut verifier = ChainVerifier::default();
        let mut orphans = blobs.names()?;
        let mut losses = Vec::new();
        let mut entries = 0;
        for item in &trees.events {
            let (k, v) = item?;
            let entry = verifier.push(&k, &v)?;
            entries += 1;
            losses.extend(crate::chain::accepted_loss(&entry.event));
            if !orphans.is_empty() {
                for digest in crate::blobs::hex_digests(&entry.body) {
                    orphans.remove(digest);
                }
            }
        }
        let head = verifier.head();
        tracing::info!(seq = head.seq, hash = %hex::encode(head.hash), "event log verified");
        let opened = Opened {
            db,
            trees,
            blobs,
            head,
            orphans,
            losses,
            entries,
        };
        Ok((opened, head))
    }

    /// Rebuilds the read models from the log unless this build's projections wrote them and
    /// applied all of it (`rebuild`); if they did, holds them against a fresh projection of the
    /// log and rebuilds them if they differ (`drift`).
    fn read_models_current(&self, drift: Drift) -> Result<(), StoreError> {
        let (events, entries) = (&self.trees.events, self.entries);
        let rebuilt = rebuild::ensure_current(&self.db, events, entries, self.head.seq)?;
        if rebuilt.is_none() && drift == Drift::Check {
            drift::hold_against_log(&self.db, events, entries)?;
        }
        Ok(())
    }

    /// Starts the writer (a replica of `upstream` when given); returns the store and the writer's
    /// queue.
    fn start(
        self,
        upstream: Option<replica::Upstreamed>,
        instances: crate::Instances,
    ) -> Result<(SledStore, mpsc::WeakUnboundedSender<Job>), StoreError> {
        let (head_tx, head_rx) = watch::channel(self.head);
        let (failure_tx, failure_rx) = watch::channel(None);
        let failure_tx = Arc::new(failure_tx);
        let refused = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (tx, rx) = mpsc::unbounded_channel();
        let layout = writer::TreeLayout::open(&self.db)?;
        let replica = upstream.is_some();
        let meta = self.db.open_tree(rebuild::META)?;
        let writer = Writer {
            db: self.db,
            trees: self.trees.clone(),
            layout,
            next_seq: self.head.seq + 1,
            prev: self.head.hash,
            head_tx,
            failure_tx: failure_tx.clone(),
            poisoned: None,
            refused: refused.clone(),
            blobs: self.blobs.clone(),
            last_at: self.head.recorded_at,
            upstream,
        };
        let handle = std::thread::Builder::new()
            .name("ecenter-log-writer".into())
            .spawn(move || writer.run(rx))?;
        let weak = tx.downgrade();
        let store = SledStore {
            inner: Arc::new(Inner {
                trees: self.trees,
                blobs: self.blobs,
                jobs: Mutex::new(Some(tx)),
                orphans: Mutex::new(self.orphans),
                losses: Mutex::new(self.losses),
                checkpoint: Mutex::new(None),
                writer: Mutex::new(Some(handle)),
                head: head_rx,
                failure: failure_rx,
                failure_tx,
                refused,
                instances,
                meta,
                replica,
            }),
        };
        Ok((store, weak))
    }
}

impl SledStore {
    /// Removes the blobs no log entry named when the store opened: bytes of refused or abandoned
    /// uploads of an earlier run (a crash between placing and recording). Call it once the log is
    /// known to be whole (checked against its checkpoints), never on a log that lost entries.
    /// Returns the files and bytes removed.
    /// With `set_aside`, they are moved there instead (see [`BlobStore::remove_unreferenced`]).
    pub fn remove_orphan_blobs(&self, set_aside: Option<&Path>) -> Result<(u64, u64), StoreError> {
        let orphans = std::mem::take(&mut *self.inner.orphans.lock().expect("orphans lock"));
        if orphans.is_empty() {
            return Ok((0, 0));
        }
        let removed = self
            .inner
            .blobs
            .remove_unreferenced(&|name| !orphans.contains(name), set_aside)?;
        match set_aside {
            Some(dir) => tracing::warn!(
                files = removed.0,
                bytes = removed.1,
                to = %dir.display(),
                "documents no log entry names set aside (a refused or interrupted upload's, or \
                 those of entries a restore or an accepted loss took from the log: evidence)"
            ),
            None => tracing::warn!(
                files = removed.0,
                bytes = removed.1,
                "documents no log entry names removed (left by refused or interrupted uploads)"
            ),
        }
        Ok(removed)
    }

    /// [`EventLog::close`] for a caller that may block: stops the writer after its last batch and
    /// says whether everything it acknowledged is durable.
    pub fn close_blocking(&self) -> Result<(), StoreError> {
        drop(self.inner.jobs.lock().expect("jobs lock").take());
        let handle = self.inner.writer.lock().expect("writer lock").take();
        if let Some(handle) = handle {
            handle
                .join()
                .map_err(|_| StoreError::Database("the log writer panicked".into()))?;
        }
        match self.inner.failure.borrow().clone() {
            // Nothing was in flight: the log was refused, and every write since with it.
            Some(reason)
                if self
                    .inner
                    .refused
                    .load(std::sync::atomic::Ordering::Relaxed) =>
            {
                Err(StoreError::Poisoned(reason))
            }
            Some(reason) => Err(StoreError::FlushFailed(reason)),
            None => Ok(()),
        }
    }

    /// A read of the log that failed on the disk: sled met a failed write of its buffers (a full
    /// disk) — so the log stops taking changes, as after a failed flush, and the caller is told
    /// so rather than that nothing was recorded (an entry just acknowledged is read back here).
    fn read_failed(&self, e: sled::Error) -> StoreError {
        let sled::Error::Io(io) = e else {
            return e.into();
        };
        let reason = flush_reason(&StoreError::Io(io));
        tracing::error!(%reason, "the event log could not be read; refusing further writes");
        self.inner.failure_tx.send_if_modified(|f| {
            let first = f.is_none();
            if first {
                *f = Some(reason.clone());
            }
            first
        });
        StoreError::FlushFailed(reason)
    }

    /// The entry ranges an operator accepted as lost, as recorded in the log.
    pub fn accepted_losses(&self) -> Vec<(u64, u64)> {
        self.inner.losses.lock().expect("losses lock").clone()
    }

    /// The stored hash of entry `seq` (the log was verified when the store opened).
    pub fn entry_hash(&self, seq: u64) -> Result<Option<[u8; 32]>, StoreError> {
        Ok(self
            .inner
            .trees
            .events
            .get(entry_key(seq))?
            .and_then(|v| v.get(..32).and_then(|h| <[u8; 32]>::try_from(h).ok())))
    }

    fn page(
        &self,
        index: &sled::Tree,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
        keep: impl Fn(&Filing) -> bool,
    ) -> Result<FilingPage, StoreError> {
        let mut start = key2(prefix, after.unwrap_or(""));
        if after.is_some() {
            start.push(0);
        }
        let mut end = prefix.as_bytes().to_vec();
        end.push(1);
        let found = index
            .range(start..end)
            .filter_map(|item| self.indexed_filing(prefix, item).transpose());
        page_of(found, limit, keep)
    }

    /// The filing an index entry under `prefix` names (`None`: there is no such filing).
    fn indexed_filing(
        &self,
        prefix: &str,
        item: sled::Result<(sled::IVec, sled::IVec)>,
    ) -> Result<Option<Filing>, StoreError> {
        let (k, _) = item?;
        let id = std::str::from_utf8(&k[prefix.len() + 1..])
            .map_err(|e| StoreError::Database(e.to_string()))?;
        self.filing(id)
    }
}

/// A page of the filings `found` yields in id order: those `keep` accepts, at most `limit`, and
/// the id to continue after when another follows.
fn page_of(
    found: impl Iterator<Item = Result<Filing, StoreError>>,
    limit: usize,
    keep: impl Fn(&Filing) -> bool,
) -> Result<FilingPage, StoreError> {
    let mut filings = Vec::new();
    let mut next_after = None;
    for f in found {
        let f = f?;
        if !keep(&f) {
            continue;
        }
        if filings.len() == limit {
            next_after = filings.last().map(|f: &Filing| f.filing_id.clone());
            break;
        }
        filings.push(f);
    }
    Ok(FilingPage {
        filings,
        next_after,
    })
}

impl EventLog for SledStore {
    async fn append<T: Send + 'static>(
        &self,
        decide: Decide<T>,
    ) -> Result<(Vec<Appended>, T), StoreError> {
        let slot: Arc<Mutex<Option<T>>> = Arc::new(Mutex::new(None));
        let out = slot.clone();
        let job_decide = Box::new(move |view: &dyn ReadView| {
            let (events, value) = decide(view)?;
            *out.lock().expect("slot lock") = Some(value);
            Ok(events)
        });
        let (reply_tx, reply_rx) = oneshot::channel();
        {
            let jobs = self.inner.jobs.lock().expect("jobs lock");
            let sender = jobs.as_ref().ok_or(StoreError::ShuttingDown)?;
            sender
                .send((job_decide, reply_tx))
                .map_err(|_| StoreError::ShuttingDown)?;
        }
        // A job once queued is always answered, on shutdown too (the writer drains its queue):
        // no answer means the writer stopped in the middle, perhaps after writing it.
        let appended = reply_rx.await.map_err(|_| StoreError::WriterLost)??;
        let value = slot
            .lock()
            .expect("slot lock")
            .take()
            .ok_or(StoreError::ShuttingDown)?;
        Ok((appended, value))
    }

    fn entries_after(&self, after: u64, limit: usize) -> Result<Vec<StoredEntry>, StoreError> {
        let durable = self.head().seq;
        let mut out = Vec::new();
        if after >= durable {
            return Ok(out);
        }
        for item in self
            .inner
            .trees
            .events
            .range(entry_key(after + 1)..=entry_key(durable))
            .take(limit)
        {
            let (k, v) = item.map_err(|e| self.read_failed(e))?;
            out.push(decode_entry(&k, &v)?);
        }
        Ok(out)
    }

    fn head(&self) -> ChainHead {
        *self.inner.head.borrow()
    }

    fn subscribe(&self) -> watch::Receiver<ChainHead> {
        self.inner.head.clone()
    }

    async fn caught_up(&self) -> Result<(), StoreError> {
        if !self.inner.replica {
            return Ok(());
        }
        // A batch of no events: the writer starts every batch by copying what PostgreSQL
        // committed up to its head, and projecting it.
        self.append(Box::new(|_: &dyn ReadView| Ok((Vec::new(), ()))))
            .await
            .map(drop)
    }

    async fn wait_durable(&self, seq: u64) -> Result<(), StoreError> {
        let mut rx = self.inner.head.clone();
        let mut failure = self.inner.failure.clone();
        tokio::select! {
            biased;
            durable = rx.wait_for(|h| h.seq >= seq) => durable.map(|_| ()).map_err(|_| StoreError::ShuttingDown),
            why = failure.wait_for(Option::is_some) => if self.inner.head.borrow().seq >= seq {
                Ok(())
            } else {
                let why = why.map(|w| w.clone().unwrap_or_default()).unwrap_or_default();
                Err(StoreError::Poisoned(why))
            },
        }
    }

    fn write_failure(&self) -> watch::Receiver<Option<String>> {
        self.inner.failure.clone()
    }

    fn latest_checkpoint(&self) -> Option<crate::checkpoint::Checkpoint> {
        let own = self
            .inner
            .checkpoint
            .lock()
            .expect("checkpoint lock")
            .clone();
        let head = self.inner.head.borrow().seq;
        (self.inner.instances).to_name(own, head, |seq| self.entry_hash(seq).ok().flatten())
    }

    fn set_latest_checkpoint(&self, checkpoint: crate::checkpoint::Checkpoint) {
        *self.inner.checkpoint.lock().expect("checkpoint lock") = Some(checkpoint);
    }

    fn blobs(&self) -> &BlobStore {
        &self.inner.blobs
    }

    fn instances(&self) -> &crate::Instances {
        &self.inner.instances
    }

    async fn close(&self) -> Result<(), StoreError> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.close_blocking())
            .await
            .map_err(|e| StoreError::Io(std::io::Error::other(e)))?
    }
}

impl FilingReads for SledStore {
    fn filing(&self, filing_id: &str) -> Result<Option<Filing>, StoreError> {
        self.inner
            .trees
            .filings
            .get(filing_id)?
            .map(|v| decode_filing(&v))
            .transpose()
    }

    fn list_filings(
        &self,
        filter: &FilingFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<FilingPage, StoreError> {
        let keep = |f: &Filing| {
            filter.state.is_none_or(|s| f.state == s)
                && filter.submitter.as_ref().is_none_or(|s| &f.submitter == s)
                && filter
                    .department
                    .as_ref()
                    .is_none_or(|d| &f.department == d)
                && filter
                    .case_number
                    .as_ref()
                    .is_none_or(|c| f.case_number.as_ref().is_some_and(|n| &n.normalized() == c))
        };
        let t = &self.inner.trees;
        if let Some(case) = &filter.case_number {
            return self.page(&t.by_case, case, after, limit, keep);
        }
        if let Some(submitter) = &filter.submitter {
            return self.page(&t.by_submitter, submitter, after, limit, keep);
        }
        let start = after.map(|a| {
            let mut k = a.as_bytes().to_vec();
            k.push(0);
            k
        });
        let iter = match start {
            Some(s) => t.filings.range(s..),
            None => t.filings.iter(),
        };
        page_of(iter.map(|item| decode_filing(&item?.1)), limit, keep)
    }

    fn department_queue(
        &self,
        department: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<FilingPage, StoreError> {
        self.page(&self.inner.trees.queues, department, after, limit, |f| {
            f.state.is_queued()
        })
    }
}
