//! Read models held against the log at every start.
//!
//! The log is evidence: hash-chained, its checkpoints signed and kept apart from the data
//! directory. The read models beside it are not, yet they are what the hub serves — a filing's
//! state, a recipient's service, a lawyer's cases. Someone who can write the data directory could
//! edit them (a hex editor, a bad restore of one file) and the hub would serve the edit while the
//! log and every checkpoint still verified. So each start projects the whole log again, into a
//! scratch database, and compares it tree by tree with the read models found (SHA-256 over every
//! key and value, [`super::rebuild::tree_digests`]). Read models that differ are rebuilt from the
//! log, and what was found is kept under `read_models` / `drift_unrecorded` until the hub has put
//! it on the record as a `read_models_repaired` entry
//! ([`SledStore::read_models_repaired`], [`SledStore::repair_recorded`]).
//!
//! The cost is a second projection of the log at start (docs/PERFORMANCE.md, "Read models held
//! against the log").

use super::*;

/// Where the read models found at start differed from the log's projection.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReadModelDrift {
    /// The read model trees whose keys or values differed, e.g. `["service", "notices"]`.
    pub trees: Vec<String>,
    /// The last log entry the projection applied.
    pub through: u64,
    /// Hex SHA-256 of the read models as found.
    pub found: String,
    /// Hex SHA-256 of the log's projection: what they hold now.
    pub projected: String,
}

/// The key under [`META`] of a repair not yet on the record (JSON [`ReadModelDrift`]).
const UNRECORDED: &[u8] = b"drift_unrecorded";

/// Projects the `entries` entries of `events` into a scratch database and compares the result
/// with `db`'s read models; when they differ, rebuilds `db`'s from the log and keeps the drift
/// under [`UNRECORDED`]. Returns the drift, or `None` when the read models were the log's.
pub(super) fn hold_against_log(
    db: &sled::Db,
    events: &sled::Tree,
    entries: u64,
) -> Result<Option<ReadModelDrift>, StoreError> {
    let started = std::time::Instant::now();
    let scratch = sled::Config::new().temporary(true).open()?;
    super::rebuild::rebuild(&scratch, events, entries, |_, _| {})?;
    let projected = super::rebuild::tree_digests(&scratch)?;
    drop(scratch);
    let found = super::rebuild::tree_digests(db)?;
    tracing::info!(
        entries,
        seconds = started.elapsed().as_secs_f64(),
        "read models held against the log"
    );
    let trees: Vec<String> = projected
        .iter()
        .zip(&found)
        .filter(|(p, f)| p != f)
        .map(|(p, _)| p.0.clone())
        .collect();
    if trees.is_empty() {
        return Ok(None);
    }
    let drift = ReadModelDrift {
        trees,
        through: events.last()?.map_or(0, |(k, _)| key_seq(&k)),
        found: super::rebuild::overall(&found),
        projected: super::rebuild::overall(&projected),
    };
    tracing::error!(trees = ?drift.trees, "the read models differ from the log's projection (altered on disk?): rebuilding them from the log");
    super::rebuild::rebuild(db, events, entries, |_, _| {})?;
    let json = serde_json::to_vec(&drift).map_err(|e| StoreError::Database(e.to_string()))?;
    db.open_tree(super::rebuild::META)?
        .insert(UNRECORDED, json)?;
    db.flush()?;
    Ok(Some(drift))
}

/// The entry number of an `events` key.
fn key_seq(key: &[u8]) -> u64 {
    key.try_into().map_or(0, u64::from_be_bytes)
}

impl SledStore {
    /// A repair of the read models made at a start and not yet on the record: the hub appends it
    /// as a `read_models_repaired` entry, then calls [`SledStore::repair_recorded`]. (A crash
    /// between the two records it twice, never not at all.)
    pub fn read_models_repaired(&self) -> Result<Option<ReadModelDrift>, StoreError> {
        let Some(json) = self.inner.meta.get(UNRECORDED)? else {
            return Ok(None);
        };
        serde_json::from_slice(&json)
            .map(Some)
            .map_err(|e| StoreError::Database(format!("read_models/drift_unrecorded: {e}")))
    }

    /// Forgets the repair [`SledStore::read_models_repaired`] returned, once it is on the record.
    pub fn repair_recorded(&self) -> Result<(), StoreError> {
        self.inner.meta.remove(UNRECORDED)?;
        self.inner.meta.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{append, passkey_registered};
    use super::*;
    use crate::PasskeyReads;

    fn passkeys(store: &SledStore) -> Vec<String> {
        let mine = store.passkeys_of("urn:ecenter:lawyer:1").unwrap();
        mine.into_iter()
            .map(|p| p.registered.credential_id)
            .collect()
    }

    #[tokio::test]
    async fn a_read_model_edited_between_starts_is_rebuilt_and_kept_until_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        append(&store, passkey_registered("cred-a", "ch-a")).await;
        append(&store, passkey_registered("cred-b", "ch-b")).await;
        store.close().await.unwrap();
        drop(store);
        let store = SledStore::open(dir.path()).unwrap();
        assert_eq!(store.read_models_repaired().unwrap(), None, "faithful");
        store.close().await.unwrap();
        drop(store);
        {
            // One passkey record renamed in place: the marker still says the read models are
            // this build's and applied the whole log.
            let db = open_db(&dir.path().join("log")).unwrap();
            let tree = db.open_tree("passkeys").unwrap();
            let (k, v) = tree
                .iter()
                .map(Result::unwrap)
                .find(|(_, v)| v.windows(6).any(|w| w == b"cred-a"))
                .expect("cred-a's record");
            let edited = String::from_utf8_lossy(&v).replace("cred-a", "cred-x");
            tree.insert(k, edited.as_bytes()).unwrap();
            db.flush().unwrap();
        }
        let store = SledStore::open(dir.path()).unwrap();
        assert_eq!(
            passkeys(&store),
            ["cred-a", "cred-b"],
            "the edit was served"
        );
        let drift = store.read_models_repaired().unwrap().expect("a repair");
        assert_eq!(
            (drift.trees.as_slice(), drift.through),
            (&["passkeys".to_string()][..], 2)
        );
        assert_ne!(drift.found, drift.projected);
        store.close().await.unwrap();
        drop(store);
        let store = SledStore::open(dir.path()).unwrap();
        assert_eq!(
            store.read_models_repaired().unwrap(),
            Some(drift),
            "forgotten before it was recorded"
        );
        store.repair_recorded().unwrap();
        assert_eq!(store.read_models_repaired().unwrap(), None);
    }
}
