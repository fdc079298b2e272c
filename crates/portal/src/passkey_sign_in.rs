//! Signing in with a passkey (WebAuthn authentication, §7.2): the sign-in page's script asks for
//! a challenge (`POST /portal/passkey/options`), lets the authenticator sign it with a passkey
//! the lawyer registered (discoverable, so nobody types anything), and sends the assertion
//! (`POST /portal/passkey/sign-in`). The hub verifies the signature with the registered public
//! key, then decides under the log's writer — challenge unused, passkey current, lawyer listed
//! since, counter risen — and records `signed_in` with the passkey, or `sign_in_refused` with the
//! reason the lawyer was shown. Both requests are limited per client address like codes.

use crate::keys::{BadChallenge, Ceremony, cookie_hash};
use crate::uploads::{json, refused};
use crate::webauthn::{Asserted, Invalid, RelyingParty, b64};
use crate::{ATTEMPT_COOKIE, Portal, SESSION_COOKIE};
use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use ecenter_domain::Event;
use ecenter_domain::passkey::{CHALLENGE_LIFE_SECS, PasskeyUse};
use ecenter_domain::portal::{SignInRefused, SignedIn};
use ecenter_outbox::page::{Peer, client};
use ecenter_store::{EventStore, ReadView, StoreError};
use serde_json::json;
use std::sync::Arc;

const TOO_MANY: &str = "来自您所在网络的请求过于频繁，请稍后再试。";
const UNKNOWN: &str = "此通行密钥未在本院诉讼服务平台登记（或已被删除）。请使用验证码登录；登录后可在“通行密钥”页面重新添加。";

/// `POST /portal/passkey/options`: request options for `navigator.credentials.get` (§5.5),
/// with a fresh challenge; no credential is named (passkeys are discoverable), so the answer
/// tells nobody which lawyers have one. Not limited: a challenge costs an HMAC and no state; the
/// sign-in that uses it is limited per address.
pub(crate) async fn options<S: EventStore>(
    State(p): State<Arc<Portal<S>>>,
    headers: HeaderMap,
) -> Response {
    if p.cross_site(&headers).is_some() {
        return refused(
            StatusCode::FORBIDDEN,
            "此请求不是从本院诉讼服务平台的页面发出的。",
        );
    }
    let Some(rp) = &p.rp else {
        return refused(StatusCode::NOT_FOUND, "本平台当前的网址不支持通行密钥。");
    };
    let expires = chrono::Utc::now().timestamp() + CHALLENGE_LIFE_SECS;
    json(
        StatusCode::OK,
        json!({
            "challenge": p.keys.challenge(Ceremony::SignIn, "", expires),
            "rpId": rp.id,
            "userVerification": "required",
            "timeout": CHALLENGE_LIFE_SECS * 1000,
        }),
    )
}

/// What the page sends after `get()` (base64url fields, as the browser gave them).
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Assertion {
    challenge: String,
    /// The credential id.
    id: String,
    client_data_json: String,
    authenticator_data: String,
    signature: String,
    #[serde(default)]
    user_handle: Option<String>,
}

/// `POST /portal/passkey/sign-in`: verifies the assertion; on success a session cookie and
/// `{"location": "/portal/"}`, else `{"error": …}` (401, 400 or 429).
pub(crate) async fn sign_in<S: EventStore>(
    State(p): State<Arc<Portal<S>>>,
    Extension(Peer(peer)): Extension<Peer>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if p.cross_site(&headers).is_some() {
        return refused(
            StatusCode::FORBIDDEN,
            "此请求不是从本院诉讼服务平台的页面发出的。",
        );
    }
    if let Err(wait) = p.guard.try_code(peer.ip()) {
        return wait.on(refused(StatusCode::TOO_MANY_REQUESTS, TOO_MANY));
    }
    let Ok(a) = serde_json::from_slice::<Assertion>(&body) else {
        return refused(
            StatusCode::BAD_REQUEST,
            "请求的格式不正确，请刷新页面后重试。",
        );
    };
    if a.id.trim().trim_end_matches('=').is_empty() {
        return refused(
            StatusCode::BAD_REQUEST,
            "请求的格式不正确，请刷新页面后重试。",
        );
    }
    let now = chrono::Utc::now().timestamp();
    // A challenge the hub never issued is noise, not an attempt: answered, not recorded.
    let challenge_id = match p.keys.challenge_id(&a.challenge, Ceremony::SignIn, "", now) {
        Ok(id) => id,
        Err(BadChallenge::Forged) => {
            return refused(StatusCode::BAD_REQUEST, "登录请求无效，请刷新页面后重试。");
        }
        Err(BadChallenge::Expired) => {
            return refused(
                StatusCode::UNAUTHORIZED,
                "登录请求已过期，请重新点击“使用通行密钥登录”。",
            );
        }
    };
    let check = PasskeyCheck {
        verified: p.verify_assertion(&a),
        challenge_id,
        credential_id: a.id.trim().trim_end_matches('=').to_string(),
        session_token: p.keys.random(32),
        client: client(peer, &headers),
        session_life: p.limits.session,
    };
    let token = check.session_token.clone();
    let decided = p
        .store
        .append(Box::new(move |view: &dyn ReadView| decide(view, check)));
    match decided.await {
        Ok((_, Ok(()))) => {
            let mut r = json(StatusCode::OK, json!({ "location": "/portal/" }));
            let h = r.headers_mut();
            let secs = p.limits.session.num_seconds();
            h.append(
                header::SET_COOKIE,
                p.set_cookie(SESSION_COOKIE, &token, secs),
            );
            h.append(header::SET_COOKIE, p.set_cookie(ATTEMPT_COOKIE, "", 0));
            r
        }
        Ok((_, Err(reason))) => refused(StatusCode::UNAUTHORIZED, reason),
        Err(e) => crate::passkeys::script_unavailable(e),
    }
}

/// What the writer decides on: the signature's verdict, taken outside it.
struct PasskeyCheck {
    /// The assertion checked against the registered key: the lawyer and what it asserted, or
    /// the lawyer (when the passkey is known) and why not.
    verified: Result<(String, Asserted), (String, String)>,
    challenge_id: String,
    credential_id: String,
    session_token: String,
    client: String,
    session_life: chrono::TimeDelta,
}

impl<S: EventStore> Portal<S> {
    /// §7.2 against the registered passkey: `Ok((identity, asserted))`, or `Err((identity or
    /// "", reason))`.
    fn verify_assertion(&self, a: &Assertion) -> Result<(String, Asserted), (String, String)> {
        let rp = self
            .rp
            .as_ref()
            .ok_or((String::new(), UNKNOWN.to_string()))?;
        let id = a.id.trim().trim_end_matches('=');
        let passkey = match self.store.passkey(id) {
            Ok(Some(k)) => k,
            Ok(None) => return Err((String::new(), UNKNOWN.into())),
            Err(e) => {
                tracing::error!(error = %e, "passkey unreadable");
                return Err((String::new(), "系统暂时无法处理，请稍后再试。".into()));
            }
        };
        let identity = passkey.registered.identity.clone();
        let words = |w: &str| (identity.clone(), w.to_string());
        // §7.2 step 6: the user was not named beforehand, so the user handle must be there and
        // be the one registered for the lawyer.
        let handle = a.user_handle.as_deref().unwrap_or_default();
        if handle.trim_end_matches('=') != self.keys.user_handle(&identity) {
            return Err(words(UNKNOWN));
        }
        let asserted = checked(rp, a, &passkey.registered.public_key).map_err(|invalid| {
            tracing::info!(detail = %invalid.detail(), "passkey assertion refused");
            words(invalid.words())
        })?;
        if asserted.challenge != a.challenge {
            return Err(words("登录请求无效，请刷新页面后重试。"));
        }
        Ok((identity, asserted))
    }
}

/// The assertion's fields decoded and checked against the stored COSE_Key `public_key`.
fn checked(rp: &RelyingParty, a: &Assertion, public_key: &str) -> Result<Asserted, Invalid> {
    let client_data = b64(&a.client_data_json, "clientDataJSON")?;
    let auth_data = b64(&a.authenticator_data, "authenticatorData")?;
    let sig = b64(&a.signature, "signature")?;
    let key = b64(public_key, "stored key")?;
    rp.assertion(&client_data, &auth_data, &sig, &key)
}

/// The writer's answer: the events, and the sign-in or the words of its refusal.
type Decided = Result<(Vec<Event>, Result<(), String>), StoreError>;

fn decide(view: &dyn ReadView, c: PasskeyCheck) -> Decided {
    let refuse = |identity: &str, reason: String| -> Decided {
        let refused = Event::SignInRefused(SignInRefused {
            attempt: c.challenge_id.clone(),
            identity: identity.to_string(),
            asked_as: String::new(),
            reason: reason.clone(),
            wrong_code: false,
            ended_attempt: true,
            client: c.client.clone(),
            passkey: ecenter_domain::text::excerpt(&c.credential_id, 200),
        });
        Ok((vec![refused], Err(reason)))
    };
    if view.challenge_used(&c.challenge_id)? {
        return refuse(
            "",
            "此登录请求已使用过，请重新点击“使用通行密钥登录”。".into(),
        );
    }
    let (identity, asserted) = match c.verified {
        Ok(v) => v,
        Err((identity, reason)) => return refuse(&identity, reason),
    };
    let Some(passkey) = view.passkey(&c.credential_id)? else {
        return refuse(&identity, UNKNOWN.into());
    };
    let listed_at = view.lawyer_listed_at(&identity)?;
    if let Err(unusable) = passkey.usable(listed_at, asserted.sign_count) {
        return refuse(&identity, unusable.words().into());
    }
    let signed_in = Event::SignedIn(SignedIn {
        attempt: c.challenge_id,
        session: cookie_hash(&c.session_token),
        identity,
        expires_at: chrono::Utc::now() + c.session_life,
        client: c.client,
        passkey: Some(PasskeyUse {
            credential_id: c.credential_id,
            sign_count: asserted.sign_count,
            user_verified: asserted.user_verified,
        }),
    });
    Ok((vec![signed_in], Ok(())))
}
