//! Signing in to the lawyers' portal (诉讼服务) with a one-time code, as events and the rules that
//! decide them.
//!
//! A lawyer of the court's directory ([`crate::lawyer`]) asks for a code; the hub records
//! [`CodeSent`] (the lease: durable before the SMS gateway or mail relay sees anything), hands the
//! code to the outbox's provider and records [`CodeResult`]. The code itself is never in the log: it
//! is derived from a key the hub keeps outside the log and the attempt's random id, so a reader of
//! the log cannot sign in, while the hub can check a code after a restart. Typing the right code
//! within [`Limits::code_valid`] records [`SignedIn`] with the SHA-256 of the session cookie (again
//! never the cookie); a wrong, expired or used code records [`SignInRefused`] with the reason the
//! lawyer was shown. Sessions are a projection of these events, so every instance of the hub knows
//! them and a restart keeps them.
//!
//! Limits (a code is 6 digits: one guess in a million): at most [`Limits::codes_per_minute`]
//! codes a minute and [`Limits::codes_per_hour`] an hour per lawyer, [`Limits::tries`] wrong codes
//! end the attempt, a code is good once.

use crate::effective_service::Channel;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// The sign-in rules' figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long a code is good for after it was issued.
    pub code_valid: TimeDelta,
    /// Codes a lawyer may ask for in any 60 seconds.
    pub codes_per_minute: usize,
    /// Codes a lawyer may ask for in any hour.
    pub codes_per_hour: usize,
    /// Wrong codes that end an attempt.
    pub tries: u32,
    /// How long a session lasts after signing in (a working day; then sign in again).
    pub session: TimeDelta,
    /// Wrong codes a lawyer's sign-ins may take in 24 hours, over all attempts: then no code is
    /// sent until the oldest is a day old (bounds guessing at this many tries a day, per lawyer).
    pub wrong_per_day: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            code_valid: TimeDelta::minutes(10),
            codes_per_minute: 1,
            codes_per_hour: 5,
            tries: 5,
            session: TimeDelta::hours(8),
            wrong_per_day: 10,
        }
    }
}

/// A code was issued to a lawyer and is about to be handed to the provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeSent {
    /// The attempt's random id (also the browser's sign-in cookie); the code derives from it.
    pub attempt: String,
    /// The lawyer.
    pub identity: String,
    /// Where it goes: the directory's phone or e-mail at the time.
    pub channel: Channel,
    /// The address.
    pub address: String,
    /// The message's Message-ID (e-mail) or reference (SMS).
    pub message_id: String,
    /// When the code stops being good.
    pub expires_at: DateTime<Utc>,
    /// The browser that asked: address and user agent.
    pub client: String,
}

/// What the provider answered for a code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeResult {
    /// The attempt.
    pub attempt: String,
    /// Whether the relay or SMSC accepted it.
    pub accepted: bool,
    /// Its answer (queue id, message ids) or why it failed.
    pub detail: String,
    /// Not accepted, but it may have gone out (the connection broke during the hand-over).
    #[serde(default)]
    pub maybe_sent: bool,
}

/// A lawyer signed in with the code of an attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedIn {
    /// The attempt whose code was typed (used up now).
    pub attempt: String,
    /// Lowercase hex SHA-256 of the session cookie.
    pub session: String,
    /// The lawyer.
    pub identity: String,
    /// When the session ends.
    pub expires_at: DateTime<Utc>,
    /// The browser.
    pub client: String,
    /// Signed in with a passkey, not a code: which, and its counter (`attempt` is then the
    /// challenge's id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passkey: Option<crate::passkey::PasskeyUse>,
}

/// A request to sign in was refused: an unknown lawyer, too many codes, a wrong or spent code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInRefused {
    /// The attempt concerned (empty when the refusal came before any code).
    pub attempt: String,
    /// The lawyer, when known.
    pub identity: String,
    /// What was typed as the lawyer (licence number or identity), shortened.
    pub asked_as: String,
    /// Why, as the lawyer was told.
    pub reason: String,
    /// A wrong code was typed (counts against [`Limits::tries`]).
    pub wrong_code: bool,
    /// Whether this refusal ended the attempt (its last try).
    pub ended_attempt: bool,
    /// The browser.
    pub client: String,
    /// The passkey's credential id, when a passkey was refused (`attempt` is then the
    /// challenge's id, used up).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub passkey: String,
}

/// A session ended before its time: the lawyer signed out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedOut {
    /// Lowercase hex SHA-256 of the session cookie.
    pub session: String,
    /// The lawyer.
    pub identity: String,
}

/// One attempt as the projection keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// As issued.
    pub sent: CodeSent,
    /// The provider's answer, once recorded.
    pub accepted: Option<bool>,
    /// Wrong codes typed so far.
    pub wrong: u32,
    /// Ended: signed in with, or out of tries.
    pub ended: bool,
    /// When its `sign_in_code_sent` was recorded.
    #[serde(default)]
    pub sent_at: Option<DateTime<Utc>>,
}

/// A lawyer's recent sign-in history, for the limits: when codes were sent (last hour; a code
/// the provider refused outright does not count) and when wrong codes were typed (last day).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// Codes sent within the last hour.
    pub codes_sent: Vec<DateTime<Utc>>,
    /// Wrong codes typed within the last 24 hours.
    #[serde(default)]
    pub wrong_codes: Vec<DateTime<Utc>>,
}

impl History {
    /// Drops what is older than the limits look at, as of `now`.
    pub fn prune(&mut self, now: DateTime<Utc>) {
        self.codes_sent.retain(|t| now - *t < TimeDelta::hours(1));
        self.wrong_codes.retain(|t| now - *t < TimeDelta::days(1));
    }
}

/// Why an attempt's code can no longer be used, in words for the lawyer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spent {
    /// The provider refused the code, so nobody received it.
    NotSent,
    /// Past [`CodeSent::expires_at`].
    Expired,
    /// Signed in with already, or out of tries.
    Ended,
}

impl Spent {
    /// What the lawyer reads.
    pub fn words(self) -> &'static str {
        match self {
            Spent::NotSent => "验证码未能发出，请重新获取验证码。",
            Spent::Expired => "验证码已过期，请重新获取验证码。",
            Spent::Ended => "此验证码已使用或已失效，请重新获取验证码。",
        }
    }
}

impl Attempt {
    /// Whether its code may still be checked at `now`.
    pub fn usable(&self, now: DateTime<Utc>) -> Result<(), Spent> {
        if self.ended {
            Err(Spent::Ended)
        } else if self.accepted == Some(false) {
            Err(Spent::NotSent)
        } else if now >= self.sent.expires_at {
            Err(Spent::Expired)
        } else {
            Ok(())
        }
    }
}

/// A session as the projection keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The lawyer.
    pub identity: String,
    /// When they signed in.
    pub signed_in_at: DateTime<Utc>,
    /// When it ends.
    pub expires_at: DateTime<Utc>,
    /// Signed out.
    pub ended: bool,
    /// The `signed_in` entry, so a reader can wait for it to be durable.
    pub seq: u64,
}

impl Session {
    /// Whether it still stands at `now`.
    pub fn current(&self, now: DateTime<Utc>) -> bool {
        !self.ended && now < self.expires_at
    }
}

/// Which limit a request for a code met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// [`Limits::codes_per_minute`].
    Minute,
    /// [`Limits::codes_per_hour`].
    Hour,
    /// [`Limits::wrong_per_day`].
    WrongCodes,
}

/// Refused for asking too often: which limit, and how long to wait, in whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooSoon {
    /// The limit met (the one that lasts longest, when several are).
    pub limit: Limit,
    /// Seconds until a code may be asked for again.
    pub wait_secs: i64,
}

impl TooSoon {
    /// What the lawyer reads.
    pub fn words(self) -> String {
        let minutes = (self.wait_secs + 59) / 60;
        match self.limit {
            Limit::Minute => format!("获取验证码过于频繁，请 {} 秒后再试。", self.wait_secs),
            Limit::Hour => {
                format!("一小时内获取验证码的次数已达上限，请 {minutes} 分钟后再试或联系法院。")
            }
            Limit::WrongCodes if self.wait_secs > 3600 => format!(
                "验证码错误次数过多，为保护您的账户，已暂停发送验证码，请 {} 小时后再试或联系法院。",
                (self.wait_secs + 3599) / 3600
            ),
            Limit::WrongCodes => format!(
                "验证码错误次数过多，为保护您的账户，已暂停发送验证码，请 {minutes} 分钟后再试或联系法院。"
            ),
        }
    }
}

/// Whether a lawyer with `history` may be sent another code at `now`.
pub fn may_send(limits: &Limits, history: &History, now: DateTime<Utc>) -> Result<(), TooSoon> {
    let wait = |times: &[DateTime<Utc>], window: TimeDelta, most: usize| {
        let mut within: Vec<DateTime<Utc>> = times
            .iter()
            .copied()
            .filter(|t| now - *t < window)
            .collect();
        if within.len() < most {
            return None;
        }
        within.sort();
        // The oldest of the newest `most` leaves the window first.
        let leaves = within[within.len() - most] + window;
        Some((leaves - now).num_seconds().max(1))
    };
    let sent = &history.codes_sent;
    let waits = [
        (
            Limit::Minute,
            wait(sent, TimeDelta::minutes(1), limits.codes_per_minute),
        ),
        (
            Limit::Hour,
            wait(sent, TimeDelta::hours(1), limits.codes_per_hour),
        ),
        (
            Limit::WrongCodes,
            wait(
                &history.wrong_codes,
                TimeDelta::days(1),
                limits.wrong_per_day,
            ),
        ),
    ];
    match waits
        .into_iter()
        .filter_map(|(limit, w)| w.map(|wait_secs| TooSoon { limit, wait_secs }))
        .max_by_key(|t| t.wait_secs)
    {
        Some(too_soon) => Err(too_soon),
        None => Ok(()),
    }
}

/// Where a lawyer's sign-in codes stand at a moment, for the court (GetSignInState).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// The stop on sending codes, if the hour's codes or the day's wrong codes are used up (the
    /// one-a-minute pace is not a stop).
    pub stop: Option<TooSoon>,
    /// Wrong codes typed in the last 24 hours.
    pub wrong_codes_today: usize,
    /// Codes sent in the last hour.
    pub codes_this_hour: usize,
}

/// Where `history`'s lawyer stands at `now` under `limits`.
pub fn standing(limits: &Limits, history: &History, now: DateTime<Utc>) -> Standing {
    let within = |times: &[DateTime<Utc>], window: TimeDelta| {
        times.iter().filter(|t| now - **t < window).count()
    };
    Standing {
        stop: may_send(limits, history, now)
            .err()
            .filter(|t| t.limit != Limit::Minute),
        wrong_codes_today: within(&history.wrong_codes, TimeDelta::days(1)),
        codes_this_hour: within(&history.codes_sent, TimeDelta::hours(1)),
    }
}

/// Whether `history` holds [`Limits::wrong_per_day`] wrong codes within the day before `now`:
/// then no code is checked at all, right or wrong, until the oldest is a day old.
pub fn out_of_tries(limits: &Limits, history: &History, now: DateTime<Utc>) -> bool {
    history
        .wrong_codes
        .iter()
        .filter(|t| now - **t < TimeDelta::days(1))
        .count()
        >= limits.wrong_per_day
}

/// Shows a phone or e-mail with its middle hidden (138****8000, z***@example.cn): enough for the
/// lawyer to recognise, little for someone looking over their shoulder.
pub fn masked(channel: Channel, address: &str) -> String {
    let chars: Vec<char> = address.chars().collect();
    match channel {
        Channel::Sms if chars.len() >= 7 => {
            let (head, tail) = (&chars[..3], &chars[chars.len() - 4..]);
            format!("{}****{}", String::from_iter(head), String::from_iter(tail))
        }
        Channel::Email => match address.split_once('@') {
            Some((local, domain)) => {
                let first: String = local.chars().take(1).collect();
                format!("{first}***@{domain}")
            }
            None => "***".into(),
        },
        Channel::Sms => "***".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn one_code_a_minute_and_five_an_hour() {
        let l = Limits::default();
        let sent = |times: Vec<DateTime<Utc>>| History {
            codes_sent: times,
            wrong_codes: Vec::new(),
        };
        assert_eq!(may_send(&l, &sent(vec![]), at(0)), Ok(()));
        assert_eq!(
            may_send(&l, &sent(vec![at(0)]), at(20)),
            Err(TooSoon {
                limit: Limit::Minute,
                wait_secs: 40
            })
        );
        assert_eq!(may_send(&l, &sent(vec![at(0)]), at(60)), Ok(()));
        let five = sent((0..5).map(|i| at(i * 120)).collect());
        // The first of the five leaves the hour at 3600 s.
        assert_eq!(
            may_send(&l, &five, at(1200)),
            Err(TooSoon {
                limit: Limit::Hour,
                wait_secs: 2400
            })
        );
        assert_eq!(may_send(&l, &five, at(3600)), Ok(()));
        let words = |limit, wait_secs| TooSoon { limit, wait_secs }.words();
        assert!(words(Limit::Hour, 2400).contains("40 分钟后再试或联系法院"));
        assert!(words(Limit::Minute, 40).contains("40 秒"));
        assert!(words(Limit::WrongCodes, 1200).contains("错误次数过多"));
    }

    #[test]
    fn the_standing_names_a_stop_but_not_the_minute_pace() {
        let l = Limits::default();
        let one = History {
            codes_sent: vec![at(0)],
            wrong_codes: vec![at(0)],
        };
        let s = standing(&l, &one, at(20));
        assert_eq!(
            (s.stop, s.codes_this_hour, s.wrong_codes_today),
            (None, 1, 1)
        );
        let ten_wrong = History {
            codes_sent: vec![at(0)],
            wrong_codes: (0..10).map(|i| at(i * 60)).collect(),
        };
        let s = standing(&l, &ten_wrong, at(3700));
        assert_eq!(s.stop.map(|t| t.limit), Some(Limit::WrongCodes));
        assert_eq!((s.codes_this_hour, s.wrong_codes_today), (0, 10));
        // The first wrong code leaves the day at 86400 s.
        assert_eq!(s.stop.map(|t| t.wait_secs), Some(86_400 - 3700));
    }

    #[test]
    fn ten_wrong_codes_in_a_day_stop_codes_until_the_first_is_a_day_old() {
        let l = Limits::default();
        let mut h = History {
            codes_sent: Vec::new(),
            wrong_codes: (0..9).map(|i| at(i * 60)).collect(),
        };
        assert_eq!(may_send(&l, &h, at(3600)), Ok(()));
        assert!(!out_of_tries(&l, &h, at(3600)));
        h.wrong_codes.push(at(600));
        let refused = may_send(&l, &h, at(3600)).unwrap_err();
        assert_eq!(refused.limit, Limit::WrongCodes);
        assert_eq!(refused.wait_secs, 86_400 - 3600);
        assert!(out_of_tries(&l, &h, at(3600)));
        assert!(refused.words().contains("23 小时"), "{}", refused.words());
        assert_eq!(may_send(&l, &h, at(86_400)), Ok(()));
        h.prune(at(86_400 + 600));
        assert_eq!(h.wrong_codes.len(), 0);
    }

    #[test]
    fn an_attempt_is_spent_when_ended_unsent_or_expired() {
        let mut a = Attempt {
            sent: CodeSent {
                attempt: "a".into(),
                identity: "urn:ecenter:lawyer:1".into(),
                channel: Channel::Sms,
                address: "13800138000".into(),
                message_id: "m".into(),
                expires_at: at(600),
                client: String::new(),
            },
            accepted: None,
            wrong: 0,
            ended: false,
            sent_at: None,
        };
        assert_eq!(a.usable(at(599)), Ok(()));
        assert_eq!(a.usable(at(600)), Err(Spent::Expired));
        a.accepted = Some(false);
        assert_eq!(a.usable(at(1)), Err(Spent::NotSent));
        a.ended = true;
        assert_eq!(a.usable(at(1)), Err(Spent::Ended));
    }

    #[test]
    fn addresses_are_shown_with_their_middle_hidden() {
        assert_eq!(masked(Channel::Sms, "13800138000"), "138****8000");
        assert_eq!(
            masked(Channel::Email, "zhang@chutian-law.cn"),
            "z***@chutian-law.cn"
        );
        assert_eq!(masked(Channel::Email, "张明@律所.cn"), "张***@律所.cn");
    }
}
