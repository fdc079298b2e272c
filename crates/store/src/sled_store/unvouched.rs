//! Cutting the log back to the last entry a signed checkpoint vouches for, when an operator
//! accepts the loss of everything after it (`ecenterd --accept-loss`). Entries past that point
//! that a newer checkpoint names but the log no longer reaches cannot be told from entries written
//! after a rollback to an old copy (an outside test passed forged filings that way), so an
//! accepted loss keeps none of them in the log: they stay in the copy of the log kept aside.

use crate::StoreError;
use crate::chain::entry_key;
use std::path::Path;

/// Removes every entry numbered `first` or later from the log under `data_dir`, and has the read
/// models rebuilt from the log when the store next opens (they still show what the removed
/// entries did). The store must not be open, and the caller keeps a copy of the log first.
/// Returns how many entries were removed.
pub fn cut_log_from(data_dir: &Path, first: u64) -> Result<u64, StoreError> {
    let db = super::open_db(&data_dir.join("log"))?;
    let events = db.open_tree("events")?;
    let mut removed = 0;
    for item in events.range(entry_key(first)..) {
        let (key, _) = item?;
        events.remove(key)?;
        removed += 1;
    }
    super::forget_layout(&db)?;
    db.flush()?;
    Ok(removed)
}
