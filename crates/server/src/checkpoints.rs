//! Signed checkpoints of the log (see `ecenter_store::checkpoint` for the format): the start-up
//! check that refuses a log shorter than, or different from, its last checkpoint, and the task that
//! signs the durable head after batches — when a second has passed since the last checkpoint, or
//! sooner once `every_entries` entries are unsigned — and once more at a graceful stop.
//!
//! Policy for the checkpoint files themselves (docs in ARCHITECTURE.md, "Signed checkpoints"):
//! - the data directory's file is missing while the log has entries: refused, unless a witness
//!   holds a valid file (then it is copied back, with a warning);
//! - the data directory's file does not verify (an edited or forged line): refused, unless a
//!   witness holds a valid file (the damaged one is set aside, the witness's copied back);
//! - a witness that is missing or does not verify: a warning (the witness is started again);
//! - the log is compared with the newest valid checkpoint of all of them.

use chrono::Utc;
use ecenter_store::checkpoint::{
    self, Checkpoint, CheckpointError, CheckpointFile, CheckpointKey, CheckpointSigner,
};
use ecenter_store::{ChainHead, EventStore, SledStore};
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
}

impl Default for CheckpointConfig {
    fn default() -> Self {
        CheckpointConfig {
            key_file: None,
            interval_ms: 1000,
            every_entries: 1000,
            witness_dirs: Vec::new(),
        }
    }
}

/// Signs and writes checkpoints; made by [`open`] once the log agrees with the checkpoints.
pub struct Checkpointer {
    signer: CheckpointSigner,
    files: Vec<CheckpointFile>,
    next_number: u64,
    last_seq: u64,
    interval: Duration,
    every_entries: u64,
    seals: Option<Arc<crate::seal::SealContext>>,
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

struct Found {
    dir: PathBuf,
    result: Result<Option<Vec<Checkpoint>>, CheckpointError>,
}

/// Checks the log against every checkpoint file and readies the signer. Refuses (see the module's
/// policy) a log that is shorter than or differs from the newest valid checkpoint.
pub fn open(
    store: &SledStore,
    data_dir: &Path,
    config: &CheckpointConfig,
    seals: Option<Arc<crate::seal::SealContext>>,
) -> Result<Checkpointer, EvidenceRefused> {
    let local = checkpoint::local_dir(data_dir);
    let key_file = config
        .key_file
        .clone()
        .unwrap_or_else(|| local.join("hub.key"));
    let signer = CheckpointSigner::load(&key_file, config.key_file.is_none())?;
    let key = CheckpointKey::from(&signer);
    let read = |dir: &Path| Found {
        dir: dir.to_path_buf(),
        result: checkpoint::read_file(&dir.join(checkpoint::FILE_NAME), &key),
    };
    let local_found = read(&local);
    let witnesses: Vec<Found> = config.witness_dirs.iter().map(|d| read(d)).collect();
    let head = store.head();
    let best_witness = witnesses
        .iter()
        .filter_map(|w| match &w.result {
            Ok(Some(cps)) => Some((w, cps.last().map_or(0, |c| c.seq))),
            _ => None,
        })
        .max_by_key(|(_, seq)| *seq)
        .map(|(w, _)| w);
    check_local(&local_found, head.seq, best_witness)?;
    for w in &witnesses {
        match &w.result {
            Ok(Some(_)) => {}
            Ok(None) if head.seq == 0 => {}
            Ok(None) => {
                tracing::warn!(witness = %w.dir.display(), "the checkpoint witness holds no checkpoints: it starts again from now")
            }
            Err(e) => {
                tracing::warn!(witness = %w.dir.display(), error = %e, "a checkpoint witness does not verify: it starts again from now")
            }
        }
    }
    let all = std::iter::once(&local_found).chain(witnesses.iter());
    let newest = all
        .filter_map(|f| {
            f.result
                .as_ref()
                .ok()
                .and_then(|o| o.as_ref())
                .and_then(|c| c.last())
        })
        .max_by_key(|c| c.seq)
        .cloned();
    if let Some(cp) = &newest {
        checkpoint::check_log(&head, cp, |seq| store.entry_hash(seq).ok().flatten())?;
        tracing::info!(
            checkpoint = cp.number,
            seq = cp.seq,
            "the event log agrees with its last signed checkpoint"
        );
    }
    let mut files = vec![CheckpointFile::open(&local, &signer)?];
    for w in &witnesses {
        if !matches!(w.result, Ok(Some(_))) {
            set_aside(&w.dir);
        }
        files.push(CheckpointFile::open(&w.dir, &signer)?);
    }
    let next_number = local_found
        .result
        .ok()
        .flatten()
        .and_then(|c| c.last().map(|c| c.number))
        .unwrap_or(0)
        + 1;
    Ok(Checkpointer {
        signer,
        files,
        next_number,
        last_seq: newest.map_or(0, |c| c.seq),
        interval: Duration::from_millis(config.interval_ms.max(10)),
        every_entries: config.every_entries.max(1),
        seals,
    })
}

/// The data directory's own file: refused when missing or damaged, unless a witness can stand in.
fn check_local(
    local: &Found,
    head_seq: u64,
    witness: Option<&Found>,
) -> Result<(), EvidenceRefused> {
    let problem = match &local.result {
        Ok(Some(_)) => return Ok(()),
        Ok(None) if head_seq == 0 => return Ok(()),
        Ok(None) => format!(
            "the log has {head_seq} entries but {} is missing: it was removed, or this data directory predates signed checkpoints",
            local.dir.join(checkpoint::FILE_NAME).display()
        ),
        Err(e) => e.to_string(),
    };
    let Some(witness) = witness else {
        return Err(EvidenceRefused(format!(
            "{problem}. No witness holds a valid copy ([checkpoints] witness_dirs): restore the file from a backup or a witness; the hub does not serve a log it cannot vouch for"
        )));
    };
    tracing::warn!(problem = %problem, witness = %witness.dir.display(), "the data directory's checkpoints are restored from a witness");
    set_aside(&local.dir);
    let from = witness.dir.join(checkpoint::FILE_NAME);
    std::fs::create_dir_all(&local.dir)
        .and_then(|()| std::fs::copy(&from, local.dir.join(checkpoint::FILE_NAME)).map(|_| ()))
        .map_err(|e| {
            EvidenceRefused(format!(
                "cannot restore checkpoints from {}: {e}",
                from.display()
            ))
        })
}

/// Moves a damaged or stale checkpoint file out of the way (never deletes it: it is evidence).
fn set_aside(dir: &Path) {
    let file = dir.join(checkpoint::FILE_NAME);
    if file.exists() {
        let aside = dir.join(format!(
            "{}.set-aside-{}",
            checkpoint::FILE_NAME,
            Utc::now().format("%Y%m%dT%H%M%S%.3fZ")
        ));
        match std::fs::rename(&file, &aside) {
            Ok(()) => {
                tracing::warn!(from = %file.display(), to = %aside.display(), "checkpoint file set aside")
            }
            Err(e) => {
                tracing::error!(file = %file.display(), error = %e, "cannot set a checkpoint file aside")
            }
        }
    }
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
        for f in &mut self.files {
            f.append(&cp)?;
        }
        self.next_number += 1;
        self.last_seq = head.seq;
        Ok(cp)
    }

    /// Signs the durable head when it moved: what a graceful stop does after the final flush.
    pub fn finish(&mut self, head: &ChainHead) -> Result<(), CheckpointError> {
        if head.seq > self.last_seq || self.next_number == 1 {
            self.write(head)?;
        }
        Ok(())
    }

    /// Follows the durable head until `stop`, signing it after batches (see the module docs).
    /// Returns the checkpointer for the final checkpoint.
    pub async fn run<S: EventStore>(
        mut self,
        store: Arc<S>,
        mut stop: watch::Receiver<bool>,
    ) -> Self {
        let mut heads = store.subscribe();
        loop {
            let head = *heads.borrow_and_update();
            if head.seq > self.last_seq {
                if head.seq - self.last_seq < self.every_entries {
                    tokio::select! {
                        _ = tokio::time::sleep(self.interval) => {}
                        _ = stop.wait_for(|s| *s) => return self,
                    }
                }
                let head = store.head();
                if let Err(e) = self.write(&head) {
                    tracing::error!(error = %e, "cannot write a checkpoint");
                }
                continue;
            }
            tokio::select! {
                changed = heads.changed() => if changed.is_err() { return self },
                _ = stop.wait_for(|s| *s) => return self,
            }
        }
    }
}
