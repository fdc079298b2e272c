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
    /// Whether it claims more than a reach: that the recipient's system reported the notice
    /// read — a read receipt (RFC 8098 MDN, `displayed`). Accepted, it is the fact of art. 31
    /// para. 2 (2) ([`crate::effective_service::DeliveryFact::ReadReported`]), presumed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read: bool,
    /// The clerk's judgment, once given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judgment: Option<ReportJudgment>,
    /// The report's own id, as [`crate::service::RecipientEvent::DeliveryReported`]'s.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub report: String,
    /// Where it came from and the copy the hub keeps (absent from reports set aside before the
    /// hub kept them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ReportSource>,
}

/// Where a delivery report came from and the copy of it the hub keeps: the evidence behind a
/// fact a proof of service states, which a court can read and weigh itself (the relay that wrote
/// it, the time it stated against the time the hub used, the report's own words).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSource {
    /// The MTA that wrote it (RFC 3464 §2.2.2 `Reporting-MTA`, e.g. `dns; mta.court.example`);
    /// empty when it names none (a free-text bounce).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub relay: String,
    /// The time the report states (§2.3.5 `Last-Attempt-Date`, else its `Date:`), `None` when it
    /// states none. When it is not the time recorded, the hub's receive time replaced it (a time
    /// before the notice was handed to the relay, or after the hub read the report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stated_at: Option<DateTime<Utc>>,
    /// When the hub read it.
    pub received_at: DateTime<Utc>,
    /// SHA-256 (hex) of the copy in the blob store: the message as it arrived, unless a part of
    /// it quoted the notice with the recipient's live link (then that part is cut, as every view
    /// the hub gives cuts links; see `received_sha256`).
    pub kept_sha256: String,
    /// SHA-256 (hex) of the message as it arrived, when the copy kept differs from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_sha256: Option<String>,
}

/// A delivery report the hub counted (authenticated, or accepted by a clerk): the fact it made
/// and what that fact rests on, so a proof can name the report behind each reach or bounce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountedReport {
    /// The channel.
    pub channel: Channel,
    /// Reached the recipient's system (true) or came back undelivered (false).
    pub reached: bool,
    /// The time recorded for the fact.
    pub at: DateTime<Utc>,
    /// The report's words as recorded.
    pub detail: String,
    /// The report's own id (empty in entries written before it was kept).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub report: String,
    /// Where it came from and the copy kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ReportSource>,
}

impl ReportSource {
    /// The stated time, when the hub recorded another (`at`) in its place.
    pub fn replaced(&self, at: DateTime<Utc>) -> Option<Option<DateTime<Utc>>> {
        (self.stated_at != Some(at)).then_some(self.stated_at)
    }
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
        if self.read {
            return crate::service::RecipientEvent::ReadReported {
                channel: self.channel,
                at: self.at,
                detail: format!("{}（书记员 {by} 审核后采纳）", self.detail),
                report: self.report.clone(),
                source: self.source.clone(),
            };
        }
        crate::service::RecipientEvent::DeliveryReported {
            channel: self.channel,
            reached: self.reached,
            at: self.at,
            detail: format!("{}（书记员 {by} 审核后采纳）", self.detail),
            suppress: self.suppress,
            report: self.report.clone(),
            source: self.source.clone(),
        }
    }
}

/// A report a recipient's service holds a copy of: counted, or set aside for the clerks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeptReport<'a> {
    /// The report's own id.
    pub report: &'a str,
    /// Where it came from and the copy kept.
    pub source: &'a ReportSource,
    /// Counted as evidence (a report set aside and then accepted is counted).
    pub counted: bool,
}

impl crate::service::RecipientService {
    /// Every report this service holds a copy of, once each (by the copy's digest), in the order
    /// read; reports recorded before copies were kept are not among them.
    pub fn kept_reports(&self) -> Vec<KeptReport<'_>> {
        let counted = (self.counted_reports.iter())
            .filter_map(|r| Some((r.report.as_str(), r.source.as_ref()?, true)));
        let aside = (self.unverified.iter())
            .filter_map(|u| Some((u.report.as_str(), u.source.as_ref()?, false)));
        let mut kept: Vec<KeptReport<'_>> = Vec::new();
        for (report, source, counted) in counted.chain(aside) {
            if !kept
                .iter()
                .any(|k| k.source.kept_sha256 == source.kept_sha256)
            {
                kept.push(KeptReport {
                    report,
                    source,
                    counted,
                });
            }
        }
        kept.sort_by_key(|k| k.source.received_at);
        kept
    }
}
