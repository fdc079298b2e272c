//! Passkeys (WebAuthn, W3C Web Authentication Level 2) for the lawyers' portal, as events.
//!
//! A lawyer signed in with a one-time code may register a passkey: the browser's authenticator
//! (a phone, a security key, the operating system's keychain) makes a key pair for the portal's
//! relying-party id and gives the hub the public key as a COSE_Key (RFC 9053). The hub records
//! [`PasskeyRegistered`] with that key; afterwards the lawyer signs in by letting the
//! authenticator sign a fresh challenge, and the hub records `signed_in` with the passkey
//! ([`PasskeyUse`]) instead of a code's attempt. Nothing secret is in the log: a public key and a
//! credential id give nobody a way in.
//!
//! Rules the writer enforces from the read model ([`Passkey`]):
//! - a challenge is good once, for [`CHALLENGE_LIFE_SECS`] seconds, registration or sign-in;
//! - a passkey counts only if it was registered after the lawyer's current directory entry: the
//!   court changing a lawyer's phone or e-mail (a lost phone) voids their passkeys, as it ends
//!   their sessions;
//! - a signature counter that does not go up (when the authenticator keeps one) refuses the
//!   sign-in: the passkey may have been copied (WebAuthn §6.1.1);
//! - at most [`MAX_PASSKEYS`] current passkeys per lawyer.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Seconds a challenge (registration or sign-in) stays good after it was issued.
pub const CHALLENGE_LIFE_SECS: i64 = 300;

/// Current passkeys a lawyer may hold at once.
pub const MAX_PASSKEYS: usize = 10;

/// COSE algorithm ES256: ECDSA on P-256 with SHA-256 (RFC 9053 §2.1).
pub const ES256: i64 = -7;
/// COSE algorithm EdDSA (Ed25519) (RFC 9053 §2.2).
pub const EDDSA: i64 = -8;
/// COSE algorithm RS256: RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8812 §2), as Windows Hello uses.
pub const RS256: i64 = -257;

/// A lawyer registered a passkey while signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyRegistered {
    /// The lawyer.
    pub identity: String,
    /// The credential id the authenticator chose, base64url without padding.
    pub credential_id: String,
    /// The credential's public key as the authenticator gave it: a COSE_Key, base64url.
    pub public_key: String,
    /// Its COSE algorithm ([`ES256`], [`EDDSA`] or [`RS256`]).
    pub algorithm: i64,
    /// The authenticator's signature counter at registration (0: it keeps none).
    pub sign_count: u32,
    /// The lawyer's name for it ("办公室电脑"), shown in the list of passkeys.
    pub name: String,
    /// The attestation format the browser sent ("none" as the portal asks; not checked: the hub
    /// does not restrict which authenticators lawyers use).
    pub attestation: String,
    /// Whether the authenticator said the key is backed up (a synced passkey, flag BS).
    pub backed_up: bool,
    /// The registration challenge's id (used up now).
    pub challenge: String,
    /// Hex SHA-256 of the session cookie it was registered in.
    pub session: String,
    /// The browser: address and user agent.
    pub client: String,
}

/// A lawyer removed one of their passkeys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyRemoved {
    /// The lawyer.
    pub identity: String,
    /// The credential id.
    pub credential_id: String,
    /// Hex SHA-256 of the session cookie it was removed in.
    pub session: String,
}

/// The passkey a `signed_in` was made with, and its counter then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyUse {
    /// The credential id, base64url.
    pub credential_id: String,
    /// The signature counter in the assertion.
    pub sign_count: u32,
    /// Whether the authenticator verified the lawyer (fingerprint, face, PIN: flag UV), not
    /// only their presence.
    #[serde(default)]
    pub user_verified: bool,
}

/// A passkey as the read model keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Passkey {
    /// As registered.
    pub registered: PasskeyRegistered,
    /// When it was registered.
    pub registered_at: DateTime<Utc>,
    /// Its `passkey_registered` entry.
    pub seq: u64,
    /// The highest signature counter seen.
    pub sign_count: u32,
    /// When it was last used to sign in.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Removed by the lawyer.
    pub removed: bool,
}

/// Why a passkey cannot sign in, in words for the lawyer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    /// Removed by the lawyer.
    Removed,
    /// The lawyer is no longer in the directory.
    NotListed,
    /// Registered before the lawyer's current directory entry.
    DirectoryChanged,
    /// The counter did not go up.
    CounterWentBack,
}

impl Unusable {
    /// What the lawyer reads.
    pub fn words(self) -> &'static str {
        match self {
            Unusable::Removed => "此通行密钥已被删除，请使用验证码登录。",
            Unusable::NotListed => "您已不在本院律师名录中，无法登录。如有疑问，请联系法院。",
            Unusable::DirectoryChanged => {
                "您在本院律师名录中的登记信息已变更，原有通行密钥已失效。请使用验证码登录后重新添加通行密钥。"
            }
            Unusable::CounterWentBack => {
                "此通行密钥的签名计数异常（可能已被复制），为保护您的账户，本次登录被拒绝。请使用验证码登录，删除该通行密钥后重新添加，并联系法院。"
            }
        }
    }
}

impl Passkey {
    /// Whether it still counts: not removed, and registered since the lawyer's current directory
    /// entry (`listed_at`, its seq; `None`: not listed).
    pub fn current(&self, listed_at: Option<u64>) -> bool {
        !self.removed && listed_at.is_some_and(|at| at < self.seq)
    }

    /// Whether it may sign in its lawyer with counter `sign_count`, given the `seq` of the
    /// lawyer's current directory entry (`None`: not listed).
    pub fn usable(&self, listed_at: Option<u64>, sign_count: u32) -> Result<(), Unusable> {
        if self.removed {
            return Err(Unusable::Removed);
        }
        match listed_at {
            None => return Err(Unusable::NotListed),
            Some(at) if at > self.seq => return Err(Unusable::DirectoryChanged),
            Some(_) => {}
        }
        // WebAuthn §7.2 step 21: both zero means the authenticator keeps no counter.
        if (sign_count != 0 || self.sign_count != 0) && sign_count <= self.sign_count {
            return Err(Unusable::CounterWentBack);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passkey(seq: u64, count: u32) -> Passkey {
        Passkey {
            registered: PasskeyRegistered {
                identity: "urn:ecenter:lawyer:1".into(),
                credential_id: "AAEC".into(),
                public_key: String::new(),
                algorithm: ES256,
                sign_count: count,
                name: "办公室电脑".into(),
                attestation: "none".into(),
                backed_up: false,
                challenge: "c1".into(),
                session: "s".into(),
                client: String::new(),
            },
            registered_at: Utc::now(),
            seq,
            sign_count: count,
            last_used_at: None,
            removed: false,
        }
    }

    #[test]
    fn a_counter_must_go_up_unless_the_authenticator_keeps_none() {
        assert_eq!(passkey(10, 0).usable(Some(5), 0), Ok(()));
        assert_eq!(passkey(10, 3).usable(Some(5), 4), Ok(()));
        assert_eq!(
            passkey(10, 3).usable(Some(5), 3),
            Err(Unusable::CounterWentBack)
        );
        assert_eq!(
            passkey(10, 3).usable(Some(5), 0),
            Err(Unusable::CounterWentBack)
        );
    }

    #[test]
    fn a_directory_change_or_removal_voids_it() {
        assert_eq!(
            passkey(10, 0).usable(Some(11), 0),
            Err(Unusable::DirectoryChanged)
        );
        assert_eq!(passkey(10, 0).usable(None, 0), Err(Unusable::NotListed));
        assert!(passkey(10, 0).current(Some(5)) && !passkey(10, 0).current(Some(11)));
        let mut removed = passkey(10, 0);
        removed.removed = true;
        assert_eq!(removed.usable(Some(5), 1), Err(Unusable::Removed));
    }
}
