//! `/f/<token>`: the status of a filing, opened from a notice of filing. The token is signed like
//! a recipient's link (HMAC, expiry) and names the notice; its nonce must be the one the hub put
//! in that notice. The page shows the filing as it stands now — state, case number, each
//! document's decision and the court's reason — and records nothing: it serves no document.

use super::{LinkKind, Page, beijing, escape, html, unavailable};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use ecenter_delivery::link::LinkError;
use ecenter_domain::{DocumentStatus, FilingState};
use ecenter_store::EventStore;
use std::sync::Arc;

/// A filing's state as people read it.
pub fn state_label(s: FilingState) -> &'static str {
    match s {
        FilingState::Received => "已收到，等待审查",
        FilingState::UnderReview => "审查中",
        FilingState::Accepted => "已接收",
        FilingState::PartiallyAccepted => "部分接收",
        FilingState::Rejected => "不予接收",
        FilingState::ReturnedForCorrection => "退回补正",
        FilingState::Docketed => "已立案（入卷）",
        FilingState::Cancelled => "已撤回",
    }
}

/// A document's review status as people read it (see [`document_label_in`] for a filing's own).
pub fn document_label(s: DocumentStatus) -> &'static str {
    match s {
        DocumentStatus::Pending => "待审查",
        DocumentStatus::Accepted => "已接收",
        DocumentStatus::Rejected => "不予接收",
        DocumentStatus::ReturnedForCorrection => "退回补正",
    }
}

/// A document's status within `filing`: one still pending in a withdrawn filing was never
/// reviewed and never will be, so it does not read 待审查 as if the court still had it.
pub fn document_label_in(filing: &ecenter_domain::Filing, s: DocumentStatus) -> &'static str {
    if filing.state == FilingState::Cancelled && s == DocumentStatus::Pending {
        "未审查（已撤回）"
    } else {
        document_label(s)
    }
}

pub(super) async fn filing_status<S: EventStore>(
    State(page): State<Arc<Page<S>>>,
    Path(token): Path<String>,
) -> Response {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let claims = match page.context.links.verify(&token, now) {
        Ok(c) => c,
        Err(e) => return page.refused(&e, LinkKind::FilingStatus),
    };
    let notice = match page.store.filing_notice(&claims.service_id) {
        Ok(n) => n,
        Err(e) => return unavailable(e),
    };
    let Some(notice) = notice.filter(|n| {
        n.filing_id == claims.recipient_id
            && !n.link_nonce.is_empty()
            && n.link_nonce == claims.nonce
    }) else {
        return page.refused(&LinkError::Forged, LinkKind::FilingStatus);
    };
    let filing = match page.store.filing(&notice.filing_id) {
        Ok(Some(f)) => f,
        Ok(None) => return page.refused(&LinkError::Forged, LinkKind::FilingStatus),
        Err(e) => return unavailable(e),
    };
    let body = format!(
        "{}\n<p>本页面仅供查看进度，不是送达。</p>",
        filing_table(&page.context.config.court, &filing)
    );
    html(StatusCode::OK, "电子诉讼进度", &body)
}

/// A filing as it stands, for people: the court, ids, case, kind, title, state and times (Beijing
/// time), then each document's decision and the court's reason and comment (escaped HTML).
pub fn filing_table(court: &str, filing: &ecenter_domain::Filing) -> String {
    let rows: String = filing
        .documents
        .iter()
        .map(|d| {
            format!(
                "<tr><td>{id}</td><td>{name}</td><td>{status}</td><td>{reason}</td></tr>\n",
                id = escape(&d.received.document_id),
                name = escape(&d.received.name),
                status = document_label_in(filing, d.status),
                reason = escape(&d.reason),
            )
        })
        .collect();
    let case = filing.case_number.as_ref().map_or_else(
        || "新案，立案时编定案号".to_string(),
        ecenter_domain::CaseNumber::normalized,
    );
    let comment = if filing.review_comment.is_empty() {
        String::new()
    } else {
        format!("<p>法院意见：{}</p>", escape(&filing.review_comment))
    };
    format!(
        "<table><tr><th>法院</th><td>{court}</td></tr><tr><th>收件号</th><td>{id}</td></tr>\
         <tr><th>案号</th><td>{case}</td></tr><tr><th>类型</th><td>{kind}</td></tr>\
         <tr><th>标题</th><td>{title}</td></tr><tr><th>当前状态</th><td><strong>{state}</strong></td></tr>\
         <tr><th>提交时间</th><td>{received}（北京时间）</td></tr><tr><th>最近变化</th><td>{updated}（北京时间）</td></tr></table>\n\
         <h2>文件</h2><table><tr><th>编号</th><th>文件名</th><th>审查结果</th><th>理由</th></tr>\n{rows}</table>\n{comment}",
        court = escape(court),
        id = escape(&filing.filing_id),
        case = escape(&case),
        kind = escape(&filing.filing_kind),
        title = escape(&filing.title),
        state = state_label(filing.state),
        received = beijing(filing.received.recorded_at),
        updated = beijing(filing.updated_at),
    )
}
