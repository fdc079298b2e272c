//! The recipients' page in its own words: what axum answers by itself — a path, query or form it
//! cannot read (plain English text), a method a route lacks — becomes a page in Chinese, and every
//! answer carries the page's security headers (a token is in the URL: nothing may be cached or
//! framed, whatever answered).

use super::{html, secure_headers};
use axum::http::{HeaderMap, header};
use axum::response::Response;

/// The middleware: the answer as the page's own.
pub(super) async fn framed(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let r = next.run(request).await;
    let status = r.status();
    let plain = (r.headers().get(header::CONTENT_TYPE))
        .and_then(|v| v.to_str().ok())
        .is_none_or(|t| t.starts_with("text/plain"));
    let mut r = if plain && status.is_client_error() {
        let mut page = html(
            status,
            "请求有误",
            "<p>请求的地址或内容有误，未被处理。请从您收到的送达通知中重新打开链接。</p>",
        );
        if let Some(allow) = r.headers().get(header::ALLOW) {
            page.headers_mut().insert(header::ALLOW, allow.clone());
        }
        page
    } else {
        r
    };
    if !r.headers().contains_key(header::CONTENT_SECURITY_POLICY) {
        let mut wanted = HeaderMap::new();
        secure_headers(&mut wanted);
        let h = r.headers_mut();
        for (name, value) in &wanted {
            if !h.contains_key(name) {
                h.insert(name.clone(), value.clone());
            }
        }
    }
    r
}
