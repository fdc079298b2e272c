//! The recipients' page in its own words: what axum answers by itself — a path, query or form it
//! cannot read (plain English text), a method a route lacks — becomes a page in Chinese, and every
//! answer carries the page's security headers (a token is in the URL: nothing may be cached or
//! framed, whatever answered).

use super::{html, secure_headers};
use axum::http::{HeaderMap, header};
use axum::response::Response;

/// Whether `r` is axum's own refusal (a client error in plain text, or with no body type) rather
/// than one of the page's or portal's answers.
pub fn framework_refusal(r: &Response) -> bool {
    let plain = (r.headers().get(header::CONTENT_TYPE))
        .and_then(|v| v.to_str().ok())
        .is_none_or(|t| t.starts_with("text/plain"));
    plain && r.status().is_client_error()
}

/// `own`, keeping the `Allow` of the refusal `r` it stands for (a 405's methods).
pub fn instead_of(r: &Response, mut own: Response) -> Response {
    if let Some(allow) = r.headers().get(header::ALLOW) {
        own.headers_mut().insert(header::ALLOW, allow.clone());
    }
    own
}

/// Adds to `r` each header of `wanted` it lacks, unless it carries a Content-Security-Policy of
/// its own (then it was made with its headers).
pub fn add_missing(r: &mut Response, wanted: &HeaderMap) {
    if r.headers().contains_key(header::CONTENT_SECURITY_POLICY) {
        return;
    }
    let h = r.headers_mut();
    for (name, value) in wanted {
        if !h.contains_key(name) {
            h.insert(name.clone(), value.clone());
        }
    }
}

/// The middleware: the answer as the page's own.
pub(super) async fn framed(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let r = next.run(request).await;
    let mut r = if framework_refusal(&r) {
        let own = html(
            r.status(),
            "请求有误",
            "<p>请求的地址或内容有误，未被处理。请从您收到的送达通知中重新打开链接。</p>",
        );
        instead_of(&r, own)
    } else {
        r
    };
    let mut wanted = HeaderMap::new();
    secure_headers(&mut wanted);
    add_missing(&mut r, &wanted);
    r
}
