//! Delivery reports coming back: the MTA delivers mail for the hub's envelope sender into a maildir;
//! this task reads each new message, parses it as an RFC 3464 report, records what it says about
//! the notice it names (reached, or bounced — a bad address suppressed), and only then moves the
//! file to `cur/`. A crash in between reads the report again; recording it twice changes nothing
//! that matters (the first reach counts; a second bounce on a closed channel is a no-op).

use chrono::Utc;
use ecenter_delivery::dsn::{self, Action};
use ecenter_domain::Event;
use ecenter_domain::effective_service::Channel;
use ecenter_domain::service::RecipientEvent;
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

/// Reads `maildir` until `stop` turns true.
pub async fn run<S: EventStore>(store: Arc<S>, maildir: PathBuf, mut stop: watch::Receiver<bool>) {
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
                    if let Err(e) = ingest(&*store, &maildir, &file).await {
                        tracing::error!(error = %e, file = %file.display(), "recording a delivery report failed; it stays in new/");
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot read the DSN maildir"),
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
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

async fn ingest<S: EventStore>(store: &S, maildir: &Path, file: &Path) -> Result<(), StoreError> {
    let raw = std::fs::read(file)?;
    let report = match dsn::parse(&raw) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(file = %file.display(), reason = %e, "not a delivery report; set aside");
            done(maildir, file)?;
            return Ok(());
        }
    };
    let Some((order_id, recipient_id, channel)) = report.notice_id().and_then(notice_of) else {
        tracing::warn!(file = %file.display(), "a delivery report about no notice of this hub; set aside");
        done(maildir, file)?;
        return Ok(());
    };
    let notice = report.notice_id().unwrap_or_default().to_string();
    let mut events = Vec::new();
    for r in &report.recipients {
        let reached = match r.action {
            Action::Delivered => true,
            Action::Failed => false,
            // Not an outcome: still trying, or handed to a system that does not report.
            Action::Delayed | Action::Relayed | Action::Expanded => {
                tracing::info!(%notice, action = ?r.action, status = %r.status, "delivery report noted, no outcome");
                continue;
            }
        };
        let at = r.last_attempt.or(report.arrival).unwrap_or_else(Utc::now);
        let detail = format!("{} {} ({})", r.status, r.diagnostic, report.reporting_mta)
            .trim()
            .to_string();
        events.push(RecipientEvent::DeliveryReported {
            channel,
            reached,
            at,
            detail,
            suppress: r.bad_address(),
        });
    }
    let (o, rid) = (order_id.clone(), recipient_id.clone());
    store
        .append(Box::new(move |view: &dyn ReadView| {
            // Only for a notice this hub really sent, under that id.
            let sent = view
                .recipient_service(&o, &rid)?
                .and_then(|s| s.trace(channel).map(|t| t.message_id == notice))
                .unwrap_or(false);
            if !sent {
                return Ok((Vec::new(), ()));
            }
            Ok((
                events
                    .into_iter()
                    .map(|event| Event::Service {
                        order_id: o.clone(),
                        recipient_id: rid.clone(),
                        event,
                    })
                    .collect(),
                (),
            ))
        }))
        .await?;
    done(maildir, file)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
