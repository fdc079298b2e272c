//! Delivery reports in a recipient's service: each counted report kept with the fact it makes,
//! and the ids of every report recorded so none is recorded twice.

use super::*;

impl RecipientService {
    /// A delivery report counted (`event`, recorded at `at`): kept with the fact it makes.
    pub(super) fn report_counted(&mut self, event: &RecipientEvent, at: DateTime<Utc>) {
        let RecipientEvent::DeliveryReported {
            channel,
            reached,
            at: reported,
            detail,
            report,
            source,
            ..
        } = event
        else {
            return;
        };
        self.report_seen(report);
        self.counted_reports.push(CountedReport {
            channel: *channel,
            reached: *reached,
            at: *reported,
            detail: detail.clone(),
            report: report.clone(),
            source: source.clone(),
        });
        self.delivery_reported(*channel, *reached, *reported, detail, at);
    }

    /// A delivery report that was checked: a fact, and a failed channel when it bounced.
    fn delivery_reported(
        &mut self,
        channel: Channel,
        reached: bool,
        reported: DateTime<Utc>,
        detail: &str,
        at: DateTime<Utc>,
    ) {
        if reached {
            self.facts.push(DeliveryFact::Reached {
                channel,
                at: reported,
            });
        } else {
            self.facts.push(DeliveryFact::Bounced {
                channel,
                at: reported,
            });
            self.fail_channel(channel, format!("退信：{detail}"), at);
        }
    }

    /// Keeps a report's id (once): what [`RecipientService::reports`] holds.
    /// A read receipt a clerk accepted: the fact of art. 31 para. 2 (2), at the time it states.
    pub(super) fn read_reported(&mut self, event: &RecipientEvent) {
        let RecipientEvent::ReadReported {
            channel,
            at,
            report,
            ..
        } = event
        else {
            return;
        };
        self.report_seen(report);
        self.facts.push(DeliveryFact::ReadReported {
            channel: *channel,
            at: *at,
        });
    }

    pub(super) fn report_seen(&mut self, report: &str) {
        if !report.is_empty() && !self.reports.iter().any(|r| r == report) {
            self.reports.push(report.to_string());
        }
    }
}
