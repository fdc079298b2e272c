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
    rng: SystemRandom,
}

impl Keys {
    /// Keys for `links`' secret.
    pub fn new(links: &ecenter_delivery::link::LinkSigner) -> Keys {
        Keys {
            code: links.derive_key("ecenter portal sign-in code v1"),
            csrf: links.derive_key("ecenter portal csrf v1"),
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
    fn a_csrf_token_belongs_to_one_session() {
        let k = keys();
        let t = k.csrf("session-a");
        assert!(k.csrf_matches("session-a", &t));
        assert!(!k.csrf_matches("session-b", &t));
        assert!(!k.csrf_matches("session-a", "forged"));
    }
}
