//! Log entries and their hash chain. An entry's value is `SHA-256(body) || body`, where the body is
//! the JSON of [`EntryBody`] and names the previous entry's hash, so changing any byte of any entry
//! breaks the chain at that entry.

use chrono::{DateTime, Utc};
use ecenter_domain::Event;
use ring::digest;
use serde::{Deserialize, Serialize};

/// The `prev` of the first entry.
pub const GENESIS_HASH: [u8; 32] = [0; 32];

/// What is hashed: everything about an entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EntryBody {
    /// 1, 2, 3, ... without gaps.
    pub seq: u64,
    /// Hex hash of the previous entry (64 zeros for the first).
    pub prev: String,
    /// When the hub recorded it (UTC).
    pub at: DateTime<Utc>,
    /// The event.
    pub event: Event,
}

/// A decoded, hash-checked entry.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    /// Sequence number.
    pub seq: u64,
    /// SHA-256 of the body.
    pub hash: [u8; 32],
    /// Hash of the previous entry.
    pub prev: [u8; 32],
    /// Recording time.
    pub recorded_at: DateTime<Utc>,
    /// The event.
    pub event: Event,
    /// The body exactly as hashed, for auditors.
    pub body: Vec<u8>,
}

/// The end of the chain, published after every flush so it can be recorded elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainHead {
    /// Sequence number of the last durable entry; 0 for an empty log.
    pub seq: u64,
    /// Its hash ([`GENESIS_HASH`] for an empty log).
    pub hash: [u8; 32],
    /// Its recording time.
    pub recorded_at: Option<DateTime<Utc>>,
}

impl ChainHead {
    /// The head of an empty log.
    pub fn empty() -> Self {
        ChainHead {
            seq: 0,
            hash: GENESIS_HASH,
            recorded_at: None,
        }
    }
}

/// Where the chain breaks, and how.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event log entry {seq} does not verify: {reason}")]
pub struct ChainError {
    /// First bad entry.
    pub seq: u64,
    /// What is wrong.
    pub reason: String,
}

/// Key of entry `seq`: big-endian so that sled's order is the log's order.
pub fn entry_key(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

/// Encodes an entry; returns its hash and the value to store.
pub fn encode_entry(
    seq: u64,
    prev: &[u8; 32],
    at: DateTime<Utc>,
    event: &Event,
) -> ([u8; 32], Vec<u8>) {
    let body = EntryBody {
        seq,
        prev: hex::encode(prev),
        at,
        event: event.clone(),
    };
    let json = serde_json::to_vec(&body).expect("events always serialise");
    let hash = sha256(&json);
    let mut value = Vec::with_capacity(32 + json.len());
    value.extend_from_slice(&hash);
    value.extend_from_slice(&json);
    (hash, value)
}

/// SHA-256 through ring.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, data).as_ref());
    out
}

/// Decodes and checks one entry on its own (hash over body, key matches seq).
pub fn decode_entry(key: &[u8], value: &[u8]) -> Result<StoredEntry, ChainError> {
    let key_seq = <[u8; 8]>::try_from(key)
        .map(u64::from_be_bytes)
        .map_err(|_| ChainError {
            seq: 0,
            reason: format!("malformed key of {} bytes", key.len()),
        })?;
    let bad = |reason: String| ChainError {
        seq: key_seq,
        reason,
    };
    if value.len() < 33 {
        return Err(bad("value is too short".into()));
    }
    let (stored_hash, body) = value.split_at(32);
    let hash = sha256(body);
    if hash[..] != stored_hash[..] {
        return Err(bad(format!(
            "content hash is {} but the entry records {}: the entry was altered",
            hex::encode(hash),
            hex::encode(stored_hash)
        )));
    }
    let parsed: EntryBody =
        serde_json::from_slice(body).map_err(|e| bad(format!("body is not a valid entry: {e}")))?;
    if parsed.seq != key_seq {
        return Err(bad(format!(
            "body says sequence {} but is stored as {key_seq}",
            parsed.seq
        )));
    }
    let mut prev = [0; 32];
    hex::decode_to_slice(&parsed.prev, &mut prev)
        .map_err(|e| bad(format!("previous hash is not hex: {e}")))?;
    Ok(StoredEntry {
        seq: key_seq,
        hash,
        prev,
        recorded_at: parsed.at,
        event: parsed.event,
        body: body.to_vec(),
    })
}

/// A gap is part of the chain only where an operator recorded it: a `log_loss_accepted` entry whose
/// lost range is exactly the entries between the previous one and itself.
fn accepts_gap(entry: &StoredEntry, previous: u64) -> bool {
    matches!(entry.event, Event::LogLossAccepted { first, last, .. }
        if first == previous + 1 && last + 1 == entry.seq && first <= last)
}

/// The entries an accepted loss took, as `(first, last)`, if `event` records one.
pub fn accepted_loss(event: &Event) -> Option<(u64, u64)> {
    match event {
        Event::LogLossAccepted { first, last, .. } => Some((*first, *last)),
        _ => None,
    }
}

/// Walks a chain entry by entry from the start.
#[derive(Debug)]
pub struct ChainVerifier {
    head: ChainHead,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            head: ChainHead::empty(),
        }
    }
}

impl ChainVerifier {
    /// Goes on from `head`, an end already verified.
    pub fn resume(head: ChainHead) -> Self {
        ChainVerifier { head }
    }

    /// Checks the next entry in order: its own hash, no gap, and the link to the previous one.
    pub fn push(&mut self, key: &[u8], value: &[u8]) -> Result<StoredEntry, ChainError> {
        let entry = decode_entry(key, value)?;
        if entry.seq != self.head.seq + 1 && !accepts_gap(&entry, self.head.seq) {
            return Err(ChainError {
                seq: entry.seq,
                reason: format!(
                    "expected entry {} next: entries are missing",
                    self.head.seq + 1
                ),
            });
        }
        if entry.prev != self.head.hash {
            return Err(ChainError {
                seq: entry.seq,
                reason: format!(
                    "it links to previous hash {} but entry {} has hash {}",
                    hex::encode(entry.prev),
                    self.head.seq,
                    hex::encode(self.head.hash)
                ),
            });
        }
        self.head = ChainHead {
            seq: entry.seq,
            hash: entry.hash,
            recorded_at: Some(entry.recorded_at),
        };
        Ok(entry)
    }

    /// The last verified entry.
    pub fn head(&self) -> ChainHead {
        self.head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: u64) -> Event {
        Event::FilingCancelled {
            filing_id: format!("F{n}"),
            by: "t".into(),
            reason: "测试".into(),
        }
    }

    fn chain(n: u64) -> Vec<([u8; 8], Vec<u8>)> {
        let mut prev = GENESIS_HASH;
        (1..=n)
            .map(|seq| {
                let (hash, value) = encode_entry(seq, &prev, Utc::now(), &event(seq));
                prev = hash;
                (entry_key(seq), value)
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies_to_its_head() {
        let entries = chain(5);
        let mut v = ChainVerifier::default();
        for (k, val) in &entries {
            v.push(k, val).unwrap();
        }
        assert_eq!(v.head().seq, 5);
        assert_eq!(v.head().hash[..], entries[4].1[..32]);
    }

    #[test]
    fn any_flipped_byte_is_found_at_its_entry() {
        let entries = chain(4);
        for pos in [0, 31, 32, 40, entries[2].1.len() - 2] {
            let mut bad = entries.clone();
            bad[2].1[pos] ^= 0x01;
            let mut v = ChainVerifier::default();
            let err = bad
                .iter()
                .map(|(k, val)| v.push(k, val))
                .find_map(Result::err)
                .unwrap();
            assert_eq!(err.seq, 3, "flipping byte {pos}");
        }
    }

    #[test]
    fn a_rehashed_forgery_breaks_the_next_link_and_gaps_are_found() {
        let mut entries = chain(4);
        let forged = Event::FilingCancelled {
            filing_id: "F2".into(),
            by: "intruder".into(),
            reason: "x".into(),
        };
        let prev: [u8; 32] = entries[0].1[..32].try_into().unwrap();
        entries[1].1 = encode_entry(2, &prev, Utc::now(), &forged).1;
        let mut v = ChainVerifier::default();
        let err = entries
            .iter()
            .map(|(k, val)| v.push(k, val))
            .find_map(Result::err)
            .unwrap();
        assert_eq!(err.seq, 3);

        let mut gap = chain(4);
        gap.remove(1);
        let mut v = ChainVerifier::default();
        let err = gap
            .iter()
            .map(|(k, val)| v.push(k, val))
            .find_map(Result::err)
            .unwrap();
        assert_eq!(err.seq, 3);
        assert!(err.reason.contains("missing"));
    }
}
