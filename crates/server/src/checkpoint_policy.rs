//! What start-up makes of the checkpoint files (ARCHITECTURE.md, "Signed checkpoints").
//!
//! Two passes with one judgement. [`precheck`] runs before the real log is opened: it reads every
//! checkpoint file, audits a private copy of the log, and refuses — writing nothing — whatever the
//! policy refuses, so that sled never opens (and so never rewrites) a log that will be refused.
//! [`reconcile`] runs on the opened store and does the writing: the key made for a new hub, the
//! data directory's file restored from a witness, every witness brought to the best history.
//!
//! The policy:
//! - the key: missing while there is a log or a checkpoint file — refused (a new key would let
//!   anyone re-sign a shortened log); made only for a new, empty data directory;
//! - the data directory's file missing, empty, or not verifying (an edited, removed or forged
//!   line) while the log has entries — refused, unless a witness holds a valid history: then the
//!   damaged file is set aside (never deleted) and the best history copied back, with a warning;
//! - a witness signed by another key than the hub's, or whose `key.pem` names another key, is
//!   refused, never rewritten: a witness is what a re-signed data directory cannot change; so is
//!   one emptied (its file missing or empty beside its `key.pem`) while the log has entries;
//! - the log is compared with every checkpoint of all valid files: two files giving one number
//!   different entries (a fork) are refused; a log contradicting any checkpoint is refused naming
//!   the earliest, one shorter than the newest names the first missing entry (or is accepted as
//!   a loss, see [`crate::loss`]);
//! - every file that differs from the best valid history (the most checkpoints) is set aside and
//!   replaced by it, so that the files never drift apart.

use crate::checkpoints::{CheckpointConfig, EvidenceRefused};
use crate::loss::{LossAcceptance, PendingLoss};
use chrono::Utc;
use ecenter_store::ChainHead;
use ecenter_store::checkpoint::{
    self, Checkpoint, CheckpointError, CheckpointKey, CheckpointSigner,
};
use std::path::{Path, PathBuf};

/// One checkpoint file as read.
pub(crate) struct Found {
    pub(crate) dir: PathBuf,
    pub(crate) result: Result<Option<Vec<Checkpoint>>, CheckpointError>,
    /// A `key.pem` lies beside the file: the hub has written there before.
    pub(crate) keyed: bool,
}

impl Found {
    /// Its checkpoints, if it verifies and holds any.
    fn history(&self) -> Option<&[Checkpoint]> {
        match &self.result {
            Ok(Some(cps)) if !cps.is_empty() => Some(cps),
            _ => None,
        }
    }
}

/// The checkpoint files and key as found, before anything is written.
pub(crate) struct Examined {
    pub(crate) key_file: PathBuf,
    pub(crate) signer: Option<CheckpointSigner>,
    pub(crate) local: Found,
    pub(crate) witnesses: Vec<Found>,
}

/// What the files say about a log, once the policy accepted them.
pub(crate) struct Verdict {
    /// The newest checkpoint of every valid file.
    pub(crate) newest: Option<Checkpoint>,
    /// The directory holding the best valid history (most checkpoints), if any.
    pub(crate) best: Option<PathBuf>,
    /// The number of that history's last checkpoint (0: none yet).
    pub(crate) last_number: u64,
}

/// What a hub says when its key and a witness disagree.
const WITNESS_DISAGREES: &str = "The hub does not start while its checkpoint key and a witness disagree, and never rewrites a witness with its own key: find which key is the hub's (its backup, the key.pem each witness keeps) and restore it, or move the witness aside if it was replaced";

/// A witness's `key.pem` (written beside its file) naming another key than the hub's: refused
/// before anything is written, for the hub would otherwise overwrite it.
fn witness_key_agrees(dir: &Path, signer: &CheckpointSigner) -> Result<(), EvidenceRefused> {
    let path = dir.join(checkpoint::KEY_NAME);
    if !path.exists() {
        return Ok(());
    }
    let hub = CheckpointKey::from(signer);
    match CheckpointKey::load(&path) {
        Ok(key) if key == hub => Ok(()),
        Ok(key) => Err(EvidenceRefused(format!(
            "{} is key {}, not the hub's key {}. {WITNESS_DISAGREES}",
            path.display(),
            key.key_id(),
            hub.key_id()
        ))),
        Err(e) => Err(EvidenceRefused(format!(
            "{e}: a witness's key cannot be read. {WITNESS_DISAGREES}"
        ))),
    }
}

/// Reads the key (never making one) and every checkpoint file. A key that cannot be used is
/// named as the setting it came from, not as a refused log (outside tests, round 8, G7).
pub(crate) fn examine(
    data_dir: &Path,
    config: &CheckpointConfig,
) -> Result<Examined, crate::ServeError> {
    let local_dir = checkpoint::local_dir(data_dir);
    let key_file = config
        .key_file
        .clone()
        .unwrap_or_else(|| local_dir.join("hub.key"));
    let signer = match CheckpointSigner::load(&key_file, false) {
        Ok(s) => Some(s),
        Err(_) if !key_file.exists() => None,
        Err(e) => return Err(crate::ServeError::CheckpointKey(e)),
    };
    let key = signer
        .as_ref()
        .map_or_else(CheckpointKey::unknown, CheckpointKey::from);
    if let Some(signer) = &signer {
        for dir in &config.witness_dirs {
            witness_key_agrees(dir, signer).map_err(crate::ServeError::from)?;
        }
    }
    let read = |dir: &Path| Found {
        dir: dir.to_path_buf(),
        result: checkpoint::read_file(&dir.join(checkpoint::FILE_NAME), &key),
        keyed: dir.join(checkpoint::KEY_NAME).exists(),
    };
    Ok(Examined {
        key_file,
        local: read(&local_dir),
        witnesses: config.witness_dirs.iter().map(|d| read(d)).collect(),
        signer,
    })
}

impl Examined {
    fn all(&self) -> impl Iterator<Item = &Found> {
        std::iter::once(&self.local).chain(self.witnesses.iter())
    }

    /// The policy (see the module docs) for a log that ends at `head`.
    pub(crate) fn judge(
        &self,
        head: &ChainHead,
        hash_at: impl Fn(u64) -> Option<[u8; 32]>,
        accepted: &[(u64, u64)],
    ) -> Result<Verdict, Refusal> {
        let anything = head.seq > 0 || self.all().any(|f| !matches!(f.result, Ok(None)));
        if self.signer.is_none() && anything {
            return Err(Refusal::Files(format!(
                "the checkpoint key {} is missing, though the log or its checkpoints exist: restore it from its backup (a new key would let anyone sign a shortened log); an instance on PostgreSQL can instead start again with an empty data_dir, rebuilding its replica with a new key (docs/DEPLOYMENT.md, what fails)",
                self.key_file.display()
            )));
        }
        // A witness is kept apart so that the data directory cannot re-sign it: one that the
        // hub's key does not verify is never "repaired" from the data directory.
        for w in &self.witnesses {
            if let Err(e @ CheckpointError::OtherKey { .. }) = &w.result {
                return Err(Refusal::Files(format!("{e}. {WITNESS_DISAGREES}")));
            }
            // Emptied, not new: a new witness has no key.pem yet.
            let holds_none = matches!(&w.result, Ok(h) if h.as_ref().is_none_or(Vec::is_empty));
            if w.keyed && head.seq > 0 && holds_none {
                return Err(Refusal::Files(format!(
                    "{} holds no checkpoint, though the key.pem beside it shows the hub has written there: the witness was emptied or its file removed. Restore it from a backup or another witness; to make it a new witness instead, empty its directory (key.pem too) and the hub copies its history there",
                    w.dir.join(checkpoint::FILE_NAME).display()
                )));
            }
        }
        let best = self
            .all()
            .filter(|f| f.history().is_some())
            .max_by_key(|f| f.history().map_or(0, <[_]>::len));
        if head.seq > 0 && self.local.history().is_none() {
            let problem = match &self.local.result {
                Err(e) => e.to_string(),
                _ => format!(
                    "the log has {} entries but {} holds no checkpoint: it was removed or emptied, or this data directory predates signed checkpoints",
                    head.seq,
                    self.local.dir.join(checkpoint::FILE_NAME).display()
                ),
            };
            if best.is_none() {
                return Err(Refusal::Files(format!(
                    "{problem}. No witness holds a valid copy ([checkpoints] witness_dirs): restore the file from a backup or a witness; the hub does not serve a log it cannot vouch for"
                )));
            }
            tracing::warn!(%problem, "the data directory's checkpoints will be restored from a witness");
        }
        let histories: Vec<(&Path, &[Checkpoint])> = self
            .all()
            .filter_map(|f| f.history().map(|h| (f.dir.as_path(), h)))
            .collect();
        let newest = checkpoint::check_histories(head, &histories, hash_at, accepted)
            .map_err(Refusal::Log)?;
        Ok(Verdict {
            newest,
            last_number: best
                .and_then(Found::history)
                .and_then(<[_]>::last)
                .map_or(0, |c| c.number),
            best: best.map(|f| f.dir.clone()),
        })
    }
}

/// Why the files or the log were refused.
#[derive(Debug, Clone)]
pub(crate) enum Refusal {
    /// The checkpoint files or key.
    Files(String),
    /// The log disagrees with them.
    Log(CheckpointError),
}

impl From<Refusal> for EvidenceRefused {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Files(s) => EvidenceRefused(s),
            Refusal::Log(e) => e.into(),
        }
    }
}

/// Before the real log is opened: audits a private copy (made inside the data directory) and
/// judges it. A log that would be refused is never opened, so sled never rewrites it.
///
/// With `accept`, a log that ends before the newest checkpoint is let through as a
/// [`PendingLoss`] (its log copied aside first) when the operator names exactly the entries from
/// the first one no checkpoint the log agrees with names to the newest checkpoint's: those of them
/// still in the log are cut from it, for they cannot be told from entries written after a
/// rollback. Anything else is refused, saying which range would be accepted.
///
/// `own_log` is false for an instance whose sled log is a replica of PostgreSQL's: it cannot cut
/// its replica alone (it would be copied back), so there only the missing tail is accepted.
pub fn precheck(
    data_dir: &Path,
    config: &CheckpointConfig,
    accept: Option<&LossAcceptance>,
    own_log: bool,
) -> Result<Option<PendingLoss>, crate::ServeError> {
    let examined = examine(data_dir, config)?;
    if !data_dir.join("log").is_dir() {
        examined
            .judge(&ChainHead::empty(), |_| None, &[])
            .map_err(EvidenceRefused::from)?;
        return match accept {
            None => Ok(None),
            Some(_) => {
                Err(EvidenceRefused("--accept-loss: this data directory has no log".into()).into())
            }
        };
    }
    let wanted: Vec<u64> = examined
        .all()
        .filter_map(Found::history)
        .flat_map(|h| h.iter().map(|c| c.seq))
        .collect();
    let audit = ecenter_store::audit::audit_copy(
        data_dir,
        data_dir,
        &wanted,
        ecenter_store::audit::DamagedSnapshot::Refuse,
    )?;
    let judged = examined.judge(
        &audit.head,
        |seq| audit.hashes.get(&seq).copied(),
        &audit.losses,
    );
    let histories: Vec<(&Path, &[Checkpoint])> = examined
        .all()
        .filter_map(|f| f.history().map(|h| (f.dir.as_path(), h)))
        .collect();
    let vouched = if own_log {
        checkpoint::vouched_through(&audit.head, &histories)
    } else {
        audit.head.seq
    };
    match (judged, accept) {
        (Ok(_), None) => Ok(None),
        (Ok(_), Some(a)) => Err(EvidenceRefused(format!(
            "--accept-loss {}-{}: the log agrees with its checkpoints, nothing is lost; start without it",
            a.first, a.last
        ))
        .into()),
        (Err(Refusal::Log(CheckpointError::Truncated { first_missing, seq, number, hash, .. })), Some(a))
            if a.first == vouched + 1 && a.last == seq =>
        {
            let pending = pending_loss(data_dir, a, number, hash)?;
            if a.first < first_missing {
                cut_unvouched(data_dir, a.first, &pending)?;
            }
            Ok(Some(pending))
        }
        (Err(r), None) => Err(EvidenceRefused(format!(
            "{}{}",
            EvidenceRefused::from(r.clone()),
            acceptable(&r, vouched)
        ))
        .into()),
        (Err(r), Some(a)) => Err(EvidenceRefused(format!(
            "{}. --accept-loss {}-{} does not match it: only the exact range lost can be accepted, and a log that differs from its checkpoints must be restored, not accepted{}",
            EvidenceRefused::from(r.clone()),
            a.first,
            a.last,
            acceptable(&r, vouched)
        ))
        .into()),
    }
}

/// What an operator may accept, for a log that ends before its newest checkpoint; entries after
/// `vouched` (the last one a checkpoint names) go with the loss.
fn acceptable(r: &Refusal, vouched: u64) -> String {
    let Refusal::Log(CheckpointError::Truncated {
        first_missing, seq, ..
    }) = r
    else {
        return String::new();
    };
    let first = vouched + 1;
    let unvouched = if first < *first_missing {
        format!(
            " — entries {first}–{} are in the log, but no checkpoint it agrees with names them, so they cannot be told from entries written after a rollback to an old copy: they are cut from the log with the loss (the log as found is kept under set-aside/)",
            first_missing - 1
        )
    } else {
        String::new()
    };
    format!(
        ". Restore the log from a backup, or accept the loss on the record: ecenterd --accept-loss {first}-{seq} --operator NAME --reason TEXT{unvouched}"
    )
}

/// Cuts the entries from `first` on, which no checkpoint vouches for, out of the log an accepted
/// loss keeps (its copy as found is already under set-aside/).
fn cut_unvouched(
    data_dir: &Path,
    first: u64,
    pending: &PendingLoss,
) -> Result<(), EvidenceRefused> {
    let removed = ecenter_store::cut_log_from(data_dir, first).map_err(|e| {
        EvidenceRefused(format!(
            "cannot cut the log back to entry {}: {e}",
            first - 1
        ))
    })?;
    tracing::warn!(removed, from = first, kept = %pending.kept_log.display(), "log entries no checkpoint vouches for removed with the accepted loss (kept aside)");
    Ok(())
}

fn pending_loss(
    data_dir: &Path,
    a: &LossAcceptance,
    checkpoint: u64,
    checkpoint_hash: String,
) -> Result<PendingLoss, EvidenceRefused> {
    let kept_log = crate::loss::set_aside_dir(data_dir, "log-before-accepted-loss");
    crate::loss::keep_log(data_dir, &kept_log).map_err(|e| {
        EvidenceRefused(format!(
            "cannot keep a copy of the log in {} ({e})",
            kept_log.display()
        ))
    })?;
    tracing::warn!(first = a.first, last = a.last, by = %a.by, kept = %kept_log.display(), "accepting the loss of log entries");
    Ok(PendingLoss {
        accepted: a.clone(),
        checkpoint,
        checkpoint_hash,
        kept_log,
    })
}

/// After the store opened and the verdict held: makes every file a copy of the best history,
/// setting aside (never deleting) each one that differs.
pub(crate) fn reconcile(examined: &Examined, verdict: &Verdict) -> Result<(), EvidenceRefused> {
    let Some(best) = &verdict.best else {
        return Ok(());
    };
    let best_file = best.join(checkpoint::FILE_NAME);
    let content = std::fs::read(&best_file)
        .map_err(|e| EvidenceRefused(format!("{}: {e}", best_file.display())))?;
    for f in examined.all() {
        let file = f.dir.join(checkpoint::FILE_NAME);
        if std::fs::read(&file).ok().as_deref() == Some(content.as_slice()) {
            continue;
        }
        tracing::warn!(file = %file.display(), from = %best_file.display(), "checkpoint file brought to the best history");
        set_aside(&f.dir);
        std::fs::create_dir_all(&f.dir)
            .and_then(|()| std::fs::write(&file, &content))
            .map_err(|e| EvidenceRefused(format!("cannot write {}: {e}", file.display())))?;
    }
    Ok(())
}

/// Moves a damaged or stale checkpoint file out of the way (never deletes it: it is evidence).
fn set_aside(dir: &Path) {
    let file = dir.join(checkpoint::FILE_NAME);
    if file.exists() {
        let stamp = Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
        let aside = dir.join(format!("{}.set-aside-{stamp}", checkpoint::FILE_NAME));
        match std::fs::rename(&file, &aside) {
            Ok(()) => {
                tracing::warn!(from = %file.display(), to = %aside.display(), "checkpoint file set aside");
            }
            Err(e) => {
                tracing::error!(file = %file.display(), error = %e, "cannot set a checkpoint file aside");
            }
        }
    }
}
