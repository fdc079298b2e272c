//! Reports the hub does not take on trust: a delivery report it cannot authenticate, or one that
//! contradicts what is already established, is kept for the clerks instead of changing the service
//! by itself (issue #17). A clerk's judgment is an event of its own; an accepted report is then
//! recorded as the report it is, so the effective time, the proof and the suppression list follow
//! from the same rules as for any authenticated report.

use crate::effective_service::Channel;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A report set aside for the clerks instead of changing the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnverifiedReport {
    /// The channel.
    pub channel: Channel,
    /// When, as the report says (bounded like any report).
    pub at: DateTime<Utc>,
    /// The report's words.
    pub detail: String,
    /// Why it was set aside.
    pub reason: String,
    /// What it claims: reached the recipient's system (true) or came back undelivered (false).
    /// Reports set aside before this field existed were all bounces.
    #[serde(default)]
    pub reached: bool,
    /// Whether, if accepted, it says the address fails for good (RFC 3463 X.1.x).
    #[serde(default)]
    pub suppress: bool,
    /// The clerk's judgment, once given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judgment: Option<ReportJudgment>,
    /// The report's own id, as [`crate::service::RecipientEvent::DeliveryReported`]'s.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub report: String,
}

/// A clerk's judgment of a report set aside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportJudgment {
    /// Accepted as evidence (then recorded as the report it is) or rejected.
    pub accepted: bool,
    /// The clerk.
    pub by: String,
    /// Why (required: the record a court reads).
    pub note: String,
    /// When.
    pub at: DateTime<Utc>,
}

impl UnverifiedReport {
    /// Whether a clerk still has to judge it.
    pub fn pending(&self) -> bool {
        self.judgment.is_none()
    }

    /// What the hub records when a clerk accepts it: the report as evidence, its detail naming the
    /// clerk who vouched for it.
    pub fn accepted_as(&self, by: &str) -> crate::service::RecipientEvent {
        crate::service::RecipientEvent::DeliveryReported {
            channel: self.channel,
            reached: self.reached,
            at: self.at,
            detail: format!("{}（书记员 {by} 审核后采纳）", self.detail),
            suppress: self.suppress,
            report: self.report.clone(),
        }
    }
}
