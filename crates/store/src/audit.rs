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
    /// With [`DamagedSnapshot::PassOver`]: sled's snapshot could not be read and the entries
    /// were verified without it — what to tell the operator (move it aside before a hub starts).
    pub damaged_snapshot: Option<String>,
}

/// What an audit does when sled cannot read the log with its snapshot files (`snap.*`: only
/// sled's shortcut to its page table, rebuilt from the log without them) but can without them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DamagedSnapshot {
    /// Refuses, naming the snapshot to move aside: the hub's start, which opens the original
    /// next, and sled would fail on it.
    Refuse,
    /// Judges the entries as verified without it and says so in [`Audit::damaged_snapshot`]:
    /// an offline audit (the clerk's), which never opens the original.
    PassOver,
}

/// Copies `data_dir/log` into a new temporary directory inside `scratch` and audits the copy
/// (see [`crate::audit_log`]); the copy is removed afterwards. `data_dir` is only read; a
/// snapshot sled cannot read is treated as `on_damaged_snapshot` says.
pub fn audit_copy(
    data_dir: &Path,
    scratch: &Path,
    wanted: &[u64],
    on_damaged_snapshot: DamagedSnapshot,
) -> Result<Audit, StoreError> {
    let log = data_dir.join("log");
    log_is_there(data_dir, &log)?;
    remove_stale_copies(scratch);
    let mut skipped = Vec::new();
    let private = private_copy(&log, scratch, Snapshots::Kept, &mut skipped)?;
    let mut damaged_snapshot = None;
    let audited = match audit_isolated(private.path(), wanted) {
        Ok(Err(StoreError::Database(m))) if m.to_lowercase().contains("corrupt") => {
            match without_snapshot(&log, scratch, wanted, &m)? {
                (parts, said) if on_damaged_snapshot == DamagedSnapshot::PassOver => {
                    damaged_snapshot = Some(said);
                    Ok(parts)
                }
                (_, said) => Err(StoreError::Database(format!(
                    "{said} and start again; the start checks the log against its checkpoints \
                     as always. Nothing was opened"
                ))),
            }
        }
        Ok(other) => other,
        Err(said) => Err(unreadable(
            &log,
            &format!("corrupt: sled stopped reading it on \"{said}\""),
        )),
    };
    let (head, hashes, losses) = audited?;
    Ok(Audit {
        head,
        hashes,
        skipped,
        losses,
        damaged_snapshot,
    })
}

/// Refuses a data directory without a log, or whose log lacks sled's file `db`.
fn log_is_there(data_dir: &Path, log: &Path) -> Result<(), StoreError> {
    let missing = |what: String| {
        Err(StoreError::Io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            what,
        )))
    };
    if !log.is_dir() {
        return missing(format!(
            "{} holds no event log (no log/ directory)",
            data_dir.display()
        ));
    }
    if !log.join("db").is_file() && std::fs::read_dir(log)?.next().is_some() {
        return missing(format!(
            "{}: sled's log file `db` is missing (its other files are there); nothing was \
             opened: restore the data directory from a backup",
            log.display()
        ));
    }
    Ok(())
}

/// Whether a private copy takes sled's snapshot files (`snap.*`) along.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Snapshots {
    Kept,
    Left,
}

/// A new private copy of `log` in `scratch` (removed when dropped).
fn private_copy(
    log: &Path,
    scratch: &Path,
    snapshots: Snapshots,
    skipped: &mut Vec<String>,
) -> Result<tempfile::TempDir, StoreError> {
    let private = tempfile::Builder::new()
        .prefix(&format!("{AUDIT_PREFIX}{}-", std::process::id()))
        .tempdir_in(scratch)?;
    copy_dir(log, &private.path().join("log"), snapshots, skipped)?;
    Ok(private)
}

/// Why sled could not read `log` (`why`), said so that a person can act: a snapshot is only
/// sled's shortcut to its page table, rebuilt from the log without it, so when a copy without the
/// snapshot files verifies, the snapshot is the damaged part and moving it aside is the remedy —
/// answered with what that copy verified and a sentence naming the snapshot. Otherwise the log
/// itself is unreadable (`Err`).
fn without_snapshot(
    log: &Path,
    scratch: &Path,
    wanted: &[u64],
    why: &str,
) -> Result<(crate::sled_store::LogAuditParts, String), StoreError> {
    let snapshots: Vec<String> = std::fs::read_dir(log)
        .map(|dir| {
            dir.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("snap.") && !n.ends_with(".generating"))
                .collect()
        })
        .unwrap_or_default();
    if snapshots.is_empty() {
        return Err(unreadable(log, why));
    }
    let verified = private_copy(log, scratch, Snapshots::Left, &mut Vec::new())
        .map(|copy| audit_isolated(copy.path(), wanted));
    match verified {
        Ok(Ok(Ok(parts))) => {
            let said = format!(
                "sled's snapshot {} in {} cannot be read ({why}), but the log verifies \
                 without it, to entry {}: move the snapshot out of the data directory (sled \
                 rebuilds it from the log)",
                snapshots.join(", "),
                log.display(),
                parts.0.seq
            );
            Ok((parts, said))
        }
        _ => Err(unreadable(log, why)),
    }
}

/// The log at `log` cannot be read at all (`why`).
fn unreadable(log: &Path, why: &str) -> StoreError {
    StoreError::Database(format!(
        "sled cannot read the log in {} ({why}), so no entry of it can be verified; the \
         original was not opened. Keep a copy of the data directory as evidence and restore it \
         from a backup",
        log.display()
    ))
}

/// The name every private copy starts with.
const AUDIT_PREFIX: &str = ".ecenter-audit-";

/// How old a private copy left in `scratch` must be before it is taken for one a killed process
/// left behind even if a process of its number runs (numbers are reused; no audit runs that long
/// on a log sled can hold) and removed.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(6 * 3600);

/// Removes the private copies a killed audit left in `scratch` (each the size of the log: a
/// start-up killed over and over would fill the disk with them): those whose process
/// (`.ecenter-audit-<pid>-…`) is gone, and any older than [`STALE_AFTER`].
fn remove_stale_copies(scratch: &Path) {
    let Ok(entries) = std::fs::read_dir(scratch) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(AUDIT_PREFIX) else {
            continue;
        };
        let gone = rest
            .split_once('-')
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
            .is_some_and(|pid| !Path::new("/proc").join(pid.to_string()).exists());
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|at| at.elapsed().is_ok_and(|age| age > STALE_AFTER));
        if gone || old {
            tracing::warn!(copy = %entry.path().display(), "removing an audit copy a killed process left behind");
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The name of the thread an audit runs on.
const AUDIT_THREAD: &str = "ecenter-audit";

/// Audits the private copy at `private` on a thread of its own: a log so damaged that sled panics
/// reading it (sled 0.34.7 does, on some flipped bits: "tried to serialize Uninitialized") ends
/// that thread, not the process, and comes back as `Err` with what sled said — the panic is not
/// printed as a crash (its words are in the refusal). sled is not used again on that copy.
fn audit_isolated(
    private: &Path,
    wanted: &[u64],
) -> Result<Result<crate::sled_store::LogAuditParts, StoreError>, String> {
    quiet_on_audit_threads();
    let (private, wanted) = (private.to_path_buf(), wanted.to_vec());
    let thread = std::thread::Builder::new()
        .name(AUDIT_THREAD.into())
        .spawn(move || crate::sled_store::audit_log_with_losses(&private, &wanted));
    match thread {
        Err(e) => Ok(Err(StoreError::Io(e))),
        Ok(handle) => handle.join().map_err(|panic| {
            panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default()
        }),
    }
}

/// Leaves panics on audit threads unprinted (they are reported as refusals); every other
/// thread's go to the hook that was there.
fn quiet_on_audit_threads() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let before = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() != Some(AUDIT_THREAD) {
                before(info);
            }
        }));
    });
}

/// Copies a directory tree (regular files and directories) without touching the source, leaving
/// out sled's unfinished snapshots (`snap.*.generating`: incomplete by construction). The copies
/// are the auditor's own: writable by it whatever the originals' modes (evidence is often kept
/// read-only, and sled writes to what it opens).
fn copy_dir(
    from: &Path,
    to: &Path,
    snapshots: Snapshots,
    skipped: &mut Vec<String>,
) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_dir(&src, &dst, snapshots, skipped)?;
        } else if name.starts_with("snap.") && name.ends_with(".generating") {
            skipped.push(format!("{} (an unfinished sled snapshot)", src.display()));
        } else if name.starts_with("snap.") && snapshots == Snapshots::Left {
            continue;
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

    /// An empty sled log (its `events` tree made and flushed) in `data_dir/log`.
    fn empty_log(data_dir: &Path) -> std::path::PathBuf {
        let log = data_dir.join("log");
        let db = crate::sled_store::open_db(&log).unwrap();
        db.open_tree("events").unwrap();
        db.flush().unwrap();
        log
    }

    #[test]
    fn an_audit_reads_a_copy_and_leaves_the_original_alone() {
        let dir = tempfile::tempdir().unwrap();
        let log = empty_log(dir.path());
        std::fs::write(log.join("snap.0000000000000001.generating"), b"half").unwrap();
        let before: Vec<_> = std::fs::read_dir(&log)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        let scratch = tempfile::tempdir().unwrap();
        let audit = audit_copy(dir.path(), scratch.path(), &[], DamagedSnapshot::Refuse).unwrap();
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
    fn a_damaged_snapshot_is_named_as_the_part_to_move_aside_when_the_log_reads_without_it() {
        let dir = tempfile::tempdir().unwrap();
        let log = empty_log(dir.path());
        std::fs::write(log.join("snap.00000000000FFFFF"), vec![0x5a; 4096]).unwrap();
        let scratch = tempfile::tempdir().unwrap();
        let err = audit_copy(dir.path(), scratch.path(), &[], DamagedSnapshot::Refuse)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("sled's snapshot snap.00000000000FFFFF")
                && err.contains("move the snapshot out of the data directory"),
            "{err}"
        );
        assert!(
            log.join("snap.00000000000FFFFF").is_file(),
            "the original is left as it was"
        );
        // An offline audit judges the entries without it, and says what to move aside.
        let audit = audit_copy(dir.path(), scratch.path(), &[], DamagedSnapshot::PassOver)
            .expect("the log verifies without its snapshot");
        let said = audit
            .damaged_snapshot
            .expect("the damaged snapshot is named");
        assert!(
            said.contains("snap.00000000000FFFFF") && said.contains("verifies without it"),
            "{said}"
        );
        assert_eq!(audit.head.seq, 0);
        assert_eq!(std::fs::read_dir(scratch.path()).unwrap().count(), 0);
        // Without the log file itself, nothing is opened and the missing file is named.
        std::fs::remove_file(log.join("db")).unwrap();
        let err = audit_copy(dir.path(), scratch.path(), &[], DamagedSnapshot::Refuse)
            .unwrap_err()
            .to_string();
        assert!(err.contains("sled's log file `db` is missing"), "{err}");
    }

    #[test]
    fn a_read_only_original_gives_a_copy_its_auditor_can_write() {
        let from = tempfile::tempdir().unwrap();
        let file = from.path().join("db");
        std::fs::write(&file, b"sled's bytes").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).unwrap();
        let to = tempfile::tempdir().unwrap();
        copy_dir(
            from.path(),
            &to.path().join("log"),
            Snapshots::Kept,
            &mut Vec::new(),
        )
        .unwrap();
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
        // A process number no process has (above Linux's pid_max), and this process's own.
        let gone = scratch.path().join(".ecenter-audit-4194305-abc");
        let mine = scratch
            .path()
            .join(format!(".ecenter-audit-{}-abc", std::process::id()));
        for dir in [&old, &running, &other, &gone, &mine] {
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
        audit_copy(data.path(), scratch.path(), &[], DamagedSnapshot::Refuse).unwrap();
        assert!(!old.exists(), "a stale copy stays");
        assert!(!gone.exists(), "the copy of a process that is gone stays");
        assert!(running.exists() && other.exists() && mine.exists());
    }
}
