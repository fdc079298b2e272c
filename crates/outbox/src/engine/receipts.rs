//! SMS delivery receipts as they come: recorded many per append, each acknowledged to the SMSC
//! once its event is durable; a receipt for an id the hub has not recorded is kept as
//! `sms_receipt_unmatched`, and counts for the notice if a submit naming that id is recorded
//! later (the SMSC reported on one part while the hub was still submitting the others).

use super::Outbox;
use chrono::{DateTime, Utc};
use ecenter_delivery::sms::IncomingReceipt;
use ecenter_delivery::sms_id::ReceiptIdForm;
use ecenter_domain::Event;
use ecenter_domain::effective_service::Channel;
use ecenter_domain::reply::{names_a_subscriber, receipt_about_another_handset};
use ecenter_domain::service::{
    AwaitedReceipt, PartReceipt, ReceiptState, RecipientEvent, sms_part_key,
};
use ecenter_store::{AwaitedReceiptEntry, EventStore, ReadView, StoreError};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How long a receipt whose message id is not (yet) known waits for the submit's outcome to be
/// recorded: an SMSC may send the receipt before the hub has written down the id.
const RECEIPT_MATCH_GRACE: Duration = Duration::from_secs(10);
/// Receipts recorded by one log append.
const RECEIPT_BATCH: usize = 512;

impl<S: EventStore> Outbox<S> {
    /// Records SMS delivery receipts as they come, many per append, and acknowledges each to the
    /// SMSC once its event is durable. A receipt for an id not (yet) known waits a little — the SMSC
    /// can be faster than the record of the submit — and is then logged and acknowledged.
    pub(super) async fn record_receipts(
        self: Arc<Self>,
        mut receipts: tokio::sync::mpsc::Receiver<ecenter_delivery::sms::IncomingReceipt>,
        mut stop: watch::Receiver<bool>,
    ) {
        let mut waiting: Vec<(Instant, ecenter_delivery::sms::IncomingReceipt)> = Vec::new();
        loop {
            let first = tokio::select! {
                r = receipts.recv() => match r { Some(r) => Some(r), None => return },
                () = tokio::time::sleep(Duration::from_millis(200)), if !waiting.is_empty() => None,
                _ = stop.wait_for(|s| *s) => return,
            };
            let (batch, unreadable): (Vec<_>, Vec<_>) =
                (take_batch(&mut waiting, first, &mut receipts).into_iter())
                    .partition(|(_, r)| r.readable);
            let mut to_keep: Vec<(IncomingReceipt, Option<String>)> =
                unreadable.into_iter().map(|(_, r)| (r, None)).collect();
            if !batch.is_empty() {
                let wanted = self.wanted_receipts(&batch);
                let matched = match self.match_receipts(wanted).await {
                    Ok(m) => m,
                    Err(e) => {
                        // Not recorded and not acknowledged: the SMSC sends them again.
                        tracing::error!(error = %e, lost = batch.len(), "recording SMS receipts failed");
                        continue;
                    }
                };
                for ((since, incoming), reading) in batch.into_iter().zip(matched) {
                    match reading {
                        Reading::Counted(_) => {
                            self.stats
                                .receipts_recorded
                                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            incoming.ack().await;
                        }
                        Reading::Duplicate => {
                            tracing::info!(smsc_id = %incoming.receipt.smsc_id, "the same receipt again (an SMSC whose answer was lost sends it again); acknowledged, recorded once");
                            incoming.ack().await;
                        }
                        Reading::Unknown if since.elapsed() < RECEIPT_MATCH_GRACE => {
                            waiting.push((since, incoming));
                        }
                        Reading::Unknown => to_keep.push((incoming, None)),
                        Reading::AnotherNumber(key) => to_keep.push((incoming, Some(key))),
                    }
                }
            }
            if !to_keep.is_empty() {
                self.keep_unmatched(to_keep).await;
            }
        }
    }

    /// What the log is asked to look up for each receipt of `batch`: the id in the form the
    /// gateway's submit_sm_resp ids were recorded in, the domain's state, the text and addresses.
    fn wanted_receipts(&self, batch: &[(Instant, IncomingReceipt)]) -> Vec<Wanted> {
        let (form, own) = (self.receipt_id_form(), self.own_sms_source());
        batch
            .iter()
            .map(|(_, r)| Wanted::of(r, form, &own))
            .collect()
    }

    /// Records a `receipt_reported` for each receipt counted for a notice sent, all in one
    /// append; returns, receipt by receipt, what the log made of it.
    async fn match_receipts(&self, wanted: Vec<Wanted>) -> Result<Vec<Reading>, StoreError> {
        self.store
            .append(Box::new(move |view: &dyn ReadView| {
                let now = Utc::now();
                let mut readings = Vec::with_capacity(wanted.len());
                // The view holds none of this append's own events: a receipt sent twice within
                // one batch is found the same here.
                let mut recorded = std::collections::HashSet::new();
                let mut batch = Batch::new();
                for w in &wanted {
                    let reading = read_receipt(view, w, now, &batch)?;
                    let again = reading.batch_key().is_some_and(|k| !recorded.insert(k));
                    if !again {
                        reading.add_to(&mut batch);
                    }
                    readings.push(if again { Reading::Duplicate } else { reading });
                }
                let events = readings.iter().filter_map(Reading::counted).cloned();
                Ok((events.collect(), readings))
            }))
            .await
            .map(|(_, m)| m)
    }

    /// Keeps deliver_sm receipts for messages this hub has not recorded, or about another number
    /// than the SMS their id names, and SMSC notifications it cannot read (state `UNREADABLE`), as
    /// `sms_receipt_unmatched`, all in one append; acknowledges them once kept (the SMSC sends them
    /// again if the log refuses). A readable one about no recorded SMS is kept for matching
    /// ([`with_awaited_receipts`]) — or, if its SMS was recorded since the grace ran out, read
    /// again there and then ([`read_receipt`]).
    async fn keep_unmatched(&self, incoming: Vec<(IncomingReceipt, Option<String>)>) {
        let (form, own) = (self.receipt_id_form(), self.own_sms_source());
        let kept: Vec<Kept> = incoming
            .iter()
            .map(|(i, another)| Kept::of(i, another.clone(), form, &own))
            .collect();
        let appended = self
            .store
            .append(Box::new(move |view: &dyn ReadView| {
                let now = Utc::now();
                let mut events = Vec::with_capacity(kept.len());
                let mut unmatched = 0u64;
                for k in kept {
                    let Some(event) = k.into_event(view, now)? else {
                        continue;
                    };
                    if matches!(event, Event::SmsReceiptUnmatched { .. }) {
                        unmatched += 1;
                    }
                    events.push(event);
                }
                let counted = events.len() as u64 - unmatched;
                Ok((events, (unmatched, counted)))
            }))
            .await;
        match appended {
            Ok((_, (unmatched, counted))) => {
                let stats = &self.stats;
                (stats.receipts_unmatched)
                    .fetch_add(unmatched, std::sync::atomic::Ordering::Relaxed);
                (stats.receipts_recorded).fetch_add(counted, std::sync::atomic::Ordering::Relaxed);
                for (i, _) in incoming {
                    i.ack().await;
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "keeping unmatched receipts failed; left unacknowledged");
            }
        }
    }
}

/// A readable receipt as the log is asked about it.
pub(super) struct Wanted {
    /// The ids its part may have as the hub records part ids, most likely first
    /// ([`ReceiptIdForm::candidates`]).
    parts: Vec<String>,
    state: ReceiptState,
    text: String,
    /// The deliver_sm's `source_addr` and `destination_addr`.
    addresses: [String; 2],
    /// The hub's own sender, which names no handset.
    own: String,
}

impl Wanted {
    fn of(r: &IncomingReceipt, form: ReceiptIdForm, own: &str) -> Wanted {
        Wanted {
            parts: form.candidates(&r.receipt.smsc_id),
            state: receipt_state(r.receipt.status),
            text: r.receipt.text.clone(),
            addresses: r.addresses.clone(),
            own: own.to_string(),
        }
    }
}

/// What the log makes of a readable receipt.
pub(super) enum Reading {
    /// An SMS naming its part went to a number the receipt names: its `receipt_reported`.
    Counted(Box<Event>),
    /// No recorded SMS names its part (yet).
    Unknown,
    /// The SMS naming its part (`O…/R…`) went to a number neither of the receipt's addresses
    /// names ([`receipt_about_another_handset`]): not counted, whatever the SMSC's id says.
    AnotherNumber(String),
    /// The part's record already holds a receipt with the same state: the SMSC sent it again
    /// (its answer to the first was lost). Acknowledged; recorded once.
    Duplicate,
}

impl Reading {
    fn counted(&self) -> Option<&Event> {
        match self {
            Reading::Counted(e) => Some(&**e),
            _ => None,
        }
    }

    /// Adds the receipt this reading counts, if it counts one, to those of its append so far.
    fn add_to(&self, batch: &mut Batch) {
        if let Some(Event::Service {
            order_id,
            recipient_id,
            event:
                RecipientEvent::ReceiptReported {
                    part, state, at, ..
                },
        }) = self.counted()
        {
            let receipt = PartReceipt {
                part: part.clone(),
                state: *state,
                at: *at,
            };
            let key = format!("{order_id}/{recipient_id}");
            batch.entry(key).or_default().push(receipt);
        }
    }

    /// What makes an event of this reading the same as another of the same append: the
    /// service, part and state of a receipt counted, or the id of one set aside.
    fn batch_key(&self) -> Option<String> {
        let Event::Service {
            order_id,
            recipient_id,
            event,
        } = self.counted()?
        else {
            return None;
        };
        match event {
            RecipientEvent::ReceiptReported { part, state, .. } => Some(format!(
                "{order_id}/{recipient_id}/{}/{state:?}",
                sms_part_key(part)
            )),
            RecipientEvent::ReportSetAside(u) => Some(u.report.clone()),
            _ => None,
        }
    }
}

/// Reads `w` against the log as `view` has it, counting it at `at` if it is about an SMS sent.
/// One rule for receipts as they come and for those whose grace ran out as their SMS was
/// recorded.
fn read_receipt(
    view: &dyn ReadView,
    w: &Wanted,
    at: DateTime<Utc>,
    batch: &Batch,
) -> Result<Reading, StoreError> {
    let mut found = None;
    for part in &w.parts {
        if let Some(key) = view.service_by_gateway_id(Channel::Sms, part)? {
            found = Some((key, part));
            break;
        }
    }
    let Some((key, part)) = found else {
        return Ok(Reading::Unknown);
    };
    let service = view.recipient_service(&key.order_id, &key.recipient_id)?;
    let sms = service.as_ref().and_then(|s| s.trace(Channel::Sms));
    if names_a_subscriber(&w.addresses)
        && sms.is_some_and(|t| receipt_about_another_handset(&t.address, &w.addresses, &w.own))
    {
        return Ok(Reading::AnotherNumber(format!(
            "{}/{}",
            key.order_id, key.recipient_id
        )));
    }
    // The part as the SMS's record names it: the receipt may write its id in another case or
    // with leading zeros.
    let recorded = sms
        .and_then(|t| {
            let key = sms_part_key(part);
            t.parts
                .iter()
                .chain(t.earlier_parts.iter().flatten())
                .find(|p| sms_part_key(p) == key)
        })
        .unwrap_or(part);
    let again =
        sms.is_some_and(|t| (t.receipts.iter()).any(|r| r.part == *recorded && r.state == w.state));
    // A contradicting receipt's id (a digest) only where it may matter: a service holding reports
    // (one set aside before), or a receipt found contradicting below.
    let id = || receipt_id(recorded, w);
    let set_aside_before =
        || (service.as_ref()).is_some_and(|s| !s.reports.is_empty() && s.reports.contains(&id()));
    if again || set_aside_before() {
        return Ok(Reading::Duplicate);
    }
    // Receipts recorded before, and those counted earlier in the same append.
    let in_batch = batch.get(&format!("{}/{}", key.order_id, key.recipient_id));
    let receipts = (sms.map(|t| &t.receipts[..]).unwrap_or_default().iter())
        .chain(in_batch.into_iter().flatten());
    let earlier = contradicted(receipts, recorded, w.state);
    let event = match earlier {
        Some(earlier) => contradicting(recorded, w, earlier, (id(), at)),
        None => RecipientEvent::ReceiptReported {
            channel: Channel::Sms,
            part: recorded.clone(),
            state: w.state,
            at,
            text: w.text.clone(),
            per_attempt: true,
        },
    };
    Ok(Reading::Counted(Box::new(Event::Service {
        order_id: key.order_id,
        recipient_id: key.recipient_id,
        event,
    })))
}

/// The final state an earlier receipt for `part` reported that `state` contradicts: delivered
/// against undeliverable, expired, rejected or deleted (SMPP 3.4 §5.2.28: each is final). A
/// pending or unknown state contradicts nothing.
fn contradicted<'a>(
    mut receipts: impl Iterator<Item = &'a PartReceipt>,
    part: &str,
    state: ReceiptState,
) -> Option<ReceiptState> {
    let opposite = |earlier: ReceiptState| match state {
        ReceiptState::Delivered => earlier.failed(),
        s if s.failed() => earlier == ReceiptState::Delivered,
        _ => false,
    };
    receipts
        .find(|r| r.part == part && opposite(r.state))
        .map(|r| r.state)
}

/// The receipts counted so far in one append, by service (`O…/R…`): the view holds none of them.
type Batch = std::collections::HashMap<String, Vec<PartReceipt>>;

/// A contradicting receipt's own id, as a report's: `sha256:` of the part it names (as
/// [`sms_part_key`] compares ids) and its state. The same claim sent again — the receipt repeated,
/// its id written otherwise (`8`, `0x00000008`), or as data_sm with another done date — is one
/// claim for the clerks.
fn receipt_id(part: &str, w: &Wanted) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for field in [sms_part_key(part).as_str(), w.state.describe()] {
        ctx.update(field.as_bytes());
        ctx.update(b"\n");
    }
    format!("sha256:{}", hex::encode(ctx.finish()))
}

/// A receipt whose state contradicts the final state an earlier receipt reported for the same
/// part (`earlier`): an id the SMSC reused or wrapped, or a gateway's error. Neither receipt is
/// taken over the other by the hub: this one is set aside for the clerks, as a contradicting
/// delivery report is (docs/SERVICE.md), and changes nothing until a clerk accepts it.
fn contradicting(
    part: &str,
    w: &Wanted,
    earlier: ReceiptState,
    (report, at): (String, DateTime<Utc>),
) -> RecipientEvent {
    let reason = format!(
        "短信网关此前已就同一短信分段（网关编号 {part}）报告{}，本回执称{}，二者矛盾（网关编号可能被重用），交书记员审核 / \
         the SMSC already reported part {part} {earlier:?}; this receipt says {:?}: receipts for one message contradict each other (an id reused or wrapped?): set aside for a clerk to judge",
        earlier.describe(),
        w.state.describe(),
        w.state,
    );
    RecipientEvent::ReportSetAside(ecenter_domain::service::UnverifiedReport {
        channel: Channel::Sms,
        at,
        detail: w.text.clone(),
        reason,
        reached: w.state == ReceiptState::Delivered,
        suppress: false,
        read: false,
        judgment: None,
        report,
        source: None,
    })
}

/// An SMSC notification to keep in the log, unless it counts by the time it is kept.
struct Kept {
    smsc_id: String,
    status: &'static str,
    text: String,
    addresses: [String; 2],
    /// What to look up, for a readable receipt.
    wanted: Option<Wanted>,
    /// The service whose SMS its id names, when it is already known to be about another number.
    another_number_than: Option<String>,
}

impl Kept {
    fn of(
        i: &IncomingReceipt,
        another_number_than: Option<String>,
        form: ReceiptIdForm,
        own: &str,
    ) -> Kept {
        let r = &i.receipt;
        let status = if i.readable {
            r.status.word()
        } else {
            "UNREADABLE"
        };
        match &another_number_than {
            Some(key) => tracing::warn!(smsc_id = %r.smsc_id, status, service = %key,
                "an SMS receipt about another number than the SMS its id names; kept, not counted"),
            None => tracing::warn!(smsc_id = %r.smsc_id, status,
                "an SMSC notification the hub cannot count; kept in the log"),
        }
        Kept {
            smsc_id: r.smsc_id.clone(),
            status,
            text: r.text.clone(),
            addresses: i.addresses.clone(),
            wanted: i.readable.then(|| Wanted::of(i, form, own)),
            another_number_than,
        }
    }

    /// Its `receipt_reported` if it counts now, else its `sms_receipt_unmatched`: awaiting its SMS
    /// when it is readable and about no recorded one; nothing when its part's record holds it.
    fn into_event(
        self,
        view: &dyn ReadView,
        now: DateTime<Utc>,
    ) -> Result<Option<Event>, StoreError> {
        let mut another = self.another_number_than;
        let mut awaiting = None;
        if let (Some(w), None) = (&self.wanted, &another) {
            match read_receipt(view, w, now, &Batch::new())? {
                Reading::Counted(reported) => return Ok(Some(*reported)),
                Reading::Duplicate => return Ok(None),
                Reading::AnotherNumber(key) => {
                    tracing::warn!(smsc_id = %self.smsc_id, service = %key,
                        "an SMS receipt about another number than the SMS its id names; kept, not counted");
                    another = Some(key);
                }
                Reading::Unknown => {
                    awaiting = Some(AwaitedReceipt {
                        part: w.parts[0].clone(),
                        state: w.state,
                    });
                }
            }
        }
        Ok(Some(Event::SmsReceiptUnmatched {
            smsc_id: self.smsc_id,
            status: self.status.to_string(),
            text: self.text,
            awaiting,
            addresses: self.addresses.to_vec(),
            another_number_than: another,
        }))
    }
}

/// `events` (send outcomes about to be appended) with, after each accepted SMS, the
/// `receipt_reported` of every receipt about one of its parts that came before it and was kept
/// ([`ReadView::awaited_receipt`]): an SMSC may report on the first part while the hub is still
/// submitting the last. Such a receipt counts from when the SMS is recorded — the hub's record
/// never has the SMS reach the handset before it was sent; its text keeps what the SMSC said.
/// A look-up that fails is logged and passed over: the outcomes are recorded all the same.
pub(super) fn with_awaited_receipts(
    view: &dyn ReadView,
    events: Vec<Event>,
    own: &str,
) -> Vec<Event> {
    use ecenter_domain::service::AttemptResult;
    let mut out = Vec::with_capacity(events.len());
    for event in events {
        let awaited = match &event {
            Event::Service {
                order_id,
                recipient_id,
                event:
                    RecipientEvent::NoticeResult {
                        channel: Channel::Sms,
                        result:
                            AttemptResult::Accepted {
                                gateway_id,
                                receipt_ids,
                                ..
                            },
                        ..
                    },
            } => {
                let parts: Vec<&str> = if receipt_ids.is_empty() {
                    gateway_id.split_whitespace().collect()
                } else {
                    receipt_ids.iter().map(String::as_str).collect()
                };
                awaited_for(view, (order_id, recipient_id), &parts, own).unwrap_or_else(|e| {
                    tracing::error!(error = %e, order_id, recipient_id, "looking for receipts that came before this SMS failed; passed over");
                    Vec::new()
                })
            }
            _ => Vec::new(),
        };
        out.push(event);
        out.extend(awaited);
    }
    out
}

/// The `receipt_reported` events of the kept receipts about `parts` of the latest SMS attempt of
/// `service` (order, recipient) — only receipts kept after that attempt's lease (an older one
/// names an id the SMSC gave another message: ids wrap, or an earlier attempt's answer was lost)
/// and naming the number the SMS went to. The service is read only when a receipt awaits.
fn awaited_for(
    view: &dyn ReadView,
    (order_id, recipient_id): (&str, &str),
    parts: &[&str],
    own: &str,
) -> Result<Vec<Event>, StoreError> {
    let mut kept = Vec::new();
    for part in parts {
        if let Some(k) = view.awaited_receipt(part)? {
            kept.push((*part, k));
        }
    }
    if kept.is_empty() {
        return Ok(Vec::new());
    }
    let service = view.recipient_service(order_id, recipient_id)?;
    let Some(trace) = service.as_ref().and_then(|s| s.trace(Channel::Sms)) else {
        return Ok(Vec::new());
    };
    let Some(leased) = trace.leased_at.or(trace.handed_at) else {
        return Ok(Vec::new());
    };
    let now = Utc::now();
    let about = format!("{order_id}/{recipient_id}");
    let mut events = Vec::new();
    for (part, k) in kept {
        let event = match awaited_judged(&k, leased, &trace.address, own) {
            Awaited::Counts => RecipientEvent::ReceiptReported {
                channel: Channel::Sms,
                part: part.to_string(),
                state: k.state,
                at: k.at.max(now),
                text: k.text,
                per_attempt: true,
            },
            Awaited::AnotherHandset => {
                events.push(awaited_about_another_handset(part, k, about.clone()));
                continue;
            }
            Awaited::Earlier => continue,
        };
        events.push(Event::Service {
            order_id: order_id.to_string(),
            recipient_id: recipient_id.to_string(),
            event,
        });
    }
    Ok(events)
}

/// What a receipt kept before its SMS was recorded is to that SMS.
#[derive(Debug, PartialEq, Eq)]
enum Awaited {
    /// Kept after the SMS's lease, about its handset (or naming none): it counts.
    Counts,
    /// Kept before the SMS's lease: about an earlier message the SMSC gave the same id; left.
    Earlier,
    /// About another handset ([`receipt_about_another_handset`]): it never counts.
    AnotherHandset,
}

/// Judges `kept` against an SMS leased at `leased` and sent to `sent_to`.
fn awaited_judged(
    kept: &AwaitedReceiptEntry,
    leased: DateTime<Utc>,
    sent_to: &str,
    own: &str,
) -> Awaited {
    if kept.at < leased {
        Awaited::Earlier
    } else if receipt_about_another_handset(sent_to, &kept.addresses, own) {
        Awaited::AnotherHandset
    } else {
        Awaited::Counts
    }
}

/// The entry that says the receipt kept for `part` is about another handset than the SMS of
/// `about` (`O…/R…`), which names that part: it awaits no more (the read model drops it).
fn awaited_about_another_handset(part: &str, k: AwaitedReceiptEntry, about: String) -> Event {
    tracing::warn!(
        part,
        about,
        "a receipt kept before its SMS was recorded is about another handset; not counted"
    );
    let status = serde_json::to_value(k.state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_uppercase))
        .unwrap_or_default();
    Event::SmsReceiptUnmatched {
        smsc_id: part.to_string(),
        status,
        text: k.text,
        awaiting: Some(AwaitedReceipt {
            part: part.to_string(),
            state: k.state,
        }),
        addresses: k.addresses,
        another_number_than: Some(about),
    }
}

/// Takes the receipts waiting for their submit to be recorded, `first`, and whatever else has
/// arrived (up to a batch), each with the time it was first seen.
fn take_batch(
    waiting: &mut Vec<(Instant, IncomingReceipt)>,
    first: Option<IncomingReceipt>,
    receipts: &mut tokio::sync::mpsc::Receiver<IncomingReceipt>,
) -> Vec<(Instant, IncomingReceipt)> {
    let mut batch: Vec<(Instant, IncomingReceipt)> = std::mem::take(waiting);
    if let Some(r) = first {
        batch.push((Instant::now(), r));
    }
    while batch.len() < RECEIPT_BATCH {
        match receipts.try_recv() {
            Ok(r) => batch.push((Instant::now(), r)),
            Err(_) => break,
        }
    }
    batch
}

/// The domain's reading of an SMSC's receipt status.
fn receipt_state(
    status: ecenter_delivery::sms::ReceiptStatus,
) -> ecenter_domain::service::ReceiptState {
    use ecenter_delivery::sms::ReceiptStatus as S;
    use ecenter_domain::service::ReceiptState as D;
    match status {
        S::Delivered => D::Delivered,
        S::Undeliverable => D::Undeliverable,
        S::Expired => D::Expired,
        S::Rejected => D::Rejected,
        S::Deleted => D::Deleted,
        S::Accepted | S::Enroute => D::Pending,
        S::Unknown => D::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn a_kept_receipt_counts_only_after_the_lease_and_about_the_handset_the_sms_went_to() {
        let leased = Utc::now();
        let kept = |at, addresses: &[&str]| AwaitedReceiptEntry {
            state: ReceiptState::Delivered,
            text: "id:7 stat:DELIVRD".into(),
            at,
            addresses: addresses.iter().map(|a| (*a).to_string()).collect(),
            seq: 9,
        };
        let after = leased + TimeDelta::seconds(3);
        let judged = |k: &AwaitedReceiptEntry| awaited_judged(k, leased, "+8613800138000", "12368");
        assert_eq!(
            judged(&kept(after, &["13800138000", "12368"])),
            Awaited::Counts
        );
        assert_eq!(
            judged(&kept(after, &["12368", "8613800138000"])),
            Awaited::Counts
        );
        // Kept before the addresses were, or naming no handset: the id and the time decide.
        assert_eq!(judged(&kept(after, &[])), Awaited::Counts);
        assert_eq!(judged(&kept(after, &["", "12368"])), Awaited::Counts);
        assert_eq!(
            judged(&kept(after, &["13900139000", "12368"])),
            Awaited::AnotherHandset
        );
        let before = leased - TimeDelta::seconds(3);
        assert_eq!(
            judged(&kept(before, &["13800138000", "12368"])),
            Awaited::Earlier
        );
    }

    /// A receipt contradicts a final state of the other kind reported for the same part, whether
    /// recorded before or counted earlier in the same append; pending, unknown, another part or
    /// the same state contradict nothing.
    #[test]
    fn only_a_final_state_of_the_other_kind_for_the_same_part_is_contradicted() {
        let at = Utc::now();
        let r = |part: &str, state| PartReceipt {
            part: part.into(),
            state,
            at,
        };
        let recorded = [
            r("A1", ReceiptState::Undeliverable),
            r("A2", ReceiptState::Pending),
        ];
        let in_batch = [r("A3", ReceiptState::Delivered)];
        let found = |part, state| contradicted(recorded.iter().chain(&in_batch), part, state);
        assert_eq!(
            found("A1", ReceiptState::Delivered),
            Some(ReceiptState::Undeliverable)
        );
        assert_eq!(
            found("A3", ReceiptState::Expired),
            Some(ReceiptState::Delivered)
        );
        assert_eq!(found("A2", ReceiptState::Delivered), None);
        assert_eq!(found("A1", ReceiptState::Undeliverable), None);
        assert_eq!(found("A1", ReceiptState::Unknown), None);
        assert_eq!(found("A9", ReceiptState::Delivered), None);
    }
}
