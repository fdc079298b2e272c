//! Test support (feature `tamper`): alters a stored event the way an intruder with file access
//! would, so tests can prove the hub notices. Never enabled in the hub itself.

use crate::StoreError;
use crate::chain::entry_key;
use std::path::Path;

/// Flips the lowest bit of byte `offset` of entry `seq`'s stored value (0..32 is its hash,
/// the rest its JSON body). The store must not be open.
pub fn flip_event_byte(data_dir: &Path, seq: u64, offset: usize) -> Result<(), StoreError> {
    let db = crate::sled_store::open_db(&data_dir.join("log"))?;
    let events = db.open_tree("events")?;
    let key = entry_key(seq);
    let mut value = events
        .get(key)?
        .ok_or_else(|| StoreError::Database(format!("no entry {seq}")))?
        .to_vec();
    value[offset] ^= 1;
    events.insert(key, value)?;
    db.flush()?;
    Ok(())
}

/// Deletes entry `seq` from the log, as an intruder hiding an event would. The store must not be open.
pub fn remove_event(data_dir: &Path, seq: u64) -> Result<(), StoreError> {
    let db = crate::sled_store::open_db(&data_dir.join("log"))?;
    let events = db.open_tree("events")?;
    events
        .remove(entry_key(seq))?
        .ok_or_else(|| StoreError::Database(format!("no entry {seq}")))?;
    db.flush()?;
    Ok(())
}

/// Empties read model tree `tree` and forgets which projections wrote the read models, as in a
/// data directory a hub wrote before that read model existed. The store must not be open.
pub fn forget_read_model(data_dir: &Path, tree: &str) -> Result<(), StoreError> {
    let db = crate::sled_store::open_db(&data_dir.join("log"))?;
    db.open_tree(tree)?.clear()?;
    crate::sled_store::forget_layout(&db)?;
    db.flush()?;
    Ok(())
}

/// Deletes every record of read model tree `tree` whose key starts with `prefix`, as someone
/// editing the files would; the log is untouched. Returns how many went. The store must not be
/// open.
pub fn delete_read_model_records(
    data_dir: &Path,
    tree: &str,
    prefix: &[u8],
) -> Result<usize, StoreError> {
    let db = crate::sled_store::open_db(&data_dir.join("log"))?;
    let tree = db.open_tree(tree)?;
    let keys: Vec<_> = tree.scan_prefix(prefix).keys().collect::<Result<_, _>>()?;
    for k in &keys {
        tree.remove(k)?;
    }
    db.flush()?;
    Ok(keys.len())
}

/// Replaces `from` with `to` in every value of read model tree `tree`, as someone editing the
/// files would (a name, an address, a state); the log is untouched. Returns how many values
/// changed. The store must not be open.
pub fn replace_in_read_model(
    data_dir: &Path,
    tree: &str,
    from: &[u8],
    to: &[u8],
) -> Result<usize, StoreError> {
    let db = crate::sled_store::open_db(&data_dir.join("log"))?;
    let tree = db.open_tree(tree)?;
    let mut changed = 0;
    for item in &tree {
        let (k, v) = item?;
        let Some(at) = v.windows(from.len()).position(|w| w == from) else {
            continue;
        };
        let edited = [&v[..at], to, &v[at + from.len()..]].concat();
        tree.insert(k, edited)?;
        changed += 1;
    }
    db.flush()?;
    Ok(changed)
}

/// Records that the read models were written by an older layout of the projection writing `tree`
/// (its `version`), the rest as they are: a data directory from before that projection changed.
/// The store must not be open.
pub fn pretend_read_model_version(
    data_dir: &Path,
    tree: &str,
    version: u32,
) -> Result<(), StoreError> {
    let db = crate::sled_store::open_db(&data_dir.join("log"))?;
    crate::sled_store::pretend_layout(&db, tree, version)?;
    db.flush()?;
    Ok(())
}
