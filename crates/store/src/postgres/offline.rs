//! Work on PostgreSQL's log with no hub running: checking it (`clerk verify-log --postgres`) and
//! moving a court's sled log into it (`ecenter-admin migrate`).

use super::seals::Trusted;
use super::{Row, Upstream};
use crate::chain::{ChainHead, ChainVerifier, entry_key};
use crate::{BlobStore, PostgresConfig, StoreError};
use std::path::Path;

/// Entries per transaction of a migration (and per page of a check).
const PAGE: usize = 1000;

/// What a walk of PostgreSQL's log found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresWalk {
    /// Entries that verified.
    pub entries: u64,
    /// The last verified entry.
    pub head: ChainHead,
    /// The head row, which the hubs continue from.
    pub recorded_head: ChainHead,
    /// The first entry that does not verify, and why.
    pub broken: Option<crate::ChainError>,
    /// The chain's published checkpoints judged against the walked log (none judged when an
    /// entry does not verify).
    pub published: super::published::PublishedCheck,
    /// The verified hash of the entry the caller asked about (`wanted`), when the walk reached it.
    pub wanted_hash: Option<[u8; 32]>,
    /// Rows after the head row once the walk ended, which no hub continues from: the head was
    /// moved back (hiding newer entries), or rows were written around the hubs.
    pub beyond_head: Option<BeyondHead>,
    /// Entries recorded more than [`TIME_BACK_LIMIT`] before an earlier entry: the instances'
    /// clocks disagree that much, or an entry was written around them, back-dated. The first ten,
    /// and how many there are.
    pub time_back: (Vec<TimeBack>, u64),
    /// Entry ranges an operator accepted as lost (`log_loss_accepted`), as the walk met them.
    pub losses: Vec<(u64, u64)>,
    /// The first entry an instance's seal must vouch for (those before were written before
    /// seals began, or copied from a sled hub), as the log's `log_seals_began` entry records it;
    /// `None` on a schema from before seals.
    pub sealed_from: Option<u64>,
    /// Why the row `ecenter_seals_from` is wrong: it disagrees with the entry that records where
    /// the seals begin. The walk judged by the entry; the hubs refuse the database until the row
    /// is set back.
    pub row_moved: Option<String>,
    /// Rows of `ecenter_seals` no instance wrote, over entries their own seals vouch for: the
    /// first ten, and how many there are.
    pub stray_seals: (Vec<String>, u64),
}

/// How far an entry's time may fall behind the latest before it: the instances' clocks differ
/// by moments, and each entry is stamped by the instance that wrote it.
pub const TIME_BACK_LIMIT: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// An entry recorded well before an earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeBack {
    /// The entry.
    pub seq: u64,
    /// Its time.
    pub at: chrono::DateTime<chrono::Utc>,
    /// The latest time of the entries before it.
    pub latest_before: chrono::DateTime<chrono::Utc>,
}

/// Notes entries whose time falls more than [`TIME_BACK_LIMIT`] behind the latest before them.
#[derive(Default)]
struct Clock {
    latest: Option<chrono::DateTime<chrono::Utc>>,
    found: Vec<TimeBack>,
    count: u64,
}

impl Clock {
    fn see(&mut self, seq: u64, at: chrono::DateTime<chrono::Utc>) {
        match self.latest {
            Some(latest) if latest - at > TIME_BACK_LIMIT => {
                self.count += 1;
                if self.found.len() < 10 {
                    self.found.push(TimeBack {
                        seq,
                        at,
                        latest_before: latest,
                    });
                }
            }
            Some(latest) if latest >= at => {}
            _ => self.latest = Some(at),
        }
    }
}

/// Rows PostgreSQL holds after its head row, read in one snapshot with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BeyondHead {
    /// The head row's entry.
    pub head: u64,
    /// The first row after it, and the last.
    pub first: u64,
    /// The last row after it.
    pub last: u64,
    /// How many rows there are after it.
    pub count: u64,
}

/// Rows after the head row, the head and the rows read in one statement (one snapshot), so an
/// append committing meanwhile (row and head in one transaction) is never taken for one.
fn beyond_head(link: &mut Upstream) -> Result<Option<BeyondHead>, StoreError> {
    link.rt.block_on(async {
        let row = link
            .client()?
            .query_one(
                "SELECT h.seq, min(l.seq), max(l.seq), count(l.seq) FROM ecenter_head h \
                 LEFT JOIN ecenter_log l ON l.seq > h.seq GROUP BY h.seq",
                &[],
            )
            .await
            .map_err(super::pg("reading the rows after the chain's head"))?;
        let count: i64 = row.get(3);
        let seq = |i: usize| row.get::<_, Option<i64>>(i).map_or(0, |s| s.max(0) as u64);
        Ok((count > 0).then(|| BeyondHead {
            head: seq(0),
            first: seq(1),
            last: seq(2),
            count: count as u64,
        }))
    })
}

/// Walks PostgreSQL's whole log, checking every entry as the hub checks its own (hash, order,
/// link), and reads the head row the hubs continue from. Writes nothing (not even the schema).
/// The published checkpoints are checked with `pinned` when given (the keys as the clerk holds
/// them), else with the keys the database publishes; the hash of entry `wanted` is kept (a head
/// recorded elsewhere, to compare).
pub fn verify_postgres_log(
    config: &PostgresConfig,
    pinned: &[crate::checkpoint::CheckpointKey],
    wanted: Option<u64>,
) -> Result<PostgresWalk, StoreError> {
    run_outside_runtime(|| {
        let mut link = Upstream::connect_only(config)?;
        // The head first: hubs may append while the walk runs; it checks the log up to here.
        let recorded_head = link.head()?;
        let mut walking = Walking::default();
        let mut broken = None;
        let (sealed_from, row_moved) = where_seals_begin(&mut link, recorded_head.seq)?;
        let mut stray_seals = (Vec::new(), 0);
        let trusted = Trusted::held_or_published(pinned, "--checkpoint-key");
        'pages: while walking.verifier.head().seq < recorded_head.seq {
            let after = walking.verifier.head().seq;
            let from = sealed_from.unwrap_or(u64::MAX);
            let vouched = link.vouched_rows_after(after, PAGE, from, &trusted)?;
            // An entry no seal vouches for breaks the walk once those before it are checked
            // (past the head too: the hubs commit each batch's seal with it).
            let refused = vouched.refused;
            stray_seals.1 += vouched.stray.len() as u64;
            stray_seals.0.extend(vouched.stray);
            stray_seals.0.truncate(10);
            if vouched.rows.is_empty() && refused.is_none() {
                break;
            }
            for row in vouched.rows {
                if walking.verifier.head().seq >= recorded_head.seq {
                    break 'pages;
                }
                broken = walking.take(&mut link, row, sealed_from, wanted)?;
                if broken.is_some() {
                    break 'pages;
                }
            }
            if refused.is_some() {
                broken = refused;
                break;
            }
        }
        let published = match broken {
            None => {
                let walked = super::published::Walked {
                    head: walking.verifier.head(),
                    began_at: recorded_head.seq,
                    losses: walking.losses.clone(),
                };
                judge_published(&mut link, &walked, pinned)
            }
            Some(_) => super::published::PublishedCheck::default(),
        };
        let beyond_head = beyond_head(&mut link)?;
        seals_past_the_log(&mut link, &mut stray_seals)?;
        Ok(PostgresWalk {
            entries: walking.entries,
            head: (walking.verified_to).unwrap_or_else(|| walking.verifier.head()),
            recorded_head,
            broken,
            published,
            wanted_hash: walking.wanted_hash,
            beyond_head,
            time_back: (walking.clock.found, walking.clock.count),
            losses: walking.losses,
            sealed_from,
            row_moved,
            stray_seals,
        })
    })
}

/// What a walk of the log has established so far.
struct Walking {
    verifier: ChainVerifier,
    entries: u64,
    losses: Vec<(u64, u64)>,
    wanted_hash: Option<[u8; 32]>,
    clock: Clock,
    /// The head before the last entry taken.
    previous: ChainHead,
    /// Where the walk verified to, when an entry it had taken turns out altered.
    verified_to: Option<ChainHead>,
}

impl Default for Walking {
    fn default() -> Self {
        Walking {
            verifier: ChainVerifier::default(),
            entries: 0,
            losses: Vec::new(),
            wanted_hash: None,
            clock: Clock::default(),
            previous: ChainHead::empty(),
            verified_to: None,
        }
    }
}

impl Walking {
    /// Checks `row` as the next entry (hash, order, link; where the seals begin); keeps the hash
    /// of entry `wanted`. `Some` when the log breaks here, naming the entry and why.
    fn take(
        &mut self,
        link: &mut Upstream,
        row: Row,
        sealed_from: Option<u64>,
        wanted: Option<u64>,
    ) -> Result<Option<crate::ChainError>, StoreError> {
        let before = self.verifier.head();
        let broken = match self.verifier.push(&entry_key(row.seq), &row.value) {
            Ok(entry) if entry.hash == row.hash => {
                self.entries += 1;
                self.clock.see(entry.seq, entry.recorded_at);
                if wanted == Some(row.seq) {
                    self.wanted_hash = Some(row.hash);
                }
                self.losses
                    .extend(crate::chain::accepted_loss(&entry.event));
                sealed_from.and_then(|from| {
                    super::seals_began::recorded_elsewhere(entry.seq, &entry.event, from)
                })
            }
            Ok(_) => Some(hash_column_differs(row.seq)),
            Err(e) => match link.altered_under_seal(&row, &before, self.previous)? {
                Some((altered, head)) => {
                    self.entries -= 1;
                    self.verified_to = Some(head);
                    Some(altered)
                }
                None => Some(e),
            },
        };
        self.previous = before;
        Ok(broken)
    }
}

/// Adds to `stray` (the first ten, and the count) the seal rows past the log's last row, read in
/// one snapshot with it: an instance commits each seal with its batch, so none is genuine
/// (outside tests, round 12, F4).
fn seals_past_the_log(
    link: &mut Upstream,
    stray: &mut (Vec<String>, u64),
) -> Result<(), StoreError> {
    if let Some(past) = past_the_log(link)? {
        stray.1 += 1;
        stray.0.insert(0, past);
        stray.0.truncate(10);
    }
    Ok(())
}

/// The seal rows past the log's last row, in words for the clerk.
fn past_the_log(link: &mut Upstream) -> Result<Option<String>, StoreError> {
    link.rt.block_on(async {
        let row = link
            .client()?
            .query_one(
                "SELECT count(*), min(first_seq), max(last_seq), \
                 (SELECT coalesce(max(seq), 0) FROM ecenter_log) \
                 FROM ecenter_seals WHERE last_seq > (SELECT coalesce(max(seq), 0) FROM ecenter_log)",
                &[],
            )
            .await
            .map_err(super::pg("reading the seals past the log's end"))?;
        let count: i64 = row.get(0);
        Ok((count > 0).then(|| {
            let (first, last, end): (Option<i64>, Option<i64>, i64) =
                (row.get(1), row.get(2), row.get(3));
            format!(
                "ecenter_seals holds {count} row(s) for entries past the log's last (entry \
                 {end}), from entry {} to {}: no instance wrote them (each seal is committed \
                 with its entries); someone wrote them into the database around the hubs / \
                 封印表中有非实例写入的记录",
                first.unwrap_or(0),
                last.unwrap_or(0)
            )
        }))
    })
}

/// The published checkpoints held against the walked log; the walk's verdict stands whatever
/// becomes of them (a table that cannot be read is named as their problem).
fn judge_published(
    link: &mut Upstream,
    walked: &super::published::Walked,
    pinned: &[crate::checkpoint::CheckpointKey],
) -> super::published::PublishedCheck {
    super::published::check(link, walked, pinned).unwrap_or_else(|e| {
        super::published::PublishedCheck {
            unsigned: Some(format!("the published checkpoints cannot be read: {e}")),
            pinned: pinned.len(),
            ..Default::default()
        }
    })
}

/// Where the seals begin as the chain records it (its `log_seals_began` entry), with what is
/// wrong with the row `ecenter_seals_from` when it says otherwise — back, forward or past the
/// head. The row only indexes the entry, so the walk judges by the entry and names the row, not
/// the entries it would blame (outside tests, rounds 10 and 11, F3). With no such entry (a
/// schema from before it), or one recording a start after itself (a log rewritten around the
/// hubs, round 9, F1: the walk names it), the row is taken, and refused when past the log's last
/// row (`postgres::seals_began`).
fn where_seals_begin(
    link: &mut Upstream,
    head: u64,
) -> Result<(Option<u64>, Option<String>), StoreError> {
    let Some(row) = link.sealed_from()? else {
        return Ok((None, None));
    };
    if let Some((seq, from)) = link.began_in_log()?
        && from <= seq
    {
        return Ok((Some(from), super::seals_began::moved(row, (seq, from))));
    }
    let last = beyond_head(link)?.map_or(head, |b| b.last);
    super::seals_began::past_head(row, last)?;
    Ok((Some(row), None))
}

/// What a migration did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrated {
    /// Entries PostgreSQL already held (an interrupted run resumed after them).
    pub already: u64,
    /// Entries copied by this run.
    pub copied: u64,
    /// Documents copied by this run.
    pub documents: u64,
    /// The head both logs now end at.
    pub head: ChainHead,
}

/// Copies the sled log of a stopped hub's `data_dir` into PostgreSQL entry by entry — the same
/// bytes, so the same hashes — with every document its entries name, [`PAGE`] entries per
/// transaction. PostgreSQL must be empty or hold a prefix of this log (an interrupted run, which
/// this resumes); anything else is refused before a byte is written. `progress` is told the
/// entries copied so far and the total.
pub fn migrate_sled_to_postgres(
    data_dir: &Path,
    config: &PostgresConfig,
    mut progress: impl FnMut(u64, u64) + Send,
) -> Result<Migrated, StoreError> {
    run_outside_runtime(|| {
        let source = SledSource::open(data_dir)?;
        let mut link = Upstream::open(config)?;
        let already = link.head()?;
        if already.seq > source.head.seq
            && source.head.seq > 0
            && link.hash_at(source.head.seq)? == Some(source.head.hash)
        {
            return Err(StoreError::Postgres(format!(
                "PostgreSQL's log already holds this data directory's whole log (entries 1 to \
                 {}) and goes on past it to entry {}: the hubs appended since it was migrated; \
                 there is nothing to migrate",
                source.head.seq, already.seq
            )));
        }
        source.agrees_at(already)?;
        let total = source.head.seq;
        let mut done = Migrated {
            already: already.seq,
            copied: 0,
            documents: 0,
            head: already,
        };
        progress(already.seq, total);
        while done.head.seq < total {
            let rows = source.rows_after(done.head.seq, PAGE)?;
            let locked = link.lock_head()?;
            if locked != done.head {
                let _ = link.release();
                return Err(StoreError::Postgres(format!(
                    "PostgreSQL's log moved to entry {} while migrating: a hub is writing to it; stop every hub first",
                    locked.seq
                )));
            }
            done.documents += copy_documents(&mut link, &source.blobs, &rows)?;
            let last = rows.last().expect("a page below the total is not empty");
            // The sled hub's checkpoints vouch for these entries; the hubs' seals begin after them.
            link.seals_begin_after(last.seq)?;
            link.commit(&rows)?;
            done.copied += rows.len() as u64;
            done.head = ChainHead {
                seq: last.seq,
                hash: last.hash,
                recorded_at: None,
            };
            progress(done.head.seq, total);
        }
        Ok(done)
    })
}

/// The log and documents of a data directory no hub serves, verified whole before anything moves.
struct SledSource {
    events: sled::Tree,
    blobs: BlobStore,
    head: ChainHead,
}

impl SledSource {
    fn open(data_dir: &Path) -> Result<SledSource, StoreError> {
        crate::sled_store::require_log_dir(data_dir)?;
        let db = crate::sled_store::open_db(&data_dir.join("log"))?;
        let events = db.open_tree("events")?;
        let mut verifier = ChainVerifier::default();
        for item in &events {
            let (k, v) = item?;
            verifier.push(&k, &v)?;
        }
        Ok(SledSource {
            events,
            blobs: BlobStore::open(data_dir.join("blobs"))?,
            head: verifier.head(),
        })
    }

    /// Refuses unless PostgreSQL's log, ending at `there`, is a prefix of this one.
    fn agrees_at(&self, there: ChainHead) -> Result<(), StoreError> {
        if there.seq == 0 {
            return Ok(());
        }
        let here = self
            .events
            .get(entry_key(there.seq))?
            .and_then(|v| <[u8; 32]>::try_from(v.get(..32)?).ok());
        if here == Some(there.hash) {
            return Ok(());
        }
        Err(StoreError::Postgres(format!(
            "PostgreSQL already holds a log whose entry {} is not this data directory's: it is another court's, or another copy's; migrate into an empty database",
            there.seq
        )))
    }

    fn rows_after(&self, after: u64, limit: usize) -> Result<Vec<Row>, StoreError> {
        self.events
            .range(entry_key(after + 1)..)
            .take(limit)
            .map(|item| {
                let (k, v) = item?;
                let entry = crate::chain::decode_entry(&k, &v)?;
                Ok(Row {
                    seq: entry.seq,
                    hash: entry.hash,
                    value: v.to_vec(),
                })
            })
            .collect()
    }
}

/// Puts in PostgreSQL every document `rows` name that it lacks; returns how many.
fn copy_documents(link: &mut Upstream, blobs: &BlobStore, rows: &[Row]) -> Result<u64, StoreError> {
    for row in rows {
        let entry = crate::chain::decode_entry(&entry_key(row.seq), &row.value)?;
        if let Some(lost) = crate::blobs::filed_documents(&entry.event)
            .into_iter()
            .find(|d| !blobs.path(d).is_file())
        {
            return Err(StoreError::Postgres(format!(
                "entry {} names document {lost}, which the data directory does not hold: restore it (clerk scrub names what is damaged) before migrating",
                row.seq
            )));
        }
    }
    let named: Vec<String> = crate::blobs::named_documents(rows.iter().map(|r| &r.value[32..]))
        .into_iter()
        .filter(|d| blobs.path(d).is_file())
        .collect();
    let held = link.blobs_held(&named)?;
    let mut copied = 0;
    for sha256 in named.iter().filter(|d| !held.contains(*d)) {
        if !blobs.verify(sha256)? {
            return Err(StoreError::Postgres(format!(
                "document {sha256} in the data directory does not hash to its name: restore it before migrating"
            )));
        }
        link.upload_blob(sha256, &blobs.path(sha256))?;
        copied += 1;
    }
    Ok(copied)
}

impl Upstream {
    /// When `row` does not link to the entry before it (`before`, at whose push the walk stood
    /// at `previous`) and one seal covers both, the seal vouches for the entries as they linked
    /// (it signs the last one's hash, and each links to the one before): the entry before was
    /// altered, not `row` (outside tests, round 20, F4). Then that entry, why, and the head the
    /// walk verified to before it.
    fn altered_under_seal(
        &mut self,
        row: &Row,
        before: &ChainHead,
        previous: ChainHead,
    ) -> Result<Option<(crate::ChainError, ChainHead)>, StoreError> {
        let Ok(entry) = crate::chain::decode_entry(&entry_key(row.seq), &row.value) else {
            return Ok(None);
        };
        if before.seq + 1 != row.seq || entry.prev == before.hash || before.seq == 0 {
            return Ok(None);
        }
        let seal = self.rt.block_on(async {
            self.client()?
                .query_opt(
                    "SELECT first_seq, last_seq FROM ecenter_seals \
                     WHERE first_seq <= $1 AND last_seq >= $2 LIMIT 1",
                    &[&(before.seq as i64), &(row.seq as i64)],
                )
                .await
                .map_err(super::pg("reading the seals"))
        })?;
        Ok(seal.map(|s| {
            let (first, last): (i64, i64) = (s.get(0), s.get(1));
            let altered = crate::ChainError {
                seq: before.seq,
                reason: format!(
                    "it was altered: its hash is {} but entry {} links to {}, and the seal over \
                     entries {first} to {last} vouches for the entries as they linked",
                    hex::encode(before.hash),
                    row.seq,
                    hex::encode(entry.prev)
                ),
            };
            (altered, previous)
        }))
    }
}

fn hash_column_differs(seq: u64) -> crate::ChainError {
    crate::ChainError {
        seq,
        reason: "its hash column differs from its content's hash".into(),
    }
}

/// Runs `f` on a thread of its own: the PostgreSQL client's runtime must not start inside a
/// caller's.
pub(super) fn run_outside_runtime<T: Send>(
    f: impl FnOnce() -> Result<T, StoreError> + Send,
) -> Result<T, StoreError> {
    std::thread::scope(|s| {
        s.spawn(f).join().unwrap_or_else(|_| {
            Err(StoreError::Postgres(
                "the PostgreSQL worker panicked".into(),
            ))
        })
    })
}
