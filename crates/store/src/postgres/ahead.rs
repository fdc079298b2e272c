//! Documents sent to PostgreSQL ahead of the batches that will name them, on a thread and a
//! connection of their own.
//!
//! A request puts its documents in place before it queues its decision. Storing them in
//! PostgreSQL is the slowest part of a batch (docs/PERFORMANCE.md); done by the writer, it would
//! sit between every two batches, and done under the head it would hold up every instance. So
//! each placement is handed to this thread at once, which stores it — and syncs the blob
//! directory — while the writer works on the batch before; before it asks for the head, the
//! writer waits until what was placed before its batch has gone ([`Ahead::flush`]). Whatever is
//! still missing when the batch commits (the thread's connection failed), the writer stores in
//! the batch's own transaction, checked as always: this thread only saves time.
//!
//! A document sent ahead for a request that is then refused is named by nothing. Each one sent
//! is listed in `ecenter_blobs_ahead` until an entry naming it commits (the append deletes the
//! row in its own transaction); what is still listed after [`UNNAMED_KEPT`] is deleted
//! ([`Upstream::sweep_unnamed`], under the head, so that no batch can be committing a name for it
//! meanwhile). A refused filing's documents do not outlive it in the database for long.

use super::Upstream;
use crate::StoreError;
use crate::blobs::BlobStore;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// How long a document sent ahead may stay unnamed before it is deleted: far longer than any
/// batch, a commit in doubt included, takes to name it.
pub(crate) const UNNAMED_KEPT: Duration = Duration::from_secs(24 * 3600);

/// How often the thread deletes what stayed unnamed (and once at start), and how soon again when
/// a pass left some (each pass is short: the thread sends nothing meanwhile).
const SWEEP_EVERY: Duration = Duration::from_secs(3600);
const SWEEP_AGAIN: Duration = Duration::from_secs(60);

enum Job {
    /// A request put this blob in place.
    Placed(String),
    /// Answer once everything placed before is sent (or found there, or given up on).
    Flush(mpsc::SyncSender<()>),
}

/// The sending thread's inbox. Dropping it ends the thread (the placement hook holds only a weak
/// reference), which closes its connection.
pub(crate) struct Ahead {
    jobs: Arc<mpsc::Sender<Job>>,
}

impl Ahead {
    /// Connects (the schema already applied by the writer's connection) and starts sending every
    /// blob placed in `blobs` from now on.
    pub(crate) fn spawn(
        config: &super::PostgresConfig,
        blobs: &BlobStore,
    ) -> Result<Ahead, StoreError> {
        let mut link = Upstream::connect_only(config)?;
        link.session_settings()?;
        let (tx, rx) = mpsc::channel();
        let jobs = Arc::new(tx);
        let hook: Weak<mpsc::Sender<Job>> = Arc::downgrade(&jobs);
        blobs.on_placed(Box::new(move |sha256: &str| {
            if let Some(jobs) = hook.upgrade() {
                let _ = jobs.send(Job::Placed(sha256.to_string()));
            }
        }));
        let blobs = blobs.clone();
        std::thread::Builder::new()
            .name("ecenter-documents-ahead".into())
            .spawn(move || run(link, &blobs, &rx))?;
        Ok(Ahead { jobs })
    }

    /// Asks to be told once every blob placed before this call has been sent, found in
    /// PostgreSQL or given up on: the answer arrives on the receiver, which disconnects if the
    /// thread is gone. `None`: the thread is gone already.
    pub(crate) fn flush(&self) -> Option<mpsc::Receiver<()>> {
        let (done, wait) = mpsc::sync_channel(1);
        self.jobs.send(Job::Flush(done)).ok().map(|()| wait)
    }
}

fn run(mut link: Upstream, blobs: &BlobStore, jobs: &mpsc::Receiver<Job>) {
    let mut next_sweep = Instant::now();
    loop {
        if Instant::now() >= next_sweep {
            let more = sweep(&mut link);
            next_sweep = Instant::now() + if more { SWEEP_AGAIN } else { SWEEP_EVERY };
        }
        let first = match jobs.recv_timeout(next_sweep.saturating_duration_since(Instant::now())) {
            Ok(job) => job,
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        };
        let mut placed = BTreeSet::new();
        let mut flushes = Vec::new();
        for job in std::iter::once(first).chain(jobs.try_iter()) {
            match job {
                Job::Placed(sha256) => {
                    placed.insert(sha256);
                }
                Job::Flush(done) => flushes.push(done),
            }
        }
        if !placed.is_empty() {
            if let Err(e) = send(&mut link, blobs, placed) {
                tracing::warn!(error = %e, "documents could not be sent ahead of their batch; they go with it");
            }
            // The writer syncs the blob directory before its batch too; done here, that sync
            // finds nothing left to do.
            if let Err(e) = blobs.sync() {
                tracing::warn!(error = %e, "placed documents could not be synced ahead of their batch");
            }
        }
        for done in flushes {
            let _ = done.try_send(());
        }
    }
}

/// Stores those of `placed` PostgreSQL lacks and that are sound on disk: stored under its name for
/// good, so only bytes that hash to it go (a blob a refused request removed is gone). The upload
/// hashes each again as it reads it, and a round that meets one damaged since fails whole.
fn send(
    link: &mut Upstream,
    blobs: &BlobStore,
    placed: BTreeSet<String>,
) -> Result<(), StoreError> {
    link.reconnect_if_lost()?;
    let placed: Vec<String> = placed.into_iter().collect();
    let held = link.blobs_held(&placed)?;
    let new: Vec<(String, PathBuf)> = placed
        .into_iter()
        .filter(|d| !held.contains(d))
        .filter(|d| matches!(blobs.verify(d), Ok(true)))
        .map(|d| {
            let path = blobs.path(&d);
            (d, path)
        })
        .collect();
    link.upload_ahead(&new)
}

/// Deletes what was sent ahead and stayed unnamed for [`UNNAMED_KEPT`]; whether some may be left.
fn sweep(link: &mut Upstream) -> bool {
    match link
        .reconnect_if_lost()
        .and_then(|()| link.sweep_unnamed(UNNAMED_KEPT))
    {
        Ok((0, more)) => more,
        Ok((n, more)) => {
            tracing::info!(
                documents = n,
                "deleted documents sent ahead for requests that were refused"
            );
            more
        }
        Err(e) => {
            tracing::warn!(error = %e, "documents sent ahead and never named could not be deleted; next time");
            false
        }
    }
}
