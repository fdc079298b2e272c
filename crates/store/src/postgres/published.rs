//! The chain's published checkpoints judged offline (`clerk verify-log --postgres`): every line in
//! `ecenter_checkpoints` must verify with the key published for it, and the log must hold the
//! entry it names with the hash it names (RFC 6962 §3.5: a signed tree head vouches for everything
//! before it). A line that does not verify is a forged or damaged row; a verified line the log
//! disagrees with means the log was cut or altered after it was signed.

use super::{Upstream, pg};
use crate::StoreError;
use crate::chain::ChainHead;
use crate::checkpoint::{self, Checkpoint, CheckpointKey};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Published lines read per query.
const PAGE: i64 = 1000;

/// What the published checkpoints say about the log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishedCheck {
    /// Lines that verified and that the log agrees with.
    pub checked: u64,
    /// The newest of them (by entry).
    pub newest: Option<Checkpoint>,
    /// Each signing key id, with the instances that published under it.
    pub keys: BTreeMap<String, BTreeSet<String>>,
    /// The first line that does not verify (a forged or damaged row): which, and why.
    pub unsigned: Option<String>,
    /// The first verified line the log disagrees with: the first entry lost or altered, and why.
    pub disagrees: Option<(u64, String)>,
}

/// One published line as stored.
struct Line {
    id: i64,
    instance: String,
    line: String,
    public_key: String,
}

/// Judges every published line against the log up to `head` (walked and verified already, so
/// the hash column can be trusted up to there). Lines naming entries appended since the walk
/// began are left out; a line naming an entry beyond the log as it now stands is a loss. A
/// database older than the table has none.
pub(crate) fn check(link: &mut Upstream, head: &ChainHead) -> Result<PublishedCheck, StoreError> {
    let mut found = PublishedCheck::default();
    if !link.has_table("ecenter_checkpoints")? {
        return Ok(found);
    }
    let mut keys: HashMap<String, Result<CheckpointKey, String>> = HashMap::new();
    let mut after = 0;
    loop {
        let lines = link.published_after(after)?;
        let Some(last) = lines.last() else {
            return Ok(found);
        };
        after = last.id;
        // Read after the lines: every entry a line names was committed before the line.
        let now = link.head()?;
        let named: Vec<i64> = lines
            .iter()
            .filter_map(|l| serde_json::from_str::<Checkpoint>(&l.line).ok())
            .filter(|cp| cp.seq <= head.seq)
            .filter_map(|cp| i64::try_from(cp.seq).ok())
            .collect();
        let hashes = link.hashes_at(&named)?;
        for l in lines {
            let key = keys
                .entry(l.public_key.clone())
                .or_insert_with(|| CheckpointKey::from_pem(&l.public_key));
            match judge(&l, key, (head, &now), &hashes) {
                Ok(Some(cp)) => {
                    found.checked += 1;
                    let signers = found.keys.entry(cp.key_id.clone()).or_default();
                    signers.insert(l.instance);
                    found.newest = checkpoint::newer(found.newest.take(), Some(cp));
                }
                Ok(None) => {}
                Err(Judged::Unsigned(why)) => {
                    found.unsigned.get_or_insert(why);
                }
                Err(Judged::Disagrees(seq, why)) => {
                    found.disagrees.get_or_insert((seq, why));
                }
            }
        }
    }
}

/// Why a line does not count.
enum Judged {
    Unsigned(String),
    Disagrees(u64, String),
}

/// The line's checkpoint if it verifies and the log agrees; `None` for one naming an entry
/// appended after the walk began (`walked`, `now`).
fn judge(
    l: &Line,
    key: &Result<CheckpointKey, String>,
    (walked, now): (&ChainHead, &ChainHead),
    hashes: &HashMap<u64, [u8; 32]>,
) -> Result<Option<Checkpoint>, Judged> {
    let unsigned = |why: String| {
        Judged::Unsigned(format!(
            "published checkpoint row {} (instance {}): {why}",
            l.id, l.instance
        ))
    };
    let cp: Checkpoint = serde_json::from_str(&l.line).map_err(|e| unsigned(e.to_string()))?;
    let key = key
        .as_ref()
        .map_err(|e| unsigned(format!("its public key: {e}")))?;
    key.check(&cp).map_err(unsigned)?;
    if cp.seq > walked.seq && cp.seq <= now.seq {
        return Ok(None);
    }
    let head = if cp.seq > walked.seq { now } else { walked };
    checkpoint::check_log(head, &cp, |seq| hashes.get(&seq).copied(), &[]).map_err(|e| {
        let first = match &e {
            checkpoint::CheckpointError::Truncated { first_missing, .. } => *first_missing,
            _ => cp.seq,
        };
        Judged::Disagrees(first, format!("published by instance {}: {e}", l.instance))
    })?;
    Ok(Some(cp))
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

    /// Published lines after row `after`, at most [`PAGE`], in order, with their public keys.
    fn published_after(&mut self, after: i64) -> Result<Vec<Line>, StoreError> {
        self.rt.block_on(async {
            let rows = self
                .client()?
                .query(
                    "SELECT c.id, c.instance, c.line, k.public_key FROM ecenter_checkpoints c \
                     JOIN ecenter_checkpoint_keys k USING (key_id) \
                     WHERE c.id > $1 ORDER BY c.id LIMIT $2",
                    &[&after, &PAGE],
                )
                .await
                .map_err(pg("reading the published checkpoints"))?;
            Ok(rows
                .iter()
                .map(|r| Line {
                    id: r.get(0),
                    instance: r.get(1),
                    line: r.get(2),
                    public_key: r.get(3),
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
