//! The lawyers' web portal (诉讼服务), served under `/portal/` beside the recipients' page on the
//! same HTTPS listener.
//!
//! Who may use it: the lawyers of the court's directory (`LawyerDirectory` over gRPC). They sign
//! in with a one-time code sent to the phone or e-mail the directory lists ([`sign_in`]); a
//! session is a cookie whose SHA-256 the log records in `signed_in`, so sessions are a projection
//! of the log like everything else. A session acts as the lawyer's hub identity — the same one
//! their client certificate carries.
//!
//! Security, by default: cookies are `__Host-` prefixed, `Secure`, `HttpOnly` and `SameSite`
//! (`Lax` for the session, so links into the portal open signed in; `Strict` for the sign-in
//! attempt); every POST must come from the portal's own origin (`Origin`, or
//! `Sec-Fetch-Site: same-origin`) and a signed-in POST must carry the session's CSRF token; pages
//! carry a strict Content-Security-Policy (no inline script or style: the stylesheet is served
//! from the portal), HSTS over HTTPS, `no-store` and `Referrer-Policy: same-origin`. Asking for
//! codes and typing them are limited per client address too ([`guard`]), before anything is
//! looked at or recorded, so nobody floods the log or the lawyers' phones. Nothing is fetched from
//! elsewhere: the portal works on a closed court network. Pages are in Chinese, times in Beijing
//! time, readable at 390 px wide and usable with the keyboard alone.

#![warn(missing_docs)]
#![forbid(unsafe_code)]

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use ecenter_api::filing::FilingApi;
use ecenter_domain::portal::{Limits, Session};
use ecenter_outbox::page::{answers, escape, protect};
use ecenter_outbox::{Outbox, ServiceContext};
use ecenter_store::{EventStore, StoreError};
use std::sync::Arc;

mod file;
mod filings;
pub mod guard;
mod home;
pub mod keys;
mod passkey_sign_in;
mod passkeys;
mod served;
mod sign_in;
mod uploads;
mod webauthn;

/// The portal's shared state.
pub struct Portal<S> {
    store: Arc<S>,
    outbox: Arc<Outbox<S>>,
    context: Arc<ServiceContext>,
    keys: keys::Keys,
    limits: Limits,
    /// `scheme://host:port` of the public URL: the only origin POSTs are taken from.
    origin: String,
    /// Served over HTTPS: cookies are `__Host-` and `Secure`, HSTS is sent.
    secure: bool,
    /// Per-client limits on asking for codes and typing them.
    guard: guard::Guard,
    /// Turns true when the hub stops: open event streams end.
    stop: tokio::sync::watch::Receiver<bool>,
    /// Filing through the portal: SubmitFiling's checks and recording, the court's policy.
    filing: FilingApi<S>,
    /// Files being uploaded for a filing.
    uploads: Arc<uploads::Uploads>,
    /// The portal as a WebAuthn relying party; `None` when its public URL cannot have passkeys
    /// (an IP address, or plain HTTP other than `localhost`).
    rp: Option<webauthn::RelyingParty>,
}

/// The stylesheet (served, never inline: the CSP allows styles from the portal only).
const CSS: &str = include_str!("../static/portal.css");
/// The one script (served, never inline): live updates of a filing's page.
const JS: &str = include_str!("../static/portal.js");

/// The session cookie's name over HTTPS and over plain HTTP (development mode only).
const SESSION_COOKIE: (&str, &str) = ("__Host-ecenter-portal", "ecenter-portal");
/// The sign-in attempt's cookie, between asking for a code and typing it.
const ATTEMPT_COOKIE: (&str, &str) = ("__Host-ecenter-sign-in", "ecenter-sign-in");

impl<S: EventStore> Portal<S> {
    /// The portal over `store`, sending codes through `outbox` and filing through `filing`
    /// (SubmitFiling's own checks), until `stop` turns true.
    pub fn new(
        store: Arc<S>,
        outbox: Arc<Outbox<S>>,
        context: Arc<ServiceContext>,
        filing: FilingApi<S>,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> Arc<Self> {
        let origin = ecenter_outbox::same_origin::origin_of(&context.public_url);
        let uploads = Arc::new(uploads::Uploads::default());
        tokio::spawn(uploads::sweep_until(Arc::downgrade(&uploads), stop.clone()));
        Arc::new(Portal {
            rp: relying_party(&origin),
            keys: keys::Keys::new(&context.links),
            limits: context.config.portal.limits(),
            secure: origin.starts_with("https://"),
            origin,
            guard: guard::Guard::default(),
            stop,
            store,
            outbox,
            context,
            filing,
            uploads,
        })
    }

    /// The routes under `/portal`.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/portal", get(|| async { see_other("/portal/") }))
            .route("/portal/", get(home::home::<S>))
            .route("/portal/portal.css", get(stylesheet))
            // Browsers ask for it on every site; no icon is better than a 404 in their console.
            .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
            .route("/portal/code", post(sign_in::request_code::<S>))
            .route("/portal/sign-in", post(sign_in::sign_in::<S>))
            .route("/portal/sign-out", post(home::sign_out::<S>))
            .route(
                "/portal/passkey/options",
                post(passkey_sign_in::options::<S>),
            )
            .route(
                "/portal/passkey/sign-in",
                post(passkey_sign_in::sign_in::<S>),
            )
            .route(
                "/portal/passkeys",
                get(passkeys::list::<S>).post(passkeys::register::<S>),
            )
            .route("/portal/passkeys/options", post(passkeys::options::<S>))
            .route("/portal/passkeys/{id}/remove", post(passkeys::remove::<S>))
            .route("/portal/filings", get(filings::list::<S>))
            .route("/portal/filings/{id}", get(filings::show::<S>))
            .route("/portal/filings/{id}/events", get(filings::events::<S>))
            .route("/portal/portal.js", get(script))
            .route("/portal/file", get(file::form::<S>).post(file::submit::<S>))
            .route("/portal/uploads", post(uploads::create::<S>))
            .route(
                "/portal/uploads/{id}",
                get(uploads::status::<S>)
                    .patch(uploads::append::<S>)
                    .delete(uploads::remove::<S>),
            )
            .route("/portal/filings/{id}/receipt", get(file::receipt::<S>))
            .route(
                "/portal/filings/{id}/receipt.pdf",
                get(file::receipt_pdf::<S>),
            )
            // Any method: an address that leads nowhere is 404 whatever was asked of it, not
            // 405 (outside tests, round 11b, F8).
            .route("/portal/{*rest}", any(not_found::<S>))
            .route("/portal/served", get(served::list::<S>))
            .route("/portal/served/{order}/{recipient}", get(served::show::<S>))
            .route(
                "/portal/served/{order}/{recipient}/confirm",
                post(served::confirm::<S>),
            )
            .route(
                "/portal/served/{order}/{recipient}/d/{index}",
                get(served::download::<S>),
            )
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                framed::<S>,
            ))
            .with_state(self.clone())
    }

    fn cookie_name(&self, names: (&'static str, &'static str)) -> &'static str {
        if self.secure { names.0 } else { names.1 }
    }

    /// A `Set-Cookie` value: HttpOnly, SameSite, path `/`, Secure over HTTPS;
    /// `max_age` 0 removes it.
    fn set_cookie(
        &self,
        names: (&'static str, &'static str),
        value: &str,
        max_age: i64,
    ) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        // The session is Lax, so a link to a portal page (in a notice, on the court's site)
        // opens signed in; every POST is still checked for its origin and CSRF token. The
        // sign-in attempt's cookie is only ever needed by the portal's own form: Strict.
        let same_site = if names == SESSION_COOKIE {
            "Lax"
        } else {
            "Strict"
        };
        let v = format!(
            "{}={value}; Path=/; HttpOnly; SameSite={same_site}; Max-Age={max_age}{secure}",
            self.cookie_name(names)
        );
        HeaderValue::from_str(&v).expect("cookie values are base64url")
    }

    /// The session the request's cookie names, if it still stands and its lawyer is still listed:
    /// (the cookie's hash, the session).
    fn session(&self, headers: &HeaderMap) -> Result<Option<(String, Session)>, StoreError> {
        let Some(cookie) = cookie(headers, self.cookie_name(SESSION_COOKIE)) else {
            return Ok(None);
        };
        let hash = keys::cookie_hash(&cookie);
        let Some(session) = self.store.portal_session(&hash)? else {
            return Ok(None);
        };
        // The directory entry must predate the sign-in: a lawyer removed, or whose phone or
        // e-mail changed, signs in again (a lost phone is a reason to change it).
        let listed_before = self
            .store
            .lawyer(&session.identity)?
            .is_some_and(|l| l.seq < session.seq);
        if !session.current(chrono::Utc::now()) || !listed_before {
            return Ok(None);
        }
        Ok(Some((hash, session)))
    }

    /// The request's session, or the answer to give instead: back to the sign-in page (303) when
    /// there is none, 503 when the store could not say.
    fn signed_in(&self, headers: &HeaderMap) -> Result<(String, Session), Box<Response>> {
        match self.session(headers) {
            Ok(Some(s)) => Ok(s),
            Ok(None) => Err(Box::new(see_other("/portal/"))),
            Err(e) => Err(Box::new(self.unavailable(e))),
        }
    }

    /// `None` when the POST comes from the portal's own pages; otherwise the refusal page. A
    /// browser says where a request comes from in `Sec-Fetch-Site` (Fetch Metadata) and `Origin`;
    /// each one given must say this origin, and at least one must be given.
    fn cross_site(&self, headers: &HeaderMap) -> Option<Response> {
        let same = ecenter_outbox::same_origin::OwnOrigin::of(&self.origin).posted_from(headers);
        (!same).then(|| {
            self.page(
                StatusCode::FORBIDDEN,
                "请求被拒绝",
                "<p>此请求不是从本院诉讼服务平台的页面提交的，未被处理。请打开本院诉讼服务平台后重新操作。</p>\
                 <p><a href=\"/portal/\">返回诉讼服务平台</a></p>",
            )
        })
    }

    /// A page of the portal: the layout, `body` (already escaped HTML) and the security headers.
    fn page(&self, status: StatusCode, title: &str, body: &str) -> Response {
        let page = format!(
            "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{t} · {court}诉讼服务平台</title><link rel=\"stylesheet\" href=\"/portal/portal.css\">\
             <script src=\"/portal/portal.js\" defer></script></head>\
             <body><header><p class=\"court\">{court} · 诉讼服务平台</p></header>\
             <main><h1>{t}</h1>\n{body}\n</main></body></html>\n",
            t = escape(title),
            court = escape(&self.context.config.court),
        );
        let mut r = (status, page).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        self.secure_headers(r.headers_mut());
        r
    }

    fn secure_headers(&self, h: &mut HeaderMap) {
        // Not `no-referrer`: with it, browsers send `Origin: null` on the portal's own forms.
        protect(
            h,
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            "same-origin",
        );
        if self.secure {
            h.insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static("max-age=31536000"),
            );
        }
    }

    /// A POST whose fields are missing or malformed (not from the portal's own form, or cut short).
    fn incomplete_form(&self) -> Response {
        self.page(
            StatusCode::BAD_REQUEST,
            "表单不完整",
            "<p class=\"error\" role=\"alert\">提交的表单内容不完整或格式不正确，未被处理。请返回诉讼服务平台后重新填写。</p>\
             <p><a href=\"/portal/\">返回诉讼服务平台</a></p>",
        )
    }

    fn unavailable(&self, e: StoreError) -> Response {
        tracing::error!(error = %e, "portal could not record");
        self.page(
            StatusCode::SERVICE_UNAVAILABLE,
            "暂时无法处理",
            "<p>系统暂时无法记录您的操作，本次操作未生效，请稍后再试。</p>",
        )
    }
}

/// Every answer of the portal in its own words and with its headers. What axum answers by itself
/// — a query, path or body its extractors cannot read (plain English text), a method a route lacks —
/// becomes a page in Chinese (or, to the portal's script, a JSON `error`); any answer without the
/// security headers of [`Portal::page`] gets those it lacks.
async fn framed<S: EventStore>(
    axum::extract::State(p): axum::extract::State<Arc<Portal<S>>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let script = request.uri().path().starts_with("/portal/uploads")
        || request.headers().contains_key("x-csrf-token");
    let r = next.run(request).await;
    let mut r = if answers::framework_refusal(&r) {
        const WHY: &str = "请求的地址或参数有误，未被处理。请从诉讼服务平台的页面重新操作。";
        let own = if script {
            uploads::refused(r.status(), WHY)
        } else {
            let body = format!(
                "<p class=\"error\" role=\"alert\">{WHY}</p><p><a href=\"/portal/\">返回诉讼服务平台</a></p>"
            );
            p.page(r.status(), "请求有误", &body)
        };
        answers::instead_of(&r, own)
    } else {
        r
    };
    // An asset's own caching (max-age) stays; what is missing is added.
    let mut wanted = HeaderMap::new();
    p.secure_headers(&mut wanted);
    answers::add_missing(&mut r, &wanted);
    r
}

/// A portal address that leads nowhere (the recipients' page's own 404 speaks of notices).
async fn not_found<S: EventStore>(
    axum::extract::State(p): axum::extract::State<Arc<Portal<S>>>,
) -> Response {
    p.page(
        StatusCode::NOT_FOUND,
        "页面不存在",
        "<p>诉讼服务平台没有这个页面。</p><p><a href=\"/portal/\">返回诉讼服务平台</a></p>",
    )
}

async fn stylesheet() -> Response {
    asset(CSS, "text/css; charset=utf-8")
}

async fn script() -> Response {
    asset(JS, "text/javascript; charset=utf-8")
}

/// A file of the portal's own, cached for an hour.
fn asset(text: &'static str, media_type: &'static str) -> Response {
    let mut r = text.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=3600"),
    );
    r
}

fn see_other(to: &'static str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

/// The value of cookie `name` in the request, if present.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_string())
}

/// The relying party of the portal at `origin`: its RP ID is the host (WebAuthn §5.1.2 refuses
/// IP addresses; browsers allow plain HTTP only for `localhost`).
fn relying_party(origin: &str) -> Option<webauthn::RelyingParty> {
    let (scheme, host_port) = origin.split_once("://")?;
    let host = match host_port.rsplit_once(':') {
        Some((h, port)) if !h.contains(']') || h.ends_with(']') => {
            port.parse::<u16>().ok().map_or(host_port, |_| h)
        }
        _ => host_port,
    };
    let ip = host.starts_with('[') || host.parse::<std::net::IpAddr>().is_ok();
    let secure = scheme == "https" || (scheme == "http" && host == "localhost");
    (!ip && secure && !host.is_empty()).then(|| webauthn::RelyingParty {
        id: host.to_string(),
        origin: origin.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passkeys_need_a_host_name_over_https_or_localhost() {
        let rp = relying_party("https://e.court.cn:8443").unwrap();
        assert_eq!(
            (rp.id.as_str(), rp.origin.as_str()),
            ("e.court.cn", "https://e.court.cn:8443")
        );
        assert_eq!(
            relying_party("https://e.court.cn").unwrap().id,
            "e.court.cn"
        );
        assert_eq!(
            relying_party("http://localhost:8080").unwrap().id,
            "localhost"
        );
        assert!(relying_party("http://e.court.cn").is_none());
        assert!(relying_party("https://10.1.2.3:8443").is_none());
        assert!(relying_party("https://[::1]:8443").is_none());
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("x__Host-ecenter-portal=no; __Host-ecenter-portal=abc"),
        );
        assert_eq!(cookie(&h, "__Host-ecenter-portal").as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "ecenter-portal"), None);
    }
}
