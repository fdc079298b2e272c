//! A batch whose COMMIT went unanswered: the server or the connection was lost on the way (a
//! primary killed and its standby promoted, a network cut). The batch's entries are already in
//! this hub's replica, and nobody has been answered yet, so the outcome is settled before anyone
//! is: the hub reconnects (with several hosts in the URL, to whichever now accepts writes) and
//!
//! - finds the batch's last entry in PostgreSQL with the batch's hash: the COMMIT took effect;
//! - or finds the head still where the batch began: the COMMIT was lost with the server, and the
//!   same entries (the same bytes and hashes) are committed again;
//! - or finds another instance's entries after the batch's base: the replica holds entries the log
//!   of record does not, so this instance refuses writes and stops ([`StoreError::Chain`]); started
//!   again, it sets the replica aside and rebuilds it.
//!
//! A COMMIT found to have taken effect is followed by a small write transaction of our own, whose
//! COMMIT returns only once everything before it is as durable as the server's settings make it
//! (on a synchronous standby too): a commit seen on a primary that restarted after a crash may not
//! have reached the standby when it became visible.
//!
//! While it tries, the writer waits, so no later batch can take the numbers in doubt. Errors from
//! PostgreSQL are retried (the server may be starting, promoting or refusing for a while); any
//! other error (a document on this hub's disk that no longer matches its name) ends it at once.

use crate::StoreError;
use crate::postgres::{Row, Upstream};
use crate::sled_store::writer::Writer;
use std::time::{Duration, Instant};

/// How long a commit in doubt is retried (a failover, a restarted server) before the batch's
/// requests are refused and writes stop.
const PATIENCE: Duration = Duration::from_secs(60);

/// Pause between two attempts.
const RETRY: Duration = Duration::from_millis(100);

impl Writer {
    /// Settles `rows`, whose commit failed with `failed`: `Ok` once they are committed in
    /// PostgreSQL, as they stand in the replica.
    pub(super) fn settle_in_doubt(
        &mut self,
        rows: &[Row],
        failed: StoreError,
    ) -> Result<(), StoreError> {
        tracing::warn!(error = %failed, first = rows[0].seq, last = rows[rows.len() - 1].seq, "a commit went unanswered; settling it before anyone is answered");
        let until = Instant::now() + PATIENCE;
        let mut last_error = failed;
        while Instant::now() < until {
            std::thread::sleep(RETRY);
            match self.commit_again(rows) {
                Ok(how) => {
                    tracing::warn!(
                        how,
                        "the commit in doubt is settled: the batch is in PostgreSQL"
                    );
                    return Ok(());
                }
                Err(e @ (StoreError::Postgres(_) | StoreError::Unreachable(_))) => last_error = e,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Postgres(format!(
            "a commit left in doubt could not be settled within {} s: {last_error}",
            PATIENCE.as_secs()
        )))
    }

    /// One attempt; says how the batch came to be committed.
    fn commit_again(&mut self, rows: &[Row]) -> Result<&'static str, StoreError> {
        let (first, last) = (&rows[0], &rows[rows.len() - 1]);
        let up = self.upstream.as_mut().expect("replica");
        let base = up.base;
        up.link.reconnect_if_lost()?;
        if ours_committed(&mut up.link, last)? {
            return Ok("the lost COMMIT had taken effect");
        }
        // Waits for whoever holds the head: the old session finishing this very COMMIT included,
        // and perhaps other instances' batches after it.
        let head = up.link.lock_head()?;
        if head.seq >= last.seq {
            up.link.abandon();
            if ours_committed(&mut up.link, last)? {
                return Ok("the lost COMMIT took effect while this hub reconnected");
            }
            return Err(overtaken(last.seq));
        }
        if head.seq < base.0 {
            up.link.abandon();
            return Err(behind(head.seq, base.0));
        }
        if (head.seq, head.hash) != base || base.0 + 1 != first.seq {
            up.link.abandon();
            return Err(overtaken(head.seq));
        }
        self.store_and_commit(rows)?;
        Ok("the lost COMMIT had not taken effect; committed again")
    }
}

/// Whether the batch ending with `last` is in PostgreSQL with its hash; if so, it is confirmed
/// durable (on a synchronous standby too) before this says so. Another entry in its place is the
/// batch overtaken.
fn ours_committed(link: &mut Upstream, last: &Row) -> Result<bool, StoreError> {
    match link.hash_at(last.seq)? {
        Some(hash) if hash == last.hash => {
            link.confirm_durable()?;
            Ok(true)
        }
        Some(_) => Err(overtaken(last.seq)),
        None => Ok(false),
    }
}

/// PostgreSQL's log now ends before the entry the batch followed: it lost committed entries (a
/// standby promoted without them, a restore).
fn behind(head: u64, base: u64) -> StoreError {
    StoreError::Chain(crate::ChainError {
        seq: head,
        reason: format!(
            "PostgreSQL's log now ends at entry {head}, before entry {base} this hub's batch followed: \
             committed entries were lost (a standby promoted without them, a restore); this hub \
             stops, and started again sets its replica aside as the evidence of what was lost"
        ),
    })
}

/// Another instance appended where this batch's entries stand in the replica.
fn overtaken(seq: u64) -> StoreError {
    StoreError::Chain(crate::ChainError {
        seq,
        reason: "this hub's batch was in doubt and another instance's entries took its place in \
                 PostgreSQL; this hub's replica holds entries the log of record does not, so it \
                 stops; started again, it sets the replica aside and rebuilds it"
            .into(),
    })
}
