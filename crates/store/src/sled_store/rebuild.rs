//! Read models rebuilt from the log.
//!
//! The read models are a projection of the log's entries (ARCHITECTURE.md, "state is a projection
//! of events"); sled keeps them beside the entries so that reads are cheap. Two things can make
//! them disagree with the log, and both are repaired by clearing every read model's tree and
//! applying every entry again, in the log's order, with the projections of this build:
//! - **an upgrade**: a read model added since the trees were written (it would hold nothing for
//!   the earlier entries), or one whose [`Projection::version`] was raised. The `read_models` tree
//!   records, under `layout`, which projections wrote the trees; a hub whose list differs rebuilds
//!   them when it opens its data directory, before its writer starts;
//! - **damage**: a read model altered on disk (a hex editor, a bad restore). The operator's
//!   `ecenter-admin rebuild-read-models` rebuilds them on demand and says, by comparing a digest of
//!   every read model before and after, whether they had differed from the log.
//!
//! The marker is removed before the trees are cleared and written only after the last entry is
//! applied and flushed, so an interrupted rebuild is done again at the next start.

use super::*;

/// The tree holding the marker.
const META: &str = "read_models";
/// The marker's key: the projections that wrote the read models ([`layout_name`]).
const LAYOUT: &[u8] = b"layout";
/// Entries applied per sled transaction.
const CHUNK: usize = 512;

/// What this build's projections write: each one's trees and version, in the list's order, e.g.
/// `seals@1 requests+orders+…@1 …`.
pub(super) fn layout_name() -> String {
    PROJECTIONS
        .iter()
        .map(|p| format!("{}@{}", p.trees().join("+"), p.version()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Forgets which projections wrote the read models, as in a data directory older than the marker
/// (tests: a hub from before a read model existed).
#[cfg(feature = "tamper")]
pub(crate) fn forget_layout(db: &sled::Db) -> Result<(), StoreError> {
    db.open_tree(META)?.remove(LAYOUT)?;
    Ok(())
}

/// Rebuilds the read models if other projections than this build's wrote them (or none did yet,
/// with entries in the log: a data directory older than the marker). Returns how many entries
/// were applied, or `None` when the read models were current.
pub(super) fn ensure_current(
    db: &sled::Db,
    events: &sled::Tree,
) -> Result<Option<u64>, StoreError> {
    let meta = db.open_tree(META)?;
    let want = layout_name();
    let was = meta.get(LAYOUT)?;
    if was.as_deref() == Some(want.as_bytes()) {
        return Ok(None);
    }
    if events.is_empty() {
        meta.insert(LAYOUT, want.as_bytes())?;
        db.flush()?;
        return Ok(None);
    }
    let was = was.map_or_else(
        || "(none recorded)".to_string(),
        |v| String::from_utf8_lossy(&v).into_owned(),
    );
    tracing::warn!(%was, now = %want, entries = events.len(), "the read models were written by other projections than this build's: rebuilding them from the log");
    let started = std::time::Instant::now();
    let applied = rebuild(db, events, |_, _| {})?;
    tracing::info!(
        entries = applied,
        seconds = started.elapsed().as_secs_f64(),
        "read models rebuilt from the log"
    );
    Ok(Some(applied))
}

/// Clears every read model and applies each of `events`' entries again, reporting
/// `progress(applied, total)` after each chunk. Returns the entries applied.
pub(super) fn rebuild(
    db: &sled::Db,
    events: &sled::Tree,
    mut progress: impl FnMut(u64, u64),
) -> Result<u64, StoreError> {
    let meta = db.open_tree(META)?;
    meta.remove(LAYOUT)?;
    db.flush()?;
    let layout = TreeLayout::open(db)?;
    for tree in layout.read_model_trees() {
        tree.clear()?;
    }
    let total = events.len() as u64;
    let mut applied = 0;
    let mut chunk = Vec::with_capacity(CHUNK);
    for item in events {
        let (k, v) = item?;
        chunk.push(decode_entry(&k, &v)?);
        if chunk.len() == CHUNK {
            applied += apply(&layout, &chunk)?;
            chunk.clear();
            progress(applied, total);
        }
    }
    applied += apply(&layout, &chunk)?;
    progress(applied, total);
    meta.insert(LAYOUT, layout_name().as_bytes())?;
    db.flush()?;
    Ok(applied)
}

/// Applies every projection to `entries` in one transaction.
fn apply(layout: &TreeLayout, entries: &[StoredEntry]) -> Result<u64, StoreError> {
    layout.transaction(|_, projected| {
        for e in entries {
            let pos = LogPosition {
                seq: e.seq,
                hash: hex::encode(e.hash),
                recorded_at: e.recorded_at,
            };
            projected.apply(&e.event, &pos)?;
        }
        Ok(())
    })?;
    Ok(entries.len() as u64)
}

/// SHA-256 over every read model's trees (each tree's name, then its keys and values in order,
/// each length-prefixed): equal digests, equal read models.
fn digest(db: &sled::Db) -> Result<String, StoreError> {
    let layout = TreeLayout::open(db)?;
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut put = |bytes: &[u8]| {
        ctx.update(&(bytes.len() as u64).to_be_bytes());
        ctx.update(bytes);
    };
    for tree in layout.read_model_trees() {
        put(&tree.name());
        for item in tree {
            let (k, v) = item?;
            put(&k);
            put(&v);
        }
    }
    Ok(hex::encode(ctx.finish()))
}

/// What [`rebuild_read_models`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebuilt {
    /// The verified log's head: its last entry and hash.
    pub head: ChainHead,
    /// Entries applied.
    pub entries: u64,
    /// Hex SHA-256 of every read model before the rebuild.
    pub before: String,
    /// The same after it; it differs from `before` when the read models had not matched the log.
    pub after: String,
}

/// Verifies the log of a data directory no hub is using, then rebuilds its read models from it
/// (`ecenter-admin rebuild-read-models`). A log that does not verify is refused untouched: the
/// read models are rebuilt only from entries that chain. `progress(applied, total)` after each
/// chunk of entries.
///
/// # Errors
/// The directory holds no log, is in use by a hub, or its log does not verify
/// ([`StoreError::Chain`]); sled's I/O errors.
pub fn rebuild_read_models(
    data_dir: &Path,
    progress: impl FnMut(u64, u64),
) -> Result<Rebuilt, StoreError> {
    require_log_dir(data_dir)?;
    let db = open_db(&data_dir.join("log")).map_err(|e| explain_open_error(data_dir, e))?;
    let events = db.open_tree("events")?;
    let mut verifier = ChainVerifier::default();
    for item in &events {
        let (k, v) = item?;
        verifier.push(&k, &v)?;
    }
    let before = digest(&db)?;
    let entries = rebuild(&db, &events, progress)?;
    Ok(Rebuilt {
        head: verifier.head(),
        entries,
        before,
        after: digest(&db)?,
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::append;
    use super::*;
    use crate::PasskeyReads;

    fn registered(credential_id: &str) -> Event {
        Event::PasskeyRegistered(ecenter_domain::passkey::PasskeyRegistered {
            identity: "urn:ecenter:lawyer:1".into(),
            credential_id: credential_id.into(),
            public_key: "pQECAyYgASFYIA".into(),
            algorithm: ecenter_domain::passkey::ES256,
            sign_count: 1,
            name: "办公室电脑".into(),
            attestation: "none".into(),
            backed_up: false,
            challenge: format!("ch-{credential_id}"),
            session: "s1".into(),
            client: String::new(),
        })
    }

    fn passkeys(store: &SledStore) -> Vec<String> {
        let mine = store.passkeys_of("urn:ecenter:lawyer:1").unwrap();
        mine.into_iter()
            .map(|p| p.registered.credential_id)
            .collect()
    }

    #[test]
    fn the_layout_names_every_projection_and_its_trees() {
        let name = layout_name();
        assert_eq!(name.split(' ').count(), PROJECTIONS.len(), "{name}");
        for tree in ["seals", "service", "passkeys", "pushes"] {
            assert!(name.contains(tree), "{tree} missing from {name}");
        }
    }

    #[tokio::test]
    async fn a_read_model_emptied_with_its_marker_gone_comes_back_at_the_next_open() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        append(&store, registered("cred-a")).await;
        append(&store, registered("cred-b")).await;
        store.close().await.unwrap();
        drop(store);
        {
            let db = open_db(&dir.path().join("log")).unwrap();
            assert_eq!(
                db.open_tree(META).unwrap().get(LAYOUT).unwrap().as_deref(),
                Some(layout_name().as_bytes()),
                "a fresh store records its layout"
            );
            db.open_tree("passkeys").unwrap().clear().unwrap();
            db.open_tree(META).unwrap().remove(LAYOUT).unwrap();
            db.flush().unwrap();
        }
        let store = SledStore::open(dir.path()).unwrap();
        assert_eq!(passkeys(&store), ["cred-a", "cred-b"]);
    }

    #[tokio::test]
    async fn the_operators_rebuild_says_whether_the_read_models_had_drifted() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        append(&store, registered("cred-a")).await;
        store.close().await.unwrap();
        drop(store);
        let same = rebuild_read_models(dir.path(), |_, _| {}).unwrap();
        assert_eq!((same.entries, same.head.seq), (1, 1));
        assert_eq!(same.before, same.after, "a faithful read model changed");
        {
            let db = open_db(&dir.path().join("log")).unwrap();
            let forged = [b"l".as_slice(), b"urn:ecenter:lawyer:1\0cred-x"].concat();
            db.open_tree("passkeys")
                .unwrap()
                .insert(forged, "")
                .unwrap();
            db.flush().unwrap();
        }
        let drifted = rebuild_read_models(dir.path(), |_, _| {}).unwrap();
        assert_ne!(drifted.before, drifted.after);
        assert_eq!(
            drifted.after, same.after,
            "the rebuild is the log's projection"
        );
    }

    #[tokio::test]
    async fn a_log_that_does_not_verify_is_refused_and_nothing_is_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        append(&store, registered("cred-a")).await;
        append(&store, registered("cred-b")).await;
        store.close().await.unwrap();
        drop(store);
        let db = open_db(&dir.path().join("log")).unwrap();
        let before = digest(&db).unwrap();
        let events = db.open_tree("events").unwrap();
        let mut value = events.get(entry_key(1)).unwrap().unwrap().to_vec();
        value[40] ^= 1;
        events.insert(entry_key(1), value).unwrap();
        db.open_tree("passkeys").unwrap().clear().unwrap();
        let emptied = digest(&db).unwrap();
        db.flush().unwrap();
        drop((events, db));
        let refused = rebuild_read_models(dir.path(), |_, _| {});
        assert!(matches!(refused, Err(StoreError::Chain(_))), "{refused:?}");
        let db = open_db(&dir.path().join("log")).unwrap();
        assert_eq!(digest(&db).unwrap(), emptied, "read models were touched");
        assert_ne!(emptied, before);
    }
}
