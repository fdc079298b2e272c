//! A hub reading delivery reports from a maildir the test writes into, as the court's MTA would.

use super::service::{World, world_with};
use super::smtp::start_aiosmtpd;
use std::path::Path;

/// An RFC 3464 report about `address` under envelope id `envid`, written at `written` (its
/// `Date:`, the time it states for the outcome, as Postfix's do), as an MTA would write it.
pub fn dsn(envid: &str, address: &str, action: &str, status: &str, written: &str) -> String {
    dsn_of(envid, address, (action, status), written, "")
}

/// The same, naming the relay's queue id of the message reported on (`X-Postfix-Queue-ID`).
pub fn dsn_of(
    envid: &str,
    address: &str,
    (action, status): (&str, &str),
    written: &str,
    queue_id: &str,
) -> String {
    let queue = if queue_id.is_empty() {
        String::new()
    } else {
        format!("X-Postfix-Queue-ID: {queue_id}\r\n")
    };
    format!(
        "From: MAILER-DAEMON@mta.elsewhere.test\r\nDate: {written}\r\nTo: dsn@hub.test\r\nSubject: Delivery Status Notification\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nreport\r\n\
         --b\r\nContent-Type: message/delivery-status\r\n\r\n\
         Reporting-MTA: dns; mta.hub.test\r\n{queue}Original-Envelope-Id: {envid}\r\nArrival-Date: {written}\r\n\r\n\
         Original-Recipient: rfc822;{address}\r\nFinal-Recipient: rfc822;{address}\r\n\
         Action: {action}\r\nStatus: {status}\r\n\r\n--b--\r\n"
    )
}

/// `report` as the court's relay delivers a report it generated itself: its own `Received` on top,
/// with no `from` clause (what Postfix's bounce daemon writes; see the Postfix test below for the
/// real thing).
pub fn relay_made(report: &str) -> String {
    format!(
        "Return-Path: <>\r\nReceived: by mta.hub.test (Postfix)\r\n\tid 4A1B2C; Mon, 30 Nov 2026 10:00:00 +0000 (UTC)\r\n{report}"
    )
}

/// Delivers `text` into `maildir` as an MTA does: written in `tmp/`, renamed into `new/`.
pub fn deliver(maildir: &Path, name: &str, text: &str) {
    std::fs::write(maildir.join("tmp").join(name), text).unwrap();
    std::fs::rename(
        maildir.join("tmp").join(name),
        maildir.join("new").join(name),
    )
    .unwrap();
}

/// A hub reading delivery reports from a maildir of its own (`report_relays` generate them), and
/// the relay it sends through: what a test needs to keep alive, and the maildir.
pub struct ReportWorld {
    pub w: World,
    pub maildir: std::path::PathBuf,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
    _relay: super::smtp::SmtpServer,
}

pub async fn report_world(report_relays: &[&str]) -> ReportWorld {
    let relay_mail = tempfile::tempdir().unwrap();
    let relay = start_aiosmtpd(relay_mail.path());
    let dsn_dir = tempfile::tempdir().unwrap();
    let maildir = dsn_dir.path().join("dsn");
    for sub in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    let dsn_maildir = maildir.clone();
    let relays: Vec<String> = report_relays.iter().map(|r| (*r).to_string()).collect();
    let w = world_with(relay.addr.port(), 10, move |c, _| {
        let smtp = c.smtp.as_mut().unwrap();
        smtp.dsn_maildir = Some(dsn_maildir);
        smtp.report_relays = relays;
    })
    .await;
    ReportWorld {
        w,
        maildir,
        _dirs: (relay_mail, dsn_dir),
        _relay: relay,
    }
}

/// Waits until the hub has read `name` from the maildir (it moves each message to `cur/`).
pub async fn read_by_the_hub(maildir: &Path, name: &str) {
    let done = maildir.join("cur").join(format!("{name}:2,S"));
    super::service::until(30, &format!("the hub to read {name}"), || {
        let done = done.clone();
        async move { done.exists().then_some(()) }
    })
    .await;
}
