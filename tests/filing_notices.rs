//! Notices of electronic filing (NEF) and service ordered from the court tool, as processes
//! against a real hub over mutual TLS whose outbox sends to aiosmtpd and the SMSC simulator:
//! lawyers opt in with `efile notices` (bad addresses refused, nothing recorded), a filing's
//! receipt reaches the filer by e-mail and SMS; once the court accepted it, the filer registers a
//! colleague as co-counsel (refused before, for themselves and for a non-lawyer); the next filing's
//! return for correction reaches both, the link opens the filing's status over HTTPS (an altered
//! or never-sent link is refused); a filer who opted out gets nothing; then the court seals the
//! filed PDF and orders it served with `court serve` (run twice: one order).

mod common;

use common::court::Court;
use common::efile::{Lawyer, text, write};
use common::service::*;
use common::smtp::{free_port, received, start_aiosmtpd_on};
use common::*;
use std::path::Path;

const FILER: &str = "lawyer-14201202010000001";
const COLLEAGUE: &str = "lawyer-14201202010000002";
const COLLEAGUE_URN: &str = "urn:ecenter:lawyer:14201202010000002";

/// The mails received so far for `to`.
fn mails_to(maildir: &Path, to: &str) -> Vec<serde_json::Value> {
    received(maildir)
        .into_iter()
        .filter(|m| m["to"].as_str().is_some_and(|t| t.contains(to)))
        .collect()
}

/// Waits until `to` has a mail whose subject contains `subject`, and returns it.
async fn mail_about(maildir: &Path, to: &str, subject: &str) -> serde_json::Value {
    until(30, &format!("a notice to {to} about {subject}"), || async {
        mails_to(maildir, to)
            .into_iter()
            .find(|m| m["subject"].as_str().unwrap().contains(subject))
    })
    .await
}

/// The status link (`https://…/f/…`) in a notice.
fn status_link(body: &str) -> String {
    let start = body
        .find("https://localhost:")
        .expect("a link in the notice");
    let link = body[start..].split_whitespace().next().unwrap();
    assert!(link.contains("/f/"), "{link}");
    link.to_string()
}

fn opt_in(lawyer: &Lawyer, args: &[&str]) {
    let out = lawyer.run(&[&["notices", "set"], args].concat());
    assert!(out.status.success(), "{}", text(&out));
}

fn file(lawyer: &Lawyer, dir: &Path, name: &str) -> String {
    let doc = write(dir, name, &pdf(name));
    let receipt = lawyer.submit_json(&["--case", CASE, "--kind", "答辩状", doc.to_str().unwrap()]);
    receipt["filing_id"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lawyers_who_opted_in_get_notices_of_filing_and_the_court_tool_orders_service() {
    let smsc = common::smsc::start_smsc();
    let maildir = tempfile::tempdir().unwrap();
    let smtp_port = free_port();
    let _smtp = start_aiosmtpd_on(maildir.path(), smtp_port);
    let w = sms_hub(smsc.port, smtp_port, |_| {}).await;
    let (filer, colleague) = (Lawyer::new(), Lawyer::new());
    assert!(
        filer
            .login_as(w.hub.addr, w.pki.path(), FILER)
            .status
            .success()
    );
    assert!(
        colleague
            .login_as(w.hub.addr, w.pki.path(), COLLEAGUE)
            .status
            .success()
    );
    let court = Court::new();
    let out = court.login(w.hub.addr, w.pki.path(), "court-xiangyang-cms");
    assert!(out.status.success(), "{}", text(&out));

    // Opting in: a bad address is named and nothing is recorded.
    for bad in ["zhang-at-lawfirm.cn", "a@b@lawfirm.cn"] {
        let out = filer.run(&["notices", "set", "--email", bad]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(text(&out).contains("addresses[0]"), "{}", text(&out));
    }
    // A Chinese mailbox name is a valid address this hub's relay cannot take (no SMTPUTF8): the
    // operator's to enable, FAILED_PRECONDITION as for a serve order's recipient (round 13b, F7).
    let out = filer.run(&["notices", "set", "--email", "张律师@lawfirm.cn"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("FailedPrecondition") && said.contains("SMTPUTF8"),
        "{said}"
    );
    let out = filer.run(&["notices", "set"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let shown = filer.run(&["notices", "show", "--json"]);
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown["addresses"], serde_json::json!([]));
    assert_eq!(
        shown["channels"],
        serde_json::json!({"email": true, "sms": true})
    );
    opt_in(
        &filer,
        &["--email", "zhang@lawfirm.cn", "--sms", "13800000001"],
    );
    opt_in(&colleague, &["--email", "li@lawfirm.cn"]);

    // Received: the filer by e-mail and SMS.
    let files = tempfile::tempdir().unwrap();
    let first = file(&filer, files.path(), "答辩状.pdf");
    let mail = mail_about(maildir.path(), "zhang@lawfirm.cn", "已收到").await;
    assert!(mail["subject"].as_str().unwrap().contains(&first), "{mail}");
    let message_id = mail["message_id"].as_str().unwrap();
    assert!(
        message_id.contains(&format!(".{first}.nef@")),
        "{message_id}"
    );
    let sms = smsc.wait_messages(1, 30);
    assert_eq!(sms[0]["dest"], "13800000001", "{sms:?}");
    let sms_text = sms[0]["text"].as_str().unwrap();
    assert!(
        sms_text.contains(&first) && sms_text.contains("/f/"),
        "{sms_text}"
    );

    co_counsel_needs_an_accepted_filing(&filer, &colleague, &court, &first);
    let second = file(&filer, files.path(), "补充答辩.pdf");
    a_return_reaches_filer_and_co_counsel(&w, &court, maildir.path(), &second).await;
    the_opted_out_filer_gets_nothing(&w, &filer, maildir.path(), files.path()).await;
    the_court_seals_and_serves(&w, &court, maildir.path(), &first).await;
    w.hub.stop().await;
}

/// Co-counsel: refused before the court accepted a filing of the registering lawyer in the case,
/// for the lawyer themselves and for a non-lawyer; then registered.
fn co_counsel_needs_an_accepted_filing(
    filer: &Lawyer,
    colleague: &Lawyer,
    court: &Court,
    first: &str,
) {
    let filer_urn = "urn:ecenter:lawyer:14201202010000001";
    let out = filer.run(&["notices", "co-counsel", "--case", CASE, COLLEAGUE_URN]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("no filing the court accepted"),
        "{}",
        text(&out)
    );
    assert!(court.run(&["start", first]).status.success());
    let out = court.run(&["decide", first, "--all", "accept"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = colleague.run(&["notices", "co-counsel", "--case", CASE, filer_urn]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let out = filer.run(&["notices", "co-counsel", "--case", CASE, filer_urn]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("colleague"), "{}", text(&out));
    let out = filer.run(&[
        "notices",
        "co-counsel",
        "--case",
        CASE,
        "urn:ecenter:clerk:c0001",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("not a lawyer"), "{}", text(&out));
    let out = filer.run(&["notices", "co-counsel", "--case", CASE, COLLEAGUE_URN]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(COLLEAGUE_URN), "{}", text(&out));
}

/// The court returns the filing for correction; the filer and the co-counsel each get the
/// reason, and the filer's link shows the status; an altered link, or a signed one whose nonce
/// no notice carried, is refused.
async fn a_return_reaches_filer_and_co_counsel(
    w: &World,
    court: &Court,
    maildir: &Path,
    filing: &str,
) {
    assert!(court.run(&["start", filing]).status.success());
    let out = court.run(&["decide", filing, "D1=return:签名页缺失，请补正"]);
    assert!(out.status.success(), "{}", text(&out));
    let mail = mail_about(maildir, "zhang@lawfirm.cn", "退回补正").await;
    let body = mail["body"].as_str().unwrap();
    assert!(
        body.contains("签名页缺失") && body.contains("您提交的"),
        "{body}"
    );
    let theirs = mail_about(maildir, "li@lawfirm.cn", "退回补正").await;
    let their_body = theirs["body"].as_str().unwrap();
    assert!(
        their_body.contains("共同代理人") && their_body.contains(filing),
        "{their_body}"
    );

    let link = status_link(body);
    let (code, page) = w.curl(&[&link]);
    assert_eq!(code, 200, "{page}");
    assert!(
        page.contains(filing) && page.contains("退回补正") && page.contains("签名页缺失"),
        "{page}"
    );
    // One character of the signed part changed: the signature no longer matches.
    let at = link.find("/f/").unwrap() + 10;
    let mut altered: Vec<char> = link.chars().collect();
    let i = link[..at].chars().count();
    altered[i] = if altered[i] == 'Q' { 'R' } else { 'Q' };
    let (code, refused) = w.curl(&[&altered.iter().collect::<String>()]);
    assert_eq!(code, 403, "an altered link");
    // It is refused as what it is: a notice of filing's link, not a service link.
    assert!(
        refused.contains("立案通知") && !refused.contains("送达"),
        "{refused}"
    );
    // Signed with the hub's key, for this notice, but with a nonce no notice carried.
    let notice = mail["message_id"].as_str().unwrap();
    let notice = &notice[1..notice.find('.').unwrap()];
    let signer = ecenter_delivery::link::LinkSigner::new(LINK_KEY).unwrap();
    let base = &link[..link.find("/f/").unwrap()];
    // The mailed token is this key's, for this notice and filing: only the nonce differs below.
    let mailed = signer.verify(&link[base.len() + 3..], 0).unwrap();
    assert_token_kept_out(w.data_dir(), &link[base.len() + 3..]);
    assert_eq!(
        (mailed.service_id.as_str(), mailed.recipient_id.as_str()),
        (notice, filing)
    );
    let forged = signer.issue(notice, filing, 4_000_000_000);
    let (code, _) = w.curl(&[&format!("{base}/f/{forged}")]);
    assert_eq!(code, 403, "a link no notice carried");
}

/// After `notices off`, the filer's next filing makes no notice for them; the co-counsel's is
/// the only one the log shows leased.
async fn the_opted_out_filer_gets_nothing(w: &World, filer: &Lawyer, maildir: &Path, dir: &Path) {
    let out = filer.run(&["notices", "off"]);
    assert!(out.status.success(), "{}", text(&out));
    let third = file(filer, dir, "第二次补充.pdf");
    let mail = mail_about(maildir, "li@lawfirm.cn", &third).await;
    assert!(
        mail["subject"].as_str().unwrap().contains("已收到"),
        "{mail}"
    );
    let mut log = ecenter_proto::v1::event_log_service_client::EventLogServiceClient::new(
        channel_as(w.hub.addr, w.pki.path(), "clerk-c0001").await,
    );
    let leased: Vec<_> = all_entries(&mut log)
        .await
        .into_iter()
        .filter(|e| {
            e.kind == "filing_notice_sending" && e.detail_json.contains(&format!(".{third}.nef@"))
        })
        .collect();
    assert_eq!(leased.len(), 1, "{leased:?}");
    assert!(
        mails_to(maildir, "zhang@lawfirm.cn")
            .iter()
            .all(|m| !m["subject"].as_str().unwrap().contains(&third))
    );
}

/// `court seal` then `court serve`; the same command again is the same order.
async fn the_court_seals_and_serves(w: &World, court: &Court, maildir: &Path, filing: &str) {
    let _seals = court_with_seal(w.hub.addr, w.pki.path()).await;
    let out = court.run(&["seal", filing, "D1", "--seal", "4206-SSFW-01"]);
    assert!(out.status.success(), "{}", text(&out));
    let document = format!("{filing}/S1");
    let serve = [
        "serve",
        "--case",
        CASE,
        &document,
        "--to",
        "王五,role=被告,email=wangwu@example.cn,email-basis=confirmed,consent=送达地址确认书（2026年11月2日）",
        "--plan",
        "email:24",
        "--json",
    ];
    let out = court.run(&serve);
    assert!(out.status.success(), "{}", text(&out));
    let order: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let order_id = order["order_id"].as_str().unwrap().to_string();
    assert_eq!(order["recipients"][0]["name"], "王五");
    // Run again with the case number's brackets written in ASCII: the same order.
    let ascii_case = CASE.replace('（', "(").replace('）', ")");
    let mut rerun = serve;
    rerun[2] = ascii_case.as_str();
    let out = court.run(&rerun);
    assert!(out.status.success(), "{}", text(&out));
    let again: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        again["order_id"],
        order_id.as_str(),
        "a rerun is the same order"
    );
    let mail = until(30, "the service notice", || async {
        mails_to(maildir, "wangwu@example.cn").into_iter().next()
    })
    .await;
    assert!(mail["body"].as_str().unwrap().contains("王五"), "{mail}");
    assert_eq!(mails_to(maildir, "wangwu@example.cn").len(), 1);

    let out = court.run(&["serve", "--case", CASE, &document, "--to", "email=x@y.cn"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("recipient's name"), "{}", text(&out));
    let out = court.run(&["serve", "--case", CASE, &document, "--to", "王五,fax=123"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("unknown key"), "{}", text(&out));
}
