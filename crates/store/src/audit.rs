//! Auditing a log without touching it. sled, opening a log whose record is damaged, treats the
//! record as a torn tail and rewrites the file from there: evidence destroyed by the act of looking.
//! So every check opens a private copy of `log/` — the clerk's offline audit, and the hub's own
//! start-up before it opens the real log — and the original is opened only once the copy passed.

use crate::StoreError;
use crate::chain::ChainHead;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// What an audit of a copy found: the verified head and the hashes of the entries asked for.
#[derive(Debug, Clone)]
pub struct Audit {
    /// The last entry that verified.
    pub head: ChainHead,
    /// Hashes of the wanted entries the log has.
    pub hashes: BTreeMap<u64, [u8; 32]>,
    /// Files left out of the copy, and why (an unfinished sled snapshot).
    pub skipped: Vec<String>,
    /// Entry ranges an operator accepted as lost.
    pub losses: Vec<(u64, u64)>,
}

/// Copies `data_dir/log` into a new temporary directory inside `scratch` and audits the copy
/// (see [`crate::audit_log`]); the copy is removed afterwards. `data_dir` is only read.
pub fn audit_copy(data_dir: &Path, scratch: &Path, wanted: &[u64]) -> Result<Audit, StoreError> {
    let log = data_dir.join("log");
    if !log.is_dir() {
        return Err(StoreError::Io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!(
                "{} holds no event log (no log/ directory)",
                data_dir.display()
            ),
        )));
    }
    remove_stale_copies(scratch);
    let private = tempfile::Builder::new()
        .prefix(AUDIT_PREFIX)
        .tempdir_in(scratch)?;
    let mut skipped = Vec::new();
    copy_dir(&log, &private.path().join("log"), &mut skipped)?;
    let (head, hashes, losses) = audit_unwinding(private.path(), wanted, &log)?;
    Ok(Audit {
        head,
        hashes,
        skipped,
        losses,
    })
}

/// The name every private copy starts with.
const AUDIT_PREFIX: &str = ".ecenter-audit-";

/// How old a private copy left in `scratch` must be before it is taken for one a killed process
/// left behind (no audit runs that long on a log sled can hold) and removed.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(6 * 3600);

/// Removes the private copies a killed audit left in `scratch` (each the size of the log: a
/// start-up killed over and over would fill the disk with them).
fn remove_stale_copies(scratch: &Path) {
    let Ok(entries) = std::fs::read_dir(scratch) else {
        return;
    };
    for entry in entries.flatten() {
        let stale = entry
            .file_name()
            .to_string_lossy()
            .starts_with(AUDIT_PREFIX)
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|at| at.elapsed().is_ok_and(|age| age > STALE_AFTER));
        if stale {
            tracing::warn!(copy = %entry.path().display(), "removing an audit copy a killed process left behind");
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Audits the private copy at `private`; a log so damaged that sled panics reading it (sled
/// 0.34.7 does, on some flipped bits: "tried to serialize Uninitialized") is refused with words
/// naming `log`, the original, instead of taking the process down.
fn audit_unwinding(
    private: &Path,
    wanted: &[u64],
    log: &Path,
) -> Result<crate::sled_store::LogAuditParts, StoreError> {
    let audit = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        crate::sled_store::audit_log_with_losses(private, wanted)
    }));
    audit.unwrap_or_else(|panic| {
        let said = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(StoreError::Database(format!(
            "sled cannot read the log in {} (corrupt: it stopped on \"{said}\"), so no entry \
             of it can be verified; the original was not opened. Keep a copy of the data \
             directory as evidence and restore it from a backup",
            log.display()
        )))
    })
}

/// Copies a directory tree (regular files and directories) without touching the source, leaving
/// out sled's unfinished snapshots (`snap.*.generating`: incomplete by construction). The copies
/// are the auditor's own: writable by it whatever the originals' modes (evidence is often kept
/// read-only, and sled writes to what it opens).
fn copy_dir(from: &Path, to: &Path, skipped: &mut Vec<String>) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_dir(&src, &dst, skipped)?;
        } else if name.starts_with("snap.") && name.ends_with(".generating") {
            skipped.push(format!("{} (an unfinished sled snapshot)", src.display()));
        } else if kind.is_file() {
            std::fs::copy(&src, &dst)?;
            let mut mode = std::fs::metadata(&dst)?.permissions();
            mode.set_mode(mode.mode() | 0o600);
            std::fs::set_permissions(&dst, mode)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_audit_reads_a_copy_and_leaves_the_original_alone() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        {
            let db = crate::sled_store::open_db(&log).unwrap();
            db.open_tree("events").unwrap();
            db.flush().unwrap();
        }
        std::fs::write(log.join("snap.0000000000000001.generating"), b"half").unwrap();
        let before: Vec<_> = std::fs::read_dir(&log)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        let scratch = tempfile::tempdir().unwrap();
        let audit = audit_copy(dir.path(), scratch.path(), &[]).unwrap();
        assert_eq!(audit.head.seq, 0);
        assert_eq!(audit.skipped.len(), 1, "{:?}", audit.skipped);
        let after: Vec<_> = std::fs::read_dir(&log)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(before, after);
        assert_eq!(
            std::fs::read_dir(scratch.path()).unwrap().count(),
            0,
            "the copy is removed"
        );
    }

    #[test]
    fn a_read_only_original_gives_a_copy_its_auditor_can_write() {
        let from = tempfile::tempdir().unwrap();
        let file = from.path().join("db");
        std::fs::write(&file, b"sled's bytes").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).unwrap();
        let to = tempfile::tempdir().unwrap();
        copy_dir(from.path(), &to.path().join("log"), &mut Vec::new()).unwrap();
        let copied = std::fs::metadata(to.path().join("log/db")).unwrap();
        assert_eq!(copied.permissions().mode() & 0o777, 0o644);
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o444
        );
    }

    #[test]
    fn copies_a_killed_audit_left_behind_are_removed_and_a_running_ones_kept() {
        let scratch = tempfile::tempdir().unwrap();
        let old = scratch.path().join(".ecenter-audit-killed");
        let running = scratch.path().join(".ecenter-audit-running");
        let other = scratch.path().join("old-but-not-ours");
        for dir in [&old, &running, &other] {
            std::fs::create_dir(dir).unwrap();
        }
        let long_ago = std::time::SystemTime::now() - STALE_AFTER * 2;
        for dir in [&old, &other] {
            std::fs::File::open(dir)
                .unwrap()
                .set_modified(long_ago)
                .unwrap();
        }
        let data = tempfile::tempdir().unwrap();
        crate::sled_store::open_db(&data.path().join("log")).unwrap();
        audit_copy(data.path(), scratch.path(), &[]).unwrap();
        assert!(!old.exists(), "a stale copy stays");
        assert!(running.exists() && other.exists());
    }
}
