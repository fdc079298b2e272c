//! `ListPushedCases` and `SetCasePush`: what the hub pushed per case, and a case's opt-out.

use crate::authz::{Operation, authorize};
use crate::convert::timestamp;
use crate::error::{ApiError, invalid, store_status};
use ecenter_domain::similar::push::{CasePushSet, CasePushes, PushedCase, RecordedPush};
use ecenter_domain::{CaseNumber, Event};
use ecenter_proto::v1 as pb;
use ecenter_store::{EventStore, FilingFilter, ReadView};
use tonic::{Request, Response, Status};

/// Cases per page when the caller does not say.
const DEFAULT_PAGE: usize = 50;
/// Most cases per page.
const MAX_PAGE: usize = 500;

fn case_number(text: &str) -> Result<CaseNumber, Status> {
    CaseNumber::parse(text.trim()).map_err(|e| invalid("case_number", e.to_string()))
}

/// The latest push per case: one case, or a page of every case with a push or an opt-out.
pub(super) async fn list<S: EventStore>(
    store: &S,
    index: &super::SimilarIndex,
    request: Request<pb::ListPushedCasesRequest>,
) -> Result<Response<pb::ListPushedCasesResponse>, Status> {
    let identity = crate::identity::caller(&request)?;
    authorize(store, &identity, Operation::ListPushedCases, None, None).await?;
    let r = request.into_inner();
    let limit = match r.limit as usize {
        0 => DEFAULT_PAGE,
        n if n <= MAX_PAGE => n,
        n => {
            return Err(invalid(
                "limit",
                format!("{n} cases asked; at most {MAX_PAGE}"),
            ));
        }
    };
    let (cases, next_after) = if r.case_number.trim().is_empty() {
        let after = pushed_after(store, &r.after)?;
        let page = store
            .list_case_pushes(after.as_deref(), limit + 1)
            .map_err(store_status)?;
        let more = page.len() > limit;
        let cases: Vec<CasePushes> = page.into_iter().take(limit).collect();
        let next = if more {
            cases
                .last()
                .map(|c| c.case_number.clone())
                .unwrap_or_default()
        } else {
            String::new()
        };
        (cases, next)
    } else {
        let number = case_number(&r.case_number)?;
        let known = store
            .case_pushes(&number.normalized())
            .map_err(store_status)?
            // Opted out and resumed before any push: nothing pushed, nothing stopped.
            .filter(|k| k.pushes > 0 || k.opted_out.is_some())
            .ok_or_else(|| {
                ApiError::not_found(format!(
                    "no similar cases were pushed for {number}: pushes begin when a filing of the case is docketed and an indexed judgment is similar"
                ))
            })?;
        (vec![known], String::new())
    };
    // Shown once durable, as every read of the log's models.
    if let Some(seq) = cases.iter().map(last_seq).max() {
        store.wait_durable(seq).await.map_err(store_status)?;
    }
    // A judgment removed from the index since it was pushed is marked, not hidden: the push is
    // what the judge was shown (outside tests, round 21b, 2).
    let withdrawn = |id: &str| {
        index
            .index()
            .get(id)
            .map(|found| found.is_none())
            .map_err(crate::error::similar_status)
    };
    let mut messages = Vec::with_capacity(cases.len());
    for c in &cases {
        let mut m = case_message(c);
        for hit in m.latest.iter_mut().flat_map(|l| l.hits.iter_mut()) {
            hit.withdrawn = withdrawn(&hit.case_id)?;
        }
        messages.push(m);
    }
    Ok(Response::new(pb::ListPushedCasesResponse {
        cases: messages,
        next_after,
    }))
}

fn last_seq(c: &CasePushes) -> u64 {
    let pushed = c.latest.as_ref().map_or(0, |l| l.at.seq);
    pushed.max(c.last_set_seq)
}

fn case_message(c: &CasePushes) -> pb::CasePushes {
    let (by, reason) = c
        .opted_out
        .as_ref()
        .map(|(s, _)| (s.by.clone(), s.reason.clone()))
        .unwrap_or_default();
    pb::CasePushes {
        case_number: c.case_number.clone(),
        pushes: c.pushes,
        latest: c.latest.as_ref().map(push_message),
        opted_out: c.opted_out.is_some(),
        opted_out_by: by,
        opted_out_reason: reason,
    }
}

fn push_message(l: &RecordedPush) -> pb::CasePush {
    let p = &l.push;
    let latency = (l.at.recorded_at - p.docketed_at).num_milliseconds().max(0);
    pb::CasePush {
        log_seq: l.at.seq,
        pushed_at: Some(timestamp(l.at.recorded_at)),
        filing_id: p.filing_id.clone(),
        department: p.department.clone(),
        docketed_seq: p.docketed_seq,
        filings: p.filings.clone(),
        query_charges: p.query_charges.clone(),
        query_statutes: p.query_statutes.clone(),
        index_seq: p.index_seq,
        hits: p.hits.iter().map(pushed_message).collect(),
        after_docketing_ms: latency as u64,
    }
}

fn pushed_message(h: &PushedCase) -> pb::PushedCase {
    pb::PushedCase {
        case_id: h.case_id.clone(),
        case_number: h.case_number.clone(),
        court: h.court.clone(),
        year: h.year.unwrap_or(0),
        score: h.score_milli as f32 / 1000.0,
        reasons: h.reasons.clone(),
        shared_charges: h.shared_charges.clone(),
        shared_statutes: h.shared_statutes.clone(),
        shared_elements: h.shared_elements.clone(),
        shared_terms: h.shared_terms.clone(),
        case_amount_yuan: h.amounts_yuan.map_or(0, |a| a.0),
        judgment_amount_yuan: h.amounts_yuan.map_or(0, |a| a.1),
        judgment_date: h
            .judgment_date
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        withdrawn: false,
    }
}

/// Stops or resumes the pushes for a case; nothing is recorded when it is already so.
pub(super) async fn set<S: EventStore>(
    store: &S,
    request: Request<pb::SetCasePushRequest>,
) -> Result<Response<pb::SetCasePushResponse>, Status> {
    let identity = crate::identity::caller(&request)?;
    authorize(store, &identity, Operation::SetCasePush, None, None).await?;
    let r = request.into_inner();
    let number = case_number(&r.case_number)?;
    let reason = r.reason.trim().to_string();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(invalid(
            "reason",
            "say why (1 to 500 characters): the log keeps it",
        ));
    }
    crate::error::text_field("reason", &reason, 500, "推送设置理由")?;
    let set = CasePushSet {
        case_number: number.clone(),
        by: identity.to_string(),
        enabled: r.enabled,
        reason,
    };
    let key = number.normalized();
    known_case(store, &number, &key)?;
    let (appended, ()) = store
        .append(Box::new(move |view: &dyn ReadView| {
            let stopped = view
                .case_pushes(&key)?
                .is_some_and(|k| k.opted_out.is_some());
            if stopped != set.enabled {
                return Ok((Vec::new(), ()));
            }
            Ok((vec![Event::CasePushSet(set)], ()))
        }))
        .await
        .map_err(store_status)?;
    let log_seq = appended.last().map_or(0, |a| a.seq);
    tracing::info!(case = %number, enabled = r.enabled, log_seq, by = %identity, "similar-case push set");
    Ok(Response::new(pb::SetCasePushResponse {
        log_seq,
        case_number: number.normalized(),
    }))
}

/// Refuses a case the hub has no filing of and never pushed for (NOT_FOUND): a mistyped 案号
/// would otherwise be recorded as an opt-out for good, listed beside real cases. Filings are
/// never removed, so a case found here stays known when the entry is appended.
fn known_case<S: EventStore>(store: &S, number: &CaseNumber, key: &str) -> Result<(), Status> {
    if store.case_pushes(key).map_err(store_status)?.is_some() {
        return Ok(());
    }
    let filter = FilingFilter {
        case_number: Some(key.to_string()),
        ..FilingFilter::default()
    };
    let page = store.list_filings(&filter, None, 1).map_err(store_status)?;
    if !page.filings.is_empty() {
        return Ok(());
    }
    Err(Status::from(ApiError::not_found(format!(
        "the hub holds no filing of {number} and pushed nothing for it: check the case number (案号); a case's pushes can be stopped once one of its filings has arrived"
    ))))
}

/// The case a page continues after: empty, or a case number this hub listed as `next_after`
/// (written as the hub writes it, and with pushes). Anything else would read as a place in the
/// list — before the first case (the list again) or past the last (an empty last page).
fn pushed_after<S: EventStore>(store: &S, after: &str) -> Result<Option<String>, Status> {
    if after.is_empty() {
        return Ok(None);
    }
    let listed = CaseNumber::parse(after)
        .ok()
        .filter(|n| n.normalized() == after)
        .map(|n| store.case_pushes(&n.normalized()))
        .transpose()
        .map_err(store_status)?
        .flatten();
    match listed {
        Some(_) => Ok(Some(after.to_string())),
        None => Err(invalid(
            "after",
            format!(
                "「{}」 is not a case this list gave as next_after: pass it unchanged, or leave it \
                 empty for the first page",
                ecenter_domain::text::quoted(after, 60)
            ),
        )),
    }
}
