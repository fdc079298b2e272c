//! The log held against every checkpoint file at once: the data directory's and each witness's.

use super::{Checkpoint, CheckpointError, check_log};
use crate::chain::ChainHead;
use std::path::Path;

/// Compares the log with every checkpoint of every history (the data directory's file, each
/// witness's), not only the newest: a log rolled back and written on from there, or replaced by
/// another hub's, agrees with its own newest checkpoint but not with an older one a witness kept.
/// Refuses two histories that give one checkpoint number different entries (a fork), then names
/// the earliest checkpoint the log contradicts, then a log shorter than the newest. Returns the
/// newest checkpoint (by entry).
pub fn check_histories(
    head: &ChainHead,
    histories: &[(&Path, &[Checkpoint])],
    hash_at: impl Fn(u64) -> Option<[u8; 32]>,
    accepted: &[(u64, u64)],
) -> Result<Option<Checkpoint>, CheckpointError> {
    let mut all = distinct(histories)?;
    all.sort_by_key(|cp| cp.seq);
    for cp in all.iter().filter(|cp| cp.seq <= head.seq) {
        check_log(head, cp, &hash_at, accepted)?;
    }
    let newest = all.last().map(|cp| (*cp).clone());
    if let Some(cp) = &newest {
        check_log(head, cp, &hash_at, accepted)?;
    }
    Ok(newest)
}

/// The last entry of a log ending at `head` that a checkpoint of `histories` names (0: none). When
/// the log falls short of a newer checkpoint, the entries after this one are vouched for by
/// nothing: they cannot be told from entries written after a rollback to an old copy, so an
/// accepted loss must take them too.
pub fn vouched_through(head: &ChainHead, histories: &[(&Path, &[Checkpoint])]) -> u64 {
    histories
        .iter()
        .flat_map(|(_, cps)| cps.iter())
        .map(|cp| cp.seq)
        .filter(|seq| *seq <= head.seq)
        .max()
        .unwrap_or(0)
}

/// One checkpoint per number across the files; two that differ are a fork.
fn distinct<'a>(
    histories: &[(&'a Path, &'a [Checkpoint])],
) -> Result<Vec<&'a Checkpoint>, CheckpointError> {
    let mut by_number: std::collections::BTreeMap<u64, (&Path, &Checkpoint)> = Default::default();
    for (path, cps) in histories {
        for cp in *cps {
            match by_number.get(&cp.number) {
                Some((other, seen)) if (seen.seq, &seen.hash) != (cp.seq, &cp.hash) => {
                    return Err(CheckpointError::Forked {
                        number: cp.number,
                        path: path.to_path_buf(),
                        seq: cp.seq,
                        hash: cp.hash.clone(),
                        other_path: other.to_path_buf(),
                        other_seq: seen.seq,
                        other_hash: seen.hash.clone(),
                    });
                }
                Some(_) => {}
                None => {
                    by_number.insert(cp.number, (path, cp));
                }
            }
        }
    }
    Ok(by_number.into_values().map(|(_, cp)| cp).collect())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{head, signer};
    use super::*;
    use chrono::Utc;

    #[test]
    fn every_checkpoint_of_every_history_is_held_against_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let s = signer(dir.path());
        let (a, b) = (Path::new("data/checkpoints.jsonl"), Path::new("witness"));
        let old = [s.sign(1, &head(4, 4), Utc::now())];
        let new = [
            s.sign(1, &head(4, 4), Utc::now()),
            s.sign(2, &head(9, 9), Utc::now()),
        ];
        // The log agrees with the newest (entry 9) but its entry 4 is not the one checkpoint 1
        // named: rolled back to before 4 and written on.
        let rolled = |seq: u64| Some(if seq == 4 { [5; 32] } else { [9; 32] });
        let err = check_histories(&head(9, 9), &[(a, &new), (b, &old)], rolled, &[])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("entry 4 has hash 0505"), "{err}");
        let genuine = |seq: u64| Some([if seq == 4 { 4 } else { 9 }; 32]);
        let newest = check_histories(&head(9, 9), &[(a, &new), (b, &old)], genuine, &[]);
        assert_eq!(newest.unwrap().map(|c| c.seq), Some(9));
        // One number, two entries: a fork, named with both files.
        let forked = [s.sign(1, &head(5, 5), Utc::now())];
        let err = check_histories(&head(9, 9), &[(a, &new), (b, &forked)], genuine, &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("checkpoint 1 names entry 5") && err.contains("data/checkpoints.jsonl"),
            "{err}"
        );
    }

    #[test]
    fn the_last_vouched_entry_is_the_newest_checkpoint_the_log_reaches() {
        let dir = tempfile::tempdir().unwrap();
        let s = signer(dir.path());
        let a = Path::new("witness");
        let cps = [
            s.sign(1, &head(4, 4), Utc::now()),
            s.sign(2, &head(10, 10), Utc::now()),
        ];
        assert_eq!(vouched_through(&head(8, 8), &[(a, &cps)]), 4);
        assert_eq!(vouched_through(&head(10, 10), &[(a, &cps)]), 10);
        assert_eq!(vouched_through(&head(3, 3), &[(a, &cps)]), 0);
    }
}
