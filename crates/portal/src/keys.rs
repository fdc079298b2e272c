//! The portal's secrets and what derives from them: sign-in codes, session cookies and CSRF
//! tokens. None of them is ever written to the log: the log holds attempt ids and the SHA-256 of
//! session cookies, which give nothing to someone who reads it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::digest::{SHA256, digest};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

/// Digits of a sign-in code.
pub const CODE_DIGITS: usize = 6;

/// Keys derived from the link key (`LinkSigner::derive_key`).
pub struct Keys {
    code: hmac::Key,
    csrf: hmac::Key,
    passkey: hmac::Key,
    rng: SystemRandom,
}

/// What a passkey challenge is for: it is good for nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ceremony {
    /// Registering a passkey, in one session.
    Register,
    /// Signing in.
    SignIn,
}

/// Why a passkey challenge was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadChallenge {
    /// Not one the hub issued for this ceremony (and session).
    Forged,
    /// Past its life.
    Expired,
}

/// Bytes of a challenge: nonce (16), expiry in Unix seconds (8), HMAC-SHA-256 tag (32).
const CHALLENGE_BYTES: usize = 56;

impl Keys {
    /// Keys for `links`' secret.
    pub fn new(links: &ecenter_delivery::link::LinkSigner) -> Keys {
        Keys {
            code: links.derive_key("ecenter portal sign-in code v1"),
            csrf: links.derive_key("ecenter portal csrf v1"),
            passkey: links.derive_key("ecenter portal passkey v1"),
            rng: SystemRandom::new(),
        }
    }

    /// `bytes` random bytes as base64url: attempt ids (16) and session cookies (32).
    pub fn random(&self, bytes: usize) -> String {
        let mut b = vec![0u8; bytes];
        self.rng
            .fill(&mut b)
            .expect("the system random source works");
        URL_SAFE_NO_PAD.encode(b)
    }

    /// The code of `attempt`: six decimal digits of HMAC-SHA-256(code key, attempt id).
    pub fn code(&self, attempt: &str) -> String {
        let tag = hmac::sign(&self.code, attempt.as_bytes());
        let n = u32::from_be_bytes([
            tag.as_ref()[0],
            tag.as_ref()[1],
            tag.as_ref()[2],
            tag.as_ref()[3],
        ]);
        format!("{:06}", n % 1_000_000)
    }

    /// Whether `typed` is `attempt`'s code, compared in constant time (full-width digits and
    /// spaces as a phone keyboard may give them are accepted).
    pub fn code_matches(&self, attempt: &str, typed: &str) -> bool {
        let typed: String = ecenter_domain::text::ascii_digits(typed)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if typed.len() != CODE_DIGITS {
            return false;
        }
        let expected = hmac::sign(
            &self.code,
            format!("{attempt}/{}", self.code(attempt)).as_bytes(),
        );
        hmac::verify(
            &self.code,
            format!("{attempt}/{typed}").as_bytes(),
            expected.as_ref(),
        )
        .is_ok()
    }

    /// The CSRF token of the session whose cookie hashes to `session`.
    pub fn csrf(&self, session: &str) -> String {
        URL_SAFE_NO_PAD.encode(hmac::sign(&self.csrf, session.as_bytes()))
    }

    /// Whether `token` is the CSRF token of `session` (constant time).
    pub fn csrf_matches(&self, session: &str, token: &str) -> bool {
        match URL_SAFE_NO_PAD.decode(token.trim()) {
            Ok(tag) => hmac::verify(&self.csrf, session.as_bytes(), &tag).is_ok(),
            Err(_) => false,
        }
    }
}

impl Keys {
    /// A WebAuthn challenge for `ceremony` (bound to `session`'s hash when registering), good
    /// until `expires` (Unix seconds): nonce, expiry and an HMAC tag, base64url. The hub keeps no
    /// state for it until it is used: the log then records the nonce (its id) as used up.
    pub fn challenge(&self, ceremony: Ceremony, session: &str, expires: i64) -> String {
        let mut b = vec![0u8; 16];
        self.rng
            .fill(&mut b)
            .expect("the system random source works");
        b.extend_from_slice(&expires.to_be_bytes());
        let tag = hmac::sign(&self.passkey, &challenge_data(&b, ceremony, session));
        b.extend_from_slice(tag.as_ref());
        URL_SAFE_NO_PAD.encode(b)
    }

    /// The id (its nonce, base64url) of `challenge` if the hub issued it for `ceremony` (and
    /// `session`) and it is good at `now` (Unix seconds).
    pub fn challenge_id(
        &self,
        challenge: &str,
        ceremony: Ceremony,
        session: &str,
        now: i64,
    ) -> Result<String, BadChallenge> {
        let b = URL_SAFE_NO_PAD
            .decode(challenge)
            .map_err(|_| BadChallenge::Forged)?;
        if b.len() != CHALLENGE_BYTES {
            return Err(BadChallenge::Forged);
        }
        let data = challenge_data(&b[..24], ceremony, session);
        hmac::verify(&self.passkey, &data, &b[24..]).map_err(|_| BadChallenge::Forged)?;
        let expires = i64::from_be_bytes(b[16..24].try_into().expect("8 bytes"));
        if now >= expires {
            return Err(BadChallenge::Expired);
        }
        Ok(URL_SAFE_NO_PAD.encode(&b[..16]))
    }

    /// The WebAuthn user handle of a lawyer (§5.4.3: not personal information): 16 bytes of an
    /// HMAC of their identity, base64url.
    pub fn user_handle(&self, identity: &str) -> String {
        let tag = hmac::sign(&self.passkey, format!("user\0{identity}").as_bytes());
        URL_SAFE_NO_PAD.encode(&tag.as_ref()[..16])
    }
}

/// What a challenge's tag covers: the ceremony, the session it is bound to, nonce and expiry.
fn challenge_data(nonce_and_expiry: &[u8], ceremony: Ceremony, session: &str) -> Vec<u8> {
    let mut data = match ceremony {
        Ceremony::Register => b"register\0".to_vec(),
        Ceremony::SignIn => b"sign-in\0".to_vec(),
    };
    data.extend_from_slice(session.as_bytes());
    data.push(0);
    data.extend_from_slice(nonce_and_expiry);
    data
}

/// Lowercase hex SHA-256 of a cookie's secret (a session's or a sign-in attempt's): what the log
/// and the sign-in tables hold, never the secret.
pub fn cookie_hash(cookie: &str) -> String {
    hex::encode(digest(&SHA256, cookie.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        Keys::new(&ecenter_delivery::link::LinkSigner::new(&[7u8; 32]).unwrap())
    }

    #[test]
    fn a_code_is_six_digits_and_matches_only_itself() {
        let k = keys();
        let code = k.code("attempt-1");
        assert_eq!(code.len(), 6);
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
        assert!(k.code_matches("attempt-1", &code));
        assert!(!k.code_matches("attempt-2", &code) || k.code("attempt-2") == code);
        let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
        assert!(!k.code_matches("attempt-1", &wrong));
        let full_width: String = code
            .chars()
            .map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap())
            .collect();
        assert!(k.code_matches("attempt-1", &format!(" {full_width} ")));
    }

    #[test]
    fn a_challenge_is_good_for_its_ceremony_session_and_life_only() {
        let k = keys();
        let c = k.challenge(Ceremony::Register, "session-a", 1_000);
        let id = k
            .challenge_id(&c, Ceremony::Register, "session-a", 999)
            .unwrap();
        assert_eq!(id.len(), 22, "16 bytes of nonce");
        let forged = Err(BadChallenge::Forged);
        assert_eq!(
            k.challenge_id(&c, Ceremony::Register, "session-b", 999),
            forged
        );
        assert_eq!(
            k.challenge_id(&c, Ceremony::SignIn, "session-a", 999),
            forged
        );
        assert_eq!(
            k.challenge_id(&c, Ceremony::Register, "session-a", 1_000),
            Err(BadChallenge::Expired)
        );
        let mut later = URL_SAFE_NO_PAD.decode(&c).unwrap();
        later[23] ^= 1; // a later expiry, same tag
        let later = URL_SAFE_NO_PAD.encode(later);
        assert_eq!(
            k.challenge_id(&later, Ceremony::Register, "session-a", 999),
            forged
        );
        assert_eq!(k.challenge_id("", Ceremony::SignIn, "", 0), forged);
        assert_ne!(k.user_handle("urn:a"), k.user_handle("urn:b"));
    }

    #[test]
    fn a_csrf_token_belongs_to_one_session() {
        let k = keys();
        let t = k.csrf("session-a");
        assert!(k.csrf_matches("session-a", &t));
        assert!(!k.csrf_matches("session-b", &t));
        assert!(!k.csrf_matches("session-a", "forged"));
    }
}
