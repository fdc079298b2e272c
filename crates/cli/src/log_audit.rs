//! `clerk verify-log --data-dir`: the offline audit of a stopped hub's data directory.
//!
//! It never writes to what it checks. sled, opening a log whose record is damaged, treats it as a
//! torn tail and rewrites the file from there; so the audit copies `log/` into a private temporary
//! directory and opens the copy, and reads the checkpoint files without opening them for writing.
//! It then compares the log with every valid signed checkpoint (the data directory's and each
//! witness's, so a log rolled back and written on fails at the older checkpoint it contradicts)
//! and with any head the clerk supplies (`--expect SEQ:HASH`, e.g. from a receipt or an e-mailed
//! checkpoint): a shorter or different log fails, naming the first missing or different entry.
//! Files signed by two different keys, or giving one checkpoint number two entries, fail: one
//! of them was re-signed.

use anyhow::{Context, Result};
use ecenter_store::checkpoint::{self, Checkpoint, CheckpointKey};
use ecenter_store::{ChainHead, StoreError};
use std::path::{Path, PathBuf};

/// Where the walk ended: the head, or the first bad entry.
pub struct LogWalk {
    /// Entries that verified.
    pub entries: u64,
    /// The last one's number.
    pub head_seq: u64,
    /// Its hash (hex).
    pub head_hash: String,
    /// Its recording time.
    pub head_time: Option<chrono::DateTime<chrono::Utc>>,
    /// The first bad or missing entry, and why.
    pub broken: Option<(u64, String)>,
    /// The signed checkpoint the log was compared with.
    pub checkpoint: Option<Checkpoint>,
    /// Why no checkpoint can vouch for the log (the entries themselves verify).
    pub checkpoint_problem: Option<String>,
    /// Why the database is not as the hubs left it though its entries verify: a row the hubs
    /// index the log by was changed around them (they refuse it until it is set back).
    pub database_problem: Option<String>,
    /// Said to the clerk besides the verdict (e.g. where the key came from).
    pub notes: Vec<String>,
}

/// What the clerk gave besides the directory.
pub struct Offline {
    /// The stopped hub's data directory (or a copy).
    pub data_dir: PathBuf,
    /// The hub's checkpoint public key; default: `checkpoints/key.pem` inside the directory.
    pub checkpoint_key: Option<PathBuf>,
    /// Witness directories holding copies of the checkpoints.
    pub witnesses: Vec<PathBuf>,
    /// A head recorded elsewhere, `SEQ:HASH`.
    pub expect: Option<String>,
    /// Trust anchors (PEM) for the checkpoints' RFC 3161 timestamps, and intermediate CAs.
    pub tsa_trust: (Vec<PathBuf>, Vec<PathBuf>),
    /// A checkpoint without a timestamp fails the check instead of being counted in a note.
    pub require_timestamps: bool,
}

/// Audits `o.data_dir` on a private copy of its log.
pub fn walk_offline(o: &Offline) -> Result<LogWalk> {
    let log = o.data_dir.join("log");
    if !log.is_dir() {
        anyhow::bail!(
            "{} holds no event log (no log/ directory)",
            o.data_dir.display()
        );
    }
    let expect = o.expect.as_deref().map(parse_expect).transpose()?;
    let (mut notes, key) = checkpoint_key(o)?;
    let mut stamps = Timestamps::load(&o.tsa_trust)?;
    let found = histories(o, &key, &mut stamps);
    let mut wanted: Vec<u64> = found
        .histories
        .iter()
        .flat_map(|(_, h)| h.iter().map(|c| c.seq))
        .collect();
    wanted.extend(expect.iter().map(|(seq, _)| *seq));
    let held = Held {
        histories: &found.histories,
        expect: expect.as_ref(),
    };
    let (mut walk, newest) = walk_copy(o, &wanted, &held, &mut notes)?;
    let problems = found.problems;
    walk.head_hash = if walk.broken.is_some() && walk.head_hash == "0".repeat(64) {
        String::new()
    } else {
        walk.head_hash
    };
    // As the hub judges it: with no valid checkpoint at all, nothing vouches for a log that has
    // entries; a damaged file beside a valid history is what the hub restores from a witness.
    if found.histories.is_empty() && walk.head_seq > 0 {
        walk.checkpoint_problem = Some(format!(
            "no valid signed checkpoint vouches for this log: {}",
            problems.join("; ")
        ));
    } else {
        notes.extend(problems);
    }
    if let Some(bad) = stamps.failures.first() {
        walk.checkpoint_problem.get_or_insert_with(|| bad.clone());
    }
    if let Some(first) = stamps.unstamped.first().filter(|_| o.require_timestamps) {
        walk.checkpoint_problem.get_or_insert_with(|| {
            format!(
                "{} checkpoint(s) carry no timestamp, the first {first}: with --require-timestamps each must, for one re-signed with the hub's key would show no TSA time",
                stamps.unstamped.len()
            )
        });
    }
    // Files signed by two keys: whichever is the hub's, the other was re-signed, and nothing here
    // says which; the clerk's pinned key or a witness kept apart must decide.
    if let Some(empty) = found.empty_witnesses.first() {
        walk.checkpoint_problem = Some(empty.clone());
    }
    if let Some(conflict) = found.other_keys.first() {
        walk.checkpoint_problem = Some(format!(
            "{conflict}. The checkpoint files disagree on the hub's key, so they vouch for nothing until it is known which key is the hub's: check again with --checkpoint-key naming it (from the hub's backup, or the key.pem of a witness kept apart)"
        ));
    }
    notes.push(
        "documents are not re-hashed by verify-log: `clerk scrub` on the running hub does that / 文书内容须另行以 clerk scrub 核验".into(),
    );
    notes.push(stamps.summary());
    walk.checkpoint = newest;
    walk.notes = notes;
    Ok(walk)
}

/// The checkpoint files as read: the valid histories, what was wrong with the others, and lines
/// signed by another key than the one checked with.
struct Found {
    histories: Vec<(PathBuf, Vec<Checkpoint>)>,
    problems: Vec<String>,
    other_keys: Vec<String>,
    empty_witnesses: Vec<String>,
}

/// What the log is held against: every valid history, and the head the clerk expects.
struct Held<'a> {
    histories: &'a [(PathBuf, Vec<Checkpoint>)],
    expect: Option<&'a (u64, String)>,
}

/// Reads the signed checkpoints of the data directory and of each witness, checking their
/// timestamps.
fn histories(o: &Offline, key: &CheckpointKey, stamps: &mut Timestamps) -> Found {
    let files =
        std::iter::once(checkpoint::local_dir(&o.data_dir)).chain(o.witnesses.iter().cloned());
    let mut found = Found {
        histories: Vec::new(),
        problems: Vec::new(),
        other_keys: Vec::new(),
        empty_witnesses: Vec::new(),
    };
    for (i, dir) in files.enumerate() {
        let path = dir.join(checkpoint::FILE_NAME);
        match checkpoint::read_file(&path, key) {
            Ok(Some(cps)) if !cps.is_empty() => {
                stamps.check(&path, &cps);
                found.histories.push((path, cps));
            }
            // A witness the clerk named that holds nothing vouches for nothing: say so as a
            // failure, not a note (it was emptied, or the wrong directory was named).
            Ok(_) if i > 0 => found.empty_witnesses.push(format!(
                "{} holds no checkpoint: the witness named was emptied, or is not a witness of this hub",
                path.display()
            )),
            Ok(Some(_)) => found
                .problems
                .push(format!("{} holds no checkpoint", path.display())),
            Ok(None) => found
                .problems
                .push(format!("{} is missing", path.display())),
            Err(e @ checkpoint::CheckpointError::OtherKey { .. }) => {
                found.other_keys.push(e.to_string());
            }
            Err(e) => found.problems.push(e.to_string()),
        }
    }
    found
}

/// Walks a private copy of the hash-chained log and compares it with the newest checkpoint and
/// with the head the clerk expects (`--expect SEQ:HASH`); files left out are noted.
fn walk_copy(
    o: &Offline,
    wanted: &[u64],
    held: &Held<'_>,
    notes: &mut Vec<String>,
) -> Result<(LogWalk, Option<Checkpoint>)> {
    let mut newest = None;
    let scratch = std::env::temp_dir();
    let passing_over = ecenter_store::audit::DamagedSnapshot::PassOver;
    let walk = match ecenter_store::audit::audit_copy(&o.data_dir, &scratch, wanted, passing_over) {
        Ok(audit) => {
            let (head, hashes) = (audit.head, audit.hashes);
            notes.extend(
                audit
                    .skipped
                    .iter()
                    .map(|s| format!("left out of the check: {s}")),
            );
            notes.extend(audit.damaged_snapshot.map(|said| {
                format!(
                    "{said} before the hub starts: the entries were verified without it / sled 快照损坏，日志条目已不依赖快照完成核验，启动前请移出该快照"
                )
            }));
            let mut walk = verified(head);
            // Entries an operator accepted as lost are numbers, not entries the log holds.
            let lost: u64 = audit.losses.iter().map(|(a, b)| b + 1 - a).sum();
            walk.entries = head.seq.saturating_sub(lost);
            for (first, last) in &audit.losses {
                notes.push(format!(
                    "entries {first}–{last} were lost and the loss is on the record (log_loss_accepted): their numbers are not issued again / 已登记灭失"
                ));
            }
            let histories: Vec<(&Path, &[Checkpoint])> = held
                .histories
                .iter()
                .map(|(p, h)| (p.as_path(), h.as_slice()))
                .collect();
            let hash_at = |s| hashes.get(&s).copied();
            match checkpoint::check_histories(&head, &histories, hash_at, &audit.losses) {
                Ok(cp) => newest = cp,
                Err(e) => walk.broken = Some((first_bad(&e), e.to_string())),
            }
            if let Some((seq, hash)) = held.expect
                && walk.broken.is_none()
            {
                walk.broken = check_expect(&head, *seq, hash, hashes.get(seq));
                if walk.broken.is_none() {
                    notes.push(format!(
                        "entry {seq} has the hash you expect ({hash}): the log still holds it unchanged / 与预期哈希一致"
                    ));
                }
            }
            walk
        }
        Err(StoreError::Chain(e)) => LogWalk {
            broken: Some((e.seq, e.reason)),
            ..verified(ChainHead {
                seq: e.seq.saturating_sub(1),
                hash: [0; 32],
                recorded_at: None,
            })
        },
        // sled cannot read the files at all: no entry verifies, the log is broken, not the
        // clerk's command.
        Err(StoreError::Database(m)) if m.to_lowercase().contains("corrupt") => LogWalk {
            broken: Some((1, format!("{}: {m}", o.data_dir.display()))),
            ..verified(ChainHead::empty())
        },
        Err(e) => anyhow::bail!("{}: {e}", o.data_dir.display()),
    };
    Ok((walk, newest))
}

/// The checkpoints' RFC 3161 timestamps, checked against the TSA anchors the clerk names.
struct Timestamps {
    anchors: Vec<Vec<u8>>,
    intermediates: Vec<Vec<u8>>,
    verified: usize,
    without: usize,
    /// Which checkpoints carry none: `FILE checkpoint N`.
    unstamped: Vec<String>,
    failures: Vec<String>,
}

impl Timestamps {
    fn load((trust, intermediates): &(Vec<PathBuf>, Vec<PathBuf>)) -> Result<Timestamps> {
        let read = ecenter_seal::trust_files::certificates;
        Ok(Timestamps {
            anchors: read(trust)?,
            intermediates: read(intermediates)?,
            verified: 0,
            without: 0,
            unstamped: Vec::new(),
            failures: Vec::new(),
        })
    }

    /// Each timestamp is over the checkpoint's signature bytes.
    fn check(&mut self, path: &std::path::Path, cps: &[Checkpoint]) {
        for cp in cps {
            let Some(token) = cp.timestamp_der() else {
                self.without += 1;
                let at = format!("{} checkpoint {}", path.display(), cp.number);
                self.unstamped.push(at);
                continue;
            };
            if self.anchors.is_empty() {
                continue;
            }
            let checked = (|| -> anyhow::Result<_> {
                let (token, sig) = (token?, cp.signature_der()?);
                Ok(ecenter_seal::tsa::verify_timestamp(
                    &token,
                    &sig,
                    &self.anchors,
                    &self.intermediates,
                )?)
            })();
            match checked {
                Ok(_) => self.verified += 1,
                Err(e) => self.failures.push(format!(
                    "{} checkpoint {}: its timestamp does not verify ({e})",
                    path.display(),
                    cp.number
                )),
            }
        }
    }

    fn summary(&self) -> String {
        if self.anchors.is_empty() {
            return "checkpoint timestamps were not checked: give --tsa-trust (and --intermediate)"
                .into();
        }
        format!(
            "{} checkpoint timestamp(s) verified, {} checkpoint(s) without one",
            self.verified, self.without
        )
    }
}

/// A walk that verified up to `head`, with nothing else to say yet.
pub(crate) fn verified(head: ChainHead) -> LogWalk {
    LogWalk {
        entries: head.seq,
        head_seq: head.seq,
        head_hash: hex::encode(head.hash),
        head_time: head.recorded_at,
        broken: None,
        checkpoint: None,
        checkpoint_problem: None,
        database_problem: None,
        notes: Vec::new(),
    }
}

/// The entry a checkpoint disagreement is named by: the first one missing, or the one that differs.
fn first_bad(e: &checkpoint::CheckpointError) -> u64 {
    use checkpoint::CheckpointError as E;
    match e {
        E::Truncated { first_missing, .. } => *first_missing,
        E::Diverged { seq, .. } => *seq,
        E::Forked { seq, other_seq, .. } => (*seq).min(*other_seq),
        _ => 1,
    }
}

fn check_expect(
    head: &ChainHead,
    seq: u64,
    hash: &str,
    found: Option<&[u8; 32]>,
) -> Option<(u64, String)> {
    if head.seq < seq {
        return Some((
            head.seq + 1,
            format!(
                "the log ends at entry {}, but the head you expect is entry {seq} with hash {hash}: entries {}–{seq} were lost or altered",
                head.seq,
                head.seq + 1
            ),
        ));
    }
    let Some(found) = found.map(hex::encode) else {
        return Some((
            seq,
            format!(
                "the log holds no entry {seq}, which you expect with hash {hash}: it lies in a \
                 range whose loss was accepted on the record (log_loss_accepted), or it was removed"
            ),
        ));
    };
    (found != hash).then(|| {
        (
            seq,
            format!("entry {seq} has hash {found}, but you expect {hash}: the log was altered or replaced"),
        )
    })
}

fn parse_expect(s: &str) -> Result<(u64, String)> {
    let (seq, hash) = s
        .split_once(':')
        .context("--expect takes SEQ:HASH, e.g. 12:3f…, as a receipt or checkpoint gives them")?;
    let seq: u64 = seq
        .trim()
        .parse()
        .with_context(|| format!("--expect: 「{seq}」 is not an entry number"))?;
    if seq == 0 {
        anyhow::bail!("--expect: entries are numbered from 1; 0 is no entry");
    }
    let hash = hash.trim().to_ascii_lowercase();
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        anyhow::bail!("--expect: the hash must be 64 hex digits (SHA-256), not 「{hash}」");
    }
    Ok((seq, hash))
}

fn checkpoint_key(o: &Offline) -> Result<(Vec<String>, CheckpointKey)> {
    let (path, note) = match &o.checkpoint_key {
        Some(p) => (p.clone(), None),
        None => {
            let p = checkpoint::local_dir(&o.data_dir).join(checkpoint::KEY_NAME);
            let note = format!(
                "the checkpoint key was read from {} inside the directory checked; pin the hub's key with --checkpoint-key",
                p.display()
            );
            (p, Some(note))
        }
    };
    match CheckpointKey::load(&path) {
        Ok(key) => Ok((note.into_iter().collect(), key)),
        Err(e) if o.checkpoint_key.is_some() => Err(anyhow::anyhow!("--checkpoint-key: {e}")),
        // No key file in the directory: it holds no checkpoints either; say so in the verdict.
        Err(_) => Ok((Vec::new(), CheckpointKey::unknown())),
    }
}

/// `clerk scrub`: asks the hub to re-hash every stored document; prints what is damaged.
pub async fn scrub(channel: ecenter_client::hub::HubChannel, json: bool) -> Result<bool> {
    use ecenter_proto::v1 as pb;
    let report = pb::event_log_service_client::EventLogServiceClient::new(channel)
        .scrub(pb::ScrubRequest {})
        .await
        .map_err(|s| anyhow::anyhow!("the hub refused Scrub: {}", s.message()))?
        .into_inner();
    if json {
        let damaged: Vec<_> = report
            .damaged
            .iter()
            .map(|d| serde_json::json!({"sha256": d.sha256, "document": d.document, "found": d.found}))
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "ok": report.damaged.is_empty(),
                "documents_checked": report.documents_checked,
                "bytes_checked": report.bytes_checked,
                "up_to_seq": report.up_to_seq,
                "damaged": damaged,
            })
        );
    } else {
        println!(
            "checked {} stored documents ({} bytes) named by log entries 1 to {}",
            report.documents_checked, report.bytes_checked, report.up_to_seq
        );
        for d in &report.damaged {
            println!(
                "DAMAGED {}: {} (expected SHA-256 {})",
                d.document, d.found, d.sha256
            );
        }
        if report.damaged.is_empty() {
            println!("every document is as it was received");
        }
    }
    Ok(report.damaged.is_empty())
}

/// Walks the log of several hubs in PostgreSQL (`clerk verify-log --postgres URL`): every entry
/// checked as the hub checks its own, the head row the hubs continue from compared with the last
/// entry, and every checkpoint the signing instance published checked with its key and against
/// the log (a verified checkpoint the log disagrees with is a loss or an alteration).
///
/// `pinned` are the signing instances' public keys as the clerk holds them (`--checkpoint-key`):
/// given, every published line must verify with one of them, so a forger who can write to the
/// database, key table included, is caught.
///
/// `expect` is a head recorded elsewhere (`--expect SEQ:HASH`, a receipt's entry or a mailed
/// checkpoint): the log must hold it unchanged.
pub fn walk_postgres(
    config: &ecenter_store::PostgresConfig,
    pinned: &[PathBuf],
    expect: Option<&str>,
) -> Result<LogWalk> {
    let pinned = pinned
        .iter()
        .map(|path| CheckpointKey::load(path).map_err(|e| anyhow::anyhow!("--checkpoint-key: {e}")))
        .collect::<Result<Vec<_>>>()?;
    let expect = expect.map(parse_expect).transpose()?;
    let wanted = expect.as_ref().map(|(seq, _)| *seq);
    let found = match ecenter_store::postgres::verify_postgres_log(config, &pinned, wanted) {
        Ok(found) => found,
        // The database down or unreachable: retry later (exit 3), as for a hub.
        Err(e @ ecenter_store::StoreError::Unreachable(_)) => {
            let e = anyhow::anyhow!("reading the log in PostgreSQL: {e}");
            return Err(
                ecenter_client::exit::Exit(ecenter_client::exit::UNREACHABLE, e).into_error(),
            );
        }
        // A table the log relies on emptied or dropped: the log is not valid (exit 1).
        Err(e @ ecenter_store::StoreError::Altered(_)) => {
            let e = anyhow::anyhow!("reading the log in PostgreSQL: {e}");
            return Err(ecenter_client::exit::Exit(ecenter_client::exit::REFUSED, e).into_error());
        }
        Err(e) => return Err(anyhow::Error::new(e).context("reading the log in PostgreSQL")),
    };
    let (row, last) = (found.recorded_head, found.head);
    let stray_and_lost = stray_and_lost_words(&found);
    let mut broken = found
        .broken
        .map(|c| (c.seq, c.reason))
        .or_else(|| head_row_disagrees(&row, &last));
    let published = found.published;
    if broken.is_none() {
        broken = published.disagrees.clone();
    }
    let mut notes = published_notes(&published, broken.is_some());
    notes.extend(stray_and_lost);
    notes.extend(time_back_words(&found.time_back));
    let sealed = sealed_words(found.sealed_from, last.seq, pinned.is_empty());
    notes.extend(sealed.into_iter().map(|note| match &broken {
        // Where the seals begin comes from the log's own entry (or the row, on a log without
        // one), which the broken walk did not vouch for: not stated as fact (round 9).
        Some(_) if note.starts_with("entries 1–") => {
            format!("not established, the log does not verify: {note}")
        }
        _ => note,
    }));
    if let Some(b) = found.beyond_head {
        let why = beyond_head_words(&b);
        match broken {
            None => broken = Some((b.first, why)),
            Some(_) => notes.push(why),
        }
    }
    if let Some((seq, hash)) = &expect
        && broken.is_none()
    {
        broken = check_expect(&last, *seq, hash, found.wanted_hash.as_ref());
        if broken.is_none() {
            notes.push(format!(
                "entry {seq} has the hash you expect ({hash}): the log still holds it unchanged / 与预期哈希一致"
            ));
        }
    }
    // Nothing to vouch for yet (an empty log, or lines only for entries appended during the walk).
    let vouched = last.seq == 0 || published.checked > 0 || published.skipped > 0;
    let unpinned = (published.pinned > 0 && !vouched).then(|| {
        "no published checkpoint verifies with the key(s) given with --checkpoint-key: the table \
         was emptied, or they were never published"
            .to_string()
    });
    Ok(LogWalk {
        entries: found.entries,
        head_seq: last.seq,
        head_hash: hex::encode(last.hash),
        head_time: last.recorded_at,
        broken,
        checkpoint: published.newest.as_ref().map(|(cp, _)| cp.clone()),
        checkpoint_problem: published
            .unsigned
            .as_ref()
            .map(|why| format!("a published checkpoint is damaged, forged or missing: {why}"))
            .or(unpinned),
        database_problem: found.row_moved,
        notes,
    })
}

/// Seal rows no instance wrote (warnings: they change no verdict), and the losses on the record.
fn stray_and_lost_words(found: &ecenter_store::postgres::PostgresWalk) -> Vec<String> {
    let (stray, count) = &found.stray_seals;
    let mut notes: Vec<String> = stray.iter().map(|s| format!("WARNING: {s}")).collect();
    if *count > stray.len() as u64 {
        notes.push(format!("WARNING: {count} such rows in all"));
    }
    notes.extend(found.losses.iter().map(|(first, last)| format!(
        "entries {first}–{last} were lost and the loss is on the record (log_loss_accepted): their numbers are not issued again / 已登记灭失"
    )));
    notes
}

/// The head row (`row`) and the last entry the walk verified (`last`) disagree: rows missing below
/// the head row, the first of them named as the first bad entry.
fn head_row_disagrees(row: &ChainHead, last: &ChainHead) -> Option<(u64, String)> {
    if row.seq == last.seq && row.hash == last.hash {
        return None;
    }
    let first = if row.seq > last.seq {
        last.seq + 1
    } else {
        row.seq
    };
    Some((
        first,
        format!(
            "the head row names entry {} with hash {} but the log ends at entry {} with hash {}",
            row.seq,
            hex::encode(row.hash),
            last.seq,
            hex::encode(last.hash)
        ),
    ))
}

/// Entries recorded well before an earlier one: a warning, not a verdict (the instances' clocks
/// may disagree), but a back-dated entry written around the hubs looks so.
/// What the entries' seals vouch for: which instance wrote each entry from `from` on.
fn sealed_words(from: Option<u64>, last: u64, unpinned: bool) -> Vec<String> {
    let Some(from) = from else {
        return vec![
            "the database's schema is from before entry seals: nothing shows which entries an \
             ecenter instance wrote; start a hub of this version once to add them"
                .into(),
        ];
    };
    let mut notes = Vec::new();
    if from > 1 {
        notes.push(format!(
            "entries 1–{} were written before seals began (or copied from a sled hub by \
             ecenter-admin migrate): only the chain and the checkpoints vouch for them / 封印启用前的条目",
            from - 1
        ));
    }
    if last >= from && unpinned {
        notes.push(
            "entries were sealed by keys PostgreSQL publishes, not by keys you hold: give every \
             instance's key with --checkpoint-key to catch a forger who can also add keys"
                .into(),
        );
    }
    notes
}

fn time_back_words((found, count): &(Vec<ecenter_store::postgres::TimeBack>, u64)) -> Vec<String> {
    let beijing = |t: chrono::DateTime<chrono::Utc>| ecenter_domain::time::beijing_seconds(t);
    let mut said: Vec<String> = found
        .iter()
        .map(|t| {
            format!(
                "WARNING: entry {} was recorded at {}, before an earlier entry's {}: the \
                 instances' clocks disagree by more than {} minutes, or the entry was written \
                 around the hubs; compare it with what the court's systems hold / 记录时间早于此前条目",
                t.seq,
                beijing(t.at),
                beijing(t.latest_before),
                ecenter_store::postgres::TIME_BACK_LIMIT.num_minutes()
            )
        })
        .collect();
    if *count > found.len() as u64 {
        said.push(format!("WARNING: {count} entries in all are recorded so"));
    }
    said
}

/// Rows after the head row: no hub continues from them, and a walk to the head does not see them.
fn beyond_head_words(b: &ecenter_store::postgres::BeyondHead) -> String {
    format!(
        "PostgreSQL's log holds {} row(s) after its head row (entry {}): entries {}–{}; the head \
         was moved back, hiding them, or rows were written around the hubs (no hub appends them; \
         hubs refuse to write until they are explained) / 日志表在链头之后还有记录",
        b.count, b.head, b.first, b.last
    )
}

/// What the clerk is told of the published checkpoints: how many were read and judged, which
/// keys signed them (by how many instances, the newest of them), and which one vouches. When the
/// walk broke (`broken`) they were not read: said so, rather than that none are published.
fn published_notes(p: &ecenter_store::postgres::PublishedCheck, broken: bool) -> Vec<String> {
    if broken && p.read == 0 {
        return vec![
            "the published checkpoints were not judged: the log does not verify up to them".into(),
        ];
    }
    let mut notes = vec![format!(
        "the log in PostgreSQL: {} published checkpoints read, {} verify and agree with it, {} name \
         entries appended since the walk began",
        p.read, p.checked, p.skipped
    )];
    if p.read == 0 {
        notes.push(
            "none published yet, or the database predates them; each hub's own checkpoints are in \
             its data directory"
                .into(),
        );
    }
    if p.pinned > 0 {
        notes.push(format!(
            "checked with the {} key(s) given with --checkpoint-key, not with the keys the \
             database publishes",
            p.pinned
        ));
    }
    for (key, (instances, newest)) in &p.keys {
        let compare = if p.pinned > 0 {
            "a key you gave"
        } else {
            "compare the key id with each hub's checkpoints/key.pem or the mailed archive, or \
             give them with --checkpoint-key"
        };
        notes.push(format!(
            "signed with key {key} by {instances} instance(s), the newest {newest}: {compare}"
        ));
    }
    if let Some((cp, instance)) = &p.newest {
        notes.push(format!(
            "the newest is checkpoint {} of instance {instance} (key {}), entry {}",
            cp.number, cp.key_id, cp.seq
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expected_entry_the_log_lacks_is_named_as_missing_not_as_a_hash_of_nothing() {
        let head = ChainHead {
            seq: 32,
            hash: [1; 32],
            recorded_at: None,
        };
        let hash = hex::encode([7; 32]);
        let (seq, said) = check_expect(&head, 28, &hash, None).unwrap();
        assert_eq!(seq, 28);
        assert!(said.starts_with("the log holds no entry 28"), "{said}");
        assert!(check_expect(&head, 28, &hash, Some(&[7; 32])).is_none());
        let (_, said) = check_expect(&head, 28, &hash, Some(&[8; 32])).unwrap();
        assert!(said.contains("the log was altered or replaced"), "{said}");
    }
}
