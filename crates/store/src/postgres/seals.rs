//! Entry seals: which instance of the hub wrote each entry of PostgreSQL's log.
//!
//! The hash chain proves that no entry was changed after a later one was written; it cannot tell
//! an entry an ecenter instance decided from one a database role inserted at the head, linked and
//! well formed (a forged, back-dated filing). The database's writers are trusted with availability,
//! not with the record: every batch an instance commits carries a **seal**, an ECDSA P-256
//! signature by that instance's checkpoint key over
//!
//! ```text
//! ecenter entry seal 1
//! sealed from entry <from>
//! entries <first> to <last>
//! entry <last> hash <hex SHA-256>
//! ```
//!
//! in the batch's own transaction (`ecenter_seals`, one row per batch; the key's public half in
//! `ecenter_checkpoint_keys`). Through the hash of its last entry a seal vouches for every entry of
//! its range (each hash covers the one before it), and the ranges must tile the log from `<from>`
//! on, the first entry appended after seals began (`ecenter_seals_from`: the head + 1 when the
//! schema change ran, or after `ecenter-admin migrate` copied a sled log, whose entries the sled
//! hub's checkpoints vouch for). Every seal signs `<from>`, so moving it once a seal exists breaks
//! every seal.
//!
//! An instance copies another's entries only once a seal vouches for them, and stops writing
//! (as for any entry that does not verify) at one no seal covers; `clerk verify-log --postgres`
//! reports it. Against a forger who also plants a key of his own in `ecenter_checkpoint_keys`,
//! only keys held apart help: the clerk's `--checkpoint-key`, every instance's key.

use super::{Row, Upstream, pg, to_i64};
use crate::StoreError;
use crate::checkpoint::{CheckpointKey, CheckpointSigner};
use ecenter_domain::Event;
use std::path::PathBuf;
use tokio_postgres::Client;

/// The schema version that made the tables.
const SCHEMA: i32 = 5;

/// Schema change 5: the seals and where they begin.
pub(crate) const MIGRATION: &str = "
    CREATE TABLE ecenter_seals_from (
        only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
        seq bigint NOT NULL CHECK (seq > 0)
    );
    INSERT INTO ecenter_seals_from (seq) SELECT seq + 1 FROM ecenter_head;
    CREATE TABLE ecenter_seals (
        last_seq bigint PRIMARY KEY,
        first_seq bigint NOT NULL CHECK (first_seq > 0 AND first_seq <= last_seq),
        key_id text NOT NULL,
        signature bytea NOT NULL
    );";

/// The most entries one seal may cover when an instance reads it: a batch holds at most a few
/// thousand; a claim beyond this is not read page by page but refused.
const LONGEST_SEAL: u64 = 100_000;

/// What a seal signs.
fn sealed_text(from: u64, first: u64, last: u64, hash: &[u8; 32]) -> String {
    format!(
        "ecenter entry seal 1\nsealed from entry {from}\nentries {first} to {last}\nentry {last} hash {}\n",
        hex::encode(hash)
    )
}

/// The seal of one batch, as written beside it.
pub(crate) struct Seal {
    pub(crate) first: i64,
    pub(crate) last: i64,
    pub(crate) key_id: String,
    pub(crate) public_key: String,
    pub(crate) signature: Vec<u8>,
}

/// An instance's sealing key, read (or made) at its first batch: by then the hub's checkpoint
/// machinery has read or made the same key file.
pub(crate) struct Sealer {
    path: PathBuf,
    key: Option<CheckpointSigner>,
    /// Where the seals begin (`ecenter_seals_from`), signed into every seal.
    from: u64,
}

impl Sealer {
    /// Seals with the checkpoint key at `path` the batches of a log whose seals begin at `from`.
    pub(crate) fn at(path: PathBuf, from: u64) -> Sealer {
        Sealer {
            path,
            key: None,
            from,
        }
    }

    /// The seal of the batch `rows` (consecutive, not empty).
    pub(crate) fn seal(&mut self, rows: &[Row]) -> Result<Seal, StoreError> {
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
            return Err(StoreError::Postgres("sealing an empty batch".into()));
        };
        let from = self.from;
        if first.seq < from {
            return Err(StoreError::Postgres(format!(
                "entry {} comes before entry {from}, where the seals of PostgreSQL's log begin",
                first.seq
            )));
        }
        if self.key.is_none() {
            let key = CheckpointSigner::load(&self.path, true)
                .map_err(|e| StoreError::Postgres(format!("the key that seals entries: {e}")))?;
            self.key = Some(key);
        }
        let key = self.key.as_ref().expect("just loaded");
        let text = sealed_text(from, first.seq, last.seq, &last.hash);
        Ok(Seal {
            first: to_i64(first.seq)?,
            last: to_i64(last.seq)?,
            key_id: key.key_id(),
            public_key: key.public_key_pem(),
            signature: key.sign_bytes(text.as_bytes()),
        })
    }
}

impl Upstream {
    /// Seals every batch this link commits, with the checkpoint key at `path`, as seals that
    /// begin at entry `from` ([`Upstream::sealed_from`]).
    pub(crate) fn seal_with(&mut self, path: PathBuf, from: u64) {
        self.sealer = Some(Sealer::at(path, from));
    }

    /// Moves where the seals begin to just after entry `seq`, in the transaction holding the
    /// head (`ecenter-admin migrate`: the entries it copies are the sled hub's). Refused once any
    /// batch is sealed: those seals sign where they began.
    pub(crate) fn seals_begin_after(&mut self, seq: u64) -> Result<(), StoreError> {
        let from = to_i64(seq + 1)?;
        self.rt.block_on(async {
            let moved = self
                .client()?
                .execute(
                    "UPDATE ecenter_seals_from SET seq = $1 \
                     WHERE NOT EXISTS (SELECT 1 FROM ecenter_seals)",
                    &[&from],
                )
                .await
                .map_err(pg("moving where the entries' seals begin"))?;
            match moved {
                1 => Ok(()),
                _ => Err(StoreError::Postgres(
                    "PostgreSQL's log already holds batches the hubs sealed: migrate into an \
                     empty database"
                        .into(),
                )),
            }
        })
    }

    /// The first entry the seals cover; `None` on a schema from before seals.
    pub(crate) fn sealed_from(&mut self) -> Result<Option<u64>, StoreError> {
        self.rt.block_on(sealed_from(self.client()?))
    }

    /// The first `log_seals_began` entry of the log and the start it records (a scan of the
    /// whole log: for the clerk's walk, not for a hub's every batch).
    pub(crate) fn began_in_log(&mut self) -> Result<Option<(u64, u64)>, StoreError> {
        self.rt.block_on(began_in_log(self.client()?))
    }

    /// The entries after `after` (about `limit`) as far as seals vouch for them ([`vouched`]).
    pub(crate) fn vouched_rows_after(
        &mut self,
        after: u64,
        limit: usize,
        from: u64,
        trusted: &Trusted<'_>,
    ) -> Result<Vouched, StoreError> {
        self.rt.block_on(async {
            let client = self.client()?;
            let rows = super::rows_after(client, after, limit).await?;
            vouched(client, from, trusted, rows).await
        })
    }
}

/// The keys `[store] instance_keys` names, with this instance's own (at `own`, made there on its
/// first start, when `ran_here` is false); empty when none are named.
pub(crate) fn instance_keys(
    named: &[PathBuf],
    own: &std::path::Path,
    ran_here: bool,
) -> Result<Vec<CheckpointKey>, StoreError> {
    if named.is_empty() {
        return Ok(Vec::new());
    }
    let keys = named
        .iter()
        .map(|path| CheckpointKey::load(path))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| StoreError::Postgres(format!("[store] instance_keys: {e}")))?;
    // A key gone from a data directory that holds a replica was lost, not never made: a new one
    // would only be refused as not on the list, with advice to list it.
    if ran_here && !own.exists() {
        return Err(StoreError::Postgres(format!(
            "the key that seals this instance's entries, {}, is missing, though its data \
             directory holds its replica from an earlier start: [store] instance_keys pins that \
             key, so restore the file from its backup. (A new key is a new instance: move the \
             data directory aside, start it, and add its public key to every instance's list.)",
            own.display()
        )));
    }
    // Its own key (made now if this is its first start) must be on the list every instance
    // holds: the others would refuse its entries and stop, while it went on acknowledging
    // filings no one else takes (outside tests, round 8, G6).
    let signer = CheckpointSigner::load(own, !ran_here).map_err(|e| {
        StoreError::Postgres(format!(
            "[checkpoints] key_file (or checkpoints/hub.key): {e}"
        ))
    })?;
    let mine = CheckpointKey::from(&signer);
    if !keys.contains(&mine) {
        return Err(StoreError::Postgres(format!(
            "[store] instance_keys names {} key(s), none of them this instance's own (key {} in \
             {}): the other instances, holding the same list, would refuse its entries. Add its \
             public key (`openssl pkey -in {} -pubout > hub.pub`) to every instance's list, this \
             one's too, then start it",
            keys.len(),
            mine.key_id(),
            own.display(),
            own.display()
        )));
    }
    Ok(keys)
}

/// The first entry the seals cover; `None` on a schema from before seals. The row or the table
/// gone from a schema that has them is an error naming it: without it nothing says which entries
/// need a seal.
pub(crate) async fn sealed_from(client: &Client) -> Result<Option<u64>, StoreError> {
    let reading = pg("reading where the entries' seals begin");
    let table: bool = client
        .query_one("SELECT to_regclass('ecenter_seals_from') IS NOT NULL", &[])
        .await
        .map_err(&reading)?
        .get(0);
    if !table {
        let version: i32 = client
            .query_one("SELECT coalesce(max(version), 0) FROM ecenter_schema", &[])
            .await
            .map_err(&reading)?
            .get(0);
        return match version {
            v if v >= SCHEMA => Err(StoreError::Altered(format!(
                "the table ecenter_seals_from is gone, but the schema (version {v}) has it: it \
                 was dropped around the hubs; restore it from a backup"
            ))),
            _ => Ok(None),
        };
    }
    match client
        .query_opt("SELECT seq FROM ecenter_seals_from", &[])
        .await
        .map_err(&reading)?
    {
        Some(row) => Ok(Some(
            u64::try_from(row.get::<_, i64>(0)).unwrap_or(0).max(1),
        )),
        None => Err(StoreError::Altered(format!(
            "ecenter_seals_from has no row: it was deleted around the hubs, and without it \
             nothing says which entries need a seal; {}",
            match began_in_log(client).await? {
                Some((seq, from)) => format!(
                    "entry {seq} of the log records that they begin at entry {from}: put the row \
                     back (`INSERT INTO ecenter_seals_from (seq) VALUES ({from})`)"
                ),
                None => "restore it from a backup".into(),
            }
        ))),
    }
}

/// The first `log_seals_began` entry of the log and the start it records, found by a scan of
/// the log (when the row that repeats it is gone, and by the clerk's walk).
async fn began_in_log(client: &Client) -> Result<Option<(u64, u64)>, StoreError> {
    let rows = client
        .query(
            "SELECT seq, entry FROM ecenter_log \
             WHERE position('\"log_seals_began\"'::bytea in entry) > 0 ORDER BY seq LIMIT 5",
            &[],
        )
        .await
        .map_err(pg(
            "looking for the entry that records where the seals begin",
        ))?;
    Ok(rows.iter().find_map(|row| {
        let seq = u64::try_from(row.get::<_, i64>(0)).ok()?;
        let entry = crate::chain::decode_entry(&crate::chain::entry_key(seq), row.get(1)).ok()?;
        match entry.event {
            Event::LogSealsBegan { from, .. } => Some((seq, from)),
            _ => None,
        }
    }))
}

/// Which keys vouch for an entry.
pub(crate) enum Trusted<'a> {
    /// Any key PostgreSQL publishes for it (an instance copying another's entries).
    Published,
    /// Only these, held apart from the database, and the setting that gave them
    /// (`clerk verify-log --checkpoint-key`, `[store] instance_keys`).
    Pinned(&'a [CheckpointKey], &'static str),
}

impl<'a> Trusted<'a> {
    /// Only `keys` when any are held apart (given with `setting`), else the published ones.
    pub(crate) fn held_or_published(keys: &'a [CheckpointKey], setting: &'static str) -> Self {
        match keys {
            [] => Trusted::Published,
            keys => Trusted::Pinned(keys, setting),
        }
    }
}

/// A seal read back with the public key published for it.
struct Read {
    first: u64,
    last: u64,
    key_id: String,
    public_key: Option<String>,
    signature: Vec<u8>,
}

/// Entries read from PostgreSQL, as far as seals vouch for them.
pub(crate) struct Vouched {
    /// The leading entries a verified seal vouches for (or that need none).
    pub(crate) rows: Vec<Row>,
    /// The entry right after them, when it is one no seal vouches for, and why.
    pub(crate) refused: Option<crate::ChainError>,
    /// Rows of `ecenter_seals` over these entries that do not verify, though the entries' own
    /// seals do: written around the hubs (outside tests, round 10, F4). Harmless to the entries;
    /// named to the clerk.
    pub(crate) stray: Vec<String>,
}

/// The leading entries of `rows` (consecutive, as read after some entry) that a verified seal
/// vouches for — every one before `from` — read further when the first seal ends past them; an
/// entry no seal covers, or whose seal does not verify, is named in [`Vouched::refused`].
pub(crate) async fn vouched(
    client: &Client,
    from: u64,
    trusted: &Trusted<'_>,
    mut rows: Vec<Row>,
) -> Result<Vouched, StoreError> {
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return Ok(Vouched {
            rows,
            refused: None,
            stray: Vec::new(),
        });
    };
    if last.seq < from {
        return Ok(Vouched {
            rows,
            refused: None,
            stray: Vec::new(),
        });
    }
    let (first, last) = (first.seq.max(from), last.seq);
    let seals = seals_over(client, first, last).await?;
    // The first sealed entry's seal ends past these rows: read up to its end.
    if let Some(s) = seals.iter().find(|s| s.first <= first && s.last > last) {
        let after = rows[0].seq - 1;
        if s.last - first <= LONGEST_SEAL {
            let longer = super::rows_after(client, after, (s.last - after) as usize).await?;
            if longer.last().is_some_and(|r| r.seq >= s.last) {
                rows = longer;
            }
        }
    }
    let Checked {
        upto,
        mut refused,
        stray,
    } = check(from, trusted, &rows, &seals);
    let read_to = rows.last().map_or(0, |r| r.seq);
    rows.retain(|r| r.seq <= upto);
    if refused.is_none() && rows.last().is_none_or(|r| r.seq < first) {
        refused = Some(match seals.first() {
            // The batch is sealed, but its last entries are gone.
            Some(s) if s.first <= first => crate::ChainError {
                seq: read_to + 1,
                reason: format!(
                    "entries {} to {} were sealed as one batch, and PostgreSQL's log ends at \
                     entry {read_to}: entries were removed from it",
                    s.first, s.last
                ),
            },
            _ => unsealed(first, "no instance of the hub sealed it"),
        });
    }
    if let Some(at) = refused.as_ref().map(|r| r.seq) {
        refused = began_after(client, at, from).await?.or(refused);
    }
    Ok(Vouched {
        rows,
        refused,
        stray,
    })
}

/// A `log_seals_began` entry soon after `seq`, the entry found unsealed, that records the seals
/// beginning past it: the row `ecenter_seals_from` (`from`) was moved back over genuine entries
/// from before the seals, and that is what is named — not the entry (outside tests, round 9, F4).
async fn began_after(
    client: &Client,
    seq: u64,
    from: u64,
) -> Result<Option<crate::ChainError>, StoreError> {
    const AHEAD: usize = 1000;
    let rows = super::rows_after(client, seq.saturating_sub(1), AHEAD).await?;
    Ok(rows.iter().find_map(|row| {
        let entry =
            crate::chain::decode_entry(&crate::chain::entry_key(row.seq), &row.value).ok()?;
        match entry.event {
            Event::LogSealsBegan { from: began, .. } if began > seq => {
                super::seals_began::recorded_elsewhere(row.seq, &entry.event, from)
            }
            _ => None,
        }
    }))
}

/// What [`check`] found in a page of entries.
#[derive(Debug, PartialEq)]
struct Checked {
    /// The last entry a verified seal vouches for (or that needs none).
    upto: u64,
    /// The entry after it, when no seal vouches for that one, and why.
    refused: Option<crate::ChainError>,
    /// Seals ending at or before `upto` that do not verify: planted over vouched entries.
    stray: Vec<String>,
}

/// The last entry of `rows` a verified seal vouches for (or that needs none), and the entry
/// after it when no seal vouches for that one. Any verified seal covering an entry vouches for
/// it: a row planted in `ecenter_seals` over genuine entries (round 9, F3) does not make them
/// forged, as long as the seal their instance wrote is there; it is named in [`Checked::stray`].
fn check(from: u64, trusted: &Trusted<'_>, rows: &[Row], seals: &[Read]) -> Checked {
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return Checked {
            upto: 0,
            refused: None,
            stray: Vec::new(),
        };
    };
    let mut upto = (from - 1).min(last.seq).max(first.seq - 1);
    // Each seal whose last entry was read, verified against that entry's hash.
    let judged: Vec<(&Read, Result<(), String>)> = seals
        .iter()
        .filter_map(|seal| {
            // By number, not position: a loss accepted on the record leaves a gap in the rows.
            let at = rows.binary_search_by_key(&seal.last, |r| r.seq).ok()?;
            let row = &rows[at];
            Some((seal, verify(from, seal, &row.hash, trusted)))
        })
        .collect();
    let checked = |upto: u64, refused: Option<crate::ChainError>| Checked {
        upto,
        refused,
        stray: stray(&judged, upto),
    };
    for row in rows.iter().filter(|r| r.seq >= from) {
        let covers = |seal: &Read| seal.first <= row.seq && row.seq <= seal.last;
        if judged.iter().any(|(s, ok)| ok.is_ok() && covers(s)) {
            upto = row.seq;
            continue;
        }
        // A seal that ends past the rows read: the caller reads on.
        if seals.iter().any(|s| covers(s) && s.last > last.seq) {
            return checked(upto, None);
        }
        // The entry named is this one, the first no verified seal vouches for — not the first
        // of a failing seal's range, whose earlier entries another seal may vouch for (a row
        // planted over a genuine entry and a forged one: outside tests, round 11, F2).
        let refused = match judged.iter().find(|(s, _)| covers(s)) {
            Some((_, Err(why))) => unsealed(row.seq, why),
            _ => unsealed(row.seq, "no instance of the hub sealed it"),
        };
        return checked(upto, Some(refused));
    }
    checked(upto, None)
}

/// The seals of `judged` that do not verify though every entry they cover, up to `upto`, is
/// vouched for by another: rows no instance wrote, in words for the clerk.
fn stray(judged: &[(&Read, Result<(), String>)], upto: u64) -> Vec<String> {
    judged
        .iter()
        .filter(|(seal, _)| seal.last <= upto)
        .filter_map(|(seal, verdict)| verdict.as_ref().err().map(|why| (seal, why)))
        .map(|(seal, why)| {
            format!(
                "ecenter_seals holds a row for entries {} to {} (key {}) that no instance wrote \
                 ({why}); the entries are vouched for by their own seals, so it changes nothing, \
                 but someone wrote it into the database around the hubs / 封印表中有非实例写入的记录",
                seal.first, seal.last, seal.key_id
            )
        })
        .collect()
}

/// Whether `seal`, ending at an entry hashed `hash`, verifies with a key `trusted` allows.
fn verify(from: u64, seal: &Read, hash: &[u8; 32], trusted: &Trusted<'_>) -> Result<(), String> {
    let text = sealed_text(from, seal.first, seal.last, hash);
    if key_for(seal, trusted)?.verifies_bytes(text.as_bytes(), &seal.signature) {
        return Ok(());
    }
    Err(format!(
        "the seal of entries {} to {} (key {}) does not verify",
        seal.first, seal.last, seal.key_id
    ))
}

/// The key that must check `seal`, or why there is none.
fn key_for(seal: &Read, trusted: &Trusted<'_>) -> Result<CheckpointKey, String> {
    match trusted {
        Trusted::Pinned(keys, given_with) => keys
            .iter()
            .find(|k| k.key_id() == seal.key_id)
            .cloned()
            .ok_or_else(|| {
                format!(
                    "its seal is by key {}, which is not among the keys given with {given_with}",
                    seal.key_id
                )
            }),
        Trusted::Published => seal
            .public_key
            .as_deref()
            .ok_or_else(|| {
                format!(
                    "its seal names key {}, which PostgreSQL does not publish",
                    seal.key_id
                )
            })
            .and_then(|pem| {
                CheckpointKey::from_pem(pem)
                    .map_err(|e| format!("the key {} published for its seal: {e}", seal.key_id))
            }),
    }
}

fn unsealed(seq: u64, why: &str) -> crate::ChainError {
    crate::ChainError {
        seq,
        reason: format!(
            "{why}: it was written into PostgreSQL's log around the hubs, or its seal \
             (ecenter_seals) or key (ecenter_checkpoint_keys) was changed since; a signed \
             checkpoint at or after it, or a receipt naming it, shows the entry is the hubs' own \
             — check before removing anything (docs/DEPLOYMENT.md, \"Who must be trusted\")"
        ),
    }
}

/// The seals whose ranges meet entries `first..=last`, in order.
async fn seals_over(client: &Client, first: u64, last: u64) -> Result<Vec<Read>, StoreError> {
    let rows = client
        .query(
            "SELECT s.first_seq, s.last_seq, s.key_id, k.public_key, s.signature \
             FROM ecenter_seals s LEFT JOIN ecenter_checkpoint_keys k USING (key_id) \
             WHERE s.last_seq >= $1 AND s.first_seq <= $2 ORDER BY s.last_seq",
            &[&to_i64(first)?, &to_i64(last)?],
        )
        .await
        .map_err(pg("reading the entries' seals"))?;
    Ok(rows
        .into_iter()
        .map(|r| Read {
            first: u64::try_from(r.get::<_, i64>(0)).unwrap_or(0),
            last: u64::try_from(r.get::<_, i64>(1)).unwrap_or(0),
            key_id: r.get(2),
            public_key: r.get(3),
            signature: r.get(4),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(seqs: std::ops::RangeInclusive<u64>) -> Vec<Row> {
        seqs.map(|seq| Row {
            seq,
            hash: [seq as u8; 32],
            value: Vec::new(),
        })
        .collect()
    }

    fn seal(key: &CheckpointSigner, from: u64, first: u64, last: u64) -> Read {
        let text = sealed_text(from, first, last, &[last as u8; 32]);
        Read {
            first,
            last,
            key_id: key.key_id(),
            public_key: Some(key.public_key_pem()),
            signature: key.sign_bytes(text.as_bytes()),
        }
    }

    fn signer() -> (tempfile::TempDir, CheckpointSigner) {
        let dir = tempfile::tempdir().unwrap();
        let key = CheckpointSigner::load(&dir.path().join("k"), true).unwrap();
        (dir, key)
    }

    #[test]
    fn seals_tiling_the_log_from_where_they_begin_vouch_for_every_entry() {
        let (_d, key) = signer();
        let seals = [seal(&key, 3, 3, 4), seal(&key, 3, 5, 6)];
        let checked = check(3, &Trusted::Published, &rows(1..=6), &seals);
        assert_eq!(checked.stray, Vec::<String>::new());
        assert_eq!((checked.upto, checked.refused), (6, None));
        // A page ending inside a batch: the entries before the batch are vouched, not the rest.
        let seals = [seal(&key, 3, 3, 4), seal(&key, 3, 5, 7)];
        let Checked { upto, refused, .. } = check(3, &Trusted::Published, &rows(1..=6), &seals);
        assert_eq!((upto, refused), (4, None));
    }

    #[test]
    fn an_entry_no_seal_covers_is_refused_and_those_before_it_are_vouched() {
        let (_d, key) = signer();
        let seals = [seal(&key, 1, 1, 2)];
        let Checked { upto, refused, .. } = check(1, &Trusted::Published, &rows(1..=3), &seals);
        assert_eq!(upto, 2);
        let refused = refused.unwrap();
        assert_eq!(refused.seq, 3);
        assert!(refused.reason.contains("no instance of the hub sealed it"));
    }

    #[test]
    fn a_seal_over_other_content_or_another_beginning_does_not_verify() {
        let (_d, key) = signer();
        let mut other = seal(&key, 1, 1, 2);
        other.signature = seal(&key, 1, 1, 1).signature;
        let Checked { upto, refused, .. } = check(1, &Trusted::Published, &rows(1..=2), &[other]);
        assert_eq!(upto, 0);
        assert!(refused.unwrap().reason.contains("does not verify"));
        // Where seals begin moved (to hide entries 1–2 before it): every seal signed the old one.
        let seals = [seal(&key, 1, 1, 2), seal(&key, 1, 3, 4)];
        let Checked { refused, .. } = check(3, &Trusted::Published, &rows(1..=4), &seals);
        assert_eq!(refused.unwrap().seq, 3);
    }

    #[test]
    fn a_seal_row_planted_over_sealed_entries_does_not_make_them_forged() {
        let (_d, key) = signer();
        let mut planted = seal(&key, 1, 3, 3);
        planted.signature = seal(&key, 1, 1, 2).signature;
        let seals = [seal(&key, 1, 1, 2), planted, seal(&key, 1, 3, 4)];
        let checked = check(1, &Trusted::Published, &rows(1..=4), &seals);
        assert_eq!((checked.upto, checked.refused), (4, None));
        // It is named to the clerk as a row no instance wrote (round 10, F4).
        let [stray] = &checked.stray[..] else {
            panic!("{:?}", checked.stray)
        };
        assert!(
            stray.contains("entries 3 to 3") && stray.contains("does not verify"),
            "{stray}"
        );
        // Alone over its entry, it is named.
        let Checked { upto, refused, .. } =
            check(1, &Trusted::Published, &rows(1..=3), &seals[..2]);
        assert_eq!(upto, 2);
        let refused = refused.unwrap();
        assert_eq!(refused.seq, 3);
        assert!(
            refused.reason.contains("does not verify"),
            "{}",
            refused.reason
        );
    }

    #[test]
    fn a_seal_planted_over_a_genuine_entry_and_a_forged_one_names_the_forged_one() {
        let (_d, key) = signer();
        let mut planted = seal(&key, 1, 2, 3);
        planted.signature = seal(&key, 1, 2, 2).signature;
        let seals = [seal(&key, 1, 1, 2), planted];
        let Checked { upto, refused, .. } = check(1, &Trusted::Published, &rows(1..=3), &seals);
        assert_eq!(upto, 2);
        let refused = refused.unwrap();
        assert_eq!(refused.seq, 3, "{}", refused.reason);
        assert!(
            refused.reason.contains("entries 2 to 3"),
            "{}",
            refused.reason
        );
    }

    #[test]
    fn pinned_keys_refuse_a_seal_by_a_key_the_database_publishes_alone() {
        let (_d, key) = signer();
        let (_e, planted) = signer();
        let seals = [seal(&planted, 1, 1, 2)];
        let pinned = [CheckpointKey::from(&key)];
        let trusted = Trusted::Pinned(&pinned, "--checkpoint-key");
        let Checked { refused, .. } = check(1, &trusted, &rows(1..=2), &seals);
        let why = refused.unwrap().reason;
        assert!(
            why.contains("not among the keys given with --checkpoint-key"),
            "{why}"
        );
        let Checked { upto, refused, .. } = check(1, &Trusted::Published, &rows(1..=2), &seals);
        assert_eq!((upto, refused), (2, None));
    }
}
