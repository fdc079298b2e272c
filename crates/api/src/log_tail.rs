//! Tailing the log for a streaming call (WatchEvents, WatchService): the durable entries after a
//! cursor, then every new one as the durable head moves, until the client goes away, its
//! certificate is revoked, or the hub stops. Each service says only which entries it streams and
//! how; the loop, its batching and its ends are here once.

use crate::error::ApiError;
use crate::revocation::StillGood;
use ecenter_store::{EventStore, StoredEntry};
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tonic::Status;

/// Entries read from the log at a time.
const BATCH: usize = 256;

/// Where a tail sends, and whose certificate it keeps checking.
pub struct Subscriber<T> {
    /// The stream to the client.
    pub tx: mpsc::Sender<Result<T, Status>>,
    /// The caller's certificate: a revocation ends the stream with UNAUTHENTICATED.
    pub caller: StillGood,
}

/// Streams `pick(entry)` for each durable entry after `cursor` for which it is `Some`, then
/// follows the durable head. Ends when the client goes away, the caller's certificate is revoked,
/// the log cannot be read (the error is sent), or `stopping` turns true.
pub async fn tail<S: EventStore, T: Send + 'static>(
    store: Arc<S>,
    mut cursor: u64,
    to: Subscriber<T>,
    mut stopping: watch::Receiver<bool>,
    mut pick: impl FnMut(&StoredEntry) -> Option<T> + Send,
) {
    let Subscriber { tx, caller } = to;
    let mut heads = store.subscribe();
    loop {
        let entries = match store.entries_after(cursor, BATCH) {
            Ok(e) => e,
            Err(e) => {
                let _ = tx.send(Err(ApiError::from(e).into())).await;
                return;
            }
        };
        let full = entries.len() == BATCH;
        for entry in entries {
            cursor = entry.seq;
            let Some(message) = pick(&entry) else {
                continue;
            };
            if let Some(refused) = caller.refusal() {
                let _ = tx.send(Err(refused)).await;
                return;
            }
            if tx.send(Ok(message)).await.is_err() {
                return;
            }
        }
        if full {
            continue;
        }
        heads.borrow_and_update();
        if store.head().seq > cursor {
            continue;
        }
        tokio::select! {
            changed = heads.changed() => if changed.is_err() { return },
            _ = stopping.wait_for(|s| *s) => return,
            () = tx.closed() => return,
        }
    }
}
