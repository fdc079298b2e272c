//! Notices of electronic filing (as CM/ECF's NEF; 电子诉讼进度通知): when a filing is received,
//! accepted (in whole or in part), returned for correction, rejected or docketed, the lawyer who
//! filed it — and the co-counsel that lawyer registered on its case — get an e-mail or SMS at the
//! addresses each opted in to, with a link to the filing's status.
//!
//! Everything here is a projection of the log, as service is: the filing event makes one
//! [`FilingNotice`] per opted-in address due (in the same transaction), the outbox leases it with
//! `filing_notice_sending` before the provider sees it and closes it with `filing_notice_result`.
//! A notice is a courtesy, not service: it never decides an effective time and carries no proof.

use crate::effective_service::Channel;
use crate::error::{DomainError, FieldViolation};
use crate::event::Event;
use crate::filing::Filing;
use crate::lifecycle::{DocumentStatus, FilingState};
use crate::service::AttemptResult;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Most addresses one person may register.
pub const MAX_ADDRESSES: usize = 5;

/// An address a person opted in to notices at.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NoticeAddress {
    /// E-mail or SMS.
    pub channel: Channel,
    /// The mailbox, or the 11-digit mainland mobile number.
    pub address: String,
}

impl NoticeAddress {
    /// Checks a whole list (at most [`MAX_ADDRESSES`], each well-formed, none twice), naming every
    /// bad entry as `addresses[i]`.
    pub fn check_all(list: &[NoticeAddress]) -> Result<(), DomainError> {
        let mut bad = Vec::new();
        if list.len() > MAX_ADDRESSES {
            bad.push(FieldViolation::new(
                "addresses",
                format!(
                    "{} addresses given; at most {MAX_ADDRESSES} / 最多登记 {MAX_ADDRESSES} 个地址",
                    list.len()
                ),
            ));
        }
        for (i, a) in list.iter().enumerate() {
            let field = format!("addresses[{i}]");
            let ok = match a.channel {
                Channel::Email => crate::serve_order::valid_email(&a.address),
                Channel::Sms => crate::serve_order::valid_phone(&a.address),
            };
            if !ok {
                let what = match a.channel {
                    Channel::Email => "not an e-mail address / 不是有效的电子邮箱",
                    Channel::Sms => {
                        "not an 11-digit mainland mobile number / 不是有效的11位手机号码"
                    }
                };
                bad.push(FieldViolation::new(
                    field,
                    format!("「{}」 is {what}", crate::text::quoted(&a.address, 60)),
                ));
            } else if list[..i].iter().any(|b| b.same_as(a)) {
                bad.push(FieldViolation::new(field, "given twice / 重复"));
            }
        }
        if bad.is_empty() {
            Ok(())
        } else {
            Err(DomainError::InvalidInput(bad))
        }
    }

    fn same_as(&self, other: &NoticeAddress) -> bool {
        self.channel == other.channel && self.address.eq_ignore_ascii_case(&other.address)
    }
}

/// The step of a filing a notice tells of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeStage {
    /// The hub received it (收到).
    Received,
    /// Every document accepted.
    Accepted,
    /// Some documents accepted, the others refused.
    PartiallyAccepted,
    /// Returned for correction (退回补正).
    Returned,
    /// Every document refused (不予接收).
    Rejected,
    /// Entered in the case file (已立案 / 已入卷).
    Docketed,
}

impl NoticeStage {
    /// The step `event` took `filing` (as it stands after the event) to, if it is one notices
    /// are sent for.
    pub fn of(event: &Event, filing: &Filing) -> Option<NoticeStage> {
        match event {
            Event::FilingReceived(_) => Some(NoticeStage::Received),
            Event::FilingDocketed { .. } => Some(NoticeStage::Docketed),
            Event::FilingReviewed { .. } => match filing.state {
                FilingState::Accepted => Some(NoticeStage::Accepted),
                FilingState::PartiallyAccepted => Some(NoticeStage::PartiallyAccepted),
                FilingState::ReturnedForCorrection => Some(NoticeStage::Returned),
                FilingState::Rejected => Some(NoticeStage::Rejected),
                _ => None,
            },
            _ => None,
        }
    }

    /// Stable token, as in the log and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeStage::Received => "received",
            NoticeStage::Accepted => "accepted",
            NoticeStage::PartiallyAccepted => "partially_accepted",
            NoticeStage::Returned => "returned_for_correction",
            NoticeStage::Rejected => "rejected",
            NoticeStage::Docketed => "docketed",
        }
    }

    /// As a notice names it.
    pub fn label(self) -> &'static str {
        match self {
            NoticeStage::Received => "已收到",
            NoticeStage::Accepted => "已接收",
            NoticeStage::PartiallyAccepted => "部分接收",
            NoticeStage::Returned => "退回补正",
            NoticeStage::Rejected => "不予接收",
            NoticeStage::Docketed => "已立案（入卷）",
        }
    }
}

/// A document as a notice tells of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticedDocument {
    /// `D1`, ...
    pub document_id: String,
    /// Its file name.
    pub name: String,
    /// The court's decision so far.
    pub status: DocumentStatus,
    /// The court's reason, if refused or returned.
    pub reason: String,
}

/// How a notice's sending ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NoticeOutcome {
    /// The relay or SMSC accepted it.
    Sent {
        /// The provider's id for it.
        gateway_id: String,
    },
    /// It could not be sent (bad address, attempts used up, a bounced address).
    Failed {
        /// Why, in the provider's words.
        detail: String,
    },
}

/// One notice to one address of one person about one step of one filing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilingNotice {
    /// `N<seq>-<k>`: the log entry of the step and the notice's place among its notices.
    pub notice_id: String,
    /// The filing.
    pub filing_id: String,
    /// The step.
    pub stage: NoticeStage,
    /// Whom it is for (the filer or a co-counsel).
    pub identity: String,
    /// Whether that person filed it (false: co-counsel on the case).
    pub filer: bool,
    /// The channel.
    pub channel: Channel,
    /// The address opted in.
    pub address: String,
    /// The case number, normalised, once there is one.
    pub case_number: Option<String>,
    /// 起诉状, ...
    pub filing_kind: String,
    /// The filing's title.
    pub title: String,
    /// The documents and the court's decisions at this step.
    pub documents: Vec<NoticedDocument>,
    /// The court's comment at this step.
    pub comment: String,
    /// When the step was recorded.
    pub created_at: DateTime<Utc>,
    /// When it is to be sent next; none once in flight or finished.
    pub due_at: Option<DateTime<Utc>>,
    /// Attempts made.
    pub attempts: u32,
    /// Leased and not yet answered.
    pub in_flight: bool,
    /// Whether the last failed attempt may have gone out anyway.
    #[serde(default)]
    pub maybe_sent: bool,
    /// The Message-ID (the same on every attempt).
    #[serde(default)]
    pub message_id: String,
    /// The text sent (the same on every attempt).
    #[serde(default)]
    pub subject: String,
    /// The text sent.
    #[serde(default)]
    pub body: String,
    /// The nonce of the status link it carries.
    #[serde(default)]
    pub link_nonce: String,
    /// When that link expires (Unix seconds); 0 for a notice logged with its link's token.
    #[serde(default)]
    pub link_expires: u64,
    /// The last failure's words.
    #[serde(default)]
    pub last_error: String,
    /// The instance that leased the latest attempt.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub holder: String,
    /// How it ended.
    pub outcome: Option<NoticeOutcome>,
}

/// What happens to a notice after it is due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FilingNoticeEvent {
    /// Leased: the text that goes out, recorded before the provider sees it.
    Sending {
        /// 1, 2, ...
        attempt: u32,
        /// Its Message-ID.
        message_id: String,
        /// E-mail subject (empty for SMS).
        subject: String,
        /// The text.
        body: String,
        /// The nonce of the status link in the text.
        link_nonce: String,
        /// When that link expires (Unix seconds): with the nonce it makes the link's token again,
        /// which the text holds only as a hash (a credential is never logged). 0 in notices
        /// logged with their token.
        #[serde(default, skip_serializing_if = "is_zero")]
        link_expires: u64,
        /// Sent again after a stop left its outcome unknown.
        in_doubt: bool,
        /// The hub instance that leased it (as `notice_sending`'s).
        #[serde(default, skip_serializing_if = "String::is_empty")]
        holder: String,
    },
    /// What the provider answered.
    Result {
        /// The attempt answered.
        attempt: u32,
        /// Accepted, temporary (due again at `retry_at`) or permanent.
        result: AttemptResult,
    },
}

/// One person the notices of a step go to, with the addresses they opted in to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeParty {
    /// Their identity.
    pub identity: String,
    /// Whether they filed the filing.
    pub filer: bool,
    /// Their addresses.
    pub addresses: Vec<NoticeAddress>,
}

impl FilingNotice {
    /// The notices `stage` of `filing`, recorded as entry `seq` at `at`, makes due: one per
    /// address of each party, in order.
    pub fn due(
        stage: NoticeStage,
        filing: &Filing,
        comment: &str,
        seq: u64,
        at: DateTime<Utc>,
        parties: &[NoticeParty],
    ) -> Vec<FilingNotice> {
        let documents: Vec<NoticedDocument> = filing
            .documents
            .iter()
            .map(|d| NoticedDocument {
                document_id: d.received.document_id.clone(),
                name: d.received.name.clone(),
                status: d.status,
                reason: d.reason.clone(),
            })
            .collect();
        let each = parties
            .iter()
            .flat_map(|p| p.addresses.iter().map(move |a| (p, a)));
        each.enumerate()
            .map(|(k, (party, a))| FilingNotice {
                notice_id: format!("N{seq}-{}", k + 1),
                filing_id: filing.filing_id.clone(),
                stage,
                identity: party.identity.clone(),
                filer: party.filer,
                channel: a.channel,
                address: a.address.clone(),
                case_number: filing
                    .case_number
                    .as_ref()
                    .map(crate::CaseNumber::normalized),
                filing_kind: filing.filing_kind.clone(),
                title: filing.title.clone(),
                documents: documents.clone(),
                comment: comment.to_string(),
                created_at: at,
                due_at: Some(at),
                attempts: 0,
                in_flight: false,
                maybe_sent: false,
                message_id: String::new(),
                subject: String::new(),
                body: String::new(),
                link_nonce: String::new(),
                link_expires: 0,
                last_error: String::new(),
                holder: String::new(),
                outcome: None,
            })
            .collect()
    }

    /// The notice after `event`.
    pub fn apply(&mut self, event: &FilingNoticeEvent) {
        match event {
            FilingNoticeEvent::Sending {
                attempt,
                message_id,
                subject,
                body,
                link_nonce,
                link_expires,
                holder,
                ..
            } => {
                self.holder.clone_from(holder);
                self.attempts = *attempt;
                self.in_flight = true;
                self.due_at = None;
                self.message_id.clone_from(message_id);
                self.subject.clone_from(subject);
                self.body.clone_from(body);
                self.link_nonce.clone_from(link_nonce);
                self.link_expires = *link_expires;
            }
            // An answer to an attempt another instance has since sent again (see
            // `RecipientEvent::NoticeResult`): evidence in the log, no change here.
            FilingNoticeEvent::Result { attempt, .. } if *attempt < self.attempts => {}
            FilingNoticeEvent::Result { result, .. } => {
                self.in_flight = false;
                // Only a temporary failure leaves it due (again, at `retry_at`).
                self.due_at = None;
                match result {
                    AttemptResult::Accepted { gateway_id, .. } => {
                        self.outcome = Some(NoticeOutcome::Sent {
                            gateway_id: gateway_id.clone(),
                        });
                    }
                    AttemptResult::Temporary {
                        detail,
                        retry_at,
                        maybe_sent,
                    } => {
                        self.due_at = Some(*retry_at);
                        self.maybe_sent = *maybe_sent;
                        self.last_error.clone_from(detail);
                    }
                    AttemptResult::Permanent { detail, .. } => {
                        self.last_error.clone_from(detail);
                        self.outcome = Some(NoticeOutcome::Failed {
                            detail: detail.clone(),
                        });
                    }
                }
            }
        }
    }

    /// The parties of a step: the filer first, then each co-counsel the filer registered on the
    /// case (not the filer again), each with the addresses they opted in to; people with none are
    /// left out.
    pub fn parties(
        filer: &str,
        co_counsel: &[String],
        mut addresses_of: impl FnMut(&str) -> Vec<NoticeAddress>,
    ) -> Vec<NoticeParty> {
        let mut out = vec![NoticeParty {
            identity: filer.to_string(),
            filer: true,
            addresses: addresses_of(filer),
        }];
        for c in co_counsel {
            if out.iter().any(|p| &p.identity == c) {
                continue;
            }
            out.push(NoticeParty {
                identity: c.clone(),
                filer: false,
                addresses: addresses_of(c),
            });
        }
        out.retain(|p| !p.addresses.is_empty());
        out
    }
}

#[cfg(test)]
mod tests;

/// Whether `n` is 0 (serde: a field left out of entries that have none).
#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &u64) -> bool {
    *n == 0
}
