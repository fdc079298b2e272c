//! Documents sent to PostgreSQL ahead of the batches that will name them, on a thread and a
//! connection of their own.
//!
//! A request puts its documents in place before it queues its decision. Storing them in
//! PostgreSQL is the slowest part of a batch (docs/PERFORMANCE.md); done by the writer, it would
//! sit between every two batches, and done under the head it would hold up every instance. So
//! each placement is handed to this thread at once, which stores it while the writer works on the
//! batch before; the writer only waits, before it asks for the head, until what was placed before
//! its batch has gone ([`Ahead::flush`]), and synced on this hub's disk. Whatever is still missing
//! when the batch commits, the writer stores in the batch's own transaction, checked as always,
//! and it syncs the blob directory itself before the head is taken: this thread only saves time.

use super::Upstream;
use crate::StoreError;
use crate::blobs::BlobStore;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Weak};
use std::time::Duration;

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

    /// Waits at most `within` until every blob placed before this call has been sent, found in
    /// PostgreSQL or given up on; returns whether that happened in time.
    pub(crate) fn flush(&self, within: Duration) -> bool {
        let (done, wait) = mpsc::sync_channel(1);
        self.jobs.send(Job::Flush(done)).is_ok() && wait.recv_timeout(within).is_ok()
    }
}

fn run(mut link: Upstream, blobs: &BlobStore, jobs: &mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
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
        if !placed.is_empty()
            && let Err(e) = send(&mut link, blobs, placed)
        {
            tracing::warn!(error = %e, "documents could not be sent ahead of their batch; they go with it");
        }
        // The writer syncs the blob directory before its batch too; done here, while it works
        // on the batch before, that sync finds nothing left to do.
        if !flushes.is_empty()
            && let Err(e) = blobs.sync()
        {
            tracing::warn!(error = %e, "placed documents could not be synced ahead of their batch");
        }
        for done in flushes {
            let _ = done.try_send(());
        }
    }
}

/// Stores those of `placed` PostgreSQL lacks and that are sound on disk (stored under its name
/// for good: only bytes that hash to it go; a blob a refused request removed is gone).
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
