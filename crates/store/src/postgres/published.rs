//! The chain's published checkpoints judged offline (`clerk verify-log --postgres`): every line in
//! `ecenter_checkpoints` must verify with the key published for it and agree with its own row,
//! and the log must hold the entry it names with the hash it names (RFC 6962 §3.5: a signed tree
//! head vouches for everything before it). A line that does not verify is a damaged row. The keys
//! sit in the same database, so a forger with write access to it is caught only with the keys
//! pinned (`clerk verify-log --postgres URL --checkpoint-key PEM`…, the keys as each hub's
//! `checkpoints/key.pem` or the mailed archive hold them): then every line must verify with one of
//! them, and the database's own key row must be that key. A verified line the log disagrees with
//! means the log was cut or altered after it was signed.

use super::{Upstream, pg};
use crate::StoreError;
use crate::chain::ChainHead;
use crate::checkpoint::{self, Checkpoint, CheckpointKey};
use std::collections::{BTreeMap, HashMap};

/// Published lines read per query.
const PAGE: i64 = 1000;
/// The schema version that made the tables.
const SCHEMA: i32 = 3;

/// What the published checkpoints say about the log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishedCheck {
    /// Lines read.
    pub read: u64,
    /// Lines naming entries appended after the walk began (not judged).
    pub skipped: u64,
    /// Lines that verified and that the log agrees with.
    pub checked: u64,
    /// The newest of them (by entry), with the instance that published it.
    pub newest: Option<(Checkpoint, String)>,
    /// Each signing key id, with how many instances published under it and the newest of them.
    pub keys: BTreeMap<String, (usize, String)>,
    /// The first line that does not verify, or a table missing or unreadable: why.
    pub unsigned: Option<String>,
    /// How many keys the lines were checked against instead of the published ones (0: none
    /// pinned, the database's own keys were used).
    pub pinned: usize,
    /// The verified line the log disagrees with that names the lowest entry: the first entry
    /// lost or altered, and why.
    pub disagrees: Option<(u64, String)>,
}

/// What the walk established, for judging the lines.
pub(crate) struct Walked {
    /// The last verified entry.
    pub(crate) head: ChainHead,
    /// The head row when the walk began: lines naming later entries were published since.
    pub(crate) began_at: u64,
    /// Losses an operator recorded (`log_loss_accepted`): lines naming them do not count against
    /// the log.
    pub(crate) losses: Vec<(u64, u64)>,
}

/// One published line as stored.
struct Line {
    id: i64,
    instance: String,
    key_id: String,
    number: i64,
    seq: i64,
    line: String,
    public_key: Option<String>,
}

/// Judges every published line against the walked log (verified already, so the hash column can
/// be trusted up to its head). A database older than the tables has none; one at their schema
/// version without them is reported.
pub(crate) fn check(
    link: &mut Upstream,
    walked: &Walked,
    pinned: &[CheckpointKey],
) -> Result<PublishedCheck, StoreError> {
    let mut found = PublishedCheck {
        pinned: pinned.len(),
        ..PublishedCheck::default()
    };
    if !link.has_table("ecenter_checkpoints")? {
        let version = link.schema_version()?;
        if version >= SCHEMA {
            found.unsigned = Some(format!(
                "the database is at schema version {version} but has no table ecenter_checkpoints: \
                 the published checkpoints were removed"
            ));
        }
        return Ok(found);
    }
    let mut keys: HashMap<String, Result<CheckpointKey, String>> = HashMap::new();
    let mut instances: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    let mut after = 0;
    loop {
        let lines = link.published_after(after)?;
        let Some(last) = lines.last() else {
            for (key, by) in instances {
                let newest = by.iter().max_by_key(|(_, id)| **id).map(|(i, _)| i.clone());
                found
                    .keys
                    .insert(key, (by.len(), newest.unwrap_or_default()));
            }
            return Ok(found);
        };
        after = last.id;
        // Read after the lines: every entry a line names was committed before the line.
        let now = link.head()?;
        let named: Vec<i64> = lines
            .iter()
            .filter(|l| l.seq > 0 && l.seq <= i64::try_from(walked.head.seq).unwrap_or(i64::MAX))
            .map(|l| l.seq)
            .collect();
        let hashes = link.hashes_at(&named)?;
        for l in lines {
            found.read += 1;
            let published = l.public_key.as_ref().map_or_else(
                || Err(format!("its key {} is not published", l.key_id)),
                |pem| {
                    keys.entry(pem.clone())
                        .or_insert_with(|| CheckpointKey::from_pem(pem))
                        .clone()
                },
            );
            let key = match pinned {
                [] => published,
                pinned => pinned_key(pinned, &l.key_id, published),
            };
            match judge(&l, &key, walked, &now, &hashes) {
                Ok(Some(cp)) => {
                    found.checked += 1;
                    let by = instances.entry(cp.key_id.clone()).or_default();
                    by.insert(l.instance.clone(), l.id);
                    let newest = found.newest.as_ref().map(|(c, _)| c.clone());
                    if checkpoint::newer(newest.clone(), Some(cp.clone())) != newest {
                        found.newest = Some((cp, l.instance));
                    }
                }
                Ok(None) => found.skipped += 1,
                Err(Judged::Unsigned(why)) => {
                    found.unsigned.get_or_insert(why);
                }
                Err(Judged::Disagrees(seq, why)) => {
                    if found.disagrees.as_ref().is_none_or(|(s, _)| seq < *s) {
                        found.disagrees = Some((seq, why));
                    }
                }
            }
        }
    }
}

/// The pinned key a line names, when the database publishes that same key for it.
fn pinned_key(
    pinned: &[CheckpointKey],
    key_id: &str,
    published: Result<CheckpointKey, String>,
) -> Result<CheckpointKey, String> {
    let key = (pinned.iter().find(|k| k.key_id() == key_id)).ok_or_else(|| {
        format!("its key {key_id} is none of the keys given with --checkpoint-key")
    })?;
    match published {
        Ok(p) if p == *key => Ok(key.clone()),
        Ok(_) => Err(format!(
            "the key ecenter_checkpoint_keys publishes as {key_id} is not the one given with \
             --checkpoint-key"
        )),
        Err(why) => Err(why),
    }
}

/// Why a line does not count.
enum Judged {
    Unsigned(String),
    Disagrees(u64, String),
}

/// The line's checkpoint if it verifies, agrees with its row and the log agrees with it; `None`
/// for one naming an entry appended after the walk began (beyond `walked.began_at`, within `now`).
fn judge(
    l: &Line,
    key: &Result<CheckpointKey, String>,
    walked: &Walked,
    now: &ChainHead,
    hashes: &HashMap<u64, [u8; 32]>,
) -> Result<Option<Checkpoint>, Judged> {
    let unsigned = |why: String| {
        Judged::Unsigned(format!(
            "published checkpoint row {} (instance {}): {why}",
            l.id, l.instance
        ))
    };
    let cp: Checkpoint = serde_json::from_str(&l.line).map_err(|e| unsigned(e.to_string()))?;
    let key = key.as_ref().map_err(|e| unsigned(e.clone()))?;
    key.check(&cp).map_err(unsigned)?;
    let row = (l.seq, l.number, l.key_id.as_str());
    if row != (to_i64(cp.seq), to_i64(cp.number), cp.key_id.as_str()) {
        return Err(unsigned(
            "its columns seq, number or key_id differ from its signed line".into(),
        ));
    }
    if cp.seq > walked.began_at && cp.seq <= now.seq {
        return Ok(None);
    }
    let head = if cp.seq > walked.began_at {
        now
    } else {
        &walked.head
    };
    let hash_at = |seq| hashes.get(&seq).copied();
    checkpoint::check_log(head, &cp, hash_at, &walked.losses).map_err(|e| {
        let first = match &e {
            checkpoint::CheckpointError::Truncated { first_missing, .. } => *first_missing,
            _ => cp.seq,
        };
        Judged::Disagrees(first, format!("published by instance {}: {e}", l.instance))
    })?;
    Ok(Some(cp))
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Upstream {
    /// Whether the schema has `table` (a database older than a migration lacks it).
    fn has_table(&mut self, table: &str) -> Result<bool, StoreError> {
        self.rt.block_on(async {
            let row = self
                .client()?
                .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
                .await
                .map_err(pg("reading the schema"))?;
            Ok(row.get(0))
        })
    }

    /// The schema version hubs applied (0 before any).
    fn schema_version(&mut self) -> Result<i32, StoreError> {
        if !self.has_table("ecenter_schema")? {
            return Ok(0);
        }
        self.rt.block_on(async {
            let row = self
                .client()?
                .query_one("SELECT coalesce(max(version), 0) FROM ecenter_schema", &[])
                .await
                .map_err(pg("reading the schema version"))?;
            Ok(row.get(0))
        })
    }

    /// Published lines after row `after`, at most [`PAGE`], in order, with their public keys.
    fn published_after(&mut self, after: i64) -> Result<Vec<Line>, StoreError> {
        self.rt.block_on(async {
            let rows = self
                .client()?
                .query(
                    "SELECT c.id, c.instance, c.key_id, c.number, c.seq, c.line, k.public_key \
                     FROM ecenter_checkpoints c LEFT JOIN ecenter_checkpoint_keys k \
                     USING (key_id) WHERE c.id > $1 ORDER BY c.id LIMIT $2",
                    &[&after, &PAGE],
                )
                .await
                .map_err(pg("reading the published checkpoints"))?;
            Ok(rows
                .iter()
                .map(|r| Line {
                    id: r.get(0),
                    instance: r.get(1),
                    key_id: r.get(2),
                    number: r.get(3),
                    seq: r.get(4),
                    line: r.get(5),
                    public_key: r.get(6),
                })
                .collect())
        })
    }

    /// The stored hashes of entries `seqs`.
    fn hashes_at(&mut self, seqs: &[i64]) -> Result<HashMap<u64, [u8; 32]>, StoreError> {
        self.rt.block_on(async {
            let rows = self
                .client()?
                .query(
                    "SELECT seq, hash FROM ecenter_log WHERE seq = ANY($1)",
                    &[&seqs],
                )
                .await
                .map_err(pg("reading the entries the checkpoints name"))?;
            rows.iter()
                .map(|r| {
                    let seq = u64::try_from(r.get::<_, i64>(0)).unwrap_or(0);
                    Ok((seq, super::hash32(r.get(1))?))
                })
                .collect()
        })
    }
}

/// Published lines read, newest entry first, looking for one that verifies at start.
const NEWEST: i64 = 20;

impl Upstream {
    /// Holds PostgreSQL's log against the newest published checkpoint that verifies (with
    /// `pinned`, the `[store] instance_keys`, when any; else with the key published for it), as a
    /// starting instance must before it serves or writes: a log cut or altered below a head its
    /// own instances signed is not served, and no number already acknowledged is issued again
    /// (RFC 6962 §3.5; outside tests, round 20, F3). An instance that signed the checkpoint holds
    /// it in its own files too; a new one has only the published line. A line that does not
    /// verify is passed over here (`clerk verify-log --postgres` names it). Lines naming entries a
    /// `log_loss_accepted` entry records as lost do not count.
    pub(crate) fn held_against_newest_published(
        &mut self,
        pinned: &[CheckpointKey],
    ) -> Result<(), StoreError> {
        if !self.has_table("ecenter_checkpoints")? {
            return Ok(());
        }
        let Some((cp, instance)) = self.newest_verified(pinned)? else {
            return Ok(());
        };
        let head = self.head()?;
        let hash = self.hash_at(cp.seq)?;
        let lost = match hash {
            Some(_) => Vec::new(),
            None => self.loss_recorded_after(cp.seq)?.into_iter().collect(),
        };
        checkpoint::check_log(&head, &cp, |_| hash, &lost).map_err(|e| {
            StoreError::Altered(format!(
                "{e} (checkpoint published by instance {instance} in ecenter_checkpoints). This \
                 instance does not serve a log its own instances' checkpoint contradicts: restore \
                 PostgreSQL's log from a backup (docs/DEPLOYMENT.md); an instance that signed the \
                 checkpoint names the range to accept as lost on the record \
                 (`ecenterd --accept-loss FIRST-LAST --operator NAME --reason TEXT`) / \
                 PostgreSQL 中的日志与已发布的检查点不符，本实例不提供服务"
            ))
        })
    }

    /// The published line naming the highest entry that verifies, with its instance.
    fn newest_verified(
        &mut self,
        pinned: &[CheckpointKey],
    ) -> Result<Option<(Checkpoint, String)>, StoreError> {
        let lines = self.rt.block_on(async {
            self.client()?
                .query(
                    "SELECT c.instance, c.line, k.public_key FROM ecenter_checkpoints c \
                     LEFT JOIN ecenter_checkpoint_keys k USING (key_id) \
                     ORDER BY c.seq DESC, c.id DESC LIMIT $1",
                    &[&NEWEST],
                )
                .await
                .map_err(pg("reading the published checkpoints"))
        })?;
        Ok(lines.iter().find_map(|row| {
            let cp: Checkpoint = serde_json::from_str(row.get::<_, &str>(1)).ok()?;
            let published = (row.get::<_, Option<String>>(2))
                .ok_or_else(|| "not published".to_string())
                .and_then(|pem| CheckpointKey::from_pem(&pem));
            let key = match pinned {
                [] => published,
                pinned => pinned_key(pinned, &cp.key_id, published),
            };
            match key.and_then(|k| k.check(&cp)) {
                Ok(()) => Some((cp, row.get::<_, String>(0))),
                Err(why) => {
                    tracing::warn!(%why, seq = cp.seq, "a published checkpoint that does not verify; passed over at start");
                    None
                }
            }
        }))
    }

    /// The loss the entry after the gap at `seq` records, when it is a `log_loss_accepted`
    /// entry covering `seq` (the loss entry is numbered right after the lost range).
    fn loss_recorded_after(&mut self, seq: u64) -> Result<Option<(u64, u64)>, StoreError> {
        let rows = (self.rt).block_on(async { super::rows_after(self.client()?, seq, 1).await })?;
        Ok(rows.first().and_then(|row| {
            let key = crate::chain::entry_key(row.seq);
            let entry = crate::chain::decode_entry(&key, &row.value).ok()?;
            crate::chain::accepted_loss(&entry.event).filter(|(f, l)| (*f..=*l).contains(&seq))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::CheckpointSigner;
    use crate::checkpoint::tests::head;

    /// A line signed for entry `seq` with hash `[fill; 32]`, stored as signed.
    fn line(signer: &CheckpointSigner, seq: u64, fill: u8) -> Line {
        let cp = signer.sign(seq, &head(seq, fill), chrono::Utc::now());
        Line {
            id: 1,
            instance: "hub-0000000a".into(),
            key_id: cp.key_id.clone(),
            number: to_i64(cp.number),
            seq: to_i64(cp.seq),
            line: serde_json::to_string(&cp).unwrap(),
            public_key: Some(signer.public_key_pem()),
        }
    }

    fn verdict(l: &Line, walked: &Walked, now: u64) -> Result<Option<u64>, String> {
        let key = CheckpointKey::from_pem(l.public_key.as_deref().unwrap_or_default());
        let hashes: HashMap<u64, [u8; 32]> = (1..=walked.head.seq).map(|s| (s, [7; 32])).collect();
        match judge(l, &key, walked, &head(now, 7), &hashes) {
            Ok(cp) => Ok(cp.map(|c| c.seq)),
            Err(Judged::Unsigned(why)) => Err(format!("unsigned: {why}")),
            Err(Judged::Disagrees(first, why)) => Err(format!("disagrees at {first}: {why}")),
        }
    }

    #[test]
    fn lines_are_judged_against_the_walk_and_the_log_as_it_now_stands() {
        let dir = tempfile::tempdir().unwrap();
        let signer = CheckpointSigner::load(&dir.path().join("k"), true).unwrap();
        let walked = |seq, began_at| Walked {
            head: head(seq, 7),
            began_at,
            losses: Vec::new(),
        };
        // Agrees with the walked log.
        assert_eq!(
            verdict(&line(&signer, 10, 7), &walked(20, 20), 20),
            Ok(Some(10))
        );
        // Entry 10 holds another hash: altered after it was signed.
        let altered = verdict(&line(&signer, 10, 9), &walked(20, 20), 20).unwrap_err();
        assert!(altered.starts_with("disagrees at 10"), "{altered}");
        // Appended after the walk began: not judged.
        assert_eq!(
            verdict(&line(&signer, 25, 7), &walked(20, 20), 30),
            Ok(None)
        );
        // Beyond the log as it now stands: entries 31 on are lost.
        let lost = verdict(&line(&signer, 35, 7), &walked(20, 20), 30).unwrap_err();
        assert!(lost.starts_with("disagrees at 31"), "{lost}");
        // The head row said 20 but the walk found rows only to 15: 16 on are missing.
        let short = verdict(&line(&signer, 18, 7), &walked(15, 20), 20).unwrap_err();
        assert!(short.starts_with("disagrees at 16"), "{short}");
        // A loss an operator recorded does not count against the log.
        let recorded = Walked {
            losses: vec![(16, 20)],
            ..walked(15, 20)
        };
        assert_eq!(verdict(&line(&signer, 18, 7), &recorded, 20), Ok(Some(18)));
    }

    #[test]
    fn a_line_that_does_not_verify_or_differs_from_its_row_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let signer = CheckpointSigner::load(&dir.path().join("k"), true).unwrap();
        let walked = Walked {
            head: head(20, 7),
            began_at: 20,
            losses: Vec::new(),
        };
        let mut edited = line(&signer, 10, 7);
        edited.line = edited.line.replace("\"seq\":10", "\"seq\":9");
        let why = verdict(&edited, &walked, 20).unwrap_err();
        assert!(
            why.contains("row 1") && why.contains("does not verify"),
            "{why}"
        );
        let mut moved = line(&signer, 10, 7);
        moved.seq = 19;
        let why = verdict(&moved, &walked, 20).unwrap_err();
        assert!(
            why.contains("columns seq, number or key_id differ"),
            "{why}"
        );
        let mut keyless = line(&signer, 10, 7);
        keyless.public_key = None;
        let key = Err(format!("its key {} is not published", keyless.key_id));
        let hashes = HashMap::new();
        assert!(matches!(
            judge(&keyless, &key, &walked, &head(20, 7), &hashes),
            Err(Judged::Unsigned(why)) if why.contains("is not published")
        ));
    }
}
