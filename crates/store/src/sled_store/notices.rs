//! The notices of filing read model (`notices` tree), kept in the same transaction as the log:
//! who opted in to notices at which addresses, who is co-counsel on which case, each notice with
//! its sending state, and the indexes the outbox works from (due by time, in flight, by filing).
//!
//! Keys, by their first byte: `a` identity → addresses; `c` case 0 lawyer → their co-counsel; `n` notice id →
//! notice; `d` due time (ms, big-endian) ‖ notice id; `f` notice id (in flight); `l` filing id 0
//! notice id (the filing's notices). Transactions cannot scan, so lists a step needs inside one
//! (addresses, co-counsel) are single values.

use super::*;
use ecenter_domain::filing_notice::{FilingNotice, FilingNoticeEvent, NoticeAddress, NoticeStage};
use ecenter_domain::service::AttemptResult;

const ADDRESSES: u8 = b'a';
const CO_COUNSEL: u8 = b'c';
const NOTICE: u8 = b'n';
const DUE: u8 = b'd';
const FLYING: u8 = b'f';
const OF_FILING: u8 = b'l';

fn key(prefix: u8, rest: &str) -> Vec<u8> {
    let mut k = vec![prefix];
    k.extend_from_slice(rest.as_bytes());
    k
}

fn due_key(n: &FilingNotice) -> Option<Vec<u8>> {
    if n.outcome.is_some() {
        return None;
    }
    let at = n.due_at?;
    let mut k = vec![DUE];
    k.extend_from_slice(&(at.timestamp_millis().max(0) as u64).to_be_bytes());
    k.extend_from_slice(n.notice_id.as_bytes());
    Some(k)
}

fn of_filing_key(n: &FilingNotice) -> Vec<u8> {
    let mut k = key(OF_FILING, &n.filing_id);
    k.push(0);
    k.extend_from_slice(n.notice_id.as_bytes());
    k
}

fn abort(e: StoreError) -> ConflictableTransactionError<StoreError> {
    ConflictableTransactionError::Abort(e)
}

/// Notices of filing: addresses, co-counsel, notices and their queues.
pub(super) struct NoticeModel;

impl Projection for NoticeModel {
    fn trees(&self) -> &'static [&'static str] {
        // `filings` after the filing model wrote it: a step's notices tell of the filing as it
        // now stands.
        // `suppressed`: a notice's hard bounce stops notices and service to the address alike.
        &["notices", "filings", "suppressed"]
    }

    /// 2: co-counsel keyed by the one spelling of the case's number, however an earlier build
    /// recorded it (`co_counsel_key`).
    fn version(&self) -> u32 {
        2
    }

    fn apply(&self, event: &Event, pos: &LogPosition, trees: &[&TransactionalTree]) -> TxResult {
        let (notices, filings) = (trees[0], trees[1]);
        match event {
            Event::NoticeAddressesSet {
                identity,
                addresses,
            } => {
                let json = serde_json::to_vec(addresses).expect("addresses always serialise");
                notices.insert(key(ADDRESSES, identity), json)?;
            }
            Event::CoCounselRegistered {
                case_number,
                identity,
                by,
            }
            | Event::CoCounselRemoved {
                case_number,
                identity,
                by,
            } => {
                let mut list = read_co_counsel(notices, case_number, by)?;
                list.retain(|c| c != identity);
                if matches!(event, Event::CoCounselRegistered { .. }) {
                    list.push(identity.clone());
                }
                let json = serde_json::to_vec(&list).expect("lists always serialise");
                notices.insert(co_counsel_key(case_number, by), json)?;
            }
            Event::FilingNotice { notice_id, event } => {
                let Some(v) = notices.get(key(NOTICE, notice_id))? else {
                    return Ok(());
                };
                let before: FilingNotice = decode(&v, "notice").map_err(abort)?;
                let mut after = before.clone();
                after.apply(event);
                write_notice(notices, Some(&before), &after)?;
                if let FilingNoticeEvent::Result {
                    result:
                        AttemptResult::Permanent {
                            detail,
                            suppress: true,
                        },
                    ..
                } = event
                {
                    trees[2].insert(after.address.to_lowercase().as_bytes(), detail.as_bytes())?;
                }
            }
            _ => {
                let Some(filing_id) = event.filing_id() else {
                    return Ok(());
                };
                let Some(v) = filings.get(filing_id)? else {
                    return Ok(());
                };
                let filing = decode_filing(&v).map_err(abort)?;
                if let Some(stage) = NoticeStage::of(event, &filing) {
                    make_due(notices, stage, &filing, pos)?;
                }
            }
        }
        Ok(())
    }
}

/// Writes the notices `stage` of `filing` makes due.
fn make_due(
    notices: &TransactionalTree,
    stage: NoticeStage,
    filing: &Filing,
    pos: &LogPosition,
) -> TxResult {
    let co_counsel = match &filing.case_number {
        Some(c) => read_co_counsel(notices, &c.normalized(), &filing.submitter)?,
        None => Vec::new(),
    };
    let mut failure = None;
    let parties = FilingNotice::parties(&filing.submitter, &co_counsel, |who| {
        read_addresses(notices, who).unwrap_or_else(|e| {
            failure = Some(e);
            Vec::new()
        })
    });
    if let Some(e) = failure {
        return Err(e);
    }
    let comment = match stage {
        NoticeStage::Received | NoticeStage::Docketed => "",
        _ => filing.review_comment.as_str(),
    };
    for n in FilingNotice::due(stage, filing, comment, pos.seq, pos.recorded_at, &parties) {
        write_notice(notices, None, &n)?;
    }
    Ok(())
}

/// Co-counsel are kept per case and per lawyer who registered them: they hear of that lawyer's
/// filings, never of the other side's. The case is keyed in the one spelling of its number
/// ([`ecenter_domain::CaseNumber::canonical_text`]), however an earlier build recorded it.
fn co_counsel_key(case_number: &str, by: &str) -> Vec<u8> {
    let case_number = ecenter_domain::CaseNumber::canonical_text(case_number);
    let mut k = key(CO_COUNSEL, &case_number);
    k.push(0);
    k.extend_from_slice(by.as_bytes());
    k
}

fn read_co_counsel(
    notices: &TransactionalTree,
    case_number: &str,
    by: &str,
) -> Result<Vec<String>, ConflictableTransactionError<StoreError>> {
    match notices.get(co_counsel_key(case_number, by))? {
        Some(v) => decode(&v, "co-counsel").map_err(abort),
        None => Ok(Vec::new()),
    }
}

fn read_addresses(
    notices: &TransactionalTree,
    identity: &str,
) -> Result<Vec<NoticeAddress>, ConflictableTransactionError<StoreError>> {
    match notices.get(key(ADDRESSES, identity))? {
        Some(v) => decode(&v, "notice addresses").map_err(abort),
        None => Ok(Vec::new()),
    }
}

/// Stores a notice and moves its due and in-flight entries from what `before` had.
fn write_notice(
    notices: &TransactionalTree,
    before: Option<&FilingNotice>,
    after: &FilingNotice,
) -> TxResult {
    notices.insert(
        key(NOTICE, &after.notice_id),
        serde_json::to_vec(after).expect("notices always serialise"),
    )?;
    if before.is_none() {
        notices.insert(of_filing_key(after), &[])?;
    }
    let (old, new) = (before.and_then(due_key), due_key(after));
    if old != new {
        if let Some(k) = old {
            notices.remove(k)?;
        }
        if let Some(k) = new {
            notices.insert(k, &[])?;
        }
    }
    let flying = key(FLYING, &after.notice_id);
    if after.in_flight {
        notices.insert(flying, &[])?;
    } else if before.is_some_and(|b| b.in_flight) {
        notices.remove(flying)?;
    }
    Ok(())
}

/// Reads of the notices tree, for the store and the writer's view alike.
pub(super) fn notice(
    tree: &sled::Tree,
    notice_id: &str,
) -> Result<Option<FilingNotice>, StoreError> {
    tree.get(key(NOTICE, notice_id))?
        .map(|v| decode(&v, "notice"))
        .transpose()
}

pub(super) fn addresses(
    tree: &sled::Tree,
    identity: &str,
) -> Result<Vec<NoticeAddress>, StoreError> {
    match tree.get(key(ADDRESSES, identity))? {
        Some(v) => decode(&v, "notice addresses"),
        None => Ok(Vec::new()),
    }
}

pub(super) fn co_counsel(
    tree: &sled::Tree,
    case_number: &str,
    by: &str,
) -> Result<Vec<String>, StoreError> {
    match tree.get(co_counsel_key(case_number, by))? {
        Some(v) => decode(&v, "co-counsel"),
        None => Ok(Vec::new()),
    }
}

impl crate::NoticeReads for SledStore {
    fn filing_notice(&self, notice_id: &str) -> Result<Option<FilingNotice>, StoreError> {
        notice(&self.inner.trees.notices, notice_id)
    }

    fn notices_of_filing(&self, filing_id: &str) -> Result<Vec<FilingNotice>, StoreError> {
        let mut prefix = key(OF_FILING, filing_id);
        prefix.push(0);
        let tree = &self.inner.trees.notices;
        let mut out = Vec::new();
        for item in tree.scan_prefix(&prefix) {
            let (k, _) = item?;
            let id = String::from_utf8_lossy(&k[prefix.len()..]).into_owned();
            if let Some(n) = notice(tree, &id)? {
                out.push(n);
            }
        }
        Ok(out)
    }

    fn notice_addresses(&self, identity: &str) -> Result<Vec<NoticeAddress>, StoreError> {
        addresses(&self.inner.trees.notices, identity)
    }

    fn co_counsel(&self, case_number: &str, by: &str) -> Result<Vec<String>, StoreError> {
        co_counsel(&self.inner.trees.notices, case_number, by)
    }

    fn notices_due(&self, until: DateTime<Utc>, limit: usize) -> Result<Vec<String>, StoreError> {
        let mut end = vec![DUE];
        end.extend_from_slice(&(until.timestamp_millis().max(0) as u64 + 1).to_be_bytes());
        self.inner
            .trees
            .notices
            .range(vec![DUE]..end)
            .take(limit)
            .map(|item| Ok(String::from_utf8_lossy(&item?.0[9..]).into_owned()))
            .collect()
    }

    fn next_notice_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let first = self.inner.trees.notices.scan_prefix([DUE]).next();
        let Some(item) = first else {
            return Ok(None);
        };
        let (k, _) = item?;
        let ms = k
            .get(1..9)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map_or(0, u64::from_be_bytes);
        Ok(DateTime::<Utc>::from_timestamp_millis(ms as i64))
    }

    fn notices_in_flight(&self) -> Result<Vec<String>, StoreError> {
        self.inner
            .trees
            .notices
            .scan_prefix([FLYING])
            .map(|item| Ok(String::from_utf8_lossy(&item?.0[1..]).into_owned()))
            .collect()
    }
}

#[cfg(test)]
mod tests;
