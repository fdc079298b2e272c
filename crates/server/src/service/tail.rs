//! WatchService: the log tailed for one order's service events, streamed to the caller until
//! it goes away or the hub stops.

use super::*;

/// An entry as a watcher sees it, if it concerns `order_id` (and `recipient`, when given).
pub(super) fn service_event(
    entry: &StoredEntry,
    order_id: &str,
    recipient: Option<&str>,
) -> Option<pb::ServiceEvent> {
    let (oid, rid) = match &entry.event {
        Event::ServiceOrdered(o) => (o.order_id.as_str(), ""),
        Event::Service {
            order_id,
            recipient_id,
            ..
        } => (order_id.as_str(), recipient_id.as_str()),
        _ => return None,
    };
    if oid != order_id || recipient.is_some_and(|r| r != rid && !rid.is_empty()) {
        return None;
    }
    let detail_json = match &entry.event {
        // The order's recipients are many: watchers get the order without them.
        Event::ServiceOrdered(o) => {
            serde_json::to_string(&OrderSummary::of(o, entry.recorded_at, entry.seq))
        }
        Event::Service { event, .. } => serde_json::to_string(event),
        _ => unreachable!("filtered above"),
    }
    .unwrap_or_default();
    Some(pb::ServiceEvent {
        seq: entry.seq,
        recorded_at: ts(entry.recorded_at),
        order_id: oid.to_string(),
        recipient_id: rid.to_string(),
        kind: entry.event.kind().to_string(),
        detail_json,
    })
}

pub(super) async fn watch_loop<S: EventStore>(
    store: Arc<S>,
    (order_id, recipient): (String, Option<String>),
    mut cursor: u64,
    (tx, caller): (
        mpsc::Sender<Result<pb::ServiceEvent, Status>>,
        crate::revocation::StillGood,
    ),
    mut stopping: watch::Receiver<bool>,
) {
    const BATCH: usize = 512;
    let mut heads = store.subscribe();
    loop {
        let entries = match store.entries_after(cursor, BATCH) {
            Ok(e) => e,
            Err(e) => {
                let _ = tx.send(Err(store_status(e))).await;
                return;
            }
        };
        let full = entries.len() == BATCH;
        for entry in entries {
            cursor = entry.seq;
            let Some(e) = service_event(&entry, &order_id, recipient.as_deref()) else {
                continue;
            };
            if let Some(refused) = caller.refusal() {
                let _ = tx.send(Err(refused)).await;
                return;
            }
            if tx.send(Ok(e)).await.is_err() {
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
            _ = tx.closed() => return,
        }
    }
}
