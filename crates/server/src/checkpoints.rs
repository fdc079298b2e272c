//! Signed checkpoints of the log (see `ecenter_store::checkpoint` for the format): the start-up
//! check that refuses a log shorter than, or different from, its last checkpoint, and the task that
//! signs the durable head after batches — when a second has passed since the last checkpoint, or
//! sooner once `every_entries` entries are unsigned — and once more at a graceful stop.
//!
//! Several instances on PostgreSQL each sign their own replica into their own files (the start-up
//! check needs them), but the chain's checkpoints are those of one signer: the instance holding
//! the signing lease (`ecenter_store::Instances::signs`) publishes each of its checkpoints in the
//! database, and the others name the newest published one. When the signer stops, the next
//! instance to take the lease publishes its newest checkpoint within an interval, and every one
//! after it.
//!
//! What start-up makes of the checkpoint files is [`crate::checkpoint_policy`].

use crate::checkpoint_policy;
use crate::loss::PendingLoss;
use chrono::Utc;
use ecenter_store::checkpoint::{
    self, Checkpoint, CheckpointError, CheckpointFile, CheckpointSigner,
};
use ecenter_store::{ChainHead, EventLog, EventStore, SledStore};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// `[checkpoints]`: how often the hub signs its log head, with which key, and who else keeps a copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckpointConfig {
    /// The hub's checkpoint key (PKCS#8 PEM, ECDSA P-256). Default: `checkpoints/hub.key` in the
    /// data directory, made at the first start — keep a production key on other storage.
    pub key_file: Option<PathBuf>,
    /// Least time between two checkpoints, in milliseconds (default 1000).
    pub interval_ms: u64,
    /// Most entries left unsigned: a checkpoint is made sooner when this many arrived (default 1000).
    pub every_entries: u64,
    /// Witness directories, on other storage than the data directory: each gets every checkpoint
    /// (synced) and is compared with the log at start-up.
    pub witness_dirs: Vec<PathBuf>,
    /// The court's archive address: new checkpoints are mailed there through `[service.smtp]`.
    pub archive_email: Option<String>,
    /// Seconds between two such mails (default 3600).
    pub email_interval_secs: u64,
}

impl Default for CheckpointConfig {
    fn default() -> Self {
        CheckpointConfig {
            key_file: None,
            interval_ms: 1000,
            every_entries: 1000,
            witness_dirs: Vec::new(),
            archive_email: None,
            email_interval_secs: 3600,
        }
    }
}

/// Signs and writes checkpoints; made by [`open`] once the log agrees with the checkpoints.
pub struct Checkpointer {
    store: SledStore,
    signer: CheckpointSigner,
    files: Vec<CheckpointFile>,
    next_number: u64,
    last_seq: u64,
    interval: Duration,
    every_entries: u64,
    seals: Option<Arc<ecenter_api::seal::SealContext>>,
    /// The newest checkpoint written, and the number of the last one published.
    last: Option<Checkpoint>,
    published: u64,
}

/// Why the log and its checkpoints cannot be served.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct EvidenceRefused(pub String);

impl From<CheckpointError> for EvidenceRefused {
    fn from(e: CheckpointError) -> Self {
        EvidenceRefused(e.to_string())
    }
}

/// What the checkpoint files are judged against at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vouching {
    /// The data directory's log as it stands (sled, or a replica this instance signed before).
    TheLog,
    /// A replica a new instance just built from PostgreSQL: this instance never signed any of
    /// it, so it is judged as a new data directory (PostgreSQL's chain vouches for the entries),
    /// gets its key, and signs its head at once.
    ANewReplica,
}

/// Checks the log against every checkpoint file (see [`crate::checkpoint_policy`]), brings the
/// files to the best history and readies the signer; a new hub gets its key and a first checkpoint
/// at once, so that a file emptied later is always noticed.
pub fn open(
    store: &SledStore,
    data_dir: &Path,
    config: &CheckpointConfig,
    seals: Option<Arc<ecenter_api::seal::SealContext>>,
    pending: Option<&PendingLoss>,
    vouching: Vouching,
) -> Result<Checkpointer, EvidenceRefused> {
    // The same files `precheck` examined just before the store opened.
    let examined =
        checkpoint_policy::examine(data_dir, config).map_err(|e| EvidenceRefused(e.to_string()))?;
    let head = store.head();
    let mut accepted = store.accepted_losses();
    accepted.extend(pending.map(|p| (p.accepted.first, p.accepted.last)));
    let judged = match vouching {
        Vouching::TheLog => head,
        Vouching::ANewReplica => ChainHead::empty(),
    };
    let verdict = examined.judge(
        &judged,
        |seq| store.entry_hash(seq).ok().flatten(),
        &accepted,
    )?;
    checkpoint_policy::reconcile(&examined, &verdict)?;
    if let Some(cp) = &verdict.newest {
        tracing::info!(
            checkpoint = cp.number,
            seq = cp.seq,
            "the event log agrees with its last signed checkpoint"
        );
    }
    let key_file = examined.key_file.clone();
    let signer = match examined.signer {
        Some(s) => s,
        None => CheckpointSigner::load(&key_file, true)?,
    };
    let mut files = vec![CheckpointFile::open(
        &checkpoint::local_dir(data_dir),
        &signer,
    )?];
    for dir in &config.witness_dirs {
        files.push(CheckpointFile::open(dir, &signer)?);
    }
    if let Some(cp) = &verdict.newest {
        store.set_latest_checkpoint(cp.clone());
    }
    let mut checkpointer = Checkpointer {
        store: store.clone(),
        signer,
        files,
        next_number: verdict.last_number + 1,
        last_seq: verdict.newest.as_ref().map_or(0, |c| c.seq),
        interval: Duration::from_millis(config.interval_ms.max(10)),
        every_entries: config.every_entries.max(1),
        seals,
        last: verdict.newest.clone(),
        published: 0,
    };
    if checkpointer.next_number == 1 {
        checkpointer.write(&head)?;
    }
    Ok(checkpointer)
}

impl Checkpointer {
    /// Signs `head` (with a timestamp when the hub has a TSA) and appends it to every file.
    pub fn write(&mut self, head: &ChainHead) -> Result<Checkpoint, CheckpointError> {
        let mut cp = self.signer.sign(self.next_number, head, Utc::now());
        if let Some(seals) = self.seals.as_ref().filter(|s| s.timestamps())
            && let Ok(sig) = cp.signature_der()
        {
            match seals.timestamp(&sig, std::time::SystemTime::now()) {
                Some(Ok(token)) => {
                    use base64::Engine;
                    cp.timestamp = Some(base64::engine::general_purpose::STANDARD.encode(token));
                }
                Some(Err(e)) => tracing::warn!(error = %e, "checkpoint left without a timestamp"),
                None => {}
            }
        }
        self.append_everywhere(&cp)?;
        self.store.set_latest_checkpoint(cp.clone());
        self.next_number += 1;
        self.last_seq = head.seq;
        self.last = Some(cp.clone());
        self.publish_if_signing();
        Ok(cp)
    }

    /// Appends `cp` to every file, or to none: when one refuses it (a witness's full disk), the
    /// files that took it are cut back, so the next checkpoint, with the same number, is the next
    /// line of each (a number written twice would be refused as an edit at the next start).
    fn append_everywhere(&mut self, cp: &Checkpoint) -> Result<(), CheckpointError> {
        let marks = (self.files.iter())
            .map(CheckpointFile::bytes)
            .collect::<Result<Vec<_>, _>>()?;
        for i in 0..self.files.len() {
            if let Err(e) = self.files[i].append(cp) {
                for (f, mark) in self.files[..i].iter_mut().zip(&marks) {
                    if let Err(undo) = f.truncate_to(*mark) {
                        tracing::error!(error = %undo, "a checkpoint written to one file could not be taken back");
                    }
                }
                return Err(e);
            }
        }
        Ok(())
    }

    /// Publishes the newest checkpoint written, if this instance signs for the chain (one of
    /// several holding the signing lease; one hub alone has nothing to publish to) and has not
    /// published it yet — unless it names an earlier entry than one already published (a new
    /// signer whose replica was behind): the series never goes back.
    fn publish_if_signing(&mut self) {
        let instances = self.store.instances();
        if let Some(cp) = self.last.as_ref().filter(|cp| cp.number > self.published)
            && instances.signs()
        {
            if instances.published().is_none_or(|p| p.seq <= cp.seq) {
                instances.publish(cp, &self.signer.public_key_pem());
            }
            self.published = cp.number;
        }
    }

    /// Signs the durable head when it moved: what a graceful stop does after the final flush.
    /// Then publishes it, if this instance signs for the chain, and gives up the signing lease
    /// for a running instance to take (waiting for both, 3 s at most).
    pub fn finish(&mut self, head: &ChainHead) -> Result<(), CheckpointError> {
        if head.seq > self.last_seq || self.next_number == 1 {
            self.write(head)?;
        }
        self.store.instances().finish_signing();
        Ok(())
    }

    /// Follows the durable head until `stop`, signing it after batches (see the module docs);
    /// wants the signing lease meanwhile and, while not holding it, looks every interval whether
    /// it has it now. Returns the checkpointer for the final checkpoint.
    ///
    /// A checkpoint a file refuses (a witness's disk full or gone) is tried again after a wait
    /// that doubles with each failure in a row, from the interval up to [`MOST_RETRY_WAIT`], so a
    /// witness that stays full costs one error line a minute, not a busy core; the log itself is
    /// not held up, and `stop` is honoured during the wait.
    pub async fn run<S: EventStore>(
        mut self,
        store: Arc<S>,
        mut stop: watch::Receiver<bool>,
    ) -> Self {
        let mut heads = store.subscribe();
        self.store.instances().want_to_sign(true);
        let mut failures = 0u32;
        loop {
            let head = *heads.borrow_and_update();
            self.publish_if_signing();
            let signs = self.store.instances().signs();
            if head.seq > self.last_seq {
                let wait = match failures {
                    0 if head.seq - self.last_seq >= self.every_entries => None,
                    0 => Some(self.interval),
                    n => Some(retry_wait(self.interval, n)),
                };
                if let Some(wait) = wait {
                    tokio::select! {
                        () = tokio::time::sleep(wait) => {}
                        _ = stop.wait_for(|s| *s) => return self,
                    }
                }
                failures = self.write_or_count(&store.head(), failures);
                continue;
            }
            tokio::select! {
                changed = heads.changed() => if changed.is_err() { return self },
                () = tokio::time::sleep(self.interval), if !signs => {}
                _ = stop.wait_for(|s| *s) => return self,
            }
        }
    }

    /// Writes a checkpoint of `head`; answers the failures in a row after it (0 once written).
    fn write_or_count(&mut self, head: &ChainHead, failures: u32) -> u32 {
        match self.write(head) {
            Ok(_) => {
                if failures > 0 {
                    tracing::info!(failures, "checkpoints are written again");
                }
                0
            }
            Err(e) => {
                let failures = failures.saturating_add(1);
                let retry_in_ms = retry_wait(self.interval, failures).as_millis();
                tracing::error!(
                    error = %e,
                    failures,
                    retry_in_ms,
                    "cannot write a checkpoint (the log itself is not held up)"
                );
                failures
            }
        }
    }
}

/// The longest wait between two tries of a checkpoint that could not be written.
pub const MOST_RETRY_WAIT: Duration = Duration::from_secs(60);

/// How long to wait before trying again after `failures` (≥ 1) failed checkpoints in a row:
/// `interval` doubled for each failure after the first, at most [`MOST_RETRY_WAIT`].
fn retry_wait(interval: Duration, failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    interval.saturating_mul(1 << doublings).min(MOST_RETRY_WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retry_wait_doubles_from_the_interval_up_to_a_minute() {
        let ms = |n| retry_wait(Duration::from_millis(10), n).as_millis();
        assert_eq!([ms(1), ms(2), ms(3), ms(4)], [10, 20, 40, 80]);
        assert_eq!(ms(13), 40_960);
        assert_eq!(ms(14), 60_000);
        assert_eq!(ms(u32::MAX), 60_000);
        let hour = retry_wait(Duration::from_secs(3600), 1);
        assert_eq!(hour, MOST_RETRY_WAIT, "a long interval is still capped");
    }
}
