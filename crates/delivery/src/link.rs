//! Recipient links: each notice carries a link for one recipient of one service, valid until a time,
//! signed with the hub's key (HMAC-SHA-256) so it cannot be forged or pointed at someone else's
//! documents. A random nonce makes every link distinct, so the hub can accept each confirmation of
//! reading once and refuse a replay.
//!
//! Links travel in SMS, where every 67 characters are another paid part, so the hub's own ids
//! (`O` + twelve digits, `R` + a number) go as a compact token: 42 bytes — version, order and
//! recipient numbers, expiry, a 72-bit nonce and the HMAC truncated to 128 bits — in 56 base64url
//! characters. Tokens of the first, textual form (`v1|…` and the whole tag, joined by a dot) are
//! still accepted, for links already sent.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use subtle::ConstantTimeEq;

/// Bytes of a compact token: version 1, order 8, recipient 4, expiry 4, nonce 9, tag 16.
const COMPACT_LEN: usize = 42;
const COMPACT_SIGNED: usize = 26;
const COMPACT_VERSION: u8 = 2;

/// Why a link is refused; each is shown to the recipient as a clear page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Not a link this hub could have made (cut, garbled).
    #[error("this link is incomplete or damaged: open it again from the message you received")]
    Malformed,
    /// The signature does not match: altered or forged.
    #[error("this link was not issued by the court or has been altered")]
    Forged,
    /// Past its validity.
    #[error("this link has expired: ask the court for a new one")]
    Expired,
}

/// What a valid link says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkClaims {
    /// The service (serve order) it belongs to.
    pub service_id: String,
    /// The one recipient it is for.
    pub recipient_id: String,
    /// Seconds since the Unix epoch after which it is refused.
    pub expires_at: u64,
    /// Random, unique per link: a confirmation is accepted once per nonce.
    pub nonce: String,
}

/// Makes and checks links with the hub's link key.
pub struct LinkSigner {
    key: hmac::Key,
    rng: SystemRandom,
}

/// Shows no key material: secrets never reach logs.
impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSigner { key: <secret> }")
    }
}

/// `text` with the token of every recipient link (after `/s/` or `/f/`) replaced by the first 12
/// hex digits of its SHA-256: what a notice said, without the credential it carried. Court
/// systems, clerks' views and printed proofs (送达回证) show notices this way, for whoever holds a
/// live link can act as the recipient on the page; the recipient's own copy is matched by hashing
/// the token in it. A run shorter than 16 characters is no token and is kept.
pub fn redact_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = [rest.find("/s/"), rest.find("/f/")]
        .into_iter()
        .flatten()
        .min()
    {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let run = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || "-_.|%~".contains(c)))
            .unwrap_or(tail.len());
        let token = tail[..run].trim_end_matches('.');
        if token.len() >= 16 {
            out.push_str(&redaction_mark(token));
        } else {
            out.push_str(token);
        }
        rest = &tail[token.len()..];
    }
    out.push_str(rest);
    out
}

/// The order and recipient numbers and the expiry of a compact token, when the ids are the hub's
/// own (`O` + twelve digits, `R` + a number) and the expiry fits 32 bits.
fn compact_ids(service_id: &str, recipient_id: &str, expires_at: u64) -> Option<(u64, u32, u32)> {
    let order = service_id
        .strip_prefix('O')
        .and_then(|n| n.parse::<u64>().ok())
        .filter(|n| format!("O{n:012}") == service_id)?;
    let recipient = recipient_id
        .strip_prefix('R')
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| format!("R{n}") == recipient_id)?;
    Some((order, recipient, u32::try_from(expires_at).ok()?))
}

/// How every mark [`redact_tokens`] writes begins.
pub const REDACTED: &str = "[链接凭据已隐去，SHA-256 ";

/// What [`redact_tokens`] writes in place of `token`.
fn redaction_mark(token: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    format!("{REDACTED}{}…]", hex::encode(&digest.as_ref()[..6]))
}

/// `logged` — a notice as the log keeps it, its link's token replaced by [`redact_tokens`]'s
/// mark — with `token` put back wherever the mark names it: the text that is sent. `None` when no
/// mark in `logged` is `token`'s: the text was logged before tokens were kept out of the log (it
/// holds its token itself), or the token is not the one it was sent with.
pub fn restore_token(logged: &str, token: &str) -> Option<String> {
    let mark = redaction_mark(token);
    logged.contains(&mark).then(|| logged.replace(&mark, token))
}

/// Shortest key accepted (bytes): HMAC-SHA-256 wants at least its output size.
pub const MIN_KEY_BYTES: usize = 32;

/// A link key shorter than [`MIN_KEY_BYTES`]; holds its length in bytes, never the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the link key has {0} bytes; at least {MIN_KEY_BYTES} are needed")]
pub struct ShortKey(pub usize);

impl LinkSigner {
    /// A signer with `key` (at least [`MIN_KEY_BYTES`] bytes of secret).
    pub fn new(key: &[u8]) -> Result<LinkSigner, ShortKey> {
        if key.len() < MIN_KEY_BYTES {
            return Err(ShortKey(key.len()));
        }
        Ok(LinkSigner {
            key: hmac::Key::new(hmac::HMAC_SHA256, key),
            rng: SystemRandom::new(),
        })
    }

    /// A key for another purpose, derived from the link key (HMAC-SHA-256 of `purpose` under it,
    /// as in HKDF-Expand's single block): the portal's sign-in codes and CSRF tokens need a
    /// secret the log never holds, and one secret file is easier to keep than several. A
    /// different `purpose` gives an unrelated key.
    pub fn derive_key(&self, purpose: &str) -> hmac::Key {
        let derived = hmac::sign(&self.key, purpose.as_bytes());
        hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref())
    }

    /// A token for `recipient_id` of `service_id`, valid until `expires_at` (Unix seconds), with
    /// a fresh random nonce.
    pub fn issue(&self, service_id: &str, recipient_id: &str, expires_at: u64) -> String {
        let compact = compact_ids(service_id, recipient_id, expires_at).is_some();
        let mut nonce = [0u8; 12];
        let nonce = &mut nonce[..if compact { 9 } else { 12 }];
        self.rng
            .fill(nonce)
            .expect("the system random source works");
        self.token(
            service_id,
            recipient_id,
            expires_at,
            &URL_SAFE_NO_PAD.encode(nonce),
        )
        .expect("a fresh nonce has its form's length")
    }

    /// The token [`LinkSigner::issue`] gave for these ids, expiry and nonce (as
    /// [`LinkClaims::nonce`] spells it), made again: the log keeps the nonce and never the token,
    /// a credential whoever reads it could use, and a notice sent again carries the very same
    /// link. `None` when `nonce` is not a nonce of this form.
    pub fn token(
        &self,
        service_id: &str,
        recipient_id: &str,
        expires_at: u64,
        nonce: &str,
    ) -> Option<String> {
        if let Some((order, recipient, expires)) = compact_ids(service_id, recipient_id, expires_at)
        {
            let nonce = URL_SAFE_NO_PAD
                .decode(nonce)
                .ok()
                .filter(|n| n.len() == 9)?;
            let mut b = Vec::with_capacity(COMPACT_LEN);
            b.push(COMPACT_VERSION);
            b.extend_from_slice(&order.to_be_bytes());
            b.extend_from_slice(&recipient.to_be_bytes());
            b.extend_from_slice(&expires.to_be_bytes());
            b.extend_from_slice(&nonce);
            let tag = hmac::sign(&self.key, &b);
            b.extend_from_slice(&tag.as_ref()[..16]);
            return Some(URL_SAFE_NO_PAD.encode(b));
        }
        URL_SAFE_NO_PAD
            .decode(nonce)
            .ok()
            .filter(|n| n.len() == 12)?;
        // Ids never contain '|': service and recipient ids are hub-made (F…, R1).
        let payload = format!("v1|{service_id}|{recipient_id}|{expires_at}|{nonce}");
        let tag = hmac::sign(&self.key, payload.as_bytes());
        Some(format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload.as_bytes()),
            URL_SAFE_NO_PAD.encode(tag.as_ref())
        ))
    }

    /// The claims of `token` if this hub issued it unaltered and it has not expired at `now`.
    pub fn verify(&self, token: &str, now: u64) -> Result<LinkClaims, LinkError> {
        if !token.contains('.') {
            return self.verify_compact(token, now);
        }
        let (payload, tag) = token.split_once('.').ok_or(LinkError::Malformed)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| LinkError::Malformed)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| LinkError::Malformed)?;
        // The signature first (in constant time): nothing of a forged token is trusted.
        hmac::verify(&self.key, &payload, &tag).map_err(|_| LinkError::Forged)?;
        let text = String::from_utf8(payload).map_err(|_| LinkError::Malformed)?;
        let parts: Vec<&str> = text.split('|').collect();
        let ["v1", service_id, recipient_id, expires_at, nonce] = parts[..] else {
            return Err(LinkError::Malformed);
        };
        let expires_at: u64 = expires_at.parse().map_err(|_| LinkError::Malformed)?;
        if now >= expires_at {
            return Err(LinkError::Expired);
        }
        Ok(LinkClaims {
            service_id: service_id.to_string(),
            recipient_id: recipient_id.to_string(),
            expires_at,
            nonce: nonce.to_string(),
        })
    }
}

impl LinkSigner {
    fn verify_compact(&self, token: &str, now: u64) -> Result<LinkClaims, LinkError> {
        let b = URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| LinkError::Malformed)?;
        if b.len() != COMPACT_LEN || b[0] != COMPACT_VERSION {
            return Err(LinkError::Malformed);
        }
        // The signature first (in constant time): nothing of a forged token is trusted.
        let tag = hmac::sign(&self.key, &b[..COMPACT_SIGNED]);
        if !bool::from(tag.as_ref()[..16].ct_eq(&b[COMPACT_SIGNED..])) {
            return Err(LinkError::Forged);
        }
        let number = |range: std::ops::Range<usize>| {
            b[range]
                .iter()
                .fold(0u64, |n, byte| (n << 8) | u64::from(*byte))
        };
        let expires_at = number(13..17);
        if now >= expires_at {
            return Err(LinkError::Expired);
        }
        Ok(LinkClaims {
            service_id: format!("O{:012}", number(1..9)),
            recipient_id: format!("R{}", number(9..13)),
            expires_at,
            nonce: URL_SAFE_NO_PAD.encode(&b[17..COMPACT_SIGNED]),
        })
    }
}

mod quoted;
pub use quoted::{BASE64_CUT, quotes_link, redact_quoted_links};

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"development link key, 32+ bytes long!";

    #[test]
    fn a_link_names_one_recipient_and_is_unique() {
        let s = LinkSigner::new(KEY).unwrap();
        let a = s.issue("F000000000123", "R2", 2_000);
        let b = s.issue("F000000000123", "R2", 2_000);
        assert_ne!(a, b, "a fresh nonce per link");
        let claims = s.verify(&a, 1_000).unwrap();
        assert_eq!(claims.service_id, "F000000000123");
        assert_eq!(claims.recipient_id, "R2");
        assert_ne!(claims.nonce, s.verify(&b, 1_000).unwrap().nonce);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.')
        );
    }

    #[test]
    fn a_token_is_made_again_from_its_nonce_and_put_back_into_its_redacted_text() {
        let s = LinkSigner::new(KEY).unwrap();
        for (o, r) in [("O000000000123", "R2"), ("F000000000123", "D1")] {
            let token = s.issue(o, r, 2_000);
            let nonce = s.verify(&token, 0).unwrap().nonce;
            assert_eq!(
                s.token(o, r, 2_000, &nonce).as_deref(),
                Some(token.as_str())
            );
            assert_ne!(
                s.token(o, r, 2_001, &nonce).unwrap(),
                token,
                "the expiry is signed"
            );
            let sent = format!("请点击 https://court.example/s/{token} 查看。");
            let logged = redact_tokens(&sent);
            assert!(!logged.contains(&token), "{logged}");
            assert_eq!(restore_token(&logged, &token).unwrap(), sent);
            assert_eq!(restore_token(&logged, &s.issue(o, r, 2_000)), None);
        }
        assert_eq!(s.token("O000000000123", "R2", 2_000, "short"), None);
    }

    #[test]
    fn forged_altered_and_foreign_links_are_refused() {
        let s = LinkSigner::new(KEY).unwrap();
        let token = s.issue("F1", "R1", 2_000);
        // Pointing it at another recipient: the payload changes, the tag does not match.
        let (payload, tag) = token.split_once('.').unwrap();
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        let other = URL_SAFE_NO_PAD.encode(text.replace("|R1|", "|R2|"));
        assert_eq!(
            s.verify(&format!("{other}.{tag}"), 1_000),
            Err(LinkError::Forged)
        );
        // Made with another key.
        let stranger = LinkSigner::new(b"another key that is long enough, 32+").unwrap();
        assert_eq!(
            s.verify(&stranger.issue("F1", "R1", 2_000), 1_000),
            Err(LinkError::Forged)
        );
        // Cut or garbled.
        assert_eq!(s.verify(payload, 1_000), Err(LinkError::Malformed));
        assert_eq!(s.verify("%%%.%%%", 1_000), Err(LinkError::Malformed));
    }

    #[test]
    fn the_hubs_own_ids_make_a_compact_link_that_round_trips() {
        let s = LinkSigner::new(KEY).unwrap();
        let token = s.issue("O000000000042", "R17", 1_796_000_000);
        assert_eq!(token.len(), 56, "{token}");
        assert!(!token.contains('.'));
        let claims = s.verify(&token, 1_000).unwrap();
        assert_eq!(claims.service_id, "O000000000042");
        assert_eq!(claims.recipient_id, "R17");
        assert_eq!(claims.expires_at, 1_796_000_000);
        assert_ne!(
            claims.nonce,
            s.verify(&s.issue("O000000000042", "R17", 1_796_000_000), 0)
                .unwrap()
                .nonce
        );
        assert_eq!(s.verify(&token, 1_796_000_000), Err(LinkError::Expired));
        // Ids the compact form cannot carry exactly keep the textual form.
        assert!(s.issue("O42", "R1", 2_000).contains('.'));
        assert!(s.issue("F000000000123", "R1", 2_000).contains('.'));
    }

    #[test]
    fn a_compact_link_altered_anywhere_forged_or_cut_is_refused() {
        let s = LinkSigner::new(KEY).unwrap();
        let token = s.issue("O000000000001", "R1", 2_000);
        let bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        for i in 1..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x01;
            assert_eq!(
                s.verify(&URL_SAFE_NO_PAD.encode(&b), 1_000),
                Err(LinkError::Forged),
                "byte {i}"
            );
        }
        let stranger = LinkSigner::new(b"another key that is long enough, 32+").unwrap();
        assert_eq!(
            s.verify(&stranger.issue("O000000000001", "R1", 2_000), 1_000),
            Err(LinkError::Forged)
        );
        assert_eq!(s.verify(&token[..40], 1_000), Err(LinkError::Malformed));
        let mut other_version = bytes.clone();
        other_version[0] = 9;
        assert_eq!(
            s.verify(&URL_SAFE_NO_PAD.encode(&other_version), 1_000),
            Err(LinkError::Malformed)
        );
    }

    #[test]
    fn expired_links_are_refused_at_their_expiry() {
        let s = LinkSigner::new(KEY).unwrap();
        let token = s.issue("F1", "R1", 2_000);
        assert!(s.verify(&token, 1_999).is_ok());
        assert_eq!(s.verify(&token, 2_000), Err(LinkError::Expired));
        assert!(LinkError::Expired.to_string().contains("ask the court"));
    }

    #[test]
    fn short_keys_are_refused_and_keys_never_print() {
        let Err(why) = LinkSigner::new(b"short") else {
            panic!("a short key was accepted");
        };
        assert_eq!(why, ShortKey(5));
        assert!(why.to_string().contains("at least 32"));
        let shown = format!("{:?}", LinkSigner::new(KEY).unwrap());
        assert!(!shown.contains("development"), "{shown}");
    }

    #[test]
    fn a_notice_shown_to_others_names_its_link_by_a_hash_not_the_token() {
        let signer = LinkSigner::new(&[7u8; 32]).unwrap();
        let token = signer.issue("O000000000068", "R1", 1_900_000_000);
        let body = format!("张三：\n请点击 https://songda.court.example/s/{token}\n链接有效期至…");
        let shown = redact_tokens(&body);
        assert!(!shown.contains(&token), "{shown}");
        let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
        let hex = hex::encode(&digest.as_ref()[..6]);
        assert_eq!(
            shown,
            format!(
                "张三：\n请点击 https://songda.court.example/s/[链接凭据已隐去，SHA-256 {hex}…]\n链接有效期至…"
            )
        );
        // A sentence's full stop after the link stays; a short path is no token.
        let sms = format!("请查看：https://x.example/f/{token}。见 /s/abc.");
        let shown = redact_tokens(&sms);
        assert!(shown.ends_with("…]。见 /s/abc."), "{shown}");
        assert_eq!(redact_tokens("无链接的正文"), "无链接的正文");
    }
}
