//! Read models rebuilt from the log.
//!
//! The read models are a projection of the log's entries (ARCHITECTURE.md, "state is a projection
//! of events"); sled keeps them beside the entries so that reads are cheap. Three things can make
//! them disagree with the log, and each is repaired by clearing every read model's tree and
//! applying every entry again, in the log's order, with the projections of this build:
//! - **an upgrade**: a read model added since the trees were written (it would hold nothing for
//!   the earlier entries), or one whose [`Projection::version`] was raised. The `read_models` tree
//!   records, under `layout`, which projections wrote the trees;
//! - **a rollback**: a build from before this record appended entries that the read models it
//!   did not know never saw. Every append transaction also records, under `applied_through`, the
//!   last entry the read models applied; a log whose head is past it was appended to without them;
//! - **damage**: a read model altered on disk (a hex editor, a bad restore). The operator's
//!   `ecenter-admin rebuild-read-models` rebuilds them on demand and says, by comparing a digest of
//!   every read model before and after, whether they had differed from the log.
//!
//! The first two are checked each time a hub opens its data directory, before its writer starts
//! (for an instance on PostgreSQL, once its replica is known to agree with the database). The
//! marker is removed before the trees are cleared and written only after the last entry is applied
//! and flushed, so an interrupted rebuild is done again at the next start. Trees that only an
//! earlier layout named are dropped once the rebuild is done.

use super::*;

/// The tree holding the marker and what the read models applied.
pub(super) const META: &str = "read_models";
/// The marker's key: the projections that wrote the read models ([`layout_name`]).
const LAYOUT: &[u8] = b"layout";
/// The key of the last entry the read models applied (big-endian), written with every append.
pub(super) const APPLIED_THROUGH: &[u8] = b"applied_through";
/// The key of the first `log_seals_began` entry the log holds: its number and the entry it names
/// (big-endian each), written in the transaction that applies it.
pub(super) const SEALS_BEGAN: &[u8] = b"seals_began";

/// The first `log_seals_began` entry of the log as `(its seq, the first sealed entry)`.
pub(super) fn seals_began(meta: &sled::Tree) -> Result<Option<(u64, u64)>, StoreError> {
    Ok(meta.get(SEALS_BEGAN)?.and_then(|v| {
        let seq = u64::from_be_bytes(v.get(..8)?.try_into().ok()?);
        let from = u64::from_be_bytes(v.get(8..16)?.try_into().ok()?);
        Some((seq, from))
    }))
}

/// Entries applied per sled transaction.
const CHUNK: usize = 512;

/// What this build's projections write: each one's trees and version, in the list's order, e.g.
/// `seals@1 requests+orders+…@2 …`.
pub(super) fn layout_name() -> String {
    PROJECTIONS
        .iter()
        .map(|p| format!("{}@{}", p.trees().join("+"), p.version()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The trees a layout name lists.
fn trees_of(layout: &str) -> Vec<&str> {
    layout
        .split(' ')
        .filter_map(|p| p.rsplit_once('@'))
        .flat_map(|(trees, _)| trees.split('+'))
        .collect()
}

/// What `read_models` says of the read models on disk.
struct Marker {
    layout: Option<String>,
    applied_through: Option<u64>,
}

impl Marker {
    fn read(db: &sled::Db) -> Result<Marker, StoreError> {
        let meta = db.open_tree(META)?;
        Ok(Marker {
            layout: meta
                .get(LAYOUT)?
                .map(|v| String::from_utf8_lossy(&v).into_owned()),
            applied_through: meta
                .get(APPLIED_THROUGH)?
                .and_then(|v| v.as_ref().try_into().ok())
                .map(u64::from_be_bytes),
        })
    }

    /// Why the read models cannot be taken as this build's projection of a log ending at `head`,
    /// if they cannot.
    fn stale(&self, head: u64) -> Option<String> {
        let want = layout_name();
        match (&self.layout, self.applied_through.unwrap_or(0)) {
            (None, _) => Some("no record of the projections that wrote them".into()),
            (Some(was), _) if *was != want => Some(format!("written by other projections ({was})")),
            (_, through) if through < head => Some(format!(
                "they applied the log up to entry {through} and it ends at {head}: a build without them appended"
            )),
            (_, through) if through > head => Some(format!(
                "they applied entries up to {through} and the log ends at {head}: entries were lost from its end (a loss being accepted, or one its checkpoints did not cover)"
            )),
            _ => None,
        }
    }
}

/// Rebuilds the read models of a log of `entries` entries ending at entry `head` if this build's
/// projections did not write them or did not apply all of it. Returns the entries applied, or
/// `None` when the read models were current.
pub(super) fn ensure_current(
    db: &sled::Db,
    events: &sled::Tree,
    entries: u64,
    head: u64,
) -> Result<Option<u64>, StoreError> {
    let marker = Marker::read(db)?;
    let Some(why) = marker.stale(head) else {
        return Ok(None);
    };
    if entries == 0 {
        mark_current(db, 0)?;
        return Ok(None);
    }
    tracing::warn!(%why, entries, "the read models are not this build's projection of the log: rebuilding them from it");
    let started = std::time::Instant::now();
    let applied = rebuild(db, events, entries, |_, _| {})?;
    tracing::info!(
        entries = applied,
        seconds = started.elapsed().as_secs_f64(),
        "read models rebuilt from the log"
    );
    Ok(Some(applied))
}

/// Forgets which projections wrote the read models, as in a data directory older than the record,
/// so that the next open rebuilds them from the log (a log cut back by an accepted loss; tests: a
/// hub from before a read model existed).
pub(crate) fn forget_layout(db: &sled::Db) -> Result<(), StoreError> {
    db.open_tree(META)?.remove(LAYOUT)?;
    Ok(())
}

/// Records the layout as if the projection writing `tree` were at `version` (tests: a data
/// directory an older build wrote, before that projection's layout changed).
#[cfg(any(test, feature = "tamper"))]
pub(crate) fn pretend_layout(db: &sled::Db, tree: &str, version: u32) -> Result<(), StoreError> {
    let layout: Vec<String> = PROJECTIONS
        .iter()
        .map(|p| {
            let v = if p.trees().contains(&tree) {
                version
            } else {
                p.version()
            };
            format!("{}@{v}", p.trees().join("+"))
        })
        .collect();
    db.open_tree(META)?
        .insert(LAYOUT, layout.join(" ").as_bytes())?;
    Ok(())
}

/// Records that this build's projections wrote the read models, up to entry `head`.
fn mark_current(db: &sled::Db, head: u64) -> Result<(), StoreError> {
    let meta = db.open_tree(META)?;
    meta.insert(APPLIED_THROUGH, &head.to_be_bytes())?;
    meta.insert(LAYOUT, layout_name().as_bytes())?;
    db.flush()?;
    Ok(())
}

/// Clears every read model and applies each of the `total` entries of `events` again, reporting
/// `progress(applied, total)` after each chunk; then drops the trees only an earlier layout named.
/// Returns the entries applied.
pub(super) fn rebuild(
    db: &sled::Db,
    events: &sled::Tree,
    total: u64,
    mut progress: impl FnMut(u64, u64),
) -> Result<u64, StoreError> {
    let earlier = Marker::read(db)?.layout;
    let meta = db.open_tree(META)?;
    meta.remove(LAYOUT)?;
    db.flush()?;
    let layout = TreeLayout::open(db)?;
    for tree in layout.read_model_trees() {
        tree.clear()?;
    }
    let (mut applied, mut last) = (0, 0);
    let mut chunk = Vec::with_capacity(CHUNK);
    for item in events {
        let (k, v) = item?;
        chunk.push(decode_entry(&k, &v)?);
        if chunk.len() == CHUNK {
            (applied, last) = (applied + apply(&layout, &chunk)?, chunk[CHUNK - 1].seq);
            chunk.clear();
            progress(applied, total);
        }
    }
    if let Some(e) = chunk.last() {
        (applied, last) = (applied + apply(&layout, &chunk)?, e.seq);
    }
    progress(applied, total);
    if let Some(earlier) = earlier {
        drop_trees_left_behind(db, &earlier)?;
    }
    mark_current(db, last)?;
    Ok(applied)
}

/// Drops the trees the `earlier` layout named that this build's does not.
fn drop_trees_left_behind(db: &sled::Db, earlier: &str) -> Result<(), StoreError> {
    let now = layout_name();
    let kept = trees_of(&now);
    for name in trees_of(earlier) {
        if !kept.contains(&name) && ![META, "events"].contains(&name) {
            db.drop_tree(name)?;
            tracing::info!(
                tree = name,
                "a read model no projection writes any more was dropped"
            );
        }
    }
    Ok(())
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
        entries
            .last()
            .map_or(Ok(()), |e| projected.applied_through(e.seq))
    })?;
    Ok(entries.len() as u64)
}

/// SHA-256 over every read model's trees (each tree's name and [`tree_digests`] digest): equal
/// digests, equal read models.
fn digest(db: &sled::Db) -> Result<String, StoreError> {
    Ok(overall(&tree_digests(db)?))
}

/// One hex SHA-256 over [`tree_digests`]' names and digests.
pub(super) fn overall(digests: &[(String, [u8; 32])]) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for (name, digest) in digests {
        ctx.update(&(name.len() as u64).to_be_bytes());
        ctx.update(name.as_bytes());
        ctx.update(digest);
    }
    hex::encode(ctx.finish())
}

/// Each read model tree's name, in the layout's order, with a SHA-256 over its keys and values in
/// order, each length-prefixed: equal digests, equal trees.
pub(super) fn tree_digests(db: &sled::Db) -> Result<Vec<(String, [u8; 32])>, StoreError> {
    let layout = TreeLayout::open(db)?;
    let mut digests = Vec::new();
    for tree in layout.read_model_trees() {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        for item in tree {
            let (k, v) = item?;
            for bytes in [&k, &v] {
                ctx.update(&(bytes.len() as u64).to_be_bytes());
                ctx.update(bytes);
            }
        }
        let name = String::from_utf8_lossy(&tree.name()).into_owned();
        let digest = ctx
            .finish()
            .as_ref()
            .try_into()
            .expect("SHA-256 is 32 bytes");
        digests.push((name, digest));
    }
    Ok(digests)
}

/// What [`rebuild_read_models`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebuilt {
    /// The verified log's head: its last entry and hash.
    pub head: ChainHead,
    /// Entries applied.
    pub entries: u64,
    /// Why the read models found were not this build's projection of the whole log (written by
    /// other projections — an upgrade not yet started, an interrupted rebuild — or not applied to
    /// its end): then `before` is not comparable with `after`.
    pub not_comparable: Option<String>,
    /// Hex SHA-256 of every read model before the rebuild.
    pub before: String,
    /// The same after it. With `not_comparable` empty, it differs from `before` exactly when the
    /// read models had not matched the log.
    pub after: String,
}

impl Rebuilt {
    /// Whether the read models had differed from the log; `None` when that cannot be told.
    pub fn changed(&self) -> Option<bool> {
        self.not_comparable
            .is_none()
            .then(|| self.before != self.after)
    }
}

/// Verifies the log of a data directory no hub is using, then rebuilds its read models from it
/// (`ecenter-admin rebuild-read-models`). A log that does not verify is refused before any read
/// model is touched: they are rebuilt only from entries that chain. (Opening sled may itself
/// rewrite a damaged tail of its log; to only check a log, use `clerk verify-log`, which reads a
/// copy.) `progress(applied, total)` after each chunk of entries.
///
/// # Errors
/// The directory holds no log, is in use by a hub, or its log does not verify
/// ([`StoreError::Chain`]); sled's I/O errors.
pub fn rebuild_read_models(
    data_dir: &Path,
    progress: impl FnMut(u64, u64),
) -> Result<Rebuilt, StoreError> {
    require_log_dir(data_dir)?;
    set_aside_partial_snapshots(data_dir)?;
    let db = open_db(&data_dir.join("log")).map_err(|e| explain_open_error(data_dir, e))?;
    let events = db.open_tree("events")?;
    let mut verifier = ChainVerifier::default();
    let mut total = 0;
    for item in &events {
        let (k, v) = item?;
        verifier.push(&k, &v)?;
        total += 1;
    }
    let head = verifier.head();
    let not_comparable = Marker::read(&db)?.stale(head.seq);
    let before = digest(&db)?;
    let entries = rebuild(&db, &events, total, progress)?;
    Ok(Rebuilt {
        head,
        entries,
        not_comparable,
        before,
        after: digest(&db)?,
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{append, passkey_registered};
    use super::*;
    use crate::PasskeyReads;

    fn registered(credential_id: &str) -> Event {
        passkey_registered(credential_id, &format!("ch-{credential_id}"))
    }

    fn passkeys(store: &SledStore) -> Vec<String> {
        let mine = store.passkeys_of("urn:ecenter:lawyer:1").unwrap();
        mine.into_iter()
            .map(|p| p.registered.credential_id)
            .collect()
    }

    /// A store holding `cred-a` and `cred-b`, closed.
    async fn two_passkeys() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        append(&store, registered("cred-a")).await;
        append(&store, registered("cred-b")).await;
        store.close().await.unwrap();
        dir
    }

    #[test]
    fn the_layout_names_every_projection_and_every_tree_it_writes() {
        let name = layout_name();
        assert_eq!(name.split(' ').count(), PROJECTIONS.len(), "{name}");
        let listed = trees_of(&name);
        for projection in PROJECTIONS {
            for tree in projection.trees() {
                assert!(listed.contains(tree), "{tree} missing from {name}");
            }
        }
        assert!(!listed.contains(&"events") && !listed.contains(&META));
    }

    #[tokio::test]
    async fn read_models_another_layout_wrote_are_rebuilt_and_its_own_trees_dropped() {
        let dir = two_passkeys().await;
        {
            let db = open_db(&dir.path().join("log")).unwrap();
            let old = format!("passkeys@0 retired_index@1 {}", layout_name());
            db.open_tree(META)
                .unwrap()
                .insert(LAYOUT, old.as_bytes())
                .unwrap();
            db.open_tree("retired_index")
                .unwrap()
                .insert("k", "v")
                .unwrap();
            db.open_tree("passkeys").unwrap().clear().unwrap();
            db.flush().unwrap();
        }
        let store = SledStore::open(dir.path()).unwrap();
        assert_eq!(passkeys(&store), ["cred-a", "cred-b"]);
        store.close().await.unwrap();
        drop(store);
        let db = open_db(&dir.path().join("log")).unwrap();
        let names: Vec<_> = db.tree_names().into_iter().map(|n| n.to_vec()).collect();
        assert!(
            !names.contains(&b"retired_index".to_vec()),
            "a retired tree kept"
        );
        assert!(names.contains(&b"passkeys".to_vec()));
    }

    #[tokio::test]
    async fn entries_a_build_without_the_read_models_appended_are_applied_at_the_next_open() {
        let dir = two_passkeys().await;
        {
            // An older build appends entry 3 to the log; it knows nothing of the passkeys.
            let db = open_db(&dir.path().join("log")).unwrap();
            let events = db.open_tree("events").unwrap();
            let (_, last) = events.last().unwrap().unwrap();
            let head = decode_entry(&entry_key(2), &last).unwrap();
            let event = registered("cred-c");
            let (_, value) = crate::chain::encode_entry(3, &head.hash, Utc::now(), &event);
            events.insert(entry_key(3), value).unwrap();
            db.flush().unwrap();
        }
        let store = SledStore::open(dir.path()).unwrap();
        assert_eq!(passkeys(&store), ["cred-a", "cred-b", "cred-c"]);
    }

    #[tokio::test]
    async fn a_read_model_emptied_with_its_marker_gone_comes_back_at_the_next_open() {
        let dir = two_passkeys().await;
        {
            let db = open_db(&dir.path().join("log")).unwrap();
            let meta = db.open_tree(META).unwrap();
            assert_eq!(
                meta.get(LAYOUT).unwrap().as_deref(),
                Some(layout_name().as_bytes()),
                "a fresh store records its layout"
            );
            assert_eq!(
                meta.get(APPLIED_THROUGH).unwrap().as_deref(),
                Some(2u64.to_be_bytes().as_slice()),
                "and what it applied"
            );
            db.open_tree("passkeys").unwrap().clear().unwrap();
            meta.remove(LAYOUT).unwrap();
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
        assert_eq!(same.changed(), Some(false), "a faithful read model changed");
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
        assert_eq!(drifted.changed(), Some(true));
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

    #[tokio::test]
    async fn read_models_another_build_wrote_are_rebuilt_but_not_called_altered() {
        let dir = two_passkeys().await;
        {
            let db = open_db(&dir.path().join("log")).unwrap();
            db.open_tree(META)
                .unwrap()
                .insert(LAYOUT, "seals@1")
                .unwrap();
            db.flush().unwrap();
        }
        let upgraded = rebuild_read_models(dir.path(), |_, _| {}).unwrap();
        assert_eq!(upgraded.changed(), None);
        let why = upgraded.not_comparable.unwrap();
        assert!(why.contains("seals@1"), "{why}");
        let again = rebuild_read_models(dir.path(), |_, _| {}).unwrap();
        assert_eq!(again.changed(), Some(false), "{again:?}");
    }
}
