//! Notices of filing (NEF) through the same engine as service: the same lease-before-send
//! (`filing_notice_sending`), providers, rate limits, circuit breakers, retries with backoff and
//! suppression of bounced addresses. A notice tries its one channel; it has no deadline, no
//! fallback and no proof — it tells a lawyer what happened to a filing, it serves nothing.

use super::lease::{Lease, LeaseBatch, Target};
use super::{Job, Outbox, Sending};
use crate::config::ServiceContext;
use chrono::{DateTime, Utc};
use ecenter_delivery::link::redact_tokens;
use ecenter_domain::Event;
use ecenter_domain::effective_service::Channel;
use ecenter_domain::filing_notice::{FilingNotice, FilingNoticeEvent, NoticeStage};
use ecenter_domain::service::AttemptResult;
use ecenter_domain::time::shanghai_display;
use ecenter_store::{EventStore, ReadView, StoreError};
use std::sync::Arc;

/// A notice not sent this long after its step (no outbox then, the relay down for days) is
/// given up: news that late misleads more than it tells. One that may have gone out already
/// (in doubt) is sent again regardless, as service notices are.
const MAX_AGE: chrono::TimeDelta = chrono::TimeDelta::hours(72);

impl<S: EventStore> Outbox<S> {
    /// Notices due by `now` whose channel's breaker lets sends through.
    pub(super) fn notices_due(
        self: &Arc<Self>,
        now: DateTime<Utc>,
        email_open: bool,
        sms_open: bool,
    ) -> Result<Vec<Job>, StoreError> {
        let mut jobs = Vec::new();
        for id in self.store.notices_due(now, super::PASS)? {
            let Some(n) = self.store.filing_notice(&id)? else {
                continue;
            };
            let open = match n.channel {
                Channel::Email => email_open,
                Channel::Sms => sms_open,
            };
            if open {
                jobs.push(Job::Notice(id));
            }
        }
        Ok(jobs)
    }
}

/// The lease of notice `id`, if it is still due (or, after a stop, still in flight): its
/// `filing_notice_sending` event, or a final failure without sending for a bounced address.
pub(super) fn lease(
    view: &dyn ReadView,
    ctx: &ServiceContext,
    batch: &mut LeaseBatch,
    id: &str,
    sending: Sending,
) -> Result<(), StoreError> {
    let Some(n) = view.filing_notice(id)? else {
        return Ok(());
    };
    let in_doubt = sending == Sending::InDoubt;
    let due = match sending {
        Sending::InDoubt => n.in_flight && batch.stopped.contains(&n.holder),
        Sending::Due => !n.in_flight && n.due_at.is_some_and(|at| at <= Utc::now()),
    };
    if !due || n.outcome.is_some() {
        return Ok(());
    }
    let attempt = n.attempts + 1;
    let unsendable = if let Some(why) = view.suppressed(&n.address)? {
        Some(format!("{} 已退信，不再发送（{why}）", n.address))
    } else if !in_doubt && !n.maybe_sent && Utc::now() - n.created_at > MAX_AGE {
        Some(format!(
            "超过 {} 小时未能发出，已过时（not sent while it was news）",
            MAX_AGE.num_hours()
        ))
    } else {
        None
    };
    if let Some(detail) = unsendable {
        batch.events.push(Event::FilingNotice {
            notice_id: id.to_string(),
            event: FilingNoticeEvent::Result {
                attempt,
                result: AttemptResult::Permanent {
                    detail,
                    suppress: false,
                },
            },
        });
        return Ok(());
    }
    let (subject, body, link_nonce, link_expires) = if n.body.is_empty() {
        fresh_text(ctx, &n)?
    } else {
        // Every attempt sends the very same text and link.
        let (subject, body) = with_link(ctx, &n)?;
        (subject, body, n.link_nonce.clone(), n.link_expires)
    };
    let message_id = if n.message_id.is_empty() {
        format!("{}.{}.nef@{}", n.notice_id, n.filing_id, ctx.message_host)
    } else {
        n.message_id.clone()
    };
    batch.events.push(Event::FilingNotice {
        notice_id: id.to_string(),
        event: FilingNoticeEvent::Sending {
            attempt,
            message_id: message_id.clone(),
            // Without the link's token (a credential): the nonce and expiry make it again.
            subject: redact_tokens(&subject),
            body: redact_tokens(&body),
            link_nonce,
            link_expires,
            in_doubt: in_doubt || n.maybe_sent,
            holder: batch.holder.clone(),
        },
    });
    batch.leases.push(Lease {
        target: Target::FilingNotice(id.to_string()),
        channel: n.channel,
        attempt,
        address: n.address.clone(),
        subject,
        body,
        message_id,
        in_doubt: in_doubt || n.maybe_sent,
    });
    Ok(())
}

/// The subject and body logged for `n`'s earlier attempt, its status link's token put back.
fn with_link(ctx: &ServiceContext, n: &FilingNotice) -> Result<(String, String), StoreError> {
    if n.link_expires == 0 {
        // Logged with its token, before tokens were kept out of the log.
        return Ok((n.subject.clone(), n.body.clone()));
    }
    let token = ctx
        .links
        .token(&n.notice_id, &n.filing_id, n.link_expires, &n.link_nonce)
        .ok_or_else(|| {
            StoreError::Database(format!(
                "the logged link nonce of {} is damaged",
                n.notice_id
            ))
        })?;
    Ok((
        super::lease::with_token(n.subject.clone(), &token)?,
        super::lease::with_token(n.body.clone(), &token)?,
    ))
}

/// A notice's text with a fresh status link: subject (e-mail only), body, the link's nonce and
/// its expiry (Unix seconds).
fn fresh_text(
    ctx: &ServiceContext,
    n: &FilingNotice,
) -> Result<(String, String, String, u64), StoreError> {
    // Valid from when it goes out, however long it waited.
    let hours = i64::from(ctx.config.link_valid_hours.max(1));
    let expires = Utc::now() + chrono::Duration::hours(hours);
    let expires_secs = expires.timestamp().max(0) as u64;
    let token = ctx.links.issue(&n.notice_id, &n.filing_id, expires_secs);
    let nonce = ctx
        .links
        .verify(&token, 0)
        .map(|c| c.nonce)
        .map_err(|e| StoreError::Database(format!("a fresh link does not verify: {e}")))?;
    let link = format!("{}/f/{token}", ctx.public_url);
    let court = &ctx.config.court;
    let case = n.case_number.as_deref().unwrap_or("新案，立案时编定案号");
    Ok(match n.channel {
        Channel::Sms => (
            String::new(),
            format!(
                "【{court}】{}{}（{}，{case}）{}。进度：{link}",
                if n.filer {
                    "您的"
                } else {
                    "您代理案件中的"
                },
                n.filing_kind,
                n.filing_id,
                n.stage.label()
            ),
            nonce,
            expires_secs,
        ),
        Channel::Email => (
            format!(
                "【{court}】{}{}：{}（{case}）",
                n.filing_kind,
                n.stage.label(),
                n.filing_id
            ),
            email_body(ctx, n, case, &link, expires),
            nonce,
            expires_secs,
        ),
    })
}

/// The e-mail's plain text: what happened, each document's decision, the link, and that this
/// is a notice, not service.
fn email_body(
    ctx: &ServiceContext,
    n: &FilingNotice,
    case: &str,
    link: &str,
    expires: DateTime<Utc>,
) -> String {
    let whose = if n.filer {
        "您提交的"
    } else {
        "您登记为共同代理人的案件中，"
    };
    let mut body = format!(
        "您好：\n\n{whose}{}《{}》（收件号 {}，案号 {case}）{}。\n时间：{}（北京时间）\n\n",
        n.filing_kind,
        n.title,
        n.filing_id,
        n.stage.label(),
        shanghai_display(n.created_at)
    );
    if n.stage != NoticeStage::Received {
        for d in &n.documents {
            // Notices are of a review or a docketing, never of a withdrawal.
            let status = crate::page::filing_status::document_label(d.status);
            body.push_str(&format!("  {} {}：{status}", d.document_id, d.name));
            if !d.reason.is_empty() {
                body.push_str(&format!("（{}）", d.reason));
            }
            body.push('\n');
        }
        if !n.comment.is_empty() {
            body.push_str(&format!("法院意见：{}\n", n.comment));
        }
        body.push('\n');
    }
    body.push_str(&format!(
        "查看进度：{link}\n（链接有效至 {}，北京时间）\n\n本邮件为电子诉讼进度通知，不是送达。\n{}\n{}\n",
        shanghai_display(expires),
        ctx.config.court,
        ctx.config.contact
    ));
    body
}
