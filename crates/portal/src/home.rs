//! The signed-in lawyer's home page and signing out.

use crate::{Portal, SESSION_COOKIE};
use axum::extract::rejection::FormRejection;
use axum::extract::{Extension, Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use ecenter_domain::Event;
use ecenter_domain::portal::SignedOut;
use ecenter_outbox::page::{Peer, escape};
use ecenter_store::{EventStore, ReadView};
use std::sync::Arc;

pub(crate) use ecenter_outbox::page::beijing;

/// `GET /portal/`: the lawyer's home page when signed in, else the sign-in form.
pub(crate) async fn home<S: EventStore>(
    State(p): State<Arc<Portal<S>>>,
    headers: HeaderMap,
) -> Response {
    let (hash, session) = match p.session(&headers) {
        Ok(Some(s)) => s,
        Ok(None) => {
            return p.page(StatusCode::OK, "登录诉讼服务平台", &p.sign_in_form());
        }
        Err(e) => return p.unavailable(e),
    };
    let lawyer = match p.store.lawyer(&session.identity) {
        Ok(Some(l)) => l.lawyer,
        Ok(None) => return crate::see_other("/portal/"),
        Err(e) => return p.unavailable(e),
    };
    let body = format!(
        "<p>{name}律师，您好。您已登录，本次登录至 {until}（北京时间）有效。</p>\
         <nav><ul><li><a href=\"/portal/file\">网上提交材料</a></li>\
         <li><a href=\"/portal/filings\">我的立案材料</a></li>\
         <li><a href=\"/portal/served\">向我送达的文书</a></li>\
         <li><a href=\"/portal/passkeys\">通行密钥</a>（免验证码登录）</li></ul></nav>\
         <table><caption>本院律师名录中的登记信息</caption>\
         <tr><th scope=\"row\">姓名</th><td>{name}</td></tr>\
         <tr><th scope=\"row\">执业证号</th><td>{licence}</td></tr>\
         <tr><th scope=\"row\">执业机构</th><td>{firm}</td></tr>\
         <tr><th scope=\"row\">手机</th><td>{phone}</td></tr>\
         <tr><th scope=\"row\">电子邮箱</th><td>{email}</td></tr></table>\
         <p class=\"note\">登记信息有误的，请联系法院更正：{contact}</p>\
         <form method=\"post\" action=\"/portal/sign-out\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <button type=\"submit\">退出登录</button></form>",
        name = escape(&lawyer.name),
        until = beijing(session.expires_at),
        licence = escape(&lawyer.licence_number),
        firm = escape(&lawyer.law_firm),
        phone = listed(&lawyer.phone),
        email = listed(&lawyer.email),
        contact = escape(&p.context.config.contact),
        csrf = p.keys.csrf(&hash),
    );
    p.page(StatusCode::OK, "我的诉讼服务", &body)
}

/// An address the court listed, escaped, or 未登记 where it listed none (a court without SMS
/// lists no phone).
fn listed(address: &str) -> String {
    if address.is_empty() {
        "未登记".to_string()
    } else {
        escape(address)
    }
}

/// A signed-in form's CSRF field.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct CsrfForm {
    pub(crate) csrf: String,
}

/// `POST /portal/sign-out`: ends the session (`signed_out`) when the form is the session's own.
pub(crate) async fn sign_out<S: EventStore>(
    State(p): State<Arc<Portal<S>>>,
    Extension(Peer(_)): Extension<Peer>,
    headers: HeaderMap,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    if let Some(refused) = p.cross_site(&headers) {
        return refused;
    }
    let Ok(Form(f)) = form else {
        return p.incomplete_form();
    };
    let (hash, session) = match p.session(&headers) {
        Ok(Some(s)) => s,
        Ok(None) => return crate::see_other("/portal/"),
        Err(e) => return p.unavailable(e),
    };
    if !p.keys.csrf_matches(&hash, &f.csrf) {
        return p.form_expired();
    }
    p.uploads.drop_session(&hash);
    let out = Event::SignedOut(SignedOut {
        session: hash,
        identity: session.identity,
    });
    let recorded = p
        .store
        .append(Box::new(move |_: &dyn ReadView| Ok((vec![out], ()))));
    if let Err(e) = recorded.await {
        return p.unavailable(e);
    }
    let body = format!("<p role=\"status\">您已退出登录。</p>{}", p.sign_in_form());
    let mut r = p.page(StatusCode::OK, "登录诉讼服务平台", &body);
    r.headers_mut()
        .append(header::SET_COOKIE, p.set_cookie(SESSION_COOKIE, "", 0));
    r
}

impl<S: EventStore> Portal<S> {
    /// A signed-in form whose CSRF token is not the session's: nothing was done.
    pub(crate) fn form_expired(&self) -> Response {
        self.page(
            StatusCode::FORBIDDEN,
            "表单已失效",
            "<p class=\"error\" role=\"alert\">此表单不是您本次登录后打开的页面提交的，或已失效，本次操作未生效。请返回诉讼服务平台后重新操作。</p>\
             <p><a href=\"/portal/\">返回诉讼服务平台</a></p>",
        )
    }
}
