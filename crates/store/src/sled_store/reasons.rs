//! How the sled log's failures read to an administrator: what failed, where, and what to do.

use crate::StoreError;
use std::path::Path;

/// A failed flush as an administrator reads it.
pub(super) fn flush_reason(e: &StoreError) -> String {
    match e {
        // sled hands back copies of its stored error, which keep the kind but not the OS code.
        StoreError::Io(io)
            if io.raw_os_error() == Some(28) || io.kind() == std::io::ErrorKind::StorageFull =>
        {
            "the disk holding the data directory is full".into()
        }
        StoreError::Io(io) => format!("disk error: {io}"),
        other => other.to_string(),
    }
}

/// Says which directory sled could not read and what a person can do about it.
pub(super) fn explain_open_error(data_dir: &Path, e: StoreError) -> StoreError {
    match e {
        StoreError::Database(m) if m.contains("corrupt") => StoreError::Database(format!(
            "sled cannot read the log in {} ({m}): keep a copy of the directory as evidence, run \
             `clerk verify-log --data-dir` on the copy, and restore the data directory from a backup",
            data_dir.join("log").display()
        )),
        StoreError::Io(io) => StoreError::Io(std::io::Error::new(
            io.kind(),
            format!("{}: {io}", data_dir.join("log").display()),
        )),
        other => other,
    }
}
