//! WatchService: which entries of the log a watcher of one order's service sees, and how
//! (the tailing itself is [`crate::log_tail`]).

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
