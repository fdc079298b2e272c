//! When electronic service (电子送达) takes effect, after Civil Procedure Law art. 90 and the SPC
//! Online Litigation Rules (人民法院在线诉讼规则) art. 29–33, from what happened on each channel.
//! docs/SERVICE.md has these rules as a table; every row is a test below.
//!
//! - Electronic service needs the recipient's consent; without it nothing served electronically
//!   takes effect.
//! - To an address the recipient provided or confirmed, service takes effect when the message reaches
//!   the recipient's system (a DSN *delivered*, an SMS delivery receipt) — art. 31 para. 1. A later
//!   bounce on that channel undoes it.
//! - To any other address (found by the court), only the recipient's reply or explicit confirmation of
//!   reading completes it; a system's read feedback only *presumes* it (the recipient may rebut) —
//!   art. 31 para. 2. Opening the link (a GET, which mail scanners do too) is never reading.
//! - Sent on several channels, the earliest effective time counts — art. 31 para. 4.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How the court came by an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressBasis {
    /// The recipient confirmed it (送达地址确认书).
    Confirmed,
    /// The recipient gave it of their own accord.
    Provided,
    /// The court found it otherwise (platform records, other cases).
    Discovered,
}

impl AddressBasis {
    /// Whether reaching this address completes service (art. 31 para. 1).
    pub fn reaching_suffices(self) -> bool {
        matches!(self, AddressBasis::Confirmed | AddressBasis::Provided)
    }
}

/// A way of serving.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// E-mail.
    Email,
    /// SMS.
    Sms,
}

/// Something that happened to one recipient's service, as recorded in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DeliveryFact {
    /// The message reached the recipient's system on `channel` (DSN delivered, SMS receipt).
    Reached {
        /// Where.
        channel: Channel,
        /// When.
        at: DateTime<Utc>,
    },
    /// The message came back undelivered on `channel` (a bounce or failure report).
    Bounced {
        /// Where.
        channel: Channel,
        /// When.
        at: DateTime<Utc>,
    },
    /// The recipient's link page, or the service's page in the lawyers' portal, was opened
    /// (GET): recorded, never counted as reading.
    Fetched {
        /// When.
        at: DateTime<Utc>,
        /// The channel whose notice carried the link, when known (absent in read models built
        /// before it was kept).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        channel: Option<Channel>,
        /// Opened in the lawyers' portal, signed in, not through a notice's link.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        portal: bool,
    },
    /// The recipient's system reported the message as read (a read receipt).
    ReadReported {
        /// Where.
        channel: Channel,
        /// When.
        at: DateTime<Utc>,
    },
    /// The recipient explicitly confirmed reading (the POST on the link page, or in the portal).
    ConfirmedReading {
        /// When.
        at: DateTime<Utc>,
        /// The channel whose notice carried the link, when known.
        #[serde(default)]
        channel: Option<Channel>,
        /// Confirmed in the lawyers' portal, signed in, not through a notice's link.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        portal: bool,
    },
    /// The recipient replied, or acted in the proceedings on what was served.
    Replied {
        /// When.
        at: DateTime<Utc>,
    },
}

/// The rule that decided an effective time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceRule {
    /// Art. 31 para. 1: reached an address the recipient provided or confirmed.
    ReachedConfirmedAddress,
    /// Art. 31 para. 2 (1): the recipient replied or acted on it.
    RecipientReplied,
    /// Art. 31 para. 2 (1): the recipient confirmed reading.
    RecipientConfirmedReading,
    /// Art. 31 para. 2 (2): a system reported it read — presumed, rebuttable.
    ReadReportedPresumed,
}

impl ServiceRule {
    /// The rule's stable name in the API and in proofs (`reached_confirmed_address`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ServiceRule::ReachedConfirmedAddress => "reached_confirmed_address",
            ServiceRule::RecipientReplied => "recipient_replied",
            ServiceRule::RecipientConfirmedReading => "recipient_confirmed_reading",
            ServiceRule::ReadReportedPresumed => "read_reported_presumed",
        }
    }

    /// Words for the proof of service and for clerks.
    pub fn describe(self) -> &'static str {
        match self {
            ServiceRule::ReachedConfirmedAddress => {
                "《在线诉讼规则》第31条第1款：送达信息到达受送达人确认或提供的电子地址"
            }
            ServiceRule::RecipientReplied => {
                "《在线诉讼规则》第31条第2款第1项：受送达人回复已收到或作出相应诉讼行为"
            }
            ServiceRule::RecipientConfirmedReading => {
                "《在线诉讼规则》第31条第2款第1项：受送达人确认已阅读送达材料"
            }
            ServiceRule::ReadReportedPresumed => {
                "《在线诉讼规则》第31条第2款第2项：系统反馈已阅知，推定送达（可反证推翻）"
            }
        }
    }

    /// Whether the recipient may still prove they did not receive it.
    pub fn presumed(self) -> bool {
        matches!(self, ServiceRule::ReadReportedPresumed)
    }
}

/// When service took effect and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectiveService {
    /// The effective time.
    pub at: DateTime<Utc>,
    /// The rule that decided it.
    pub rule: ServiceRule,
    /// The channel it came through, when one did.
    pub channel: Option<Channel>,
}

/// Why service has not (yet) taken effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotEffective {
    /// The recipient did not consent to electronic service.
    NoConsent,
    /// Nothing that completes service has happened yet.
    Pending,
}

/// The effective service of one recipient, from their consent, the basis of each channel's address
/// and everything that happened (in any order).
pub fn effective_service(
    consent: bool,
    addresses: &[(Channel, AddressBasis)],
    facts: &[DeliveryFact],
) -> Result<EffectiveService, NotEffective> {
    if !consent {
        return Err(NotEffective::NoConsent);
    }
    let mut ordered = facts.to_vec();
    ordered.sort_by_key(|f| match f {
        DeliveryFact::Reached { at, .. }
        | DeliveryFact::Bounced { at, .. }
        | DeliveryFact::Fetched { at, .. }
        | DeliveryFact::ReadReported { at, .. }
        | DeliveryFact::ConfirmedReading { at, .. }
        | DeliveryFact::Replied { at } => *at,
    });
    let basis = |channel: Channel| {
        addresses
            .iter()
            .find(|(c, _)| *c == channel)
            .map(|(_, b)| *b)
    };
    let mut candidates: Vec<EffectiveService> = Vec::new();
    for channel in [Channel::Email, Channel::Sms] {
        if !basis(channel).is_some_and(AddressBasis::reaching_suffices) {
            continue;
        }
        // The first reach that no later bounce on the same channel undid.
        let mut reached: Option<DateTime<Utc>> = None;
        for f in &ordered {
            match *f {
                DeliveryFact::Reached { channel: c, at } if c == channel && reached.is_none() => {
                    reached = Some(at);
                }
                DeliveryFact::Bounced { channel: c, .. } if c == channel => reached = None,
                _ => {}
            }
        }
        if let Some(at) = reached {
            candidates.push(EffectiveService {
                at,
                rule: ServiceRule::ReachedConfirmedAddress,
                channel: Some(channel),
            });
        }
    }
    for f in &ordered {
        let found = match *f {
            DeliveryFact::Replied { at } => Some((at, ServiceRule::RecipientReplied, None)),
            DeliveryFact::ConfirmedReading { at, channel, .. } => {
                Some((at, ServiceRule::RecipientConfirmedReading, channel))
            }
            DeliveryFact::ReadReported { channel, at } => {
                Some((at, ServiceRule::ReadReportedPresumed, Some(channel)))
            }
            _ => None,
        };
        if let Some((at, rule, channel)) = found {
            candidates.push(EffectiveService { at, rule, channel });
        }
    }
    // The earliest counts; at the same instant, a proven rule before a presumed one.
    candidates
        .into_iter()
        .min_by_key(|c| (c.at, c.rule.presumed()))
        .ok_or(NotEffective::Pending)
}

#[cfg(test)]
mod tests {
    use super::AddressBasis::{Confirmed, Discovered, Provided};
    use super::Channel::{Email, Sms};
    use super::DeliveryFact::*;
    use super::*;

    fn t(minute: u32) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("2026-11-28T02:{minute:02}:00Z"))
            .unwrap()
            .with_timezone(&Utc)
    }

    fn decided(
        addresses: &[(Channel, AddressBasis)],
        facts: &[DeliveryFact],
    ) -> Result<(DateTime<Utc>, ServiceRule, Option<Channel>), NotEffective> {
        effective_service(true, addresses, facts).map(|e| (e.at, e.rule, e.channel))
    }

    // Row 1: a confirmed address, reached → effective when reached.
    #[test]
    fn row_1_reaching_a_confirmed_address_completes_service() {
        assert_eq!(
            decided(
                &[(Email, Confirmed)],
                &[Reached {
                    channel: Email,
                    at: t(5)
                }]
            ),
            Ok((t(5), ServiceRule::ReachedConfirmedAddress, Some(Email)))
        );
    }

    // Row 2: an address the recipient provided, reached → the same.
    #[test]
    fn row_2_reaching_a_provided_address_completes_service() {
        assert_eq!(
            decided(
                &[(Sms, Provided)],
                &[Reached {
                    channel: Sms,
                    at: t(7)
                }]
            ),
            Ok((t(7), ServiceRule::ReachedConfirmedAddress, Some(Sms)))
        );
    }

    // Row 3: reached, then bounced on the same channel → undone.
    #[test]
    fn row_3_a_later_bounce_undoes_reaching() {
        let facts = [
            Reached {
                channel: Email,
                at: t(5),
            },
            Bounced {
                channel: Email,
                at: t(9),
            },
        ];
        assert_eq!(
            decided(&[(Email, Confirmed)], &facts),
            Err(NotEffective::Pending)
        );
        // Reached again after the bounce: effective from the new reach.
        let again = [
            facts[0],
            facts[1],
            Reached {
                channel: Email,
                at: t(20),
            },
        ];
        assert_eq!(
            decided(&[(Email, Confirmed)], &again).map(|d| d.0),
            Ok(t(20))
        );
    }

    // Row 4: a discovered address, reached only → not effective.
    #[test]
    fn row_4_reaching_a_discovered_address_is_not_enough() {
        assert_eq!(
            decided(
                &[(Email, Discovered)],
                &[Reached {
                    channel: Email,
                    at: t(5)
                }]
            ),
            Err(NotEffective::Pending)
        );
    }

    // Row 5: a discovered address, the recipient confirms reading → effective then.
    #[test]
    fn row_5_confirmed_reading_completes_service() {
        let facts = [
            Reached {
                channel: Email,
                at: t(5),
            },
            ConfirmedReading {
                at: t(30),
                channel: None,
                portal: false,
            },
        ];
        assert_eq!(
            decided(&[(Email, Discovered)], &facts),
            Ok((t(30), ServiceRule::RecipientConfirmedReading, None))
        );
    }

    // Row 6: a discovered address, the recipient replies → effective then.
    #[test]
    fn row_6_a_reply_completes_service() {
        assert_eq!(
            decided(&[(Sms, Discovered)], &[Replied { at: t(12) }]),
            Ok((t(12), ServiceRule::RecipientReplied, None))
        );
    }

    // Row 7: a discovered address, a read receipt → presumed, rebuttable.
    #[test]
    fn row_7_a_read_receipt_only_presumes_service() {
        let decided = effective_service(
            true,
            &[(Email, Discovered)],
            &[ReadReported {
                channel: Email,
                at: t(15),
            }],
        )
        .unwrap();
        assert_eq!(decided.rule, ServiceRule::ReadReportedPresumed);
        assert!(decided.rule.presumed());
        assert_eq!(decided.at, t(15));
    }

    // Row 8: the link page opened (GET) only → never reading.
    #[test]
    fn row_8_opening_the_link_is_not_reading() {
        assert_eq!(
            decided(
                &[(Email, Discovered)],
                &[
                    Fetched {
                        at: t(3),
                        channel: None,
                        portal: false,
                    },
                    Fetched {
                        at: t(4),
                        channel: None,
                        portal: true,
                    }
                ]
            ),
            Err(NotEffective::Pending)
        );
    }

    // Row 9: several channels → the earliest effective one counts.
    #[test]
    fn row_9_the_earliest_effective_channel_counts() {
        let facts = [
            Reached {
                channel: Email,
                at: t(40),
            },
            Reached {
                channel: Sms,
                at: t(10),
            },
            ConfirmedReading {
                at: t(50),
                channel: Some(Email),
                portal: false,
            },
        ];
        assert_eq!(
            decided(&[(Email, Confirmed), (Sms, Confirmed)], &facts),
            Ok((t(10), ServiceRule::ReachedConfirmedAddress, Some(Sms)))
        );
        // A discovered SMS address reached first does not count; the confirmed e-mail does.
        assert_eq!(
            decided(&[(Email, Confirmed), (Sms, Discovered)], &facts).map(|d| d.2),
            Ok(Some(Email))
        );
    }

    // Row 10: no consent → nothing served electronically takes effect.
    #[test]
    fn row_10_without_consent_nothing_takes_effect() {
        assert_eq!(
            effective_service(
                false,
                &[(Email, Confirmed)],
                &[
                    Reached {
                        channel: Email,
                        at: t(5)
                    },
                    Replied { at: t(6) }
                ]
            ),
            Err(NotEffective::NoConsent)
        );
    }

    // Facts arrive out of order (a DSN after the reply it preceded): the decision does not change.
    #[test]
    fn the_order_facts_are_recorded_in_does_not_matter() {
        let facts = [
            Bounced {
                channel: Email,
                at: t(9),
            },
            Reached {
                channel: Email,
                at: t(5),
            },
            Replied { at: t(30) },
        ];
        assert_eq!(
            decided(&[(Email, Confirmed)], &facts),
            Ok((t(30), ServiceRule::RecipientReplied, None))
        );
        assert!(ServiceRule::RecipientReplied.describe().contains("第31条"));
    }
}
