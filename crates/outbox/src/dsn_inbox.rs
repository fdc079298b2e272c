//! Delivery reports coming back: the MTA delivers mail for the hub's envelope sender into a maildir;
//! this task reads each new message, parses it as an RFC 3464 report, records what it says about
//! the notice it names (reached, or bounced — a bad address suppressed), and only then moves the
//! file to `cur/`. A crash in between reads the report again; recording it twice changes nothing
//! that matters (the first reach counts; a second bounce on a closed channel is a no-op; a
//! free-text bounce waiting for a clerk is not set aside again).

use chrono::{Timelike, Utc};
use ecenter_delivery::dsn::{self, Action, Unproven};
use ecenter_delivery::email_reply;
use ecenter_domain::Event;
use ecenter_domain::effective_service::Channel;
use ecenter_domain::service::{ChannelTrace, RecipientEvent, RecipientService};
use ecenter_store::{EventStore, ReadView, StoreError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How often the maildir is looked at.
const POLL: Duration = Duration::from_millis(300);

/// The order, recipient and channel a notice id (`O….R1.email.<tag>@host`) names.
pub fn notice_of(id: &str) -> Option<(String, String, Channel)> {
    let local = id.split('@').next()?;
    let mut parts = local.split('.');
    let (order, recipient, channel) = (parts.next()?, parts.next()?, parts.next()?);
    let _tag = parts.next();
    if parts.next().is_some() || !order.starts_with('O') || !recipient.starts_with('R') {
        return None;
    }
    let channel = match channel {
        "email" => Channel::Email,
        "sms" => Channel::Sms,
        _ => return None,
    };
    Some((order.to_string(), recipient.to_string(), channel))
}

/// An e-mail notice this hub sent, found by the Message-ID a report, a reply or a bounce quotes.
struct SentNotice {
    order_id: String,
    recipient_id: String,
    service: RecipientService,
    trace: ChannelTrace,
}

impl SentNotice {
    /// The e-mail notice sent under `notice` (`O….R1.email.<tag>@host`), with its recipient's
    /// service; `None` unless the hub sent that very id, tag included: the order and recipient
    /// alone are guessable, and what a stranger writes about a guessed id is no evidence.
    fn read(view: &dyn ReadView, notice: &str) -> Result<Option<SentNotice>, StoreError> {
        let Some((order_id, recipient_id, Channel::Email)) = notice_of(notice) else {
            return Ok(None);
        };
        let Some(service) = view.recipient_service(&order_id, &recipient_id)? else {
            return Ok(None);
        };
        let Some(trace) = (service.trace(Channel::Email))
            .filter(|t| t.message_id == notice)
            .cloned()
        else {
            return Ok(None);
        };
        Ok(Some(SentNotice {
            order_id,
            recipient_id,
            service,
            trace,
        }))
    }
}

/// What one recipient block of a report says about the notice sent to `trace.address`, if it is
/// about that address and states an outcome.
///
/// The block must name the address the hub sent to (RFC 3464 §2.3.1 Original-Recipient, the ORCPT
/// the hub gave, else §2.3.2 Final-Recipient; an internationalised domain as the A-labels it went
/// out as): a forwarding target's failure under the same envelope id says nothing about our
/// recipient. The time is the one the report states, bounded by
/// what the hub witnessed — not before the relay accepted the notice, not after the hub read the
/// report; outside those bounds the hub's own receive time is used, and the detail says why.
fn outcome(
    r: &dsn::RecipientReport,
    report: &dsn::DeliveryReport,
    trace: &ecenter_domain::service::ChannelTrace,
    received: chrono::DateTime<Utc>,
    channel: Channel,
) -> Option<RecipientEvent> {
    let named = r
        .original_recipient
        .as_deref()
        .unwrap_or(&r.final_recipient);
    if !dsn::same_mailbox(named, &trace.address) {
        tracing::warn!(named, sent_to = %trace.address, "a delivery report about another address under this notice's id; ignored (a forwarding target's outcome says nothing of the recipient)");
        return None;
    }
    let reached = match r.action {
        // RFC 3464 §2.3.3: delivered to the address, then forwarded (a list, an alias) — a
        // reach, but of an address that is not only the recipient's: a clerk judges.
        Action::Delivered | Action::Expanded => true,
        Action::Failed => false,
        // Not an outcome: still trying, or handed to a system that does not report.
        Action::Delayed | Action::Relayed => {
            tracing::info!(notice = %trace.message_id, action = ?r.action, status = %r.status, "delivery report noted, no outcome");
            return None;
        }
    };
    // The outcome's time: the recipient block's Last-Attempt-Date, else the time the report was
    // written (its Date:). Never Arrival-Date, which is when the relay took the notice from the
    // hub: a delivery deferred over a weekend would otherwise take effect on the Friday.
    let reported = r.last_attempt.or(report.date);
    // Reports state whole seconds; the notice was handed over from the lease of its first attempt.
    let handed = trace
        .handed_at
        .or(trace.sent_at)
        .unwrap_or(received)
        .with_nanosecond(0)
        .unwrap_or(received);
    let (at, why) = match reported {
        Some(t) if t >= handed && t <= received => (t, String::new()),
        Some(t) => (
            received,
            format!(
                "; the reported time {} is outside what the hub witnessed (handed to the relay {}, report read {}): the hub's receive time is used",
                t.to_rfc3339(),
                handed.to_rfc3339(),
                received.to_rfc3339()
            ),
        ),
        None => (
            received,
            "; the report states no time: the hub's receive time is used".into(),
        ),
    };
    let detail = format!(
        "{} {} ({}){why}",
        r.status, r.diagnostic, report.reporting_mta
    )
    .trim()
    .to_string();
    let event = RecipientEvent::DeliveryReported {
        channel,
        reached,
        at,
        detail,
        suppress: r.bad_address(),
        report: report.report_id.clone(),
    };
    Some(if r.action == Action::Expanded {
        set_aside(event, EXPANDED.to_string())
    } else {
        event
    })
}

/// Why an `expanded` report is set aside.
const EXPANDED: &str = "the relay delivered the notice to this address and forwarded it on to others (Action: expanded, RFC 3464 §2.3.3): set aside for a clerk to judge";

/// A report the court's relay did not generate, or a bounce that contradicts what is established,
/// is set aside for the clerks (RFC 3464 reports can be sent by anyone who knows the envelope id):
/// it neither changes the service nor suppresses the address by itself.
fn judged(
    event: RecipientEvent,
    authenticated: &Result<(), Unproven>,
    established: Option<&str>,
) -> RecipientEvent {
    let RecipientEvent::DeliveryReported { reached, .. } = event else {
        return event;
    };
    let reason = match (authenticated, established) {
        (Err(why), _) => format!("not authenticated: {why}; set aside for a clerk to judge"),
        (Ok(()), Some(why)) if !reached => {
            format!("a bounce, but {why}: set aside for a clerk to judge")
        }
        (Ok(()), _) => return event,
    };
    set_aside(event, reason)
}

/// Why a report whose blocks about the notice's address disagree is set aside.
const SELF_CONTRADICTING: &str = "the report says both that the notice reached this address and that it did not (its blocks about the address disagree): set aside for a clerk to judge";

/// `event` (a report's outcome) set aside for the clerks with `reason`.
fn set_aside(event: RecipientEvent, reason: String) -> RecipientEvent {
    let RecipientEvent::DeliveryReported {
        channel,
        reached,
        at,
        detail,
        suppress,
        report,
    } = event
    else {
        return event;
    };
    RecipientEvent::ReportSetAside(ecenter_domain::service::UnverifiedReport {
        channel,
        at,
        detail,
        reason,
        reached,
        suppress,
        judgment: None,
        report,
    })
}

/// What an outcome says: reached (`Some(true)`), bounced (`Some(false)`).
fn reached(event: &RecipientEvent) -> Option<bool> {
    match event {
        RecipientEvent::DeliveryReported { reached, .. } => Some(*reached),
        RecipientEvent::ReportSetAside(u) => Some(u.reached),
        _ => None,
    }
}

/// Whether `service` holds `event`'s report already (by its id): the same report read twice —
/// an MTA that delivered it twice, a copy put back in `new/` — is one report.
fn recorded_already(service: &RecipientService, event: &RecipientEvent) -> bool {
    let id = match event {
        RecipientEvent::DeliveryReported { report, .. } => report,
        RecipientEvent::ReportSetAside(u) => &u.report,
        _ => return false,
    };
    !id.is_empty() && service.reports.contains(id)
}

/// Reads `maildir` until `stop` turns true; reports generated by one of `relays` are evidence on
/// their own, all others go to the clerks.
pub async fn run<S: EventStore>(
    store: Arc<S>,
    (maildir, relays): (PathBuf, Vec<String>),
    mut stop: watch::Receiver<bool>,
) {
    // The maildir is the MTA's: never created here (see crate::maildir), only waited for.
    let mut waiting = false;
    loop {
        if !crate::maildir::is_ready(&maildir) {
            waiting = true;
        } else if std::mem::take(&mut waiting) {
            tracing::info!(maildir = %maildir.display(), "the DSN maildir exists now; reading delivery reports");
        }
        match if waiting {
            Ok(Vec::new())
        } else {
            new_messages(&maildir)
        } {
            Ok(files) => {
                for file in files {
                    if let Err(e) = ingest(&*store, (&maildir, &relays), &file).await {
                        tracing::error!(error = %e, file = %file.display(), "recording a delivery report failed; it stays in new/");
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot read the DSN maildir"),
        }
        tokio::select! {
            () = tokio::time::sleep(POLL) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

fn new_messages(maildir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(maildir.join("new"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

fn done(maildir: &Path, file: &Path) -> std::io::Result<()> {
    let name = file.file_name().unwrap_or_default().to_string_lossy();
    std::fs::rename(file, maildir.join("cur").join(format!("{name}:2,S")))
}

async fn ingest<S: EventStore>(
    store: &S,
    (maildir, relays): (&Path, &[String]),
    file: &Path,
) -> Result<(), StoreError> {
    let raw = std::fs::read(file)?;
    let report = match dsn::parse(&raw) {
        Ok(r) => r,
        Err(dsn::DsnError::NotReport) if let Some(reply) = email_reply::parse(&raw) => {
            keep_reply(store, reply, dsn::report_id(&raw)).await?;
            done(maildir, file)?;
            return Ok(());
        }
        Err(e) => {
            let kept = keep_free_text(store, &raw, &e).await?;
            if kept {
                tracing::warn!(file = %file.display(), reason = %e, "not a delivery report, but it quotes a notice: kept for the clerks");
            } else {
                tracing::warn!(file = %file.display(), reason = %e, "not a delivery report and quotes no notice of this hub with its address: ignored");
            }
            done(maildir, file)?;
            return Ok(());
        }
    };
    let Some((order_id, recipient_id, channel)) = report.notice_id().and_then(notice_of) else {
        tracing::warn!(file = %file.display(), "a delivery report about no notice of this hub; ignored");
        done(maildir, file)?;
        return Ok(());
    };
    if channel != Channel::Email {
        // An e-mail report can only be about an e-mail notice; one naming an SMS notice is forged.
        tracing::warn!(file = %file.display(), "a delivery report naming an SMS notice; ignored");
        done(maildir, file)?;
        return Ok(());
    }
    let notice = report.notice_id().unwrap_or_default().to_string();
    let generated = report.generated_by(relays);
    let received = Utc::now();
    store
        .append(Box::new(move |view: &dyn ReadView| {
            let Some(sent) = SentNotice::read(view, &notice)? else {
                return Ok((Vec::new(), ()));
            };
            let established = sent.service.contradicts_bounce(channel);
            let authenticated = generated
                .clone()
                .and_then(|()| report.about_message(&sent.trace.gateway_id));
            // One message per recipient is sent, so a report speaks for one notice once: the first
            // block about its address (a report of 3000 such blocks is one report) — unless its
            // blocks about that address disagree, which no relay can mean: then a clerk judges.
            let outcomes: Vec<RecipientEvent> = (report.recipients.iter())
                .filter_map(|r| outcome(r, &report, &sent.trace, received, channel))
                .collect();
            let Some(first) = outcomes.first().cloned() else {
                return Ok((Vec::new(), ()));
            };
            let event = if outcomes.iter().any(|e| reached(e) != reached(&first)) {
                set_aside(first, SELF_CONTRADICTING.to_string())
            } else {
                judged(first, &authenticated, established)
            };
            if recorded_already(&sent.service, &event) {
                tracing::info!(notice = %sent.trace.message_id, "the same delivery report again; recorded once");
                return Ok((Vec::new(), ()));
            }
            let event = Event::Service {
                order_id: order_id.clone(),
                recipient_id: recipient_id.clone(),
                event,
            };
            Ok((vec![event], ()))
        }))
        .await?;
    done(maildir, file)?;
    Ok(())
}

/// What the reason of a free-text bounce set aside begins with: one such claim waits for a clerk
/// per notice at a time.
const FREE_TEXT: &str = "not an RFC 3464 delivery report";

/// A message to the bounce address that is no RFC 3464 report (`why`). It is kept as a bounce set
/// aside for the clerks (a clerk's acceptance makes it one), with what it says, when it says a
/// machine wrote it, quotes the Message-ID of an e-mail notice this hub sent and names the address
/// that notice went to; and only while that channel has not failed and no other such claim about
/// it waits for a clerk (a file delivered or read twice is one claim). Anything else — spam, a
/// stray, a person's forward of the notice, a message merely carrying a notice's id as its own
/// Message-ID — is only traced, so strangers cannot fill the log. Returns whether it was kept.
async fn keep_free_text<S: EventStore>(
    store: &S,
    raw: &[u8],
    why: &dsn::DsnError,
) -> Result<bool, StoreError> {
    let report = ecenter_delivery::free_bounce::read(raw);
    let named: Vec<String> = (report.quoted_ids.iter())
        .filter(|id| notice_of(id).is_some_and(|(_, _, c)| c == Channel::Email))
        .cloned()
        .collect();
    if named.is_empty() || !report.automatic {
        return Ok(false);
    }
    let why = why.to_string();
    let report_id = dsn::report_id(raw);
    let received = Utc::now();
    let (_, kept) = store
        .append(Box::new(move |view: &dyn ReadView| {
            for notice in named {
                let Some(SentNotice {
                    order_id: o,
                    recipient_id: r,
                    service,
                    trace,
                }) = SentNotice::read(view, &notice)?
                else {
                    continue;
                };
                // A bounce names the address it failed; an auto-reply comes from that mailbox and
                // need not (the notice's id, tag and all, is what no stranger can quote).
                if report.auto_reply.is_none() && !report.mentions(&trace.address) {
                    continue;
                }
                let waiting = (service.unverified.iter()).any(|u| {
                    u.channel == Channel::Email && u.judgment.is_none() && u.reason.starts_with(FREE_TEXT)
                });
                if trace.closed || waiting {
                    return Ok((Vec::new(), false));
                }
                if service.reports.contains(&report_id) {
                    return Ok((Vec::new(), false));
                }
                // The notice quoted, for the clerk: an HTML part's id may not survive as text.
                let said = format!("quotes <{notice}>; {}", report.summary);
                let event = match &report.auto_reply {
                    Some(mark) => auto_answer(mark, said, received, report_id),
                    None => {
                        let but = (service.contradicts_bounce(Channel::Email))
                            .map(|e| format!(" ({e})"))
                            .unwrap_or_default();
                        let reason = format!(
                            "{FREE_TEXT} ({why}), but it quotes this notice's Message-ID and names its address{but}: set aside for a clerk to judge"
                        );
                        RecipientEvent::ReportSetAside(ecenter_domain::service::UnverifiedReport {
                            channel: Channel::Email,
                            at: received,
                            detail: said,
                            reason,
                            reached: false,
                            suppress: false,
                            judgment: None,
                            report: report_id,
                        })
                    }
                };
                let event = Event::Service {
                    order_id: o,
                    recipient_id: r,
                    event,
                };
                return Ok((vec![event], true));
            }
            Ok((Vec::new(), false))
        }))
        .await?;
    Ok(kept)
}

/// An automatic answer from the recipient's mailbox (`mark` says so: an out-of-office, a vacation
/// notice, a challenge to verify the sender), set aside as a claim that the notice reached that
/// mailbox: no act of the recipient, so never a reply, and no bounce either. A clerk reads what
/// it says (held for verification is no reach) and accepts or rejects it.
fn auto_answer(
    mark: &str,
    said: String,
    received: chrono::DateTime<Utc>,
    report: String,
) -> RecipientEvent {
    RecipientEvent::ReportSetAside(ecenter_domain::service::UnverifiedReport {
        channel: Channel::Email,
        at: received,
        detail: said,
        reason: format!(
            "an automatic answer from the recipient's mailbox ({mark}), not the recipient's reply: it claims the notice reached that mailbox; set aside for a clerk to judge from what it says"
        ),
        reached: true,
        suppress: false,
        judgment: None,
        report,
    })
}

/// An e-mail answer to a notice: kept for the clerks with its text and the service it names
/// (anyone can write a `From:`; a clerk weighs it). Answers to nothing this hub sent are dropped.
/// A machine's answer (an out-of-office) is no reply: it is set aside as [`auto_answer`] says.
async fn keep_reply<S: EventStore>(
    store: &S,
    reply: email_reply::EmailReply,
    report_id: String,
) -> Result<(), StoreError> {
    let named = (reply.answers.iter())
        .find(|id| notice_of(id).is_some_and(|(_, _, c)| c == Channel::Email))
        .cloned();
    let Some(notice) = named else {
        tracing::info!("an e-mail that answers nothing this hub sent; ignored");
        return Ok(());
    };
    store
        .append(Box::new(move |view: &dyn ReadView| {
            let Some(sent) = SentNotice::read(view, &notice)? else {
                return Ok((Vec::new(), ()));
            };
            if let Some(mark) = &reply.automatic {
                if sent.service.reports.contains(&report_id) {
                    return Ok((Vec::new(), ()));
                }
                let said = format!("From: {}; {}", reply.from, reply.text);
                let said: String = said.split_whitespace().collect::<Vec<_>>().join(" ");
                let event = Event::Service {
                    order_id: sent.order_id,
                    recipient_id: sent.recipient_id,
                    event: auto_answer(
                        mark,
                        said.chars().take(600).collect(),
                        Utc::now(),
                        report_id,
                    ),
                };
                return Ok((vec![event], ()));
            }
            let event = Event::ReplyUnmatched(ecenter_domain::reply::UnmatchedReply {
                channel: Channel::Email,
                from: reply.from,
                text: reply.text,
                candidates: vec![format!("{}/{}", sent.order_id, sent.recipient_id)],
            });
            Ok((vec![event], ()))
        }))
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace(sent_at: &str) -> ecenter_domain::service::ChannelTrace {
        serde_json::from_value(serde_json::json!({
            "channel": "email", "address": "zhang+court@parties.test", "basis": "confirmed",
            "message_id": "O000000000001.R1.email.t@hub.test", "attempts": 1, "resends_in_doubt": 0,
            "sent_at": sent_at, "gateway_id": "", "subject": "", "body": "", "last_error": "",
            "in_flight": false, "closed": false
        }))
        .unwrap()
    }

    /// A report written at `date` (its `Date:`), about a notice the relay took at 08:00:05.
    fn report(action: &str, orcpt: &str, final_rcpt: &str, date: &str) -> dsn::DeliveryReport {
        let arrival = "Mon, 30 Nov 2026 08:00:05 +0000";
        let raw = format!(
            "From: MAILER-DAEMON@mta.test\r\nTo: dsn@hub.test\r\nDate: {date}\r\nSubject: report\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
             --b\r\nContent-Type: text/plain\r\n\r\nreport\r\n\
             --b\r\nContent-Type: message/delivery-status\r\n\r\n\
             Reporting-MTA: dns; mta.test\r\nOriginal-Envelope-Id: O000000000001.R1.email.t@hub.test\r\n\
             Arrival-Date: {arrival}\r\n\r\n\
             Original-Recipient: rfc822;{orcpt}\r\nFinal-Recipient: rfc822;{final_rcpt}\r\n\
             Action: {action}\r\nStatus: 5.1.1 (bad destination mailbox address)\r\n\r\n--b--\r\n"
        );
        dsn::parse(raw.as_bytes()).unwrap()
    }

    #[test]
    fn a_reported_time_outside_what_the_hub_witnessed_gives_way_to_the_hubs_receive_time() {
        let t = trace("2026-11-30T08:00:00Z");
        let received: chrono::DateTime<Utc> = "2026-11-30T09:00:00Z".parse().unwrap();
        let addr = "zhang+court@parties.test";
        // Written at 08:30 about a notice the relay took at 08:00:05 (Arrival-Date): delivered
        // at 08:30, as Postfix states no Last-Attempt-Date; never at the relay's arrival.
        for (written, expect_reported) in [
            ("Mon, 30 Nov 2026 08:30:00 +0000", true),
            ("Wed, 01 Jan 2020 00:00:00 +0000", false),
            ("Tue, 01 Jan 2030 00:00:00 +0000", false),
            ("Mon, 30 Nov 2026 09:08:00 +0000", false),
        ] {
            let r = report("delivered", addr, addr, written);
            let Some(RecipientEvent::DeliveryReported {
                at,
                detail,
                reached,
                ..
            }) = outcome(&r.recipients[0], &r, &t, received, Channel::Email)
            else {
                panic!("no outcome for {written}");
            };
            assert!(reached);
            if expect_reported {
                assert_eq!(
                    at,
                    "2026-11-30T08:30:00Z"
                        .parse::<chrono::DateTime<Utc>>()
                        .unwrap()
                );
            } else {
                assert_eq!(at, received, "{written}");
                assert!(
                    detail.contains("outside what the hub witnessed"),
                    "{detail}"
                );
            }
        }
    }

    #[test]
    fn a_report_on_an_internationalised_domain_names_it_as_sent_and_counts() {
        let mut t = trace("2026-11-30T08:00:00Z");
        t.address = "lisi@法院.中国".into();
        let received: chrono::DateTime<Utc> = "2026-11-30T09:00:00Z".parse().unwrap();
        let sent_as = "lisi@xn--nww899f.xn--fiqs8s";
        let r = report(
            "delivered",
            sent_as,
            sent_as,
            "Mon, 30 Nov 2026 08:30:00 +0000",
        );
        let outcome = outcome(&r.recipients[0], &r, &t, received, Channel::Email);
        assert!(
            matches!(
                outcome,
                Some(RecipientEvent::DeliveryReported { reached: true, .. })
            ),
            "{outcome:?}"
        );
    }

    #[test]
    fn a_block_about_another_address_is_set_aside_and_comments_are_read() {
        let t = trace("2026-11-30T08:00:00Z");
        let received: chrono::DateTime<Utc> = "2026-11-30T09:00:00Z".parse().unwrap();
        let written = "Mon, 30 Nov 2026 08:30:00 +0000";
        // A forwarding target failed under our envelope id: not our recipient's failure.
        let r = report(
            "failed (bad destination mailbox)",
            "forward@elsewhere.test",
            "forward@elsewhere.test",
            written,
        );
        assert!(outcome(&r.recipients[0], &r, &t, received, Channel::Email).is_none());
        // Our recipient (ORCPT as sent, xtext-encoded "+" included), with comments in Action and Status.
        let r = report(
            "failed (bad destination mailbox)",
            "zhang+2Bcourt@parties.test",
            "zhang@final.test",
            written,
        );
        assert_eq!(r.recipients[0].status, "5.1.1");
        let Some(RecipientEvent::DeliveryReported {
            reached, suppress, ..
        }) = outcome(&r.recipients[0], &r, &t, received, Channel::Email)
        else {
            panic!("our recipient's failure was set aside");
        };
        assert!(!reached && suppress);
    }

    #[test]
    fn an_unauthenticated_report_of_either_kind_is_set_aside_and_an_authenticated_one_counts() {
        let at: chrono::DateTime<Utc> = "2026-11-30T08:30:00Z".parse().unwrap();
        let reported = |reached| RecipientEvent::DeliveryReported {
            channel: Channel::Email,
            reached,
            at,
            detail: "2.0.0".into(),
            suppress: false,
            report: String::new(),
        };
        let forged: Result<(), Unproven> = Err(Unproven::NoReceived);
        for reached in [true, false] {
            let RecipientEvent::ReportSetAside(r) = judged(reported(reached), &forged, None) else {
                panic!("an unauthenticated report changed the service");
            };
            assert_eq!(r.reached, reached);
            assert!(r.reason.starts_with("not authenticated"), "{}", r.reason);
        }
        assert_eq!(judged(reported(true), &Ok(()), None), reported(true));
        // Authenticated, but a bounce after the recipient confirmed: still the clerks'.
        let why = Some("the recipient already confirmed reading");
        assert!(matches!(
            judged(reported(false), &Ok(()), why),
            RecipientEvent::ReportSetAside(_)
        ));
        assert_eq!(judged(reported(true), &Ok(()), why), reported(true));
    }

    #[test]
    fn notice_ids_name_order_recipient_and_channel() {
        assert_eq!(
            notice_of("O000000000007.R12.email.a1b2c3d4e5@songda.court.example"),
            Some(("O000000000007".into(), "R12".into(), Channel::Email))
        );
        assert_eq!(notice_of("20261128071643.BCEC9C40B2@mta.hub.test"), None);
        assert_eq!(notice_of("O1.R1.fax@x"), None);
    }
}
