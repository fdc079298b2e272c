//! 通行密钥: a signed-in lawyer's passkeys — the list, adding one (WebAuthn registration,
//! §7.1) and removing one. Each change is an event (`passkey_registered`, `passkey_removed`)
//! decided under the log's writer, so a challenge is used once and the per-lawyer cap holds
//! across requests at once and across the hub's instances.
//!
//! The page's script asks for creation options (`POST /portal/passkeys/options`), lets the
//! browser's authenticator make the key, and sends the result (`POST /portal/passkeys`); both
//! are script requests (same origin, the session's CSRF token). Removing is a plain form.

use crate::keys::Ceremony;
use crate::uploads::{json, refused};
use crate::webauthn::{NewCredential, b64};
use crate::{Portal, home::beijing};
use axum::body::Bytes;
use axum::extract::rejection::FormRejection;
use axum::extract::{Extension, Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ecenter_domain::Event;
use ecenter_domain::passkey::{
    CHALLENGE_LIFE_SECS, EDDSA, ES256, MAX_PASSKEYS, Passkey, PasskeyRegistered, PasskeyRemoved,
    RS256,
};
use ecenter_outbox::page::{Peer, client, escape};
use ecenter_store::{EventStore, ReadView, StoreError};
use serde_json::json;
use std::sync::Arc;

/// Characters kept of a passkey's name.
const NAME_CHARS: usize = 30;

/// `GET /portal/passkeys`: the lawyer's passkeys, and the form that adds one.
pub(crate) async fn list<S: EventStore>(
    State(p): State<Arc<Portal<S>>>,
    headers: HeaderMap,
) -> Response {
    let (hash, session) = match p.signed_in(&headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let (passkeys, listed_at) = match (
        p.store.passkeys_of(&session.identity),
        p.store.lawyer(&session.identity),
    ) {
        (Ok(list), Ok(listed)) => (list, listed.map(|l| l.seq)),
        (Err(e), _) | (_, Err(e)) => return p.unavailable(e),
    };
    let held = passkeys.iter().filter(|k| k.current(listed_at)).count();
    let csrf = p.keys.csrf(&hash);
    let body = format!(
        "<p>通行密钥（Passkey）让您用本机的指纹、面容或锁屏密码登录，无需等待验证码。\
         通行密钥保存在您的设备中，本平台只保存其公钥。</p>{table}{add}\
         <p class=\"note\">法院变更您在律师名录中登记的手机或电子邮箱后，原有通行密钥失效，\
         请用验证码登录后重新添加。</p><p><a href=\"/portal/\">返回我的诉讼服务</a></p>",
        table = table(&passkeys, listed_at, &csrf),
        add = add_form(&p, &csrf, held),
    );
    p.page(StatusCode::OK, "通行密钥", &body)
}

fn table(passkeys: &[Passkey], listed_at: Option<u64>, csrf: &str) -> String {
    if passkeys.is_empty() {
        return "<p id=\"passkey-none\">您还没有添加通行密钥。</p>".into();
    }
    let mut rows = String::new();
    for k in passkeys {
        let used = k.last_used_at.map_or("尚未使用".into(), beijing);
        let state = match (k.current(listed_at), k.registered.backed_up) {
            (true, true) => "有效（已同步到您的其他设备）",
            (true, false) => "有效（仅存于添加时的设备）",
            (false, _) => "已失效（名录登记信息已变更）",
        };
        rows.push_str(&format!(
            "<tr><td>{name}</td><td>添加于 {added}<br>最近使用：{used}</td><td>{state}</td><td>\
             <form method=\"post\" action=\"/portal/passkeys/{id}/remove\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <button type=\"submit\" aria-label=\"删除通行密钥 {name}\">删除</button></form></td></tr>",
            name = escape(&k.registered.name),
            added = beijing(k.registered_at),
            id = escape(&k.registered.credential_id),
        ));
    }
    format!(
        "<table id=\"passkeys\"><caption>我的通行密钥（时间为北京时间）</caption>\
         <tr><th scope=\"col\">名称</th><th scope=\"col\">时间</th>\
         <th scope=\"col\">状态</th><th scope=\"col\">操作</th></tr>{rows}</table>"
    )
}

fn add_form<S: EventStore>(p: &Portal<S>, csrf: &str, held: usize) -> String {
    if p.rp.is_none() {
        return "<p class=\"note\">本平台当前的网址不支持通行密钥（需要以域名通过 HTTPS 访问）。</p>".into();
    }
    if held >= MAX_PASSKEYS {
        return format!(
            "<p class=\"note\">最多可添加 {MAX_PASSKEYS} 个通行密钥，请先删除不再使用的。</p>"
        );
    }
    format!(
        "<form id=\"passkey-add\" data-csrf=\"{csrf}\" hidden>\
         <h2>添加通行密钥</h2>\
         <p><label for=\"passkey-name\">名称（便于您识别这台设备）</label>\
         <input id=\"passkey-name\" name=\"name\" maxlength=\"{NAME_CHARS}\" placeholder=\"例如：办公室电脑\"></p>\
         <button type=\"submit\">添加通行密钥</button>\
         <p id=\"passkey-add-status\" role=\"status\" aria-live=\"polite\"></p></form>\
         <p class=\"note\" id=\"passkey-unsupported\">添加通行密钥需要浏览器支持通行密钥并启用脚本。</p>"
    )
}

/// `POST /portal/passkeys/options`: creation options for `navigator.credentials.create`
/// (§5.4), with a challenge bound to this session.
pub(crate) async fn options<S: EventStore>(
    State(p): State<Arc<Portal<S>>>,
    headers: HeaderMap,
) -> Response {
    let (hash, session) = match p.script_signed_in(&headers).await {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let Some(rp) = &p.rp else {
        return refused(StatusCode::NOT_FOUND, "本平台当前的网址不支持通行密钥。");
    };
    let (lawyer, held) = match (
        p.store.lawyer(&session.identity),
        p.store.passkeys_of(&session.identity),
    ) {
        (Ok(Some(l)), Ok(held)) => {
            let held: Vec<_> = held
                .into_iter()
                .filter(|k| k.current(Some(l.seq)))
                .collect();
            (l.lawyer, held)
        }
        (Ok(None), _) => return refused(StatusCode::FORBIDDEN, "您已不在本院律师名录中。"),
        (Err(e), _) | (_, Err(e)) => return script_unavailable(e),
    };
    let expires = chrono::Utc::now().timestamp() + CHALLENGE_LIFE_SECS;
    let params: Vec<_> = [ES256, EDDSA, RS256]
        .iter()
        .map(|alg| json!({"type": "public-key", "alg": alg}))
        .collect();
    let exclude: Vec<_> = held
        .iter()
        .map(|k| json!({"type": "public-key", "id": k.registered.credential_id}))
        .collect();
    json(
        StatusCode::OK,
        json!({
            "challenge": p.keys.challenge(Ceremony::Register, &hash, expires),
            "rp": {"id": rp.id, "name": format!("{}诉讼服务平台", p.context.config.court)},
            "user": {
                "id": p.keys.user_handle(&session.identity),
                "name": lawyer.licence_number,
                "displayName": lawyer.name,
            },
            "pubKeyCredParams": params,
            "excludeCredentials": exclude,
            "authenticatorSelection": {"residentKey": "required", "userVerification": "required"},
            "attestation": "none",
            "timeout": CHALLENGE_LIFE_SECS * 1000,
        }),
    )
}

/// What the page sends after `create()` (base64url fields, as the browser gave them).
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Created {
    challenge: String,
    #[serde(default)]
    name: String,
    client_data_json: String,
    attestation_object: String,
}

/// `POST /portal/passkeys`: checks the new credential and records `passkey_registered`.
pub(crate) async fn register<S: EventStore>(
    State(p): State<Arc<Portal<S>>>,
    Extension(Peer(peer)): Extension<Peer>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (hash, session) = match p.script_signed_in(&headers).await {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let Ok(c) = serde_json::from_slice::<Created>(&body) else {
        return refused(
            StatusCode::BAD_REQUEST,
            "请求的格式不正确，请刷新页面后重试。",
        );
    };
    let Some(rp) = &p.rp else {
        return refused(StatusCode::NOT_FOUND, "本平台当前的网址不支持通行密钥。");
    };
    let now = chrono::Utc::now();
    let stamp = now.timestamp();
    let Ok(challenge_id) = p
        .keys
        .challenge_id(&c.challenge, Ceremony::Register, &hash, stamp)
    else {
        return refused(StatusCode::BAD_REQUEST, STALE);
    };
    let checked = b64(&c.client_data_json, "clientDataJSON").and_then(|client_data| {
        let object = b64(&c.attestation_object, "attestationObject")?;
        rp.registration(&client_data, &object)
    });
    let (answered, credential) = match checked {
        Ok(r) => r,
        Err(invalid) => {
            tracing::info!(detail = %invalid.detail(), "passkey registration refused");
            return refused(StatusCode::BAD_REQUEST, invalid.words());
        }
    };
    if answered != c.challenge {
        return refused(StatusCode::BAD_REQUEST, STALE);
    }
    let registration = Registration {
        name: name_of(&c.name, now),
        identity: session.identity,
        session: hash,
        challenge_id,
        credential,
        client: client(peer, &headers),
    };
    let decided = p.store.append(Box::new(move |view: &dyn ReadView| {
        decide_registration(view, registration)
    }));
    match decided.await {
        Ok((_, Ok(name))) => json(StatusCode::CREATED, json!({ "name": name })),
        Ok((_, Err(reason))) => refused(StatusCode::CONFLICT, reason),
        Err(e) => script_unavailable(e),
    }
}

const STALE: &str = "添加请求已过期或已使用，请刷新页面后重试。";

/// The lawyer's name for a passkey: hidden characters (controls, and format characters such as
/// U+202E) dropped, at most [`NAME_CHARS`]; a dated one when none was given.
fn name_of(given: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    let name: String = given
        .chars()
        .filter(|c| !ecenter_domain::text::hidden(*c))
        .take(NAME_CHARS)
        .collect();
    match name.trim() {
        "" => format!("通行密钥（{}添加）", beijing(now)),
        n => n.to_string(),
    }
}

struct Registration {
    identity: String,
    session: String,
    challenge_id: String,
    credential: NewCredential,
    name: String,
    client: String,
}

fn decide_registration(
    view: &dyn ReadView,
    r: Registration,
) -> Result<(Vec<Event>, Result<String, &'static str>), StoreError> {
    let credential_id = URL_SAFE_NO_PAD.encode(&r.credential.credential_id);
    if view.challenge_used(&r.challenge_id)? {
        return Ok((Vec::new(), Err(STALE)));
    }
    let listed_at = view.lawyer_listed_at(&r.identity)?;
    if listed_at.is_none() {
        return Ok((Vec::new(), Err("您已不在本院律师名录中。")));
    }
    // The session was checked before the ceremony; it may have ended since (signed out in
    // another tab, a directory change): a passkey is added only in a session that stands.
    let standing = view
        .portal_session(&r.session)?
        .is_some_and(|s| s.current(chrono::Utc::now()) && listed_at.is_some_and(|at| at < s.seq));
    if !standing {
        return Ok((
            Vec::new(),
            Err(
                "登录已失效（登录已过期，或您在本院律师名录中的登记已变更或撤销），请重新登录后再添加通行密钥。",
            ),
        ));
    }
    if view.passkey(&credential_id)?.is_some() {
        return Ok((Vec::new(), Err("这个通行密钥已经添加过了。")));
    }
    let held = view.passkeys_of(&r.identity)?;
    if held.iter().filter(|k| k.current(listed_at)).count() >= MAX_PASSKEYS {
        return Ok((
            Vec::new(),
            Err("通行密钥数量已达上限，请先删除不再使用的通行密钥。"),
        ));
    }
    let registered = PasskeyRegistered {
        identity: r.identity,
        credential_id,
        public_key: URL_SAFE_NO_PAD.encode(&r.credential.public_key),
        algorithm: r.credential.algorithm,
        sign_count: r.credential.sign_count,
        name: r.name.clone(),
        attestation: r.credential.attestation,
        backed_up: r.credential.backed_up,
        challenge: r.challenge_id,
        session: r.session,
        client: r.client,
    };
    Ok((vec![Event::PasskeyRegistered(registered)], Ok(r.name)))
}

/// `POST /portal/passkeys/{id}/remove`: records `passkey_removed` for one of the lawyer's own.
pub(crate) async fn remove<S: EventStore>(
    State(p): State<Arc<Portal<S>>>,
    Path(credential_id): Path<String>,
    headers: HeaderMap,
    form: Result<Form<crate::home::CsrfForm>, FormRejection>,
) -> Response {
    if let Some(refused) = p.cross_site(&headers) {
        return refused;
    }
    let Ok(Form(f)) = form else {
        return p.incomplete_form();
    };
    let (hash, session) = match p.signed_in(&headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    if !p.keys.csrf_matches(&hash, &f.csrf) {
        return p.form_expired();
    }
    let removed = PasskeyRemoved {
        identity: session.identity,
        credential_id,
        session: hash,
    };
    let decided = p.store.append(Box::new(move |view: &dyn ReadView| {
        let mine = view
            .passkey(&removed.credential_id)?
            .is_some_and(|k| k.registered.identity == removed.identity && !k.removed);
        if mine {
            Ok((vec![Event::PasskeyRemoved(removed)], true))
        } else {
            Ok((Vec::new(), false))
        }
    }));
    match decided.await {
        Ok((_, true)) => crate::see_other("/portal/passkeys"),
        Ok((_, false)) => p.page(
            StatusCode::NOT_FOUND,
            "通行密钥不存在",
            "<p class=\"error\" role=\"alert\">没有找到这个通行密钥（可能已被删除）。</p>\
             <p><a href=\"/portal/passkeys\">返回通行密钥</a></p>",
        ),
        Err(e) => p.unavailable(e),
    }
}

/// A script's request could not be recorded: 503 as JSON.
pub(crate) fn script_unavailable(e: StoreError) -> Response {
    tracing::error!(error = %e, "portal could not record");
    refused(
        StatusCode::SERVICE_UNAVAILABLE,
        "系统暂时无法处理，本次操作未生效，请稍后再试。",
    )
}
