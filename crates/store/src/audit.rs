//! Auditing a log without touching it. sled, opening a log whose record is damaged, treats the
//! record as a torn tail and rewrites the file from there: evidence destroyed by the act of looking.
//! So every check opens a private copy of `log/` — the clerk's offline audit, and the hub's own
//! start-up before it opens the real log — and the original is opened only once the copy passed.

use crate::StoreError;
use crate::chain::ChainHead;
use std::collections::BTreeMap;
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
    let private = tempfile::Builder::new()
        .prefix(".ecenter-audit-")
        .tempdir_in(scratch)?;
    let mut skipped = Vec::new();
    copy_dir(&log, &private.path().join("log"), &mut skipped)?;
    let (head, hashes, losses) = crate::sled_store::audit_log_with_losses(private.path(), wanted)?;
    Ok(Audit {
        head,
        hashes,
        skipped,
        losses,
    })
}

/// Copies a directory tree (regular files and directories) without touching the source, leaving
/// out sled's unfinished snapshots (`snap.*.generating`: incomplete by construction).
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
}
