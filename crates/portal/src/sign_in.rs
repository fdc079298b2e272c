//! Signing in with a one-time code: ask for a code (sent by SMS or e-mail through the outbox's
//! providers), type it, get a session. Every decision is taken under the log's writer from the
//! sign-in projection, so the limits hold across requests at once and across the hub's instances;
//! every sign-in and every refusal is an event, with the words the lawyer was shown.

use crate::keys::cookie_hash;
use crate::{ATTEMPT_COOKIE, Portal, SESSION_COOKIE, cookie};
use axum::extract::rejection::FormRejection;
use axum::extract::{Extension, Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use ecenter_domain::Event;
use ecenter_domain::effective_service::Channel;
use ecenter_domain::portal::{
    CodeResult, CodeSent, Limits, SignInRefused, SignedIn, TooSoon, masked, may_send, out_of_tries,
};
use ecenter_outbox::engine::{Outgoing, SentNow};
use ecenter_outbox::page::{Peer, client, escape};
use ecenter_store::{EventStore, ReadView, StoreError};
use std::sync::Arc;

/// What the sign-in form is drawn with: the licence number typed and the channel chosen before
/// (kept after a refusal, so the lawyer need not type 17 digits again), and which channels the
/// hub sends codes on (the default is one it has).
pub(crate) struct Given<'a> {
    pub who: &'a str,
    pub channel: Option<Channel>,
    pub sms: bool,
    pub email: bool,
}

/// The sign-in form: licence number and where the code should go; with `passkeys`, the button
/// that signs in with one (shown by the script where the browser has WebAuthn).
pub(crate) fn form(contact: &str, passkeys: bool, given: &Given<'_>) -> String {
    let passkey = if passkeys {
        "<section id=\"passkey-sign-in\" hidden><h2>使用通行密钥登录</h2>\
         <p>已在本平台添加通行密钥的，可直接用本机的指纹、面容或锁屏密码登录，无需验证码。</p>\
         <button type=\"button\" id=\"passkey-sign-in-button\">使用通行密钥登录</button>\
         <p id=\"passkey-sign-in-status\" role=\"status\" aria-live=\"polite\"></p></section>"
    } else {
        ""
    };
    let chosen = given.channel.unwrap_or(if given.sms || !given.email {
        Channel::Sms
    } else {
        Channel::Email
    });
    let option = |channel: Channel, value: &str, label: &str, open: bool| {
        let checked = if channel == chosen { " checked" } else { "" };
        let closed = if open { "" } else { "（本院暂未开通）" };
        format!(
            "<label><input type=\"radio\" name=\"channel\" value=\"{value}\"{checked}> {label}{closed}</label>"
        )
    };
    format!(
        "<form method=\"post\" action=\"/portal/code\">\
         <p><label for=\"who\">律师执业证号（17位）</label>\
         <input id=\"who\" name=\"who\" value=\"{who}\" inputmode=\"numeric\" autocomplete=\"username\" maxlength=\"80\" required></p>\
         <fieldset><legend>验证码发送到</legend>{sms}{email}</fieldset>\
         <button type=\"submit\">获取验证码</button></form>{passkey}\
         <p class=\"note\">仅限本院律师名录中的律师登录。未登记或登记信息有误的，请联系法院：{contact}</p>",
        who = escape(given.who),
        sms = option(Channel::Sms, "sms", "名录登记的手机", given.sms),
        email = option(Channel::Email, "email", "名录登记的电子邮箱", given.email),
        contact = escape(contact)
    )
}

/// The code form, with where the code went and until when it is good.
fn code_form(sent_to: &str, expires_at: DateTime<Utc>) -> String {
    format!(
        "<p>验证码已发送至 {}，在 {} 前有效（北京时间），只能使用一次。</p>\
         <form method=\"post\" action=\"/portal/sign-in\">\
         <p><label for=\"code\">验证码（6位数字）</label>\
         <input id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" maxlength=\"12\" required autofocus></p>\
         <button type=\"submit\">登录</button></form>\
         <p class=\"note\"><a href=\"/portal/\">没有收到？重新获取验证码</a></p>",
        escape(sent_to),
        crate::home::beijing(expires_at)
    )
}

/// The code request's fields.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct CodeForm {
    who: String,
    channel: String,
}

/// A request for a code, as the writer decides it.
struct CodeRequest {
    who: String,
    channel: Channel,
    attempt: String,
    client: String,
    message_host: String,
    limits: Limits,
    /// Whether this instance sends on the chosen channel.
    channel_open: bool,
    /// Whether the hub has the channel at all (another instance may hold the SMSC's bind).
    channel_configured: bool,
    /// Whether the hub has the other channel: only then is the lawyer told to use it.
    other_configured: bool,
}

const NOT_LISTED: &str = "该执业证号不在本院律师名录中，无法登录。请核对后重新输入；如您在本院代理案件，请联系法院将您登记到本院律师名录。";

/// Why no code is sent: the words the lawyer reads, and in how many seconds asking again will do
/// when only the pace was wrong — answered 429 with `Retry-After` (RFC 6585 §4), as the
/// network-wide limit is, rather than 403 (outside tests, round 11b, F8).
struct NotSent {
    words: String,
    retry_after: Option<i64>,
}

/// Why no code goes on `channel`, which this instance cannot send on: not opened at this court
/// (`configured` false) or not from this server now; the lawyer is pointed at the other channel
/// only when the court has it (`other_configured`), else at a passkey or the court (outside
/// tests, round 13b, F3: a court keeping its directory before opening either channel).
fn closed_channel(channel: Channel, configured: bool, other_configured: bool) -> &'static str {
    match (channel, configured, other_configured) {
        (_, false, false) => {
            "本院暂未开通短信和邮件验证码，暂不能用验证码登录；已添加通行密钥的，请使用通行密钥登录，否则请联系法院。"
        }
        (Channel::Sms, true, true) => {
            "短信验证码暂时无法从本服务器发出，请改用电子邮箱接收，或稍后再试。"
        }
        (Channel::Sms, true, false) => "短信验证码暂时无法从本服务器发出，请稍后再试。",
        (Channel::Sms, false, true) => "本院暂未开通短信验证码，请改用电子邮箱接收。",
        (Channel::Email, true, _) => "邮件验证码暂时无法从本服务器发出，请稍后再试。",
        (Channel::Email, false, true) => "本院暂未开通邮件验证码，请改用手机短信接收。",
    }
}

/// The code channel that is not `channel`.
fn other_than(channel: Channel) -> Channel {
    match channel {
        Channel::Sms => Channel::Email,
        Channel::Email => Channel::Sms,
    }
}

/// `CodeSent` if a code may be sent now, else the refusal (both as events to record).
fn decide_code(
    view: &dyn ReadView,
    r: CodeRequest,
) -> Result<(Vec<Event>, Result<CodeSent, NotSent>), StoreError> {
    let who = ecenter_domain::text::typed_number(&r.who);
    let identity = if who.starts_with("urn:ecenter:lawyer:") {
        Some(who.clone())
    } else {
        view.lawyer_by_licence(&who)?
    };
    let lawyer = match &identity {
        Some(i) => view.lawyer(i)?,
        None => None,
    };
    let refuse = |identity: &str, reason: String, too_soon: Option<TooSoon>| {
        let refused = Event::SignInRefused(SignInRefused {
            attempt: String::new(),
            identity: identity.to_string(),
            // As typed, a hidden character written out (`[U+202E]`): a clerk reads the log.
            asked_as: ecenter_domain::text::quoted(&who, 40),
            reason: reason.clone(),
            wrong_code: false,
            ended_attempt: false,
            client: r.client.clone(),
            passkey: String::new(),
        });
        let retry_after = too_soon.map(|t| t.wait_secs);
        (
            vec![refused],
            Err(NotSent {
                words: reason,
                retry_after,
            }),
        )
    };
    let Some(lawyer) = lawyer else {
        return Ok(refuse("", NOT_LISTED.into(), None));
    };
    let (address, named) = match r.channel {
        Channel::Sms => (lawyer.phone.clone(), "手机号码"),
        Channel::Email => (lawyer.email.clone(), "电子邮箱"),
    };
    if !r.channel_open {
        let why = closed_channel(r.channel, r.channel_configured, r.other_configured);
        return Ok(refuse(&lawyer.identity, why.to_string(), None));
    }
    if address.is_empty() {
        let why = format!(
            "本院律师名录中没有登记您的{named}。请选择另一种方式接收验证码，或联系法院补充登记。"
        );
        return Ok(refuse(&lawyer.identity, why, None));
    }
    let now = Utc::now();
    if let Err(too_soon) = may_send(&r.limits, &view.sign_in_history(&lawyer.identity)?, now) {
        return Ok(refuse(&lawyer.identity, too_soon.words(), Some(too_soon)));
    }
    let sent = CodeSent {
        message_id: format!("{}.sign-in@{}", r.attempt, r.message_host),
        attempt: r.attempt,
        identity: lawyer.identity,
        channel: r.channel,
        address,
        expires_at: now + r.limits.code_valid,
        client: r.client,
    };
    Ok((vec![Event::SignInCodeSent(sent.clone())], Ok(sent)))
}

/// `POST /portal/code`: records the code's lease, sends it, records what the provider answered.
pub(crate) async fn request_code<S: EventStore>(
    State(p): State<Arc<Portal<S>>>,
    Extension(Peer(peer)): Extension<Peer>,
    headers: HeaderMap,
    form: Result<Form<CodeForm>, FormRejection>,
) -> Response {
    if let Some(refused) = p.cross_site(&headers) {
        return refused;
    }
    let Ok(Form(f)) = form else {
        return p.incomplete_form();
    };
    if let Err(wait) = p.guard.code(peer.ip()) {
        return wait.on(p.refused(StatusCode::TOO_MANY_REQUESTS, TOO_MANY));
    }
    let channel = match f.channel.as_str() {
        "sms" => Channel::Sms,
        "email" => Channel::Email,
        _ => {
            return p.refused_keeping(
                StatusCode::BAD_REQUEST,
                "请选择接收验证码的方式（手机或电子邮箱）。",
                &f.who,
                None,
            );
        }
    };
    let who = f.who.clone();
    let keeping = |status, reason: &str| p.refused_keeping(status, reason, &who, Some(channel));
    // The browser keeps the attempt's secret; the log names it by its hash.
    let secret = p.keys.random(16);
    let request = CodeRequest {
        who: f.who,
        channel,
        attempt: cookie_hash(&secret),
        client: client(peer, &headers),
        message_host: p.context.message_host.clone(),
        limits: p.limits,
        channel_open: p.context.has_channel(channel) && p.context.sends_on(channel),
        channel_configured: p.context.has_channel(channel),
        other_configured: p.context.has_channel(other_than(channel)),
    };
    let decided = p.store.append(Box::new(move |view: &dyn ReadView| {
        decide_code(view, request)
    }));
    let sent = match decided.await {
        Ok((_, Ok(sent))) => sent,
        Ok((_, Err(NotSent { words, retry_after }))) => {
            let Some(seconds) = retry_after else {
                return keeping(StatusCode::FORBIDDEN, &words);
            };
            let mut r = keeping(StatusCode::TOO_MANY_REQUESTS, &words);
            r.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(seconds.max(1)),
            );
            return r;
        }
        Err(e) => return p.unavailable(e),
    };
    // Sent and recorded in a task of its own: a browser that goes away mid-send must not leave
    // the lease without its outcome.
    let sending = tokio::spawn({
        let (p, sent) = (p.clone(), sent.clone());
        async move { p.send_and_record(&sent).await }
    });
    match sending.await {
        Ok(Ok(true)) => {}
        Ok(Ok(false)) => return keeping(StatusCode::BAD_GATEWAY, NOT_SENT),
        Ok(Err(e)) => return p.unavailable(e),
        Err(e) => {
            tracing::error!(error = %e, "sending a sign-in code failed");
            return keeping(StatusCode::BAD_GATEWAY, NOT_SENT);
        }
    }
    let mut r = p.page(
        StatusCode::OK,
        "输入验证码",
        &code_form(&masked(sent.channel, &sent.address), sent.expires_at),
    );
    // Kept past the code's own life, so a late code is told it expired, not that none was asked for.
    let max_age = p.limits.code_valid.num_seconds() + 3600;
    r.headers_mut().append(
        header::SET_COOKIE,
        p.set_cookie(ATTEMPT_COOKIE, &secret, max_age),
    );
    r
}

const TOO_MANY: &str = "来自您所在网络的请求过于频繁，请稍后再试。";
const NOT_SENT: &str =
    "验证码未能发出，请稍后重新获取，或改用另一种方式接收。如多次失败，请联系法院。";

impl<S: EventStore> Portal<S> {
    /// The sign-in form, with the passkey button where the portal can have passkeys.
    pub(crate) fn sign_in_form(&self) -> String {
        self.sign_in_form_with("", None)
    }

    /// The same, with the licence number and channel the lawyer gave.
    fn sign_in_form_with(&self, who: &str, channel: Option<Channel>) -> String {
        let given = Given {
            who,
            channel,
            sms: self.context.has_channel(Channel::Sms),
            email: self.context.has_channel(Channel::Email),
        };
        form(&self.context.config.contact, self.rp.is_some(), &given)
    }

    /// Sends the code of `sent` and records what the provider answered; whether it was accepted.
    async fn send_and_record(&self, sent: &CodeSent) -> Result<bool, StoreError> {
        let delivered = self.send_code(sent).await;
        let accepted = delivered.result.is_ok();
        let result = CodeResult {
            attempt: sent.attempt.clone(),
            accepted,
            detail: delivered.result.unwrap_or_else(|e| e),
            maybe_sent: delivered.maybe_sent,
        };
        let recorded = self.store.append(Box::new(move |_: &dyn ReadView| {
            Ok((vec![Event::SignInCodeResult(result)], ()))
        }));
        recorded.await?;
        Ok(accepted)
    }

    /// Hands the code of `sent` to its channel's provider.
    async fn send_code(&self, sent: &CodeSent) -> SentNow {
        let court = &self.context.config.court;
        let code = self.keys.code(&sent.attempt);
        let minutes = (self.limits.code_valid.num_seconds() + 59) / 60;
        let body = match sent.channel {
            // The code last: an SMSC's delivery receipt quotes the text's first 20 characters.
            Channel::Sms => format!(
                "【{court}】诉讼服务平台登录验证码，{minutes}分钟内有效，请勿告诉他人；如非本人操作，请忽略。验证码：{code}"
            ),
            Channel::Email => format!(
                "您好：\n\n您正在登录{court}诉讼服务平台，验证码为：\n\n    {code}\n\n\
                 验证码在 {} 前有效（北京时间），只能使用一次。请勿将验证码告诉他人，法院工作人员不会向您索要验证码。\n\
                 如非本人操作，请忽略本邮件。\n\n{court}\n",
                crate::home::beijing(sent.expires_at)
            ),
        };
        let subject = format!("【{court}】诉讼服务平台登录验证码");
        self.outbox
            .send_now(Outgoing {
                channel: sent.channel,
                address: &sent.address,
                subject: &subject,
                body: &body,
                message_id: &sent.message_id,
            })
            .await
    }

    /// A refusal page: the reason and the sign-in form again.
    fn refused(&self, status: StatusCode, reason: &str) -> Response {
        self.refused_keeping(status, reason, "", None)
    }

    /// The same, the form keeping the licence number and channel the lawyer gave.
    fn refused_keeping(
        &self,
        status: StatusCode,
        reason: &str,
        who: &str,
        channel: Option<Channel>,
    ) -> Response {
        let body = format!(
            "<p class=\"error\" role=\"alert\">{}</p>{}",
            escape(reason),
            self.sign_in_form_with(who, channel)
        );
        self.page(status, "登录诉讼服务平台", &body)
    }
}

/// The code form's fields.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct SignInForm {
    code: String,
}

/// What typing a code came to.
enum Typed {
    SignedIn,
    /// Refused: the reason, and when the same code may be tried again: until when, and where it
    /// was sent (masked).
    Refused(String, Option<(DateTime<Utc>, String)>),
}

struct CodeCheck {
    attempt: String,
    matches: bool,
    session: String,
    client: String,
    limits: Limits,
}

fn decide_sign_in(view: &dyn ReadView, c: CodeCheck) -> Result<(Vec<Event>, Typed), StoreError> {
    let now = Utc::now();
    let attempt = view.sign_in_attempt(&c.attempt)?;
    let refuse = |identity: &str,
                  reason: &str,
                  wrong_code: bool,
                  ended: bool,
                  retry: Option<(DateTime<Utc>, String)>| {
        let refused = Event::SignInRefused(SignInRefused {
            attempt: if attempt.is_some() {
                c.attempt.clone()
            } else {
                String::new()
            },
            identity: identity.to_string(),
            asked_as: String::new(),
            reason: reason.to_string(),
            wrong_code,
            ended_attempt: ended,
            client: c.client.clone(),
            passkey: String::new(),
        });
        (vec![refused], Typed::Refused(reason.to_string(), retry))
    };
    let Some(a) = &attempt else {
        return Ok(refuse(
            "",
            "登录请求无效或已过期，请重新获取验证码。",
            false,
            false,
            None,
        ));
    };
    let identity = a.sent.identity.as_str();
    if let Err(spent) = a.usable(now) {
        return Ok(refuse(identity, spent.words(), false, false, None));
    }
    let Some(lawyer) = view.lawyer(identity)? else {
        let why = "您已不在本院律师名录中，无法登录。如有疑问，请联系法院。";
        return Ok(refuse(identity, why, false, true, None));
    };
    // A code sent to a phone or mailbox the court has since replaced (a lost phone) is void.
    let address_now = match a.sent.channel {
        Channel::Sms => &lawyer.phone,
        Channel::Email => &lawyer.email,
    };
    if *address_now != a.sent.address {
        let why =
            "您在本院律师名录中登记的手机或电子邮箱已变更，此验证码已失效。请重新获取验证码。";
        return Ok(refuse(identity, why, false, true, None));
    }
    // Past the day's wrong codes, no code is checked at all, right or wrong.
    if out_of_tries(&c.limits, &view.sign_in_history(identity)?, now) {
        let why = "验证码错误次数过多，为保护您的账户，今日暂停验证码登录。请明日再试或联系法院。";
        return Ok(refuse(identity, why, false, true, None));
    }
    if !c.matches {
        let wrong = a.wrong + 1;
        if wrong >= c.limits.tries {
            let why = "验证码错误次数过多，此验证码已失效。请重新获取验证码。";
            return Ok(refuse(identity, why, true, true, None));
        }
        let why = format!("验证码不正确，还可以再试 {} 次。", c.limits.tries - wrong);
        let sent_to = masked(a.sent.channel, &a.sent.address);
        return Ok(refuse(
            identity,
            &why,
            true,
            false,
            Some((a.sent.expires_at, sent_to)),
        ));
    }
    let signed_in = Event::SignedIn(SignedIn {
        attempt: c.attempt,
        session: c.session,
        identity: identity.to_string(),
        expires_at: now + c.limits.session,
        client: c.client,
        passkey: None,
    });
    Ok((vec![signed_in], Typed::SignedIn))
}

/// `POST /portal/sign-in`: checks the typed code against the attempt in the browser's cookie.
pub(crate) async fn sign_in<S: EventStore>(
    State(p): State<Arc<Portal<S>>>,
    Extension(Peer(peer)): Extension<Peer>,
    headers: HeaderMap,
    form: Result<Form<SignInForm>, FormRejection>,
) -> Response {
    if let Some(refused) = p.cross_site(&headers) {
        return refused;
    }
    let Ok(Form(f)) = form else {
        return p.incomplete_form();
    };
    if let Err(wait) = p.guard.try_code(peer.ip()) {
        return wait.on(p.refused(StatusCode::TOO_MANY_REQUESTS, TOO_MANY));
    }
    let Some(secret) = cookie(&headers, p.cookie_name(ATTEMPT_COOKIE)) else {
        return p.refused(
            StatusCode::BAD_REQUEST,
            "请先获取验证码（或您的浏览器未保存登录信息，请允许本网站使用 Cookie）。",
        );
    };
    let attempt = cookie_hash(&secret);
    let token = p.keys.random(32);
    let check = CodeCheck {
        matches: p.keys.code_matches(&attempt, &f.code),
        attempt,
        session: cookie_hash(&token),
        client: client(peer, &headers),
        limits: p.limits,
    };
    let decided = p.store.append(Box::new(move |view: &dyn ReadView| {
        decide_sign_in(view, check)
    }));
    match decided.await {
        Ok((_, Typed::SignedIn)) => {
            let mut r = crate::see_other("/portal/");
            let h = r.headers_mut();
            let session_secs = p.limits.session.num_seconds();
            h.append(
                header::SET_COOKIE,
                p.set_cookie(SESSION_COOKIE, &token, session_secs),
            );
            h.append(header::SET_COOKIE, p.set_cookie(ATTEMPT_COOKIE, "", 0));
            r
        }
        Ok((_, Typed::Refused(reason, Some((expires_at, sent_to))))) => {
            let body = format!(
                "<p class=\"error\" role=\"alert\">{}</p>{}",
                escape(&reason),
                code_form(&sent_to, expires_at)
            );
            p.page(StatusCode::UNAUTHORIZED, "输入验证码", &body)
        }
        Ok((_, Typed::Refused(reason, None))) => {
            let mut r = p.refused(StatusCode::UNAUTHORIZED, &reason);
            r.headers_mut()
                .append(header::SET_COOKIE, p.set_cookie(ATTEMPT_COOKIE, "", 0));
            r
        }
        Err(e) => p.unavailable(e),
    }
}
