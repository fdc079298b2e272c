//! 向我送达的文书: what the court served on the signed-in lawyer (service orders whose recipient
//! carries the lawyer's hub identity), each document with its seal and SHA-256, downloads, and the
//! confirmation of reading that completes service under 《在线诉讼规则》第31条第2款第1项 — the same
//! one-time form as the recipients' page: opening the page records `fetched` with a fresh form
//! (never reading: opening is not reading), pressing 确认已阅读 records the confirmation only with
//! a form still open, so a replayed or forged confirmation is refused. Another's service is refused
//! and the refusal recorded (`FetchServedDocument` is *own* in the authorization table).

use crate::Portal;
use axum::extract::rejection::FormRejection;
use axum::extract::{Extension, Form, Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use ecenter_api::authz::{Operation, authorize};
use ecenter_api::identity::Identity;
use ecenter_domain::effective_service::DeliveryFact;
use ecenter_domain::service::{
    Activity, OrderSummary, PORTAL_CLIENT, RecipientEvent, RecipientService,
};
use ecenter_outbox::page::{
    Peer, attachment, beijing, client, document_rows, escape, not_a_download, not_a_visit,
    read_document, record_act,
};
use ecenter_store::EventStore;
use std::sync::Arc;

/// The service's state in words: effective (when, by which rule) or still under way.
fn state_words(service: &RecipientService) -> String {
    match &service.effective {
        Some(e) => format!("已送达（{}，{}）", beijing(e.at), e.rule.describe()),
        None if service.unserved => "未能送达，请联系法院".to_string(),
        None => "送达中".to_string(),
    }
}

fn confirmed_at(service: &RecipientService) -> Option<chrono::DateTime<chrono::Utc>> {
    service.facts.iter().find_map(|f| match f {
        DeliveryFact::ConfirmedReading { at, .. } => Some(*at),
        _ => None,
    })
}

/// `GET /portal/served`: every service on this lawyer, newest order first.
pub(crate) async fn list<S: EventStore>(
    State(p): State<Arc<Portal<S>>>,
    headers: HeaderMap,
) -> Response {
    let (_, session) = match p.signed_in(&headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let mine = match p.served_on(&session.identity) {
        Ok(m) => m,
        Err(e) => return p.unavailable(e),
    };
    if let Err(e) = p.store.wait_durable(p.store.head().seq).await {
        return p.unavailable(e);
    }
    let rows: String = mine
        .iter()
        .map(|(order, service)| {
            format!(
                "<tr><td data-label=\"案号\"><a href=\"/portal/served/{o}/{r}\">{case}</a></td>\
                 <td data-label=\"发出送达\">{at}</td><td data-label=\"文书\">{n} 份</td>\
                 <td data-label=\"状态\">{state}</td></tr>\n",
                o = escape(&order.ordered.order_id),
                r = escape(&service.recipient.recipient_id),
                case = escape(&order.ordered.order.case_number.normalized()),
                at = beijing(order.ordered_at),
                n = order.ordered.documents.len(),
                state = escape(&state_words(service)),
            )
        })
        .collect();
    let body = if rows.is_empty() {
        "<p>法院尚未通过本平台向您送达文书。</p>".to_string()
    } else {
        format!(
            "<table class=\"cards\"><tr><th>案号</th><th>发出送达时间（北京时间）</th><th>文书</th><th>状态（送达生效时间）</th></tr>\n{rows}</table>"
        )
    };
    let body = format!("{body}<p><a href=\"/portal/\">返回我的诉讼服务</a></p>");
    p.page(StatusCode::OK, "向我送达的文书", &body)
}

impl<S: EventStore> Portal<S> {
    /// The services whose recipient is `identity`, newest order first. (A scan of the orders, as
    /// `ListMyServices` does: fine for a court's orders today.)
    fn served_on(
        &self,
        identity: &str,
    ) -> Result<Vec<(OrderSummary, RecipientService)>, ecenter_store::StoreError> {
        let mut mine = Vec::new();
        for order in self.store.list_orders(usize::MAX)? {
            let recipients =
                self.store
                    .order_recipients(&order.ordered.order_id, None, usize::MAX)?;
            for service in recipients {
                if service.recipient.identity.as_deref() == Some(identity) {
                    mine.push((order.clone(), service));
                }
            }
        }
        Ok(mine)
    }

    /// The service `(order, recipient)` if it is the signed-in lawyer's: else the answer to give
    /// (sign in, 404, or 403 with the refusal recorded).
    async fn my_service(
        &self,
        headers: &HeaderMap,
        (order_id, recipient_id): (&str, &str),
    ) -> Result<(String, OrderSummary, RecipientService), Box<Response>> {
        let (hash, session) = self.signed_in(headers)?;
        let unavailable = |e| Box::new(self.unavailable(e));
        let order = self.store.service_order(order_id).map_err(unavailable)?;
        let service = self
            .store
            .recipient_service(order_id, recipient_id)
            .map_err(unavailable)?;
        let (Some(order), Some(service), Ok(identity)) =
            (order, service, Identity::parse(&session.identity))
        else {
            return Err(Box::new(self.no_such_service()));
        };
        let owner = service.recipient.identity.as_deref().unwrap_or("");
        let op = Operation::FetchServedDocument;
        if let Err(status) = authorize(&*self.store, &identity, op, Some(owner), None).await {
            return Err(Box::new(self.denied(&status)));
        }
        Ok((hash, order, service))
    }

    /// A refusal looks like a service that does not exist (after the same audit entry), so
    /// order ids tell a lawyer nothing about others' services.
    fn denied(&self, status: &tonic::Status) -> Response {
        if status.code() != tonic::Code::PermissionDenied {
            return self.page(
                StatusCode::SERVICE_UNAVAILABLE,
                "暂时无法处理",
                "<p>系统暂时无法处理，请稍后再试。</p>",
            );
        }
        self.no_such_service()
    }

    fn no_such_service(&self) -> Response {
        self.page(
            StatusCode::NOT_FOUND,
            "送达不存在",
            "<p>没有这次送达，或受送达人不是您。请从“向我送达的文书”中打开。</p>\
             <p><a href=\"/portal/served\">向我送达的文书</a></p>",
        )
    }
}

/// `GET /portal/served/{order}/{recipient}`: the documents, and the confirmation form (recorded
/// as `fetched` with the form handed out).
pub(crate) async fn show<S: EventStore>(
    State(p): State<Arc<Portal<S>>>,
    Path((order_id, recipient_id)): Path<(String, String)>,
    Extension(Peer(peer)): Extension<Peer>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let (hash, order, service) = match p
        .my_service(&headers, (order_id.as_str(), recipient_id.as_str()))
        .await
    {
        Ok(x) => x,
        Err(r) => return *r,
    };
    if let Some(refused) = p.navigated_from_elsewhere(&headers) {
        return refused;
    }
    if not_a_visit(&method, &headers) {
        // HEAD or a declared prefetch is no opening: the page, nothing recorded, no form.
        return p.page(
            StatusCode::OK,
            "送达文书",
            "<p>请在浏览器中打开本页查看送达文书。</p>",
        );
    }
    let key = (order_id.as_str(), recipient_id.as_str());
    let form = match p
        .confirmation_form(key, &order, &service, &client(peer, &headers))
        .await
    {
        Ok(form) => form,
        Err(e) => return p.unavailable(e),
    };
    let base = format!(
        "/portal/served/{}/{}",
        escape(&order_id),
        escape(&recipient_id)
    );
    let confirmation = match (confirmed_at(&service), form) {
        (Some(at), _) => format!("<p><strong>您已于{}确认阅读。</strong></p>", beijing(at)),
        (None, Some(form)) => format!(
            "<form method=\"post\" action=\"{base}/confirm\">\
             <input type=\"hidden\" name=\"form\" value=\"{form}\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <p>阅读上述文书后，请点击下方按钮确认。确认后即视为您已收到并阅读送达文书（《在线诉讼规则》第31条第2款第1项）。</p>\
             <button type=\"submit\">确认已阅读</button></form>",
            csrf = p.keys.csrf(&hash),
        ),
        (None, None) => "<p>本次送达已结束（已过有效期或已由法院另行处理），不能在线确认阅读。如有疑问，请联系法院。</p>".to_string(),
    };
    let body = format!(
        "<p>{court}向您送达{case}案件的下列文书。每份文书均附有 SHA-256 摘要，可用于核对文书未被改动。</p>\
         <p>送达状态：{state}</p>\
         <table><tr><th>文书</th><th>大小</th><th>签章</th><th>SHA-256</th></tr>\n{rows}</table>\n{confirmation}\
         <p><a href=\"/portal/served\">返回向我送达的文书</a></p>",
        court = escape(&p.context.config.court),
        case = escape(&order.ordered.order.case_number.normalized()),
        state = escape(&state_words(&service)),
        rows = document_rows(&base, &order),
    );
    p.page(StatusCode::OK, "送达文书", &body)
}

/// Forms the portal hands out begin so; the recipients' page takes none of them, and the portal
/// takes none of the page's: each records where the recipient was.
pub const PORTAL_FORM: &str = "p:";

/// Whether service may still be completed by confirming: not confirmed, links not expired (as on
/// the recipients' page), not given up or settled by a clerk.
fn open_for_confirmation(order: &OrderSummary, service: &RecipientService) -> bool {
    confirmed_at(service).is_none()
        && chrono::Utc::now() < order.ordered.links_expire_at
        && !service.unserved
        && service.resolution.is_none()
}

fn not_accepted<S: EventStore>(p: &Portal<S>) -> Response {
    p.page(
        StatusCode::CONFLICT,
        "确认未被接受",
        "<p class=\"error\" role=\"alert\">此确认表单已使用过、已失效，或本次送达已不能在线确认，本次提交未被记录。如需确认阅读，请重新打开送达文书页面；如页面不再提供确认，请联系法院。</p>",
    )
}

impl<S: EventStore> Portal<S> {
    /// The confirmation form for this page: the portal's open form if it handed one out already
    /// (nothing recorded again), else a new one recorded as `fetched`; `None` once service can no
    /// longer be completed by confirming (nothing recorded).
    async fn confirmation_form(
        &self,
        key: (&str, &str),
        order: &OrderSummary,
        service: &RecipientService,
        client: &str,
    ) -> Result<Option<String>, ecenter_store::StoreError> {
        if !open_for_confirmation(order, service) {
            return Ok(None);
        }
        if let Some(open) = service
            .open_forms
            .iter()
            .find(|f| f.starts_with(PORTAL_FORM))
        {
            return Ok(Some(open.clone()));
        }
        let form = format!("{PORTAL_FORM}{}", self.keys.random(16));
        let fetched = RecipientEvent::RecipientActed {
            activity: Activity::Fetched { form: form.clone() },
            client: format!("{PORTAL_CLIENT}{client}"),
            link: String::new(),
        };
        record_act(&*self.store, key, fetched, None).await?;
        Ok(Some(form))
    }

    /// A GET that another site navigated to (`Sec-Fetch-Site: cross-site`): refused, so no other
    /// site can make a lawyer's browser record an opening or a download.
    fn navigated_from_elsewhere(&self, headers: &HeaderMap) -> Option<Response> {
        let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
        (site == Some("cross-site")).then(|| {
            self.page(
                StatusCode::FORBIDDEN,
                "请从诉讼服务平台打开",
                "<p>送达文书只能在本院诉讼服务平台内打开。</p><p><a href=\"/portal/served\">向我送达的文书</a></p>",
            )
        })
    }
}

/// The confirmation form's fields.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct ConfirmForm {
    form: String,
    csrf: String,
}

/// `POST /portal/served/{order}/{recipient}/confirm`: the confirmation of reading, once, with a
/// form this page handed out and the session's CSRF token.
pub(crate) async fn confirm<S: EventStore>(
    State(p): State<Arc<Portal<S>>>,
    Path((order_id, recipient_id)): Path<(String, String)>,
    Extension(Peer(peer)): Extension<Peer>,
    headers: HeaderMap,
    form: Result<Form<ConfirmForm>, FormRejection>,
) -> Response {
    if let Some(refused) = p.cross_site(&headers) {
        return refused;
    }
    let Ok(Form(f)) = form else {
        return p.incomplete_form();
    };
    let (hash, order, service) = match p
        .my_service(&headers, (order_id.as_str(), recipient_id.as_str()))
        .await
    {
        Ok(x) => x,
        Err(r) => return *r,
    };
    if !p.keys.csrf_matches(&hash, &f.csrf) {
        return p.form_expired();
    }
    // Only a form the portal handed out, while service may still be completed this way.
    if !f.form.starts_with(PORTAL_FORM) || !open_for_confirmation(&order, &service) {
        return not_accepted(&p);
    }
    let confirmed = RecipientEvent::RecipientActed {
        activity: Activity::ConfirmedReading,
        client: format!("{PORTAL_CLIENT}{}", client(peer, &headers)),
        link: String::new(),
    };
    let key = (order_id.as_str(), recipient_id.as_str());
    match record_act(&*p.store, key, confirmed, Some(f.form)).await {
        Ok(true) => p.page(
            StatusCode::OK,
            "已确认阅读",
            "<p role=\"status\">您已确认阅读送达文书，法院已记录确认时间。</p>\
             <p><a href=\"/portal/served\">返回向我送达的文书</a></p>",
        ),
        Ok(false) => not_accepted(&p),
        Err(e) => p.unavailable(e),
    }
}

/// `GET /portal/served/{order}/{recipient}/d/{n}`: a served document, its SHA-256 checked against
/// the order, the download recorded.
pub(crate) async fn download<S: EventStore>(
    State(p): State<Arc<Portal<S>>>,
    Path((order_id, recipient_id, index)): Path<(String, String, String)>,
    Extension(Peer(peer)): Extension<Peer>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let (_, order, _) = match p
        .my_service(&headers, (order_id.as_str(), recipient_id.as_str()))
        .await
    {
        Ok(x) => x,
        Err(r) => return *r,
    };
    if let Some(refused) = p.navigated_from_elsewhere(&headers) {
        return refused;
    }
    let index = ecenter_outbox::page::document_number(&index).unwrap_or(0);
    let Some(document) = index
        .checked_sub(1)
        .and_then(|i| order.ordered.documents.get(i))
    else {
        return p.page(
            StatusCode::NOT_FOUND,
            "文书不存在",
            "<p>本次送达没有这份文书。</p>",
        );
    };
    let Some(bytes) = read_document(&*p.store, &order, document).await else {
        return p.page(
            StatusCode::SERVICE_UNAVAILABLE,
            "文书暂时无法提供",
            "<p>这份文书在本院系统中的存档已损坏，暂不能下载；本院已记录并将尽快恢复，请稍后再试或联系法院。</p>",
        );
    };
    let downloaded = RecipientEvent::RecipientActed {
        activity: Activity::Downloaded {
            reference: document.reference.clone(),
        },
        client: format!("{PORTAL_CLIENT}{}", client(peer, &headers)),
        link: String::new(),
    };
    // HEAD sends no document and a prefetch gets none: neither is recorded.
    if not_a_visit(&method, &headers) {
        return not_a_download(&method, bytes, document, index);
    }
    if let Err(e) = record_act(
        &*p.store,
        (order_id.as_str(), recipient_id.as_str()),
        downloaded,
        None,
    )
    .await
    {
        return p.unavailable(e);
    }
    attachment(bytes, document, index)
}
