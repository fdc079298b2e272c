//! Where the seals begin, anchored in the chain.
//!
//! Entries before the first sealed one (the head when seals came in, or a sled log
//! `ecenter-admin migrate` copied) rest on the chain and the checkpoints alone, so the row
//! `ecenter_seals_from` that says where that is decides which entries need a seal. A database
//! role could move it past an entry it forged and make that entry pass, after a restart, as one
//! from before seals began (outside tests, round 8, G1). So the first instance that finds the log
//! without it appends a `log_seals_began` entry naming the first sealed entry: in the hash chain,
//! sealed and under the signed checkpoints, it cannot be moved. The row only indexes it; every
//! reader holds the row against the entry (an instance's replica remembers the entry it met
//! first) and refuses a log whose row says otherwise.

use crate::{ChainError, StoreError};
use ecenter_domain::Event;

/// Why entry `seq`, holding `event`, shows the row `ecenter_seals_from` (`sealed_from`) moved:
/// it records that seals begin elsewhere — or shows the log rewritten: it records a start after
/// itself, which no instance writes (it is appended sealed, at or after where the seals begin),
/// but which would make every entry up to there pass unsealed (outside tests, round 9, F1).
pub(crate) fn recorded_elsewhere(seq: u64, event: &Event, sealed_from: u64) -> Option<ChainError> {
    match event {
        Event::LogSealsBegan { from, .. } if *from > seq => Some(ChainError {
            seq,
            reason: format!(
                "it records that the seals begin at entry {from}, after itself: an instance \
                 writes it sealed, so at or after where the seals begin; the log was rewritten \
                 around the hubs to let the entries before {from} pass unsealed. Restore it from \
                 a backup"
            ),
        }),
        Event::LogSealsBegan { from, .. } if *from != sealed_from => Some(ChainError {
            seq,
            reason: format!(
                "it records that the seals begin at entry {from}, but ecenter_seals_from says \
                 {sealed_from}: that row was changed around the hubs, which would let entries \
                 after {from} pass unsealed; set it back to {from} (docs/DEPLOYMENT.md, \"Who \
                 must be trusted\")"
            ),
        }),
        _ => None,
    }
}

/// The row `ecenter_seals_from` (`sealed_from`) against the entry `(seq, from)` an instance
/// met first that records where the seals begin.
pub(crate) fn held_against(sealed_from: u64, recorded: (u64, u64)) -> Result<(), StoreError> {
    match moved(sealed_from, recorded) {
        None => Ok(()),
        Some(why) => Err(StoreError::Altered(why)),
    }
}

/// What is wrong when the row `ecenter_seals_from` (`sealed_from`) disagrees with the entry
/// `(seq, from)` that records where the seals begin; `None` when they agree.
pub(crate) fn moved(sealed_from: u64, recorded: (u64, u64)) -> Option<String> {
    let (seq, from) = recorded;
    let effect = match sealed_from.cmp(&from) {
        std::cmp::Ordering::Equal => return None,
        std::cmp::Ordering::Greater => format!(
            "which would let entries {from} to {} pass unsealed",
            sealed_from - 1
        ),
        // Moved back: genuine entries from before the seals would be taken for forged ones.
        std::cmp::Ordering::Less => format!(
            "which makes entries {sealed_from} to {}, written before the seals began, look \
             unsealed",
            from - 1
        ),
    };
    Some(format!(
        "ecenter_seals_from says the seals begin at entry {sealed_from}, but entry {seq} of the \
         log records that they begin at {from}: the row was changed, {effect}; set it back to \
         {from} (`UPDATE ecenter_seals_from SET seq = {from}`)"
    ))
}

/// A start of the seals past the entry after the head cannot be genuine: the row is set to the
/// head's next entry when seals come in, and moves with the log only while `ecenter-admin
/// migrate` copies one.
pub(crate) fn past_head(sealed_from: u64, head: u64) -> Result<(), StoreError> {
    if sealed_from <= head.saturating_add(1) {
        return Ok(());
    }
    Err(StoreError::Altered(format!(
        "ecenter_seals_from says the seals begin at entry {sealed_from}, past the log's head \
         (entry {head}): no instance sets it there; it was changed around the hubs, which would \
         let entries before it pass unsealed"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn began(from: u64) -> Event {
        Event::LogSealsBegan {
            from,
            instance: "hub-1".into(),
        }
    }

    #[test]
    fn an_entry_recording_another_start_names_the_row_moved() {
        assert!(recorded_elsewhere(7, &began(7), 7).is_none());
        let e = recorded_elsewhere(7, &began(7), 12).unwrap();
        assert_eq!(e.seq, 7);
        assert!(e.reason.contains("set it back to 7"), "{}", e.reason);
        let e = recorded_elsewhere(1, &began(10), 10).unwrap();
        assert!(e.reason.contains("after itself"), "{}", e.reason);
        assert!(held_against(7, (7, 7)).is_ok());
        let e = held_against(12, (7, 7)).unwrap_err().to_string();
        assert!(e.contains("entry 7 of the log records"), "{e}");
        assert!(e.contains("let entries 7 to 11 pass unsealed"), "{e}");
        // Moved back, the words say what that does (outside tests, round 11, F4).
        let e = moved(3, (7, 7)).unwrap();
        assert!(e.contains("makes entries 3 to 6, written before"), "{e}");
    }

    #[test]
    fn a_start_past_the_next_entry_is_refused() {
        assert!(past_head(1, 0).is_ok());
        assert!(past_head(23, 22).is_ok());
        let e = past_head(1_000_000, 22).unwrap_err().to_string();
        assert!(e.contains("past the log's head (entry 22)"), "{e}");
    }
}
