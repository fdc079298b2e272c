//! The recipients' page (HTTPS, no client certificate: recipients are the public). A notice's link
//! `/s/<token>` opens the list of served documents with their SHA-256 and seal; opening records
//! *fetched* only (mail scanners open links too). Reading is recorded only when the recipient
//! presses 确认已阅读: a POST carrying a one-time form handed out with the page, so a replayed or
//! forged confirmation is refused. Downloads are recorded. Expired, forged and superseded links get
//! a clear page in Chinese and record nothing.

use crate::config::ServiceContext;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use ecenter_delivery::link::LinkError;
use ecenter_domain::Event;
use ecenter_domain::service::{
    Activity, OrderSummary, RecipientEvent, RecipientService, ServedDocument,
};
use ecenter_store::{EventStore, ReadView, StoreError};
use ring::rand::{SecureRandom, SystemRandom};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

pub mod answers;
pub mod filing_status;

/// The page's shared state.
pub struct Page<S> {
    store: Arc<S>,
    context: Arc<ServiceContext>,
    rng: SystemRandom,
}

/// The connection's peer, added to every request of the connection.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

/// `s` safe inside HTML text and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title><style>body{{font-family:sans-serif;max-width:46em;margin:2em auto;padding:0 1em}}\
         td,th{{padding:.3em .6em;border-bottom:1px solid #ddd;text-align:left}}code{{font-size:.8em;word-break:break-all}}\
         button{{font-size:1.1em;padding:.5em 1.5em}}</style></head><body><h1>{t}</h1>\n{body}\n</body></html>\n",
        t = escape(title)
    );
    let mut r = (status, page).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    secure_headers(h);
    r
}

fn secure_headers(h: &mut HeaderMap) {
    // The token is in the URL: never leak it to other sites, never cache personal pages.
    protect(
        h,
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        "no-referrer",
    );
}

/// The headers every personal page carries: `Cache-Control: no-store`, the `referrer` policy,
/// `nosniff` and the Content-Security-Policy `csp`.
pub fn protect(h: &mut HeaderMap, csp: &'static str, referrer: &'static str) {
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static(referrer));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
}

/// Which kind of link was refused: the words differ, since a notice of filing is not service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkKind {
    /// A recipient's link from a service notice (`/s/…`).
    Service,
    /// A link to a filing's status from a notice of filing (`/f/…`).
    FilingStatus,
}

impl LinkKind {
    /// (the link, the notice it came in, the court to ask) in Chinese.
    fn words(self) -> (&'static str, &'static str, &'static str) {
        match self {
            LinkKind::Service => ("送达链接", "送达通知", "送达法院"),
            LinkKind::FilingStatus => ("立案状态链接", "立案通知", "法院"),
        }
    }
}

/// A link that cannot be honoured, with whom to ask: the court and its contact.
fn link_refused(e: &LinkError, kind: LinkKind, court: &str, contact: &str) -> Response {
    let (link, notice, asked) = kind.words();
    let ask = format!(
        "<p>{asked}：{}；联系方式：{}。</p>",
        escape(court),
        escape(contact)
    );
    let expired = match kind {
        LinkKind::Service => format!("请联系{asked}，申请重新发送{link}。"),
        LinkKind::FilingStatus => "请用 efile status 查看该件材料的最新状态，或联系法院。".into(),
    };
    match e {
        LinkError::Expired => html(
            StatusCode::GONE,
            "链接已过期",
            &format!("<p>此{link}已过有效期。{expired}</p>{ask}"),
        ),
        LinkError::Forged => html(
            StatusCode::FORBIDDEN,
            "链接无效",
            &format!(
                "<p>此链接不是法院签发的，或已被改动。请从您收到的{notice}中重新打开链接；如仍无法打开，请联系{asked}。</p>{ask}"
            ),
        ),
        LinkError::Malformed => html(
            StatusCode::BAD_REQUEST,
            "链接不完整",
            &format!(
                "<p>此链接不完整或已损坏（可能在复制时被截断）。请从您收到的{notice}中重新打开完整的链接。</p>{ask}"
            ),
        ),
    }
}

fn unavailable(e: StoreError) -> Response {
    tracing::error!(error = %e, "recipient page could not record");
    html(
        StatusCode::SERVICE_UNAVAILABLE,
        "暂时无法处理",
        "<p>系统暂时无法记录您的操作，请稍后再试。</p>",
    )
}

/// What the recipient did on the page, through the link `link`, from `peer`'s client.
fn acted(
    activity: Activity,
    peer: SocketAddr,
    headers: &HeaderMap,
    link: String,
) -> RecipientEvent {
    RecipientEvent::RecipientActed {
        activity,
        client: client(peer, headers),
        link,
    }
}

/// The page answering a form this page handed out: `accepted` (title, text) once the submission
/// is recorded, `refused` (409) when the form was not open, 503 when the log could not record it.
fn form_outcome(
    recorded: Result<bool, StoreError>,
    accepted: (&str, &str),
    refused: (&str, &str),
) -> Response {
    match recorded {
        Ok(true) => html(StatusCode::OK, accepted.0, accepted.1),
        Ok(false) => html(StatusCode::CONFLICT, refused.0, refused.1),
        Err(e) => unavailable(e),
    }
}

/// Who is at the other end, for the log: the address and the user agent (200 characters at most,
/// UTF-8 as sent — a Chinese browser's name stays — with any hidden character written out).
pub fn client(peer: SocketAddr, headers: &HeaderMap) -> String {
    let agent = headers
        .get(header::USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()))
        .unwrap_or_default();
    let agent = ecenter_domain::text::written_out(&agent.chars().take(200).collect::<String>());
    format!("{} {agent}", peer.ip()).trim().to_string()
}

impl<S: EventStore> Page<S> {
    /// The page over `store`.
    pub fn new(store: Arc<S>, context: Arc<ServiceContext>) -> Arc<Self> {
        Arc::new(Page {
            store,
            context,
            rng: SystemRandom::new(),
        })
    }

    /// The routes.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/s/{token}", get(open::<S>))
            .route("/s/{token}/confirm", post(confirm::<S>))
            .route("/s/{token}/reply", post(reply::<S>))
            .route("/s/{token}/d/{index}", get(download::<S>))
            .route("/f/{token}", get(filing_status::filing_status::<S>))
            .fallback(|| async {
                html(
                    StatusCode::NOT_FOUND,
                    "页面不存在",
                    "<p>请从您收到的送达通知中打开链接。</p>",
                )
            })
            .layer(axum::middleware::from_fn(answers::framed))
            .with_state(self.clone())
    }

    /// The recipient a token is for, if the token is valid, unexpired and was really sent, with the
    /// link's nonce (which names the notice that carried it).
    fn recipient(
        &self,
        token: &str,
    ) -> Result<(OrderSummary, RecipientService, String), Box<Response>> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let claims = self
            .context
            .links
            .verify(token, now)
            .map_err(|e| Box::new(self.refused(&e, LinkKind::Service)))?;
        let service = self
            .store
            .recipient_service(&claims.service_id, &claims.recipient_id)
            .map_err(|e| Box::new(unavailable(e)))?;
        let order = self
            .store
            .service_order(&claims.service_id)
            .map_err(|e| Box::new(unavailable(e)))?;
        match (order, service) {
            (Some(_), Some(s))
                if s.link_nonces.contains(&claims.nonce) && !notice_left(&s, &claims.nonce) =>
            {
                tracing::warn!(order = %claims.service_id, recipient = %claims.recipient_id, "a link whose notice never left the hub was used: refused");
                Err(Box::new(self.never_sent()))
            }
            (Some(o), Some(s)) if s.link_nonces.contains(&claims.nonce) => Ok((o, s, claims.nonce)),
            _ => Err(Box::new(
                self.refused(&LinkError::Forged, LinkKind::Service),
            )),
        }
    }

    /// The page for a link whose notice no relay or gateway took: nobody can have had it from
    /// the notice, so it proves nothing of the recipient and records nothing.
    fn never_sent(&self) -> Response {
        let config = &self.context.config;
        html(
            StatusCode::FORBIDDEN,
            "链接不能使用",
            &format!(
                "<p>载有此链接的送达通知未能发出，此链接不能用于查看或确认送达文书。请联系送达法院：{}；联系方式：{}。</p>",
                escape(&config.court),
                escape(&config.contact)
            ),
        )
    }

    fn refused(&self, e: &LinkError, kind: LinkKind) -> Response {
        let config = &self.context.config;
        link_refused(e, kind, &config.court, &config.contact)
    }

    fn nonce(&self) -> String {
        let mut b = [0u8; 16];
        self.rng
            .fill(&mut b)
            .expect("the system random source works");
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    }

    /// Records `event` in the recipient's service (only if `only_if_open_form` is one of its open
    /// forms, when given); `false` when it was not.
    async fn record(
        &self,
        order: &OrderSummary,
        service: &RecipientService,
        event: RecipientEvent,
        only_if_open_form: Option<String>,
    ) -> Result<bool, StoreError> {
        let key = (
            order.ordered.order_id.as_str(),
            service.recipient.recipient_id.as_str(),
        );
        record_act(&*self.store, key, event, only_if_open_form).await
    }
}

/// Records `event` in the service of recipient `key` (order id, recipient id) — only if
/// `only_if_open_form` is one of its open forms, when given, decided under the writer so a form is
/// used once; `false` when it was not. The recipients' page and the lawyers' portal both record
/// what recipients do through it.
pub async fn record_act<S: EventStore>(
    store: &S,
    (order_id, recipient_id): (&str, &str),
    event: RecipientEvent,
    only_if_open_form: Option<String>,
) -> Result<bool, StoreError> {
    let (o, r) = (order_id.to_string(), recipient_id.to_string());
    let (_, recorded) = store
        .append(Box::new(move |view: &dyn ReadView| {
            if let Some(form) = only_if_open_form {
                // A reply takes a form no reply used; a confirmation, any form still open.
                let reply = matches!(event, RecipientEvent::ReplyReceived(_));
                let open = view.recipient_service(&o, &r)?.is_some_and(|s| {
                    s.open_forms.contains(&form) && !(reply && s.replied_forms.contains(&form))
                });
                if !open {
                    return Ok((Vec::new(), false));
                }
            }
            Ok((
                vec![Event::Service {
                    order_id: o,
                    recipient_id: r,
                    event,
                }],
                true,
            ))
        }))
        .await?;
    Ok(recorded)
}

/// Whether the notice that carried link `nonce` left the hub: a relay or gateway accepted an
/// attempt of its channel, or one may have gone (an answer lost, or a resend of a notice the relay
/// may hold). A link of a notice the
/// relay refused was never in the recipient's hands; whoever has it took it from elsewhere.
/// Links recorded before their channel was (older logs) are taken as sent.
fn notice_left(service: &RecipientService, nonce: &str) -> bool {
    let Some((_, channel)) = service.link_channels.iter().find(|(n, _)| n == nonce) else {
        return true;
    };
    service
        .channels
        .iter()
        .filter(|t| t.channel == *channel)
        .any(|t| {
            let in_doubt = t.maybe_sent || t.resends_in_doubt > 0 || t.in_flight;
            !t.accepted.is_empty() || t.sent_at.is_some() || in_doubt
        })
}

/// Whether a request is not the recipient's own look at the page: `HEAD` (headers only), or a
/// browser's or link scanner's declared prefetch (`Sec-Purpose`/`Purpose: prefetch`). Such
/// requests get the page but record nothing: no opening, no download, no form. The lawyers'
/// portal judges its served documents' requests the same way.
pub fn not_a_visit(method: &axum::http::Method, headers: &HeaderMap) -> bool {
    let prefetch = ["sec-purpose", "purpose", "x-purpose", "x-moz"]
        .iter()
        .any(|name| {
            headers
                .get(*name)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| {
                    v.to_ascii_lowercase().contains("prefetch") || v.eq_ignore_ascii_case("preview")
                })
        });
    method == axum::http::Method::HEAD || prefetch
}

/// The answer to a look at a served document that is no download ([`not_a_visit`]): to `HEAD`
/// the headers a download would carry (no body is sent); to a declared prefetch nothing (204,
/// not stored), so no copy of the document reaches a browser without its download on record.
pub fn not_a_download(
    method: &axum::http::Method,
    bytes: Vec<u8>,
    document: &ServedDocument,
    index: usize,
) -> Response {
    if method == axum::http::Method::HEAD {
        return attachment(bytes, document, index);
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Whether a form was not posted from the page itself ([`crate::same_origin`]): a confirmation
/// or reply must be made on the page. The page is served with `no-referrer`, so `Origin: null`
/// is its own; behind a proxy its own host is too.
fn from_another_site(headers: &HeaderMap, public_url: &str) -> bool {
    let own = crate::same_origin::OwnOrigin::of(public_url).no_referrer_behind_proxies();
    !own.posted_from(headers)
}

/// The refusal of a form posted from another site.
fn cross_site_refused() -> Response {
    html(
        StatusCode::FORBIDDEN,
        "提交未被接受",
        "<p>此表单不是从送达页面提交的，本次提交未被记录。请从您收到的送达通知中打开链接，在页面上操作。</p>",
    )
}

/// `t` in Beijing time, as people read it: 2026年12月03日 14:05.
pub use ecenter_domain::time::beijing_minutes as beijing;

/// The documents of an order as table rows, each a download link (`{base}/d/{n}`, from 1), with
/// its size, seal status and SHA-256: the recipients' page and the portal's 送达 page alike.
pub fn document_rows(base: &str, order: &OrderSummary) -> String {
    order
        .ordered
        .documents
        .iter()
        .enumerate()
        .map(|(i, d)| {
            format!(
                "<tr><td><a href=\"{base}/d/{n}\">{name}</a></td><td>{size} 字节</td><td>{seal}</td><td><code>{sha}</code></td></tr>\n",
                n = i + 1,
                name = escape(&d.name),
                size = d.size,
                seal = escape(&d.seal),
                sha = escape(&d.sha256),
            )
        })
        .collect()
}

async fn open<S: EventStore>(
    State(page): State<Arc<Page<S>>>,
    Path(token): Path<String>,
    axum::Extension(Peer(peer)): axum::Extension<Peer>,
    method: axum::http::Method,
    headers: HeaderMap,
) -> Response {
    let (order, service, link) = match page.recipient(&token) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    if not_a_visit(&method, &headers) {
        return html(
            StatusCode::OK,
            "电子送达文书",
            "<p>请在浏览器中打开此链接查看送达文书。</p>",
        );
    }
    let form = page.nonce();
    let fetched = acted(
        Activity::Fetched { form: form.clone() },
        peer,
        &headers,
        link,
    );
    if let Err(e) = page.record(&order, &service, fetched, None).await {
        return unavailable(e);
    }
    let rows = document_rows(&format!("/s/{token}"), &order);
    let confirmation = match service.facts.iter().find_map(|f| match f {
        ecenter_domain::effective_service::DeliveryFact::ConfirmedReading { at, .. } => Some(*at),
        _ => None,
    }) {
        Some(at) => format!("<p><strong>您已于{}确认阅读。</strong></p>", beijing(at)),
        None => format!(
            "<form method=\"post\" action=\"/s/{token}/confirm\">\
             <input type=\"hidden\" name=\"form\" value=\"{form}\">\
             <p>阅读上述文书后，请点击下方按钮确认。确认后即视为您已收到并阅读送达文书。</p>\
             <button type=\"submit\">确认已阅读</button></form>"
        ),
    };
    // Art. 31 para. 2 (1): a reply completes service too; the same one-time form vouches for it.
    let reply = format!(
        "<form method=\"post\" action=\"/s/{token}/reply\">\
         <input type=\"hidden\" name=\"form\" value=\"{form}\">\
         <p>如需回复法院（例如告知已收到文书），请在此填写，回复内容将记入送达记录：</p>\
         <textarea name=\"text\" rows=\"3\" cols=\"40\" maxlength=\"500\" required></textarea><br>\
         <button type=\"submit\">提交回复</button></form>"
    );
    let body = format!(
        "<p>{name}：</p><p>{court}向您送达{case}案件的下列文书（链接有效期至{expires}，北京时间）。\
         每份文书均附有 SHA-256 摘要，可用于核对文书未被改动。</p>\n\
         <table><tr><th>文书</th><th>大小</th><th>签章</th><th>SHA-256</th></tr>\n{rows}</table>\n{confirmation}\n{reply}",
        name = escape(&service.recipient.name),
        court = escape(&page.context.config.court),
        case = escape(&order.ordered.order.case_number.normalized()),
        expires = beijing(order.ordered.links_expire_at),
    );
    html(StatusCode::OK, "电子送达文书", &body)
}

/// A form the page takes: one it handed out, never the lawyers' portal's (`p:…`), so the record
/// says where the recipient really was. An empty string matches no open form.
fn page_form(form: String) -> String {
    if form.starts_with("p:") {
        String::new()
    } else {
        form
    }
}

/// The confirmation form's fields.
#[derive(Debug, serde::Deserialize)]
struct ConfirmForm {
    form: String,
}

async fn confirm<S: EventStore>(
    State(page): State<Arc<Page<S>>>,
    Path(token): Path<String>,
    axum::Extension(Peer(peer)): axum::Extension<Peer>,
    headers: HeaderMap,
    Form(fields): Form<ConfirmForm>,
) -> Response {
    let (order, service, link) = match page.recipient(&token) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    if from_another_site(&headers, &page.context.public_url) {
        return cross_site_refused();
    }
    let confirmed = acted(Activity::ConfirmedReading, peer, &headers, link);
    form_outcome(
        page.record(&order, &service, confirmed, Some(page_form(fields.form)))
            .await,
        (
            "已确认阅读",
            "<p>您已确认阅读送达文书，法院已记录确认时间。您可以继续通过原链接查看和下载文书，直至链接过期。</p>",
        ),
        (
            "确认未被接受",
            "<p>此确认表单已使用过或不是本页面签发的，本次提交未被记录。如需确认阅读，请重新打开送达链接后再点击“确认已阅读”。</p>",
        ),
    )
}

/// The reply form's fields.
#[derive(Debug, serde::Deserialize)]
struct ReplyForm {
    form: String,
    text: String,
}

/// A reply typed on the page: recorded as the recipient's reply (art. 31 para. 2 (1)) when it
/// comes with a form this page handed out, with the channel whose link brought the recipient.
async fn reply<S: EventStore>(
    State(page): State<Arc<Page<S>>>,
    Path(token): Path<String>,
    axum::Extension(Peer(peer)): axum::Extension<Peer>,
    headers: HeaderMap,
    Form(fields): Form<ReplyForm>,
) -> Response {
    let (order, service, link) = match page.recipient(&token) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    if from_another_site(&headers, &page.context.public_url) {
        return cross_site_refused();
    }
    // What a court reads in the proof: 1 to 500 characters, nothing hidden but line breaks.
    let text = fields.text.trim();
    if ecenter_domain::text::check_lines(text, 500, "回复").is_err() {
        return html(
            StatusCode::BAD_REQUEST,
            "回复未被接受",
            "<p>回复内容应为 1 至 500 个字，且不含不可见字符（如零宽空格、文字方向控制符）。请返回上一页修改后重新提交。</p>",
        );
    }
    let channel = service
        .link_channels
        .iter()
        .find(|(n, _)| *n == link)
        .map(|(_, c)| *c);
    let replied = RecipientEvent::ReplyReceived(ecenter_domain::reply::ReceivedReply {
        at: chrono::Utc::now(),
        channel,
        from: client(peer, &headers),
        text: text.to_string(),
        form: fields.form.clone(),
        disallowed: None,
        attributed: None,
    });
    form_outcome(
        page.record(&order, &service, replied, Some(page_form(fields.form)))
            .await,
        ("回复已记录", "<p>您的回复已送达法院并记入送达记录。</p>"),
        (
            "回复未被接受",
            "<p>此表单不是本页面签发的或已失效，本次回复未被记录。请重新打开送达链接后再提交。</p>",
        ),
    )
}

/// The document a download path names: `1`, `2`, … as the page writes it, and nothing else —
/// not `01`, `+1` or `1.0`, which a number parser also reads as 1. One path per document, so a
/// scanner or a crawler trying variants cannot add downloads to the evidence under other URLs
/// (outside tests, round 22, F5). Shared by the lawyers' portal.
pub fn document_number(path: &str) -> Option<usize> {
    let canonical = !path.is_empty()
        && path.len() <= 6
        && !path.starts_with('0')
        && path.bytes().all(|b| b.is_ascii_digit());
    canonical.then(|| path.parse().ok()).flatten()
}

async fn download<S: EventStore>(
    State(page): State<Arc<Page<S>>>,
    Path((token, index)): Path<(String, String)>,
    axum::Extension(Peer(peer)): axum::Extension<Peer>,
    method: axum::http::Method,
    headers: HeaderMap,
) -> Response {
    let (order, service, link) = match page.recipient(&token) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let index = document_number(&index).unwrap_or(0);
    let Some(document) = index
        .checked_sub(1)
        .and_then(|i| order.ordered.documents.get(i))
    else {
        return html(
            StatusCode::NOT_FOUND,
            "文书不存在",
            "<p>本次送达没有这份文书，请返回文书列表。</p>",
        );
    };
    let Some(bytes) = read_document(&*page.store, &order, document).await else {
        return html(
            StatusCode::SERVICE_UNAVAILABLE,
            "文书暂时无法提供",
            "<p>这份文书在本院系统中的存档已损坏，暂不能下载；本院已记录并将尽快恢复，请稍后再试或联系送达法院。</p>",
        );
    };
    let downloaded = acted(
        Activity::Downloaded {
            reference: document.reference.clone(),
        },
        peer,
        &headers,
        link,
    );
    if not_a_visit(&method, &headers) {
        return not_a_download(&method, bytes, document, index);
    }
    if let Err(e) = page.record(&order, &service, downloaded, None).await {
        return unavailable(e);
    }
    attachment(bytes, document, index)
}

/// Reads a served document from the blob store, its SHA-256 checked against the service order
/// (`None`: the stored copy is damaged or unreadable).
pub async fn read_document<S: EventStore>(
    store: &S,
    order: &OrderSummary,
    document: &ServedDocument,
) -> Option<Vec<u8>> {
    let stored = ecenter_store::verified::StoredDocument::new(
        &document.sha256,
        format!(
            "order {} document {}",
            order.ordered.order_id, document.reference
        ),
    );
    ecenter_store::verified::read_verified(store, &stored, "recipients' page")
        .await
        .ok()
}

/// The document as a download: its media type, and a Content-Disposition with the Chinese file
/// name (RFC 6266 / 5987) and an ASCII fallback keeping the extension.
pub fn attachment(bytes: Vec<u8>, document: &ServedDocument, index: usize) -> Response {
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&document.media_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    // RFC 6266 / 5987: the Chinese file name, percent-encoded.
    let encoded: String = document
        .name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    // The ASCII fallback keeps the document's extension, so a browser without RFC 5987 still
    // saves a file that opens.
    let extension = std::path::Path::new(&document.name)
        .extension()
        .and_then(|e| e.to_str())
        .filter(|e| e.len() <= 8 && e.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map(|e| format!(".{}", e.to_ascii_lowercase()))
        .unwrap_or_default();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"document-{index}{extension}\"; filename*=UTF-8''{encoded}"
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    secure_headers(h);
    r
}

/// Serves `router` on `listener` (TLS when `acceptor` is given) until `stop` turns true.
pub async fn serve(
    listener: TcpListener,
    acceptor: Option<TlsAcceptor>,
    router: Router,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|s| *s) => return,
        };
        let (tcp, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(error = %e, "recipient page: accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let service = hyper_util::service::TowerToHyperService::new(
            router.clone().layer(axum::Extension(Peer(peer))),
        );
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let http = hyper::server::conn::http1::Builder::new();
            match acceptor {
                Some(acceptor) => {
                    let Ok(Ok(tls)) = tokio::time::timeout(
                        std::time::Duration::from_secs(10),
                        acceptor.accept(tcp),
                    )
                    .await
                    else {
                        return;
                    };
                    let _ = http
                        .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                        .await;
                }
                None => {
                    let _ = http
                        .serve_connection(hyper_util::rt::TokioIo::new(tcp), service)
                        .await;
                }
            }
        });
    }
}

#[cfg(test)]
mod tests;
