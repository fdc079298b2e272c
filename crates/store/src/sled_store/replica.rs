//! The sled log as a replica of PostgreSQL's log of record (see [`crate::postgres`]).
//!
//! Every batch locks PostgreSQL's head, first brings the replica up to it (entries other instances
//! appended, each verified against the chain), then runs the batch's decisions against the replica
//! and commits their entries to PostgreSQL. The replica is never ahead of a commit for long: when a
//! commit fails, the writer refuses further writes, and at the next start a replica that holds
//! entries PostgreSQL lacks is set aside and rebuilt from PostgreSQL.

mod in_doubt;
mod recheck;

use super::*;
use crate::chain::ChainVerifier;
use crate::postgres::seals::Trusted;
use crate::postgres::{Ahead, PostgresConfig, Row, Upstream, seals_began, tail};

/// How the reason a replica's writer refuses writes begins when the replica holds entries the log
/// of record may not (a batch whose commit could not be settled): `ecenterd` then stops, so that
/// a restart sets the replica aside and rebuilds it.
pub const REPLICA_AHEAD: &str = "this hub's replica may hold entries PostgreSQL does not: ";

/// Entries read from PostgreSQL per query while catching up.
const CATCH_UP_PAGE: usize = 1000;

/// How often a batch waiting for the documents placed before it to reach PostgreSQL
/// ([`Ahead`]) says so in the log, and how long it waits at most before it is refused.
const AHEAD_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
const AHEAD_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

/// Whether a catch-up locks the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lock {
    No,
    Yes,
}

/// The writer's link to PostgreSQL and the entries of the batch not yet committed.
pub(in crate::sled_store) struct Upstreamed {
    pub(super) link: Upstream,
    pub(super) pending: Vec<Prepared>,
    /// The head row is locked by this batch's transaction.
    pub(super) locked: bool,
    /// Where the locked head stood when the batch's decisions began: its entry number and hash.
    pub(super) base: (u64, [u8; 32]),
    /// The documents the batch's filings name (`blobs::filed_documents`): each must be on this
    /// hub's disk or already in PostgreSQL when the batch commits.
    required: Vec<String>,
    /// The thread sending placed documents to PostgreSQL ahead of their batches.
    ahead: Option<Ahead>,
    /// The first entry a seal must vouch for before this replica copies it
    /// ([`crate::postgres::seals`]).
    sealed_from: u64,
    /// The keys a seal must be by (`[store] instance_keys`); empty: any the database publishes.
    instance_keys: Vec<crate::checkpoint::CheckpointKey>,
    /// An entry below the head found changed in PostgreSQL by the log recheck ([`recheck`]).
    altered: recheck::Finding,
}

impl SledStore {
    /// Opens a hub whose log of record is PostgreSQL: the sled log under `data_dir` becomes its
    /// replica, holding the read models. The schema is applied, the replica is checked against
    /// PostgreSQL (and set aside under `set-aside/` and rebuilt when it holds entries PostgreSQL
    /// lacks), brought up to PostgreSQL's head, and followed from then on.
    pub fn open_replicated(
        data_dir: &Path,
        config: &PostgresConfig,
    ) -> Result<SledStore, StoreError> {
        SledStore::open_replicated_sealing(data_dir, config, None)
    }

    /// [`SledStore::open_replicated`], sealing the batches it commits with the checkpoint key
    /// at `key_file` (`[checkpoints] key_file`; by default the data directory's
    /// `checkpoints/hub.key`), read at the first batch that writes.
    pub fn open_replicated_sealing(
        data_dir: &Path,
        config: &PostgresConfig,
        key_file: Option<&Path>,
    ) -> Result<SledStore, StoreError> {
        let key_file = key_file.map_or_else(
            || crate::checkpoint::local_dir(data_dir).join("hub.key"),
            Path::to_path_buf,
        );
        // The PostgreSQL client runs on runtimes of its own, which must not start inside a caller's.
        std::thread::scope(|s| {
            // Not held against the log at each start: a replica rebuilds from PostgreSQL when it
            // disagrees, and a projection of the whole shared log at every restart of every
            // instance grows with the province's log (ARCHITECTURE.md).
            s.spawn(|| open_replicated_here(data_dir, config, key_file, Drift::Later))
                .join()
                .unwrap_or_else(|_| {
                    Err(StoreError::Postgres("opening the replica panicked".into()))
                })
        })
    }
}

fn open_replicated_here(
    data_dir: &Path,
    config: &PostgresConfig,
    key_file: std::path::PathBuf,
    drift: Drift,
) -> Result<SledStore, StoreError> {
    let mut link = Upstream::open(config)?;
    let ran_here = data_dir.join("log").exists()
        || crate::checkpoint::local_dir(data_dir)
            .join(crate::checkpoint::FILE_NAME)
            .exists();
    let instance_keys =
        crate::postgres::seals::instance_keys(&config.instance_keys, &key_file, ran_here)?;
    // The schema was just brought up to date: the table is there.
    let sealed_from = link.sealed_from()?.unwrap_or(1);
    link.seal_with(key_file, sealed_from);
    // Alive before anything can be leased under this instance's id.
    let instances = crate::Instances::shared(config)?;
    link.nothing_past_head(
        sealed_from,
        &crate::postgres::seals::Trusted::held_or_published(
            &instance_keys,
            "[store] instance_keys",
        ),
    )?;
    let (mut opened, head) = Opened::read(data_dir)?;
    another_log(&mut link, &opened, data_dir)?;
    if let Some(why) = diverged(&mut link, head)? {
        drop(opened);
        let aside = set_aside_replica(data_dir, &why)?;
        tracing::warn!(%why, aside = %aside.display(), "the local replica disagrees with PostgreSQL; set aside and rebuilt");
        (opened, _) = Opened::read(data_dir)?;
    }
    opened.read_models_current(drift)?;
    seals_began::past_head(sealed_from, link.head()?.seq)?;
    let meta = opened.db.open_tree(super::rebuild::META)?;
    if let Some(recorded) = super::rebuild::seals_began(&meta)? {
        seals_began::held_against(sealed_from, recorded)?;
    }
    let instance = instances.id().to_string();
    let instance_keys_held = instance_keys.clone();
    let upstream = Upstreamed {
        link,
        pending: Vec::new(),
        locked: false,
        base: (0, [0; 32]),
        required: Vec::new(),
        ahead: Some(Ahead::spawn(config, &opened.blobs)?),
        sealed_from,
        instance_keys,
        altered: recheck::Finding::default(),
    };
    let altered = upstream.altered.clone();
    let events = opened.trees.events.clone();
    let (store, weak) = opened.start(Some(upstream), instances)?;
    let wake = wake_writer(weak.clone());
    // Reads are current from the start: one catch-up before anyone reads.
    if let Some(done) = wake() {
        done.blocking_recv()
            .map_err(|_| StoreError::ShuttingDown)?
            .map_err(|e| StoreError::Postgres(format!("catching up with PostgreSQL: {e}")))?;
    }
    // Before anything is written: the log as caught up, held against its published checkpoints.
    Upstream::open(config)?.held_against_newest_published(&instance_keys_held)?;
    if super::rebuild::seals_began(&meta)?.is_none() {
        record_seals_began(&weak, meta.clone(), sealed_from, instance)?;
    }
    tracing::info!(
        seq = store.head().seq,
        "replica of the PostgreSQL log is current"
    );
    tail::spawn(config.clone(), store.subscribe(), wake)?;
    recheck::spawn(
        config.clone(),
        (events, meta),
        store.subscribe(),
        altered,
        wake_writer(weak),
    )?;
    Ok(store)
}

/// Appends the `log_seals_began` entry (`postgres::seals_began`) to a log that has none yet:
/// sealed like any batch, it anchors where the seals begin in the chain.
/// The decision runs at the locked head: when another instance starting at the same moment
/// wrote one first, it has just been copied, and none is written.
fn record_seals_began(
    jobs: &mpsc::WeakUnboundedSender<Job>,
    meta: sled::Tree,
    from: u64,
    instance: String,
) -> Result<(), StoreError> {
    let jobs = jobs.upgrade().ok_or(StoreError::ShuttingDown)?;
    let decide: ErasedDecide = Box::new(move |_: &dyn ReadView| {
        if super::rebuild::seals_began(&meta)?.is_some() {
            return Ok(Vec::new());
        }
        Ok(vec![Event::LogSealsBegan { from, instance }])
    });
    let (reply, done) = oneshot::channel();
    jobs.send((decide, reply))
        .map_err(|_| StoreError::ShuttingDown)?;
    let appended = done
        .blocking_recv()
        .map_err(|_| StoreError::ShuttingDown)??;
    if let Some(entry) = appended.first() {
        tracing::info!(
            seq = entry.seq,
            from,
            "recorded in the log where its seals begin"
        );
    }
    Ok(())
}

/// Asks the writer for a batch of nothing: it catches up with PostgreSQL (and takes what the
/// recheck found) as every batch does.
fn wake_writer(weak: mpsc::WeakUnboundedSender<Job>) -> tail::Wake {
    Box::new(move || {
        let jobs = weak.upgrade()?;
        let (reply, done) = oneshot::channel();
        jobs.send((Box::new(|_: &dyn ReadView| Ok(Vec::new())), reply))
            .ok()?;
        Some(done)
    })
}

/// Why the replica ending at `head` is not a prefix of PostgreSQL's log, if it is not.
fn diverged(link: &mut Upstream, head: ChainHead) -> Result<Option<String>, StoreError> {
    if head.seq == 0 {
        return Ok(None);
    }
    let upstream = link.head()?;
    if upstream.seq < head.seq {
        return Ok(Some(format!(
            "the replica ends at entry {} but PostgreSQL's log at {}",
            head.seq, upstream.seq
        )));
    }
    match link.hash_at(head.seq)? {
        Some(hash) if hash == head.hash => Ok(None),
        Some(_) => Ok(Some(format!(
            "entry {} differs between the replica and PostgreSQL",
            head.seq
        ))),
        None => Ok(Some(format!("PostgreSQL has no entry {}", head.seq))),
    }
}

/// Refuses a data directory whose log begins otherwise than PostgreSQL's. It is not a replica
/// that fell behind or ran ahead — which is set aside and rebuilt — but another log: most likely
/// a court's log of record on the embedded store, whose data directory was pointed at the
/// database (it moves with `ecenter-admin migrate`), or an instance of another database's log.
/// Setting it aside would leave the court's only log in `set-aside/`, and no entry of either log
/// was lost, so nothing is to be accepted as lost (outside tests, round 20, F2).
fn another_log(link: &mut Upstream, opened: &Opened, data_dir: &Path) -> Result<(), StoreError> {
    if opened.head.seq == 0 {
        return Ok(());
    }
    let local = (opened.trees.events.get(crate::chain::entry_key(1))?)
        .and_then(|v| v.get(..32).and_then(|h| <[u8; 32]>::try_from(h).ok()));
    let differs = match link.hash_at(1)? {
        Some(upstream) => local != Some(upstream),
        // An empty database: a replica of it never held entries of its own — unless the
        // database was emptied, and a replica has copied where its seals begin. A log that never
        // did is the embedded store's log of record.
        None => {
            let meta = opened.db.open_tree(super::rebuild::META)?;
            super::rebuild::seals_began(&meta)?.is_none()
        }
    };
    if !differs {
        return Ok(());
    }
    Err(StoreError::AnotherLog(format!(
        "the data directory {dir} holds another log than PostgreSQL's ({entries} entries, head \
         {head}): their first entries differ (or PostgreSQL's log is empty and this one never \
         was its replica), so it is no replica of PostgreSQL's log and nothing of either was \
         lost. If it is this court's log on the embedded store, move it onto \
         PostgreSQL with `ecenter-admin migrate --from sled {dir} --to postgres URL` (it refuses a \
         database that holds another log); if this instance should serve PostgreSQL's log, give \
         it an empty data directory. Nothing was changed / 数据目录中的日志与 PostgreSQL 中的日志不是同一日志，未作任何更改",
        dir = data_dir.display(),
        entries = opened.head.seq,
        head = hex::encode(opened.head.hash),
    )))
}

/// What the log recheck found changed in PostgreSQL below the head, as the error that stops writes.
fn altered_below_head(up: Option<&Upstreamed>) -> Result<(), StoreError> {
    let found = up.and_then(|up| up.altered.lock().expect("recheck finding").clone());
    found.map_or(Ok(()), |why| Err(StoreError::Altered(why)))
}

/// Moves the replica's sled directory under `set-aside/` (never deleted: it is evidence of what
/// this instance wrote) and returns where it went.
fn set_aside_replica(data_dir: &Path, why: &str) -> Result<std::path::PathBuf, StoreError> {
    let aside = data_dir.join("set-aside");
    std::fs::create_dir_all(&aside)?;
    let name = format!("replica-log.{}", Utc::now().format("%Y%m%dT%H%M%S%.3fZ"));
    let to = aside.join(&name);
    // sled may hold its lock briefly after the last handle is dropped.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while std::fs::rename(data_dir.join("log"), &to).is_err() {
        if std::time::Instant::now() >= deadline {
            return Err(StoreError::Postgres(format!(
                "{why}; the replica {} could not be set aside",
                data_dir.join("log").display()
            )));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Beside it, named after it whole (`with_extension` would cut the milliseconds off, and two
    // set-asides within a second would share one reason).
    std::fs::write(aside.join(format!("{name}.why.txt")), why)?;
    Ok(to)
}

impl Writer {
    /// Starts a batch. With PostgreSQL: brings the replica up to the committed head, then locks
    /// the head and copies what was committed meanwhile; the error is the reason every request of
    /// the batch is refused with (nothing was written). A log that does not verify, or that ends
    /// before the replica, stops writes for good, as a failed flush does.
    pub(super) fn begin_batch(&mut self) -> Result<(), String> {
        if self.poisoned.is_some() {
            return Ok(());
        }
        if self.upstream.is_none() {
            // sled alone: the documents this batch's requests placed (each places them before
            // it queues its decision) reach the disk before any entry naming them is written —
            // sled may write its buffers at any moment, not only at the batch's flush. A sync
            // that fails stops writes as a failed flush does; nothing of the batch is written.
            if let Err(e) = self.blobs.sync() {
                let _ = self.storage_failed(e);
            }
            return Ok(());
        }
        // The documents this batch's requests placed are made durable here, before the head is
        // taken: a disk flush under the lock would hold up every instance.
        use crate::postgres::{Phase, count};
        let found = altered_below_head(self.upstream.as_ref());
        let result = found
            .and_then(|()| self.documents_ahead())
            .and_then(|()| {
                let syncing = std::time::Instant::now();
                self.blobs
                    .sync()
                    .inspect(|()| count(Phase::Syncing, syncing))
            })
            .and_then(|()| self.catch_up(Lock::No))
            .and_then(|()| self.catch_up(Lock::Yes));
        let up = self.upstream.as_mut().expect("checked above");
        let Err(e) = result else {
            up.base = (self.next_seq - 1, self.prev);
            return Ok(());
        };
        if up.locked {
            up.locked = false;
            up.link.abandon();
        }
        // What no retry mends stops this instance's writes, its health NOT_SERVING so that the
        // balancer takes it out: a log that does not verify, a schema a newer instance upgraded,
        // its own disk failing (full while copying the others' entries and documents). The reason
        // is what every later request is refused with. Anything else is this batch's only.
        let stop = match &e {
            StoreError::Chain(_) | StoreError::SchemaNewer(_) | StoreError::Altered(_) => {
                Some(e.to_string())
            }
            StoreError::Io(_) => Some(super::reasons::flush_reason(&e)),
            _ => None,
        };
        match stop {
            Some(why) => {
                tracing::error!(reason = %why, "this instance cannot write to the log; refusing further writes");
                self.poisoned = Some(why.clone());
                // A disk that failed is not a refusal of the log: closing says so.
                let refusal = !matches!(e, StoreError::Io(_));
                (self.refused).store(refusal, std::sync::atomic::Ordering::Relaxed);
                self.failure_tx.send_replace(Some(why.clone()));
                Err(why)
            }
            None => {
                tracing::warn!(error = %e, "a batch could not start against PostgreSQL");
                Err(e.to_string())
            }
        }
    }

    /// Waits, before the head is asked for, until the documents placed before this batch have
    /// been sent to PostgreSQL by the hub's sending thread ([`Ahead`]), so that the head is not
    /// held while they travel (nor while a batch's own insert waits for the thread's). A thread
    /// that is gone only costs time: `store_documents` stores under the lock whatever is still
    /// missing, checked as before. After [`AHEAD_LIMIT`] the batch is refused (nothing recorded,
    /// the clients retry) rather than take the head behind an upload still open.
    fn documents_ahead(&mut self) -> Result<(), StoreError> {
        let up = self.upstream.as_mut().expect("replica");
        let Some(sent) = up.ahead.as_ref().and_then(Ahead::flush) else {
            return Ok(());
        };
        let waiting = std::time::Instant::now();
        let result = loop {
            match sent.recv_timeout(AHEAD_WAIT) {
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                _ => break Ok(()),
            }
            if waiting.elapsed() >= AHEAD_LIMIT {
                break Err(StoreError::Postgres(format!(
                    "the documents placed before this batch were still on their way to \
                     PostgreSQL after {} s; nothing was recorded",
                    AHEAD_LIMIT.as_secs()
                )));
            }
            tracing::warn!(
                waited_s = waiting.elapsed().as_secs(),
                "documents still on their way to PostgreSQL; the batch waits for them"
            );
        };
        crate::postgres::count(crate::postgres::Phase::Ahead, waiting);
        result
    }

    /// Copies the entries committed after the replica's end: up to the head as committed
    /// (`Lock::No`, holding up nobody while a long log or large documents are copied), or up to the
    /// head locked for this batch (`Lock::Yes`).
    fn catch_up(&mut self, lock: Lock) -> Result<(), StoreError> {
        let up = self.upstream.as_mut().expect("replica");
        let asked = std::time::Instant::now();
        let head = match lock {
            Lock::No => up.link.head()?,
            Lock::Yes => {
                let head = up.link.lock_head();
                up.locked = head.is_ok();
                head?
            }
        };
        let copying = std::time::Instant::now();
        let result = self.copy_up_to(head);
        match lock {
            Lock::Yes => crate::postgres::count(crate::postgres::Phase::CatchUp, copying),
            Lock::No => crate::postgres::count(crate::postgres::Phase::Following, asked),
        }
        result
    }

    /// Copies the entries after the replica's end up to `head`, verifying each.
    fn copy_up_to(&mut self, head: ChainHead) -> Result<(), StoreError> {
        let local = self.next_seq - 1;
        if head.seq < local || (head.seq == local && head.hash != self.prev) {
            tracing::error!(
                "PostgreSQL's log ends at entry {} but this hub's replica at {local}",
                head.seq
            );
            return Err(StoreError::Chain(crate::ChainError {
                seq: head.seq,
                reason: format!(
                    "PostgreSQL's log ends at entry {} but this hub's replica at {local}: {}",
                    head.seq,
                    recheck::HEAD_BEHIND
                ),
            }));
        }
        while self.next_seq - 1 < head.seq {
            let up = self.upstream.as_mut().expect("replica");
            let trusted = Trusted::held_or_published(&up.instance_keys, "[store] instance_keys");
            let after = self.next_seq - 1;
            let vouched =
                (up.link).vouched_rows_after(after, CATCH_UP_PAGE, up.sealed_from, &trusted)?;
            let mut rows = vouched.rows;
            // Rows past the head row are no hub's: none continues from them.
            rows.retain(|r| r.seq <= head.seq);
            let refused = vouched.refused.filter(|e| e.seq <= head.seq);
            if rows.is_empty()
                && let Some(e) = refused
            {
                tracing::error!(seq = e.seq, reason = %e.reason, "an entry in PostgreSQL's log is not sealed");
                return Err(StoreError::Chain(e));
            }
            if rows.is_empty() {
                return Err(StoreError::Postgres(format!(
                    "the head names entry {} but the log ends at {}",
                    head.seq,
                    self.next_seq - 1
                )));
            }
            let prepared = self.verified(rows)?;
            if self.copy_documents(&prepared)? > 0 {
                self.blobs.sync()?;
            }
            // A write the replica's disk failed stops this instance's writes for good (the
            // replica is rebuilt at its next start), as in a batch of its own.
            if let Err(e) = self.write_local(&prepared) {
                return Err(self.storage_failed(e));
            }
        }
        Ok(())
    }

    /// Checks rows read from PostgreSQL as the continuation of the replica.
    fn verified(&self, rows: Vec<Row>) -> Result<Vec<Prepared>, StoreError> {
        let mut verifier = ChainVerifier::resume(ChainHead {
            seq: self.next_seq - 1,
            hash: self.prev,
            recorded_at: self.last_at,
        });
        rows.into_iter()
            .map(|row| {
                let entry = verifier.push(&entry_key(row.seq), &row.value)?;
                if entry.hash != row.hash {
                    return Err(StoreError::Chain(crate::ChainError {
                        seq: row.seq,
                        reason: "its hash column differs from its content's hash".into(),
                    }));
                }
                let sealed_from = self.upstream.as_ref().expect("replica").sealed_from;
                if let Some(e) = seals_began::recorded_elsewhere(row.seq, &entry.event, sealed_from)
                {
                    return Err(StoreError::Chain(e));
                }
                Ok(Prepared {
                    seq: row.seq,
                    hash: row.hash,
                    value: row.value,
                    event: entry.event,
                    at: entry.recorded_at,
                })
            })
            .collect()
    }

    /// Ends a batch: commits what it wrote (after the documents it names are durable) or
    /// releases the head.
    pub(super) fn commit_upstream(&mut self, wrote: bool) -> Result<(), StoreError> {
        let Some(up) = self.upstream.as_mut() else {
            return Ok(());
        };
        if !up.locked {
            return Ok(());
        }
        up.locked = false;
        if !wrote && up.pending.is_empty() {
            // Nothing to lose: a failed ROLLBACK drops the session, which frees the head.
            if let Err(e) = up.link.release() {
                tracing::warn!(error = %e, "releasing the head failed; the session was dropped");
            }
            return Ok(());
        }
        // The batch's documents were synced before the head was taken (`begin_batch`): a request
        // places its documents before it queues its decision.
        up.required = up
            .pending
            .iter()
            .flat_map(|p| crate::blobs::filed_documents(&p.event))
            .map(str::to_string)
            .collect();
        let rows: Vec<Row> = up
            .pending
            .drain(..)
            .map(|p| Row {
                seq: p.seq,
                hash: p.hash,
                value: p.value,
            })
            .collect();
        let result = self.store_and_commit(&rows);
        match result {
            Err(e @ (StoreError::Postgres(_) | StoreError::Unreachable(_))) if !rows.is_empty() => {
                self.settle_in_doubt(&rows, e)
            }
            other => other,
        }
    }

    /// Stores the documents `rows` name and commits `rows`, in the transaction that holds the
    /// head; a failure ends the transaction (or cuts the session).
    pub(super) fn store_and_commit(&mut self, rows: &[Row]) -> Result<(), StoreError> {
        let storing = std::time::Instant::now();
        let stored = self.store_documents(rows);
        crate::postgres::count(crate::postgres::Phase::Documents, storing);
        let result = stored.and_then(|()| {
            let up = self.upstream.as_mut().expect("replica");
            up.link.commit(rows)
        });
        if result.is_err() {
            // The transaction may still hold the head: end it, or cut the session.
            self.upstream.as_mut().expect("replica").link.abandon();
        }
        result
    }

    /// Puts in PostgreSQL, in this batch's transaction, every document the batch's entries name
    /// that PostgreSQL does not hold yet.
    fn store_documents(&mut self, rows: &[Row]) -> Result<(), StoreError> {
        let up = self.upstream.as_mut().expect("replica");
        let named: Vec<String> = crate::blobs::named_documents(rows.iter().map(|r| &r.value[32..]))
            .into_iter()
            .filter(|d| self.blobs.path(d).is_file())
            .collect();
        let held = up.link.blobs_held(&named)?;
        // A filing's document neither here nor there: the entry must not be committed naming it.
        let away: Vec<String> = (up.required.iter())
            .filter(|d| !self.blobs.path(d).is_file())
            .cloned()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if !away.is_empty() && up.link.blobs_held(&away)?.len() < away.len() {
            return Err(StoreError::Database(format!(
                "a document the batch files ({}) is neither on this hub's disk nor in PostgreSQL; not committed",
                away.join(", ")
            )));
        }
        // Stored under its name for good (content-addressed): hashed as it is read, and one
        // that does not hash to its name fails the batch.
        let new: Vec<(String, std::path::PathBuf)> = (named.into_iter())
            .filter(|d| !held.contains(d))
            .map(|d| {
                let path = self.blobs.path(&d);
                (d, path)
            })
            .collect();
        up.link.upload_blobs(&new).map(drop)
    }

    /// Copies from PostgreSQL every document `entries` name that this hub does not have.
    fn copy_documents(&mut self, entries: &[Prepared]) -> Result<usize, StoreError> {
        let up = self.upstream.as_mut().expect("replica");
        let missing: Vec<String> =
            crate::blobs::named_documents(entries.iter().map(|p| &p.value[32..]))
                .into_iter()
                .filter(|d| !self.blobs.path(d).is_file())
                .collect();
        let held = up.link.blobs_held(&missing)?;
        for sha256 in &held {
            self.blobs
                .put_verified(sha256, |file| up.link.download_blob(sha256, file))?;
        }
        // A filing's documents must come with it; one that nobody stored is the log's fault.
        for p in entries {
            if let Some(lost) = crate::blobs::filed_documents(&p.event)
                .into_iter()
                .find(|d| !held.contains(*d) && !self.blobs.path(d).is_file())
            {
                return Err(StoreError::Chain(crate::ChainError {
                    seq: p.seq,
                    reason: format!("it names document {lost}, which PostgreSQL does not hold"),
                }));
            }
        }
        Ok(held.len())
    }
}
