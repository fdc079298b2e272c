//! 我的立案: the signed-in lawyer's filings, listed with a filter by state, and each filing's
//! status per document with the court's decisions and reasons. What a lawyer may see is the
//! authorization table's, for the lawyer's hub identity: their own filings (`ListFilings`,
//! `GetFiling`, *own*); another's filing is refused and the refusal recorded (`access_denied`), as
//! over gRPC.

use crate::Portal;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use ecenter_api::authz::{Operation, authorize};
use ecenter_api::identity::Identity;
use ecenter_domain::{Filing, FilingState};
use ecenter_outbox::page::escape;
use ecenter_outbox::page::filing_status::{filing_table, state_label};
use ecenter_store::{EventStore, FilingFilter};
use std::sync::Arc;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::WatchStream;

/// Filings shown on one page of the list.
const PAGE: usize = 50;

/// The list's query: `state` (snake_case, as in the log) and `after` (the last id shown).
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    after: String,
}

/// The filter form: every state, the chosen one selected.
fn filter_form(chosen: Option<FilingState>) -> String {
    let options: String = FilingState::ALL
        .iter()
        .map(|s| {
            let selected = if Some(*s) == chosen { " selected" } else { "" };
            format!(
                "<option value=\"{}\"{selected}>{}</option>",
                s.as_str(),
                state_label(*s)
            )
        })
        .collect();
    let all = if chosen.is_none() { " selected" } else { "" };
    format!(
        "<form method=\"get\" action=\"/portal/filings\" class=\"filter\">\
         <label for=\"state\">状态</label><select id=\"state\" name=\"state\">\
         <option value=\"\"{all}>全部</option>{options}</select>\
         <button type=\"submit\">筛选</button></form>"
    )
}

fn row(f: &Filing) -> String {
    let case = f.case_number.as_ref().map_or_else(
        || "新案".to_string(),
        ecenter_domain::CaseNumber::normalized,
    );
    format!(
        "<tr><td data-label=\"收件号\"><a href=\"/portal/filings/{id}\">{id}</a></td>\
         <td data-label=\"案号\">{case}</td><td data-label=\"类型\">{kind}</td>\
         <td data-label=\"标题\">{title}</td><td data-label=\"状态\">{state}</td>\
         <td data-label=\"最近变化\">{updated}</td></tr>\n",
        id = escape(&f.filing_id),
        case = escape(&case),
        kind = escape(&f.filing_kind),
        title = escape(&f.title),
        state = state_label(f.state),
        updated = crate::home::beijing(f.updated_at),
    )
}

/// `GET /portal/filings`: the lawyer's filings, newest id last, a page at a time.
pub(crate) async fn list<S: EventStore>(
    State(p): State<Arc<Portal<S>>>,
    Query(q): Query<ListQuery>,
    headers: HeaderMap,
) -> Response {
    let (_, session) = match p.signed_in(&headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let state = FilingState::ALL.into_iter().find(|s| s.as_str() == q.state);
    let filter = FilingFilter {
        submitter: Some(session.identity.clone()),
        state,
        ..Default::default()
    };
    let after = (!q.after.is_empty()).then_some(q.after.as_str());
    let page = match p.store.list_filings(&filter, after, PAGE) {
        Ok(page) => page,
        Err(e) => return p.unavailable(e),
    };
    // Nothing shown before it is durable (as ListFilings waits).
    let newest = page
        .filings
        .iter()
        .map(|f| f.last_event_seq)
        .max()
        .unwrap_or(0);
    if let Err(e) = p.store.wait_durable(newest).await {
        return p.unavailable(e);
    }
    let rows: String = page.filings.iter().map(row).collect();
    let table = if rows.is_empty() {
        "<p>没有符合条件的材料。</p>".to_string()
    } else {
        format!(
            "<table class=\"cards\"><tr><th>收件号</th><th>案号</th><th>类型</th><th>标题</th><th>状态</th>\
             <th>最近变化（北京时间）</th></tr>\n{rows}</table>"
        )
    };
    let more = page.next_after.map_or_else(String::new, |next| {
        format!(
            "<p><a href=\"/portal/filings?state={}&amp;after={}\">下一页</a></p>",
            state.map_or("", FilingState::as_str),
            escape(&next)
        )
    });
    let body = format!(
        "{}{table}{more}<p><a href=\"/portal/\">返回我的诉讼服务</a></p>",
        filter_form(state)
    );
    p.page(StatusCode::OK, "我的立案材料", &body)
}

impl<S: EventStore> Portal<S> {
    /// Filing `id` if the authorization table lets the signed-in lawyer see it (`GetFiling`,
    /// *own*), durable; else the answer to give (sign in, 404, or 403 with the refusal recorded).
    async fn my_filing(&self, headers: &HeaderMap, id: &str) -> Result<Filing, Box<Response>> {
        let (_, session) = self.signed_in(headers)?;
        let not_found = || Box::new(self.no_such_filing());
        let filing = match self.store.filing(id) {
            Ok(Some(f)) => f,
            Ok(None) => return Err(not_found()),
            Err(e) => return Err(Box::new(self.unavailable(e))),
        };
        let Ok(identity) = Identity::parse(&session.identity) else {
            return Err(not_found());
        };
        let owner = Some(filing.submitter.as_str());
        if let Err(status) = authorize(
            &*self.store,
            &identity,
            Operation::GetFiling,
            owner,
            Some(id),
        )
        .await
        {
            return Err(Box::new(self.filing_denied(&status)));
        }
        if let Err(e) = self.store.wait_durable(filing.last_event_seq).await {
            return Err(Box::new(self.unavailable(e)));
        }
        Ok(filing)
    }

    /// A refusal looks like a filing that does not exist (as `GetFiling` answers NOT_FOUND after
    /// the same audit entry): ids are sequential, and a lawyer must not learn which are taken.
    fn filing_denied(&self, status: &tonic::Status) -> Response {
        if status.code() != tonic::Code::PermissionDenied {
            return self.page(
                StatusCode::SERVICE_UNAVAILABLE,
                "暂时无法处理",
                "<p>系统暂时无法处理，请稍后再试。</p>",
            );
        }
        self.no_such_filing()
    }

    pub(crate) fn no_such_filing(&self) -> Response {
        self.page(
            StatusCode::NOT_FOUND,
            "材料不存在",
            "<p>没有这份材料，或它不是您提交的。请从“我的立案材料”中打开。</p>\
             <p><a href=\"/portal/filings\">我的立案材料</a></p>",
        )
    }
}

/// `GET /portal/filings/{id}`: one filing, if the table lets this lawyer see it; the page's
/// script follows `/events` and replaces the table when the court acts.
pub(crate) async fn show<S: EventStore>(
    State(p): State<Arc<Portal<S>>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let filing = match p.my_filing(&headers, &id).await {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let body = format!(
        "<div id=\"filing\" data-events=\"/portal/filings/{id}/events?since={seq}\">{table}</div>\
         <p id=\"live-note\" role=\"status\" aria-live=\"polite\"></p>\
         <p><a href=\"/portal/filings/{id}/receipt\">签收单</a>{correct}</p>\
         <p><a href=\"/portal/filings\">返回我的立案材料</a></p>",
        id = escape(&filing.filing_id),
        seq = filing.last_event_seq,
        table = filing_table(&p.context.config.court, &filing),
        correct = if filing.state == FilingState::ReturnedForCorrection {
            format!(
                " · <a href=\"/portal/file?corrects={}\">提交补正材料</a>",
                escape(&filing.filing_id)
            )
        } else {
            String::new()
        },
    );
    p.page(StatusCode::OK, "立案材料详情", &body)
}

/// Where an event stream starts: `since` (the entry the page was drawn at) or the browser's
/// `Last-Event-ID` on a reconnect.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct Since {
    #[serde(default)]
    since: Option<u64>,
}

/// `GET /portal/filings/{id}/events`: server-sent events, one `changed` with the filing's table
/// (HTML) and the entry as its id each time a durable entry changes the filing after the one the
/// page showed — so nothing between drawing the page and connecting, or during a reconnect, is
/// missed. The stream ends when the session does, or when the hub stops; a comment every 15 s
/// keeps proxies from closing it.
pub(crate) async fn events<S: EventStore>(
    State(p): State<Arc<Portal<S>>>,
    Path(id): Path<String>,
    Query(q): Query<Since>,
    headers: HeaderMap,
) -> Response {
    let filing = match p.my_filing(&headers, &id).await {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let reconnected = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut shown = reconnected.or(q.since).unwrap_or(filing.last_event_seq);
    // The first value is the head now: a change since `shown` goes out at once.
    let heads = WatchStream::new(p.store.subscribe());
    // Ends when the hub stops, so no open page holds the server up.
    let stopping = WatchStream::new(p.stop.clone())
        .filter(|stop| *stop)
        .map(|_| None);
    let portal = p.clone();
    let changes = heads
        .filter_map(move |head| {
            if !matches!(portal.session(&headers), Ok(Some(_))) {
                return Some(None); // signed out or expired: the stream ends
            }
            let filing = portal.store.filing(&id).ok().flatten()?;
            // Only what is durable: a change not yet flushed comes with the next head.
            if filing.last_event_seq <= shown || filing.last_event_seq > head.seq {
                return None;
            }
            shown = filing.last_event_seq;
            let table = filing_table(&portal.context.config.court, &filing);
            let event = Event::default()
                .event("changed")
                .id(shown.to_string())
                .data(table);
            Some(Some(event))
        })
        .merge(stopping)
        .take_while(Option::is_some)
        .map(|e| Ok::<_, std::convert::Infallible>(e.expect("taken while some")));
    let keep_alive = KeepAlive::new().interval(std::time::Duration::from_secs(15));
    let mut r = Sse::new(changes).keep_alive(keep_alive).into_response();
    // Proxies that buffer responses would hold the events back.
    r.headers_mut().insert(
        "x-accel-buffering",
        axum::http::HeaderValue::from_static("no"),
    );
    r
}
