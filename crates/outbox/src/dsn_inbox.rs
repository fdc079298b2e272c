//! Delivery reports coming back: the MTA delivers mail for the hub's envelope sender into a maildir;
//! this task reads each new message, parses it as an RFC 3464 report, records what it says about
//! the notice it names (reached, or bounced — a bad address suppressed), and only then moves the
//! file to `cur/`. A crash in between reads the report again; recording it twice changes nothing
//! that matters (the first reach counts; a second bounce on a closed channel is a no-op; a
//! free-text bounce waiting for a clerk is not set aside again).

use chrono::{DateTime, Timelike, Utc};
use ecenter_delivery::dsn::{self, Action, Unproven};
use ecenter_delivery::email_reply;
use ecenter_domain::Event;
use ecenter_domain::effective_service::Channel;
use ecenter_domain::service::{
    ChannelTrace, RecipientEvent, RecipientService, ReportSource, UnverifiedReport,
};
use ecenter_store::{EventStore, ReadView, StoreError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

mod read_receipts;

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
        SentNotice::find(notice, |o, r| view.recipient_service(o, r))
    }

    /// [`SentNotice::read`] with services looked up by `service` (a view inside an append, or
    /// the store's read models before one).
    fn find(
        notice: &str,
        service: impl Fn(&str, &str) -> Result<Option<RecipientService>, StoreError>,
    ) -> Result<Option<SentNotice>, StoreError> {
        let Some((order_id, recipient_id, Channel::Email)) = notice_of(notice) else {
            return Ok(None);
        };
        let Some(service) = service(&order_id, &recipient_id)? else {
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

/// The copy of a report the hub keeps in its blob store, written before the event naming it
/// (ARCHITECTURE.md: nothing is recorded that names a blob not yet durable).
struct KeptCopy {
    /// When the hub read the report.
    received_at: DateTime<Utc>,
    /// SHA-256 of the copy kept ([`ecenter_delivery::report_copy::kept`]).
    kept_sha256: String,
    /// SHA-256 of the report as it arrived, when the copy differs (a live link cut).
    received_sha256: Option<String>,
}

impl KeptCopy {
    /// Keeps `raw`, read at `received_at`, in `store`'s blob store.
    async fn write<S: EventStore>(
        store: &S,
        raw: &[u8],
        received_at: DateTime<Utc>,
    ) -> Result<KeptCopy, StoreError> {
        let copy = ecenter_delivery::report_copy::kept(raw);
        let received_sha256 =
            (copy != raw).then(|| hex::encode(ring::digest::digest(&ring::digest::SHA256, raw)));
        let blob = crate::engine::write_blob(store.blobs(), copy).await?;
        Ok(KeptCopy {
            received_at,
            kept_sha256: blob.sha256,
            received_sha256,
        })
    }

    /// What a report written by `relay`, stating `stated_at`, rests on.
    fn source(&self, relay: &str, stated_at: Option<DateTime<Utc>>) -> ReportSource {
        ReportSource {
            relay: relay.to_string(),
            stated_at,
            received_at: self.received_at,
            kept_sha256: self.kept_sha256.clone(),
            received_sha256: self.received_sha256.clone(),
        }
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
    copy: &KeptCopy,
    channel: Channel,
) -> Option<RecipientEvent> {
    let received = copy.received_at;
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
        Some(t) => (received, outside_witnessed(t, handed, received)),
        None => (
            received,
            "；报告未载明时间，以平台收到报告的时间为准 / the report states no time: the hub's receive time is used".into(),
        ),
    };
    let detail = format!(
        "{} {} ({}){why}",
        r.status, r.diagnostic, report.reporting_mta
    )
    .trim()
    .to_string();
    Some(RecipientEvent::DeliveryReported {
        channel,
        reached,
        at,
        detail,
        suppress: r.bad_address(),
        report: report.report_id.clone(),
        source: Some(copy.source(&report.reporting_mta, reported)),
    })
}

/// Why a report's stated time `t` is not the outcome's: it lies outside what the hub witnessed
/// (the notice `handed` to the relay, the report `received`). In Chinese with Beijing times for
/// the clerk and the proof, then in English with exact instants (RFC 3339) for the operator.
fn outside_witnessed(t: DateTime<Utc>, handed: DateTime<Utc>, received: DateTime<Utc>) -> String {
    use ecenter_domain::time::beijing_seconds as bj;
    format!(
        "；报告所称时间 {} 不在平台所见范围内（交付中继 {}，收到报告 {}），以平台收到报告的时间为准 / \
         the reported time {} is outside what the hub witnessed (handed to the relay {}, report read {}): the hub's receive time is used",
        bj(t),
        bj(handed),
        bj(received),
        t.to_rfc3339(),
        handed.to_rfc3339(),
        received.to_rfc3339()
    )
}

/// Why an `expanded` report is set aside.
const EXPANDED: &str = "the relay delivered the notice to this address and forwarded it on to others (Action: expanded, RFC 3464 §2.3.3)";

/// Why a report is set aside, for the clerk and the proof that shows it: what happened in Chinese
/// (the words of the record a court reads), then the English technical detail an operator
/// needs (the relay's words, the RFC clause).
fn for_clerk(zh: &str, en: impl std::fmt::Display) -> String {
    format!("{zh}，交书记员审核 / {en}: set aside for a clerk to judge")
}

/// What a report claims and why a clerk must judge it before it counts, weightiest first.
///
/// RFC 3464 reports can be mailed by anyone who knows the notice's envelope id, so want of
/// authentication (not generated by the court's relay) comes first: the proof must not print a
/// forger's report as what the court's relay did, and the limit of one unauthenticated claim
/// waiting ([`unauthenticated_claim_waits`]) must hold whatever else is wrong with it. Then a
/// report whose blocks about the address disagree, a reach `expanded` to others (§2.3.3), and a
/// bounce after what is `established` (the recipient confirmed reading, say).
struct Claim<'a> {
    /// The outcome the report claims, as it would be recorded if nothing were doubtful.
    event: RecipientEvent,
    authenticated: &'a Result<(), Unproven>,
    self_contradicting: bool,
    expanded: bool,
    established: Option<&'a str>,
}

impl Claim<'_> {
    /// The doubts about this claim, each as (Chinese for the clerk, English detail).
    fn doubts(&self) -> Vec<(&'static str, String)> {
        let mut doubts = Vec::new();
        if let Err(why) = self.authenticated {
            let zh = "报告未经认证（并非法院中继所发）";
            doubts.push((zh, format!("{NOT_AUTHENTICATED}{why}")));
        }
        if self.self_contradicting {
            doubts.push((
                "报告对该地址既称已送达又称未送达",
                SELF_CONTRADICTING.into(),
            ));
        }
        if self.expanded {
            doubts.push(("中继已将通知投递至该地址并转发给他人", EXPANDED.into()));
        }
        if let Some(why) = self
            .established
            .filter(|_| reached(&self.event) == Some(false))
        {
            doubts.push(("退信与已确认的送达事实不符", format!("a bounce, but {why}")));
        }
        doubts
    }

    /// The event to record: the outcome itself when nothing is doubtful, else the report set
    /// aside for the clerks — neither changing the service nor suppressing the address — with
    /// the weightiest doubt's Chinese and every doubt's detail as its reason.
    fn judged(self) -> RecipientEvent {
        let doubts = self.doubts();
        let Some(((zh, first), besides)) = doubts.split_first() else {
            return self.event;
        };
        let en = (besides.iter()).fold(first.clone(), |en, (_, more)| {
            format!("{en}; besides, {more}")
        });
        set_aside(self.event, for_clerk(zh, en))
    }
}

/// What the reason of a report set aside for want of authentication says (after its Chinese).
const NOT_AUTHENTICATED: &str = "not authenticated: ";

/// Whether `report`, set aside for want of authentication, makes the same claim (reached, or
/// bounced) about the same channel as one such report still waiting for a clerk: then it adds
/// nothing for the clerk to judge. Anyone who saw a notice's Message-ID can mail reports naming
/// it, and each recorded one would be a new item for the clerks and a new version of an
/// effective proof; so one claim of each kind waits at a time, as for free-text bounces (the
/// file stays in the maildir's `cur/` and the hub's trace says why it was passed over).
fn unauthenticated_claim_waits(set_aside: &[UnverifiedReport], report: &UnverifiedReport) -> bool {
    let unauthenticated = |u: &UnverifiedReport| u.reason.contains(NOT_AUTHENTICATED);
    unauthenticated(report)
        && (set_aside.iter()).any(|u| {
            u.channel == report.channel
                && u.reached == report.reached
                && u.judgment.is_none()
                && unauthenticated(u)
        })
}

/// Why a report whose blocks about the notice's address disagree is set aside.
const SELF_CONTRADICTING: &str = "the report says both that the notice reached this address and that it did not (its blocks about the address disagree)";

/// `event` (a report's outcome) set aside for the clerks with `reason`.
fn set_aside(event: RecipientEvent, reason: String) -> RecipientEvent {
    let RecipientEvent::DeliveryReported {
        channel,
        reached,
        at,
        detail,
        suppress,
        report,
        source,
    } = event
    else {
        return event;
    };
    RecipientEvent::ReportSetAside(UnverifiedReport {
        channel,
        at,
        detail,
        reason,
        reached,
        suppress,
        read: false,
        judgment: None,
        report,
        source,
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
        Err(e) => {
            no_delivery_report(store, &raw, file, &e).await?;
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
    if SentNotice::find(&notice, |o, r| store.recipient_service(o, r))?.is_none() {
        tracing::warn!(file = %file.display(), "a delivery report naming a notice this hub did not send; ignored");
        done(maildir, file)?;
        return Ok(());
    }
    let copy = KeptCopy::write(store, &raw, Utc::now()).await?;
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
            let outcomes: Vec<(&dsn::RecipientReport, RecipientEvent)> =
                (report.recipients.iter())
                    .filter_map(|r| Some((r, outcome(r, &report, &sent.trace, &copy, channel)?)))
                    .collect();
            let Some((first_block, first)) = outcomes.first().cloned() else {
                return Ok((Vec::new(), ()));
            };
            let self_contradicting = outcomes.iter().any(|(_, e)| reached(e) != reached(&first));
            // A self-contradicting report's claim is the bounce, whatever the order of its
            // blocks: the clerk who accepts it records the outcome that makes nothing effective.
            let (block, event) = (outcomes.iter())
                .find(|(_, e)| self_contradicting && reached(e) == Some(false))
                .cloned()
                .unwrap_or((first_block, first));
            let event = Claim {
                event,
                authenticated: &authenticated,
                self_contradicting,
                expanded: block.action == Action::Expanded,
                established,
            }
            .judged();
            if recorded_already(&sent.service, &event) {
                tracing::info!(notice = %sent.trace.message_id, "the same delivery report again; recorded once");
                return Ok((Vec::new(), ()));
            }
            if let RecipientEvent::ReportSetAside(u) = &event
                && unauthenticated_claim_waits(&sent.service.unverified, u)
            {
                tracing::warn!(notice = %sent.trace.message_id, reached = u.reached, "an unauthenticated delivery report making the claim of one that already waits for a clerk; traced, not recorded");
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

/// A message to the bounce address that is no delivery report (`e`): a read receipt (RFC 8098),
/// a reply to a notice, or else what a free-text bounce is kept as.
async fn no_delivery_report<S: EventStore>(
    store: &S,
    raw: &[u8],
    file: &Path,
    e: &dsn::DsnError,
) -> Result<(), StoreError> {
    if matches!(e, dsn::DsnError::NotReport) {
        if let Some(read) = ecenter_delivery::mdn::parse(raw) {
            return read_receipts::keep(store, read, raw, file).await;
        }
        if let Some(reply) = email_reply::parse(raw) {
            return keep_reply(store, reply, raw).await;
        }
    }
    keep_free_text(store, raw, e).await?.trace(file, e);
    Ok(())
}

/// What the reason of a free-text bounce set aside says (after its Chinese words since December
/// 2026, at its start before): one such claim waits for a clerk per notice at a time.
const FREE_TEXT: &str = "not an RFC 3464 delivery report";

/// A message to the bounce address that is no RFC 3464 report (`why`). It is kept as a bounce set
/// aside for the clerks (a clerk's acceptance makes it one), with what it says, when it says a
/// machine wrote it, quotes the Message-ID of an e-mail notice this hub sent and names the address
/// that notice went to; and only while that channel has not failed and no other such claim about
/// it waits for a clerk (a file delivered or read twice is one claim). Anything else — spam, a
/// stray, a person's forward of the notice, a message merely carrying a notice's id as its own
/// Message-ID — is only traced, so strangers cannot fill the log.
async fn keep_free_text<S: EventStore>(
    store: &S,
    raw: &[u8],
    why: &dsn::DsnError,
) -> Result<FreeText, StoreError> {
    let report = ecenter_delivery::free_bounce::read(raw);
    let named: Vec<String> = (report.quoted_ids.iter())
        .filter(|id| notice_of(id).is_some_and(|(_, _, c)| c == Channel::Email))
        .cloned()
        .collect();
    if named.is_empty() || !report.automatic {
        return Ok(FreeText::Stray);
    }
    let why = why.to_string();
    let report_id = dsn::report_id(raw);
    let copy = KeptCopy::write(store, raw, Utc::now()).await?;
    let (received, source) = (copy.received_at, copy.source("", None));
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
                let recorded = (&service.unverified[..], &service.reports[..]);
                if let Some(why) = nothing_new(recorded, trace.closed, &report_id) {
                    return Ok((Vec::new(), FreeText::Already(why)));
                }
                // The notice quoted, for the clerk: an HTML part's id may not survive as text.
                let said = format!("quotes <{notice}>; {}", report.summary);
                let event = match &report.auto_reply {
                    Some(mark) => auto_answer(mark, said, source, report_id),
                    None => {
                        let but = (service.contradicts_bounce(Channel::Email))
                            .map(|e| format!(" ({e})"))
                            .unwrap_or_default();
                        let reason = for_clerk(
                            "非标准格式的退信，但引用了本通知并列明该地址",
                            format_args!("{FREE_TEXT} ({why}), but it quotes this notice's Message-ID and names its address{but}"),
                        );
                        RecipientEvent::ReportSetAside(UnverifiedReport {
                            channel: Channel::Email,
                            at: received,
                            detail: said,
                            reason,
                            reached: false,
                            suppress: false,
                            read: false,
                            judgment: None,
                            report: report_id,
                            source: Some(source),
                        })
                    }
                };
                let event = Event::Service {
                    order_id: o,
                    recipient_id: r,
                    event,
                };
                return Ok((vec![event], FreeText::Kept));
            }
            Ok((Vec::new(), FreeText::Stray))
        }))
        .await?;
    Ok(kept)
}

/// Why a free-text report about a notice the hub sent adds nothing, when it does not: the
/// notice's e-mail channel already failed (`closed`), a free-text claim about it already waits
/// for a clerk among the service's reports set aside, or this very report (`report_id`) is among
/// those it recorded.
fn nothing_new(
    (set_aside, recorded): (&[UnverifiedReport], &[String]),
    closed: bool,
    report_id: &str,
) -> Option<&'static str> {
    let waiting = (set_aside.iter()).any(|u| {
        u.channel == Channel::Email && u.judgment.is_none() && u.reason.contains(FREE_TEXT)
    });
    if closed {
        Some("its e-mail channel has already failed")
    } else if waiting {
        Some("a claim about it already waits for a clerk")
    } else if recorded.iter().any(|r| r == report_id) {
        Some("this report is already recorded")
    } else {
        None
    }
}

/// What became of a message to the bounce address that is no delivery report.
#[derive(Debug, PartialEq, Eq)]
enum FreeText {
    /// Set aside for the clerks as a claim about the notice it quotes.
    Kept,
    /// It quotes no notice of this hub with its address, or no machine wrote it: only traced.
    Stray,
    /// It is about a notice, but nothing is new (why): that channel already failed, a claim about
    /// it already waits for a clerk, or this very report is recorded.
    Already(&'static str),
}

impl FreeText {
    /// Says in the hub's trace what became of `file`, which is no report because `e`.
    fn trace(&self, file: &Path, e: &dsn::DsnError) {
        let file = file.display();
        match self {
            FreeText::Kept => {
                tracing::warn!(%file, reason = %e, "not a delivery report, but it quotes a notice: kept for the clerks");
            }
            FreeText::Stray => {
                tracing::warn!(%file, reason = %e, "not a delivery report and quotes no notice of this hub with its address: ignored");
            }
            FreeText::Already(why) => {
                tracing::info!(%file, reason = %e, "not a delivery report; it quotes a notice, but {why}: nothing new to record");
            }
        }
    }
}

/// An automatic answer from the recipient's mailbox (`mark` says so: an out-of-office, a vacation
/// notice, a challenge to verify the sender), set aside as a claim that the notice reached that
/// mailbox: no act of the recipient, so never a reply, and no bounce either. A clerk reads what
/// it says (held for verification is no reach) and accepts or rejects it.
fn auto_answer(mark: &str, said: String, source: ReportSource, report: String) -> RecipientEvent {
    RecipientEvent::ReportSetAside(UnverifiedReport {
        channel: Channel::Email,
        at: source.received_at,
        detail: said,
        reason: for_clerk(
            "受送达人邮箱的自动回复（并非本人回复），称通知已到达该邮箱，请依其内容",
            format_args!(
                "an automatic answer from the recipient's mailbox ({mark}), not the recipient's reply: it claims the notice reached that mailbox"
            ),
        ),
        reached: true,
        suppress: false,
        read: false,
        judgment: None,
        report,
        source: Some(source),
    })
}

/// An e-mail answer to a notice: kept for the clerks with its text and the service it names
/// (anyone can write a `From:`; a clerk weighs it). Answers to nothing this hub sent are dropped.
/// A machine's answer (an out-of-office) is no reply: it is set aside as [`auto_answer`] says.
async fn keep_reply<S: EventStore>(
    store: &S,
    reply: email_reply::EmailReply,
    raw: &[u8],
) -> Result<(), StoreError> {
    let named = (reply.answers.iter())
        .find(|id| notice_of(id).is_some_and(|(_, _, c)| c == Channel::Email))
        .cloned();
    let Some(notice) = named else {
        tracing::info!("an e-mail that answers nothing this hub sent; ignored");
        return Ok(());
    };
    let report_id = dsn::report_id(raw);
    // A machine's answer is a claim a clerk judges from what it says: its copy is kept.
    let source = match reply.automatic {
        Some(_) if SentNotice::find(&notice, |o, r| store.recipient_service(o, r))?.is_some() => {
            Some(
                KeptCopy::write(store, raw, Utc::now())
                    .await?
                    .source("", None),
            )
        }
        _ => None,
    };
    store
        .append(Box::new(move |view: &dyn ReadView| {
            let Some(sent) = SentNotice::read(view, &notice)? else {
                return Ok((Vec::new(), ()));
            };
            if let Some(mark) = &reply.automatic {
                let Some(source) = source.filter(|_| !sent.service.reports.contains(&report_id))
                else {
                    return Ok((Vec::new(), ()));
                };
                let said = format!("From: {}; {}", reply.from, reply.text);
                let said: String = said.split_whitespace().collect::<Vec<_>>().join(" ");
                let event = Event::Service {
                    order_id: sent.order_id,
                    recipient_id: sent.recipient_id,
                    event: auto_answer(mark, said.chars().take(600).collect(), source, report_id),
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
mod tests;
