//! What the recipients' page counts as the recipient's act, tried the way the world tries it: a
//! relay that refused the notice (its link could only be made again from the hub's own records), a mail
//! scanner's `HEAD` and a declared prefetch, a form posted from another site. Each is answered
//! and records nothing; what court systems are shown of a notice names its link by a hash, not
//! the live token. Against a hub with seals and e-mail service over mutual TLS; the relay is
//! aiosmtpd (tests/python/smtp_faults.py: `perm-fail@` gets 550 5.1.1).

mod common;

/// What a form posted from another site says (`-H` for curl).
const CROSS_SITE: [&str; 2] = ["Origin: https://evil.example", "Sec-Fetch-Site: cross-site"];

/// What curl sends for `-H` this: no `Origin` at all — a POST by no browser (round 19, F3).
const NO_BROWSER: &str = "Origin:";

use common::service::*;
use common::smtp::{received, start_python_smtp};
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::event_log_service_client::EventLogServiceClient;

/// Every log entry, as a clerk lists them.
async fn entries(w: &World) -> Vec<pb::FilingEvent> {
    let channel = common::channel_as(w.hub.addr, w.pki.path(), "clerk-c0001").await;
    common::all_entries(&mut EventLogServiceClient::new(channel)).await
}

/// The first value under `key` anywhere in `v`.
fn find<'a>(v: &'a serde_json::Value, key: &str) -> Option<&'a serde_json::Value> {
    match v {
        serde_json::Value::Object(m) => {
            m.get(key).or_else(|| m.values().find_map(|x| find(x, key)))
        }
        serde_json::Value::Array(a) => a.iter().find_map(|x| find(x, key)),
        _ => None,
    }
}

/// The recipient's link of the notice the log records, made again as the hub makes it for a
/// resend: the log keeps the page's address and the link's nonce, never its token (the order's
/// expiry and the hub's link key make the rest).
fn link_from_log(entries: &[pb::FilingEvent], order_id: &str, rid: &str) -> String {
    let details: Vec<serde_json::Value> = (entries.iter())
        .map(|e| serde_json::from_str(&e.detail_json).unwrap())
        .collect();
    let text = |v: &serde_json::Value| v.to_string();
    let sending = (details.iter())
        .find(|d| find(d, "link_nonce").is_some() && text(d).contains("https://localhost:"))
        .expect("an attempt entry with the notice's text");
    let nonce = find(sending, "link_nonce").unwrap().as_str().unwrap();
    let said = text(sending);
    assert!(
        !said.contains("/s/") || said.contains("/s/[链接凭据已隐去"),
        "{said}"
    );
    let start = said.find("https://localhost:").unwrap();
    let base = &said[start..start + said[start..].find("/s/").unwrap() + 3];
    let expires = (details.iter())
        .find_map(|d| find(d, "links_expire_at"))
        .and_then(|v| v.as_str())
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .expect("the order's link expiry")
        .timestamp() as u64;
    let signer = ecenter_delivery::link::LinkSigner::new(LINK_KEY).unwrap();
    let token = signer.token(order_id, rid, expires, nonce).unwrap();
    format!("{base}{token}")
}

/// smtp_faults.py writing into a maildir it makes (`mail/` under `root`); the maildir's path.
fn smtp_faults(root: &std::path::Path) -> (common::smtp::SmtpServer, std::path::PathBuf) {
    let maildir = root.join("mail");
    let smtp = start_python_smtp("smtp_faults.py", &[maildir.to_str().unwrap()]);
    (smtp, maildir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_whose_notice_the_relay_refused_opens_nothing_and_records_nothing() {
    let root = tempfile::tempdir().unwrap();
    let (smtp, _) = smtp_faults(root.path());
    let w = world(smtp.addr.port(), 10).await;
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;
    let ordered = serve_one(
        &court,
        "refused-1",
        &document,
        "张三",
        "perm-fail@parties.test",
        pb::AddressBasis::Confirmed,
    )
    .await;
    let (order_id, rid) = (&ordered.order_id, &ordered.recipients[0].recipient_id);
    status_when(&court, order_id, rid, "the relay's refusal", |s| {
        !s.dead_letters.is_empty()
    })
    .await;
    // Whoever holds the hub's link key and its log can make the link the relay never took.
    let before = entries(&w).await;
    let link = link_from_log(&before, order_id, rid);
    let (code, page) = w.curl(&[&link]);
    assert_eq!(code, 403, "{page}");
    assert!(page.contains("未能发出"), "{page}");
    let (code, page) = w.curl(&["-d", "form=any", &format!("{link}/confirm")]);
    assert_eq!(code, 403, "{page}");
    let (code, _) = w.curl(&["-o", "/dev/null", &format!("{link}/d/1")]);
    assert_eq!(code, 403);
    assert_eq!(
        entries(&w).await.len(),
        before.len(),
        "something was recorded"
    );
    let s = status(&mut w.service("court-xiangyang-cms").await, order_id, rid).await;
    assert!(s.effective.is_none() && !s.facts.iter().any(|f| f.kind == "fetched"));
}

/// Checks that a link scanner's `HEAD`s and a declared prefetch get answers but record nothing, and
/// that the prefetch gets no form and no document.
async fn scanners_record_nothing(w: &World, link: &str) {
    let before = entries(w).await.len();
    let (code, _) = w.curl(&["-I", link]);
    assert_eq!(code, 200, "HEAD");
    let (code, _) = w.curl(&["-I", &format!("{link}/d/1")]);
    assert_eq!(code, 200, "HEAD of a document");
    let (code, page) = w.curl(&["-H", "Sec-Purpose: prefetch", link]);
    assert_eq!(code, 200);
    assert!(
        !page.contains("确认已阅读"),
        "a prefetch got a form: {page}"
    );
    // A form the page cannot read is answered in Chinese with the page's headers, not the web
    // framework's English text, and records nothing either.
    let confirm = format!("{link}/confirm");
    let (code, got) = w.curl(&["-i", "-d", "form=a", "-d", "form=b", &confirm]);
    assert_eq!(code, 422, "{got}");
    assert!(got.contains("请求的地址或内容有误"), "{got}");
    assert!(!got.contains("Failed to deserialize"), "{got}");
    assert!(
        got.to_ascii_lowercase()
            .contains("content-security-policy:"),
        "{got}"
    );
    // A prefetch of a document gets nothing: no copy without its download on record.
    let (code, got) = w.curl(&["-H", "Purpose: prefetch", &format!("{link}/d/1")]);
    assert_eq!(code, 204, "{got}");
    assert!(!got.contains("%PDF"), "a prefetch got the document");
    assert_eq!(
        entries(w).await.len(),
        before,
        "a scanner's request was recorded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scanners_prefetches_and_other_sites_do_not_act_for_the_recipient() {
    let root = tempfile::tempdir().unwrap();
    let (smtp, maildir) = smtp_faults(root.path());
    let w = world(smtp.addr.port(), 10).await;
    let document = w.sealed_document().await;
    let mut court = w.service("court-xiangyang-cms").await;
    let ordered = serve_one(
        &court,
        "scanned-1",
        &document,
        "张三",
        "zhangsan@parties.test",
        pb::AddressBasis::Confirmed,
    )
    .await;
    let (order_id, rid) = (&ordered.order_id, &ordered.recipients[0].recipient_id);
    let mail = until(30, "the notice e-mail", || async {
        received(&maildir).into_iter().next()
    })
    .await;
    let link = link_in(mail["body"].as_str().unwrap());
    let sent = status_when(&court, order_id, rid, "the notice accepted", |s| {
        s.attempts.first().is_some_and(|a| a.sent_at.is_some())
    })
    .await;
    // What a court system is shown of the notice names the link by a hash, not the token.
    let token = link.rsplit('/').next().unwrap();
    let shown = &sent.attempts[0].body;
    assert!(
        !shown.contains(token) && shown.contains("链接凭据已隐去"),
        "{shown}"
    );

    scanners_record_nothing(&w, &link).await;

    let (code, page) = w.curl(&[&link]);
    assert_eq!(code, 200);
    let form = form_in(&page);
    let confirm = format!("{link}/confirm");
    for header in [CROSS_SITE[0], CROSS_SITE[1], NO_BROWSER] {
        let (code, answer) = w.curl(&["-H", header, "-d", &format!("form={form}"), &confirm]);
        assert_eq!(code, 403, "{header}: {answer}");
        let (code, _) = w.curl(&[
            "-H",
            header,
            "-d",
            &format!("form={form}&text=已收到"),
            &format!("{link}/reply"),
        ]);
        assert_eq!(code, 403, "{header}: a reply");
    }
    assert!(status(&mut court, order_id, rid).await.effective.is_none());
    // A reply with a hidden character (U+202E shows it reversed in the proof) is refused: nothing
    // recorded, the form still good.
    let (code, answer) = w.curl(&[
        "-d",
        &format!("form={form}"),
        "--data-urlencode",
        "text=已收到\u{202E}文书",
        &format!("{link}/reply"),
    ]);
    assert_eq!(code, 400, "{answer}");
    assert!(answer.contains("不可见字符"), "{answer}");
    assert!(status(&mut court, order_id, rid).await.replies.is_empty());
    // What a browser sends for the page's own form under `Referrer-Policy: no-referrer`.
    let (code, answer) = w.curl(&[
        "-H",
        "Origin: null",
        "-H",
        "Sec-Fetch-Site: same-origin",
        "-d",
        &format!("form={form}&text=已收到文书"),
        &format!("{link}/reply"),
    ]);
    assert_eq!(code, 200, "{answer}");
    let page = w.curl(&[&link]).1;
    let form = form_in(&page);
    // The page's own origin, as a browser sends it, is the recipient on the page.
    let own = format!("Origin: {}", link.split("/s/").next().unwrap());
    let (code, answer) = w.curl(&["-H", &own, "-d", &format!("form={form}"), &confirm]);
    assert_eq!(code, 200, "{answer}");
    let s = status(&mut court, order_id, rid).await;
    assert!(s.effective.is_some(), "the reply made service effective");
    let kinds: Vec<&str> = s.facts.iter().map(|f| f.kind.as_str()).collect();
    assert!(kinds.contains(&"confirmed_reading"), "{kinds:?}");
}
