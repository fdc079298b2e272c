//! The read models written with each entry: the seal registry, each recipient's service and its
//! queues (in flight, dead letters, proofs due, dues, reviews, unmatched replies, gateway ids), and
//! the filings with their indexes.
//!
//! Each read model is one [`Projection`], registered in [`PROJECTIONS`]: the writer opens the trees
//! every projection names and writes the entries and every projection in one sled transaction over
//! a slice of trees (sled's tuples stop at 14 trees; a slice does not). Adding a read model is one
//! implementation here and one line in the list; its reads go in the read view and the store. A
//! hub that starts on read models written by another list (or another [`Projection::version`])
//! rebuilds them from the log before it serves (`super::rebuild`), so a read model added in an
//! upgrade holds every earlier entry too.

use super::*;

/// A read model kept in step with the log, in the same transaction as the entries that change it.
pub(super) trait Projection: Sync {
    /// Its sled trees by name, in the order [`Projection::apply`] receives them. Two projections
    /// may share a tree (filings' and serve orders' request ids share `requests`).
    fn trees(&self) -> &'static [&'static str];
    /// Brings its trees up to date with `event`, recorded as entry `pos`; `trees[i]` is the tree
    /// named `self.trees()[i]`.
    fn apply(&self, event: &Event, pos: &LogPosition, trees: &[&TransactionalTree]) -> TxResult;
    /// The layout of what it writes. Raise it when what it writes changes (an index added, a key
    /// or value laid out anew), so that trees written before are not read as if they held it: a
    /// hub started on read models another layout wrote rebuilds them from the log
    /// (`super::rebuild`).
    fn version(&self) -> u32 {
        1
    }
}

/// Every read model, in the order each entry is applied to them.
pub(super) const PROJECTIONS: &[&dyn Projection] = &[
    &SealRegistry,
    &ServiceModel,
    &FilingModel,
    &super::notices::NoticeModel,
    &super::lawyers::LawyerDirectory,
    &super::portal::SignInModel,
    &super::passkeys::PasskeyModel,
    &super::pushes::PushModel,
];

// The seal registry's reads, beside the projection that writes them.
impl crate::SealReads for SledStore {
    fn seal(&self, seal_id: &str) -> Result<Option<SealRecord>, StoreError> {
        self.inner
            .trees
            .seals
            .get(seal_id)?
            .map(|v| decode_seal(&v))
            .transpose()
    }

    fn list_seals(&self) -> Result<Vec<SealRecord>, StoreError> {
        self.inner
            .trees
            .seals
            .iter()
            .map(|item| decode_seal(&item?.1))
            .collect()
    }
}

/// The seal registry (`seals`).
struct SealRegistry;

impl Projection for SealRegistry {
    fn trees(&self) -> &'static [&'static str] {
        &["seals"]
    }
    fn apply(&self, event: &Event, pos: &LogPosition, trees: &[&TransactionalTree]) -> TxResult {
        project_seal(event, pos, trees[0])
    }
}

/// Serve orders, each recipient's service and the outbox's queues.
struct ServiceModel;

impl Projection for ServiceModel {
    fn trees(&self) -> &'static [&'static str] {
        &[
            "requests",
            "orders",
            "service",
            "due",
            "service_queues",
            "suppressed",
        ]
    }
    fn apply(&self, event: &Event, pos: &LogPosition, trees: &[&TransactionalTree]) -> TxResult {
        let t = ServiceTrees {
            requests: trees[0],
            orders: trees[1],
            service: trees[2],
            due: trees[3],
            queues: trees[4],
            suppressed: trees[5],
        };
        project_service(event, pos, &t)
    }
    /// 2: services indexed by the number their SMS notice was accepted for (`SMS_SENT_TO`).
    /// (`AWAITED_RECEIPT` needs no new version: only entries written since carry what it indexes,
    /// and a rebuild would replay older services.) 3: every acceptance of a notice
    /// (`ChannelTrace::accepted`), replayed for services recorded before. 4: every clerk's act on
    /// a dead letter (`RecipientService::clerk_acts`), which proofs list. 5: those acts say
    /// whether the letter was resolved and carry a retry's note. 6: SMS part ids keyed as
    /// [`ecenter_domain::service::sms_part_key`] compares them (case and leading zeros aside).
    /// 7: receipts no SMS claims listed for the clerks (`UNMATCHED_RECEIPT`); openings and
    /// confirmations made in the lawyers' portal marked so (`DeliveryFact`'s `portal`).
    /// 8: the reports counted, with the fact each made (`RecipientService::counted_reports`),
    /// which proofs name behind each reach or bounce. 9: a reply no longer closes its page's
    /// confirmation (`RecipientService::replied_forms`). 10: the client of each opening and
    /// download (`RecipientService::clients`), which proofs print.
    fn version(&self) -> u32 {
        10
    }
}

/// Filings, and their indexes by request id, case, submitter and department queue.
struct FilingModel;

impl Projection for FilingModel {
    fn trees(&self) -> &'static [&'static str] {
        &["filings", "requests", "by_case", "by_submitter", "queues"]
    }
    /// 2: a filing's case number in the parts this build reads (`CaseNumber::canonical`), held
    /// and indexed so, however an earlier build recorded them (民初第1号, 執).
    fn version(&self) -> u32 {
        2
    }
    fn apply(&self, event: &Event, pos: &LogPosition, trees: &[&TransactionalTree]) -> TxResult {
        let Some(filing_id) = event.filing_id() else {
            return Ok(());
        };
        let filings = trees[0];
        let before = match filings.get(filing_id)? {
            Some(v) => Some(decode_filing(&v).map_err(ConflictableTransactionError::Abort)?),
            None => None,
        };
        let Some(after) = Filing::apply(before.clone(), event, pos) else {
            return Ok(());
        };
        let json = serde_json::to_vec(&after).expect("filings always serialise");
        filings.insert(after.filing_id.as_bytes(), json)?;
        let indexes = FilingIndexes {
            requests: trees[1],
            by_case: trees[2],
            by_submitter: trees[3],
            queues: trees[4],
        };
        project_indexes(before.as_ref(), &after, &indexes)
    }
}

/// The filing indexes inside one transaction.
pub(super) struct FilingIndexes<'a> {
    requests: &'a TransactionalTree,
    by_case: &'a TransactionalTree,
    by_submitter: &'a TransactionalTree,
    queues: &'a TransactionalTree,
}

/// Keeps the seal registry: created seals are stored, revoked ones marked.
fn project_seal(event: &Event, pos: &LogPosition, seals: &TransactionalTree) -> TxResult {
    match event {
        Event::SealCreated(record) => {
            let json = serde_json::to_vec(record).expect("seals always serialise");
            seals.insert(record.seal_id.as_bytes(), json)?;
        }
        Event::SealRevoked {
            seal_id, reason, ..
        } => {
            if let Some(v) = seals.get(seal_id.as_bytes())? {
                let mut record = decode_seal(&v).map_err(ConflictableTransactionError::Abort)?;
                record.revoked = Some(reason.clone());
                record.revoked_at = Some(pos.recorded_at);
                seals.insert(
                    seal_id.as_bytes(),
                    serde_json::to_vec(&record).expect("seals always serialise"),
                )?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The service projection's trees inside one transaction.
pub(super) struct ServiceTrees<'a> {
    pub(super) requests: &'a TransactionalTree,
    pub(super) orders: &'a TransactionalTree,
    pub(super) service: &'a TransactionalTree,
    pub(super) due: &'a TransactionalTree,
    pub(super) queues: &'a TransactionalTree,
    pub(super) suppressed: &'a TransactionalTree,
}

/// The key of a court system's serve-order request id in `requests` (beside filings' keys).
pub(crate) fn order_request_key(ordered_by: &str, request_id: &str) -> Vec<u8> {
    key2(&format!("serve-order:{ordered_by}"), request_id)
}

/// Keeps orders, each recipient's service and the outbox's indexes (due work, in-flight attempts,
/// dead letters, proofs due, suppressed addresses) in step with the log.
fn project_service(event: &Event, pos: &LogPosition, t: &ServiceTrees<'_>) -> TxResult {
    let abort = ConflictableTransactionError::Abort;
    match event {
        Event::ServiceOrdered(ordered) => {
            let summary = OrderSummary::of(ordered, pos.recorded_at, pos.seq);
            t.orders.insert(
                ordered.order_id.as_bytes(),
                serde_json::to_vec(&summary).expect("orders always serialise"),
            )?;
            t.requests.insert(
                order_request_key(&ordered.ordered_by, &ordered.request_id),
                ordered.order_id.as_bytes(),
            )?;
            for r in RecipientService::ordered(ordered, pos.recorded_at, pos.seq) {
                write_recipient(None, &r, t)?;
            }
        }
        Event::Service {
            order_id,
            recipient_id,
            event,
        } => {
            let Some(v) = t.service.get(service_key(order_id, recipient_id))? else {
                return Ok(());
            };
            let before: RecipientService = decode(&v, "recipient service").map_err(abort)?;
            let mut after = before.clone();
            after.apply(event, pos.recorded_at, pos.seq);
            write_recipient(Some(&before), &after, t)?;
            use ecenter_domain::service::{AttemptResult, RecipientEvent};
            if let RecipientEvent::ReceiptReported { part, .. } = event {
                settle_awaited(part, t)?;
            }
            let suppress = match event {
                RecipientEvent::NoticeResult {
                    channel,
                    result: AttemptResult::Permanent { detail, suppress },
                    ..
                } if *suppress => Some((*channel, detail)),
                RecipientEvent::DeliveryReported {
                    channel,
                    reached: false,
                    detail,
                    suppress,
                    ..
                } if *suppress => Some((*channel, detail)),
                _ => None,
            };
            if let Some((channel, detail)) = suppress
                && let Some((address, _)) = after.address(channel)
            {
                t.suppressed
                    .insert(address.to_lowercase().as_bytes(), detail.as_bytes())?;
            }
        }
        Event::ReplyUnmatched(reply) => {
            let k = unmatched_reply_key(pos.seq);
            let kept = ecenter_store_reply(reply, pos.recorded_at);
            t.queues.insert(
                k,
                serde_json::to_vec(&kept).expect("replies always serialise"),
            )?;
        }
        Event::ReplySettled(settled) => {
            t.queues.remove(unmatched_reply_key(settled.seq))?;
        }
        Event::SmsReceiptUnmatched { .. } => await_receipt(event, pos, t)?,
        _ => {}
    }
    Ok(())
}

/// Lists an `sms_receipt_unmatched` for the clerks (`UNMATCHED_RECEIPT`), and keeps a receipt
/// that came before its SMS was recorded under its part (`AWAITED_RECEIPT`), until a
/// `receipt_reported` counts it, or an entry finds it about another handset (which takes the
/// earlier entry's place in the list).
fn await_receipt(unmatched: &Event, pos: &LogPosition, t: &ServiceTrees<'_>) -> TxResult {
    let Event::SmsReceiptUnmatched {
        smsc_id,
        status,
        awaiting,
        text,
        addresses,
        another_number_than,
    } = unmatched
    else {
        return Ok(());
    };
    let listed = crate::UnmatchedReceiptEntry {
        seq: 0,
        at: pos.recorded_at,
        smsc_id: smsc_id.clone(),
        status: status.clone(),
        text: text.clone(),
        addresses: addresses.clone(),
        another_number_than: another_number_than.clone(),
        awaiting: awaiting.is_some() && another_number_than.is_none(),
    };
    t.queues.insert(
        unmatched_receipt_key(pos.seq),
        serde_json::to_vec(&listed).expect("receipts always serialise"),
    )?;
    let Some(awaiting) = awaiting else {
        return Ok(());
    };
    if another_number_than.is_some() {
        return settle_awaited(&awaiting.part, t);
    }
    let entry = crate::AwaitedReceiptEntry {
        state: awaiting.state,
        text: text.clone(),
        at: pos.recorded_at,
        addresses: addresses.clone(),
        seq: pos.seq,
    };
    t.queues.insert(
        awaited_receipt_key(&awaiting.part),
        serde_json::to_vec(&entry).expect("receipts always serialise"),
    )?;
    Ok(())
}

/// Ends the wait of the receipt kept for SMS part `part`, if any: counted, or found about
/// another handset. Its entry leaves the clerks' list of receipts no SMS claims.
fn settle_awaited(part: &str, t: &ServiceTrees<'_>) -> TxResult {
    let key = awaited_receipt_key(part);
    if let Some(v) = t.queues.get(&key)? {
        let kept: crate::AwaitedReceiptEntry =
            decode(&v, "awaited receipt").map_err(ConflictableTransactionError::Abort)?;
        if kept.seq > 0 {
            t.queues.remove(unmatched_receipt_key(kept.seq))?;
        }
    }
    t.queues.remove(key)?;
    Ok(())
}

/// The queue key of the unmatched reply recorded as entry `seq`.
pub(super) fn unmatched_reply_key(seq: u64) -> Vec<u8> {
    let mut k = vec![UNMATCHED_REPLY];
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

pub(super) fn ecenter_store_reply(
    reply: &ecenter_domain::reply::UnmatchedReply,
    at: DateTime<Utc>,
) -> crate::UnmatchedReplyEntry {
    crate::UnmatchedReplyEntry {
        seq: 0,
        at,
        reply: reply.clone(),
    }
}

/// The number (normalised) an SMS notice of `s` was accepted for by the SMSC, if any.
fn sms_number(s: &RecipientService) -> Option<String> {
    s.trace(Channel::Sms)
        .filter(|t| t.sent_at.is_some())
        .and_then(|t| ecenter_domain::reply::normalize_number(&t.address))
}

/// Moves the service's `SMS_SENT_TO` entry from the number `before` was sent to, to `after`'s.
fn index_sms_number(
    before: Option<&RecipientService>,
    after: &RecipientService,
    t: &ServiceTrees<'_>,
) -> TxResult {
    let (was, is) = (before.and_then(sms_number), sms_number(after));
    if was == is {
        return Ok(());
    }
    let service = Some((
        after.order_id.as_str(),
        after.recipient.recipient_id.as_str(),
    ));
    if let Some(n) = was {
        t.queues.remove(sms_sent_key(&n, service))?;
    }
    if let Some(n) = is {
        t.queues.insert(sms_sent_key(&n, service), &[])?;
    }
    Ok(())
}

/// Stores a recipient's service and moves its index entries from what `before` had to what `after` has.
pub(super) fn write_recipient(
    before: Option<&RecipientService>,
    after: &RecipientService,
    t: &ServiceTrees<'_>,
) -> TxResult {
    let (order, rid) = (&after.order_id, &after.recipient.recipient_id);
    t.service.insert(
        service_key(order, rid),
        serde_json::to_vec(after).expect("services always serialise"),
    )?;
    let empty = Vec::new();
    let empty_parts: Vec<String> = Vec::new();
    let old_dues = before.map_or(&empty, |b| &b.dues);
    for d in old_dues.iter().filter(|d| !after.dues.contains(d)) {
        t.due.remove(due_key(order, rid, d))?;
    }
    for d in after.dues.iter().filter(|d| !old_dues.contains(d)) {
        t.due.insert(due_key(order, rid, d), &[])?;
    }
    for channel in [Channel::Email, Channel::Sms] {
        let flying = |s: &RecipientService| s.trace(channel).is_some_and(|c| c.in_flight);
        let dead = |s: &RecipientService| s.dead_letters.iter().any(|d| d.channel == channel);
        for (prefix, was, is) in [
            (IN_FLIGHT, before.is_some_and(flying), flying(after)),
            (DEAD_LETTER, before.is_some_and(dead), dead(after)),
        ] {
            let k = queue_key(prefix, order, rid, Some(channel));
            if was && !is {
                t.queues.remove(k)?;
            } else if is && !was {
                t.queues.insert(k, &[])?;
            }
        }
    }
    index_sms_number(before, after, t)?;
    if let Some(sms) = after.trace(Channel::Sms) {
        let known = before
            .and_then(|b| b.trace(Channel::Sms))
            .map_or(&empty_parts, |t| &t.parts);
        for part in sms.parts.iter().filter(|p| !known.contains(p)) {
            t.queues
                .insert(gateway_key(Channel::Sms, part), key2(order, rid))?;
        }
    }
    let reviewing = |s: &RecipientService| {
        s.unverified
            .iter()
            .any(ecenter_domain::review::UnverifiedReport::pending)
    };
    let k = queue_key(REVIEW, order, rid, None);
    if reviewing(after) {
        t.queues.insert(k, &[])?;
    } else if before.is_some_and(reviewing) {
        t.queues.remove(k)?;
    }
    let k = queue_key(PROOF_DUE, order, rid, None);
    if after.proof_due() {
        t.queues.insert(k, &[])?;
    } else if before.is_some_and(ecenter_domain::service::RecipientService::proof_due) {
        t.queues.remove(k)?;
    }
    Ok(())
}

fn project_indexes(before: Option<&Filing>, after: &Filing, t: &FilingIndexes<'_>) -> TxResult {
    let FilingIndexes {
        requests,
        by_case,
        by_submitter,
        queues,
    } = t;
    let id = after.filing_id.as_str();
    if before.is_none() {
        requests.insert(key2(&after.submitter, &after.request_id), id.as_bytes())?;
        by_submitter.insert(key2(&after.submitter, id), &[])?;
    }
    let old_case = before
        .and_then(|b| b.case_number.as_ref())
        .map(ecenter_domain::CaseNumber::normalized);
    let new_case = after
        .case_number
        .as_ref()
        .map(ecenter_domain::CaseNumber::normalized);
    if old_case != new_case {
        if let Some(old) = &old_case {
            by_case.remove(key2(old, id))?;
        }
        if let Some(new) = &new_case {
            by_case.insert(key2(new, id), &[])?;
        }
    }
    let queued = |f: &Filing| f.state.is_queued() && !f.department.is_empty();
    let was = before.is_some_and(queued);
    let is = queued(after);
    if was && !is {
        queues.remove(key2(&before.expect("was queued").department, id))?;
    } else if is && !was {
        queues.insert(key2(&after.department, id), &[])?;
    }
    Ok(())
}
