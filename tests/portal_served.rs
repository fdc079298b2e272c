//! 向我送达的文书 in the lawyers' portal, through curl over HTTPS: a court serves a sealed judgment
//! on a lawyer by their hub identity (over gRPC, notice by e-mail to aiosmtpd); the lawyer signs in,
//! finds it, downloads it (its SHA-256 the one listed), and confirms reading with the one-time form:
//! the court then sees service effective under art. 31 para. 2 (1). A replayed form, a forged CSRF
//! token and another lawyer's session are refused; the refusal of the other lawyer is recorded. A
//! HEAD or a prefetch records no opening and no download. The printed proof says the portal.

mod common;

use common::portal::*;
use common::service::*;
use common::smtp::start_aiosmtpd;
use common::*;
use ecenter_proto::v1 as pb;

const ZHANG: (&str, &str, &str) = (
    "urn:ecenter:lawyer:14201202010000001",
    "14201202010000001",
    "zhang@chutian-law.cn",
);
const LI: (&str, &str, &str) = (
    "urn:ecenter:lawyer:14201202010000002",
    "14201202010000002",
    "li@chutian-law.cn",
);

/// The service's recipient acts in the log (openings, downloads, confirmations).
async fn recipient_acts(w: &World) -> usize {
    let mut log = ecenter_proto::v1::event_log_service_client::EventLogServiceClient::new(
        channel_as(w.hub.addr, w.pki.path(), COURT_STEM).await,
    );
    let entries = all_entries(&mut log).await;
    entries
        .iter()
        .filter(|e| e.kind == "recipient_acted")
        .count()
}

/// The value of hidden field `name` in `page`.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + marker.len();
    page[start..].split('"').next().unwrap().to_string()
}

/// A form from the recipients' page (the e-mailed link) is not the portal's, nor the reverse:
/// each confirmation records where the recipient really was.
async fn forms_do_not_cross(
    w: &World,
    li: &Curl<'_>,
    maildir: &std::path::Path,
    (confirm, form, csrf): (&str, &str, &str),
) {
    let link = until(30, "the service notice", || async {
        common::smtp::received(maildir)
            .into_iter()
            .find(|m| m["subject"].as_str().unwrap_or_default().contains("送达"))
    })
    .await;
    let link = link_in(link["body"].as_str().unwrap());
    let (_, link_page) = w.curl(&[&link]);
    let link_form = form_in(&link_page);
    let (status, page) = li.post(confirm, &[("form", &link_form), ("csrf", csrf)]);
    assert_eq!(status, 409, "the link's form at the portal: {page}");
    let (status, page) = w.curl(&["-d", &format!("form={form}"), &format!("{link}/confirm")]);
    assert_eq!(status, 409, "the portal's form at the link's page: {page}");
}

async fn zhang_browser<'w>(
    w: &'w World,
    jars: &std::path::Path,
    maildir: &std::path::Path,
) -> Curl<'w> {
    signed_in(w, jars, maildir, ZHANG, 0).await
}

/// Another lawyer's session: nothing listed, the service refused (as if it did not exist) and
/// each refusal recorded.
async fn another_lawyer_is_refused(w: &World, zhang: Curl<'_>, detail_path: &str, sha: &str) {
    let (_, list) = zhang.get("/portal/served");
    assert!(list.contains("尚未通过本平台向您送达文书"), "{list}");
    for path in [detail_path.to_string(), format!("{detail_path}/d/1")] {
        let (status, page) = zhang.get(&path);
        assert_eq!(status, 404, "{path}: {page}");
        assert!(page.contains("没有这次送达，或受送达人不是您"), "{page}");
        assert!(!page.contains("%PDF") && !page.contains(sha), "{page}");
    }
    let mut log = ecenter_proto::v1::event_log_service_client::EventLogServiceClient::new(
        channel_as(w.hub.addr, w.pki.path(), COURT_STEM).await,
    );
    let denied: Vec<_> = all_entries(&mut log)
        .await
        .into_iter()
        .filter(|e| e.kind == "access_denied" && e.actor == ZHANG.0)
        .collect();
    assert_eq!(denied.len(), 2, "{denied:?}");
}

/// A HEAD (headers, no document) or a declared prefetch of the service's page or a document is
/// no opening and no download: nothing is recorded, as on the recipients' page.
async fn looks_without_visiting_record_nothing(w: &World, li: &Curl<'_>, detail_path: &str) {
    let download = format!("{detail_path}/d/1");
    // A prefetch of the page gets a page without documents or form; of a document, nothing (no
    // copy reaches a browser without its download on record).
    for (path, prefetched) in [(detail_path, 200), (download.as_str(), 204)] {
        let (status, head) = li.get_with(path, &["-I"]);
        assert_eq!(status, 200, "HEAD {path}: {head}");
        for purpose in ["Sec-Purpose: prefetch", "Purpose: prefetch"] {
            let (status, got) = li.get_with(path, &["-H", purpose]);
            assert_eq!(status, prefetched, "{purpose} {path}: {got}");
            assert!(!got.contains("%PDF"), "{purpose} {path} got the document");
        }
    }
    assert_eq!(
        recipient_acts(w).await,
        0,
        "a HEAD or prefetch was recorded"
    );
}

/// The printed proof (`clerk proof --pdf`, read by poppler's pdftotext) says the lawyer opened
/// and confirmed in the portal — never "through the link" — and lists its 送达事件 in time order.
async fn the_printed_proof_names_the_portal(w: &World, order_id: &str, dir: &std::path::Path) {
    let hub_signer = w.pki.path().join("seal.pem");
    let args = [
        "proof",
        order_id,
        "R1",
        "--pdf",
        "--out",
        dir.to_str().unwrap(),
        "--signer",
        hub_signer.to_str().unwrap(),
    ];
    until(30, "the proof to be issued", || async {
        let out = run_clerk_trusting(&args, w.pki.path(), Some(w));
        out.status.success().then_some(())
    })
    .await;
    let text = common::pdf::pdftotext(&dir.join(format!("{order_id}-R1.pdf")));
    let section = text.split("送达事件").nth(1).unwrap();
    let events: Vec<&str> = (section.split("送达生效").next().unwrap().lines())
        .map(str::trim)
        .filter(|l| l.starts_with("20"))
        .collect();
    let joined = events.join("\n");
    assert!(joined.contains("在诉讼服务平台打开送达文书"), "{joined}");
    assert!(
        joined.contains("受送达人在诉讼服务平台确认已阅读"),
        "{joined}"
    );
    assert!(joined.contains("确认阅读：通过诉讼服务平台"), "{joined}");
    // (The test opened the e-mailed link once too: that opening, and only it, names the link.)
    assert_eq!(joined.matches("送达链接").count(), 1, "{joined}");
    // Each opening and download names who came (round 22, F2): the portal, or the client that
    // opened the e-mailed link.
    let flat: String = section.split_whitespace().collect();
    assert!(flat.contains("；来源portal"), "{section}");
    assert!(
        flat.contains("（不视为阅读）（电子邮件）；来源127.0.0.1curl/"),
        "{section}"
    );
    let times: Vec<&str> = events.iter().map(|l| &l[..19]).collect();
    assert!(times.is_sorted(), "not in time order: {joined}");
    let at = |what: &str| events.iter().position(|l| l.contains(what)).unwrap();
    assert!(at("下载文书") < at("确认阅读"), "{joined}");
    // The clerks' table of deliveries says the portal too, not the notice's channel.
    let out = run_clerk(&["deliveries", "--recipient", "李华"], Some(w));
    let table = String::from_utf8_lossy(&out.stdout);
    let row = table.lines().find(|l| l.starts_with(order_id)).unwrap();
    assert!(row.contains("portal 平台"), "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lawyer_downloads_and_confirms_what_was_served_on_them_and_no_one_else_can() {
    let maildir = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir.path());
    let w = world_with(smtp.addr.port(), 10, |c, _| {
        c.proof_font = Some("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc".into());
        c.proof_seal_id = Some("4206-SSFW-01".into());
    })
    .await;
    let document = w.sealed_document().await;
    let mut court = w.service(COURT_STEM).await;
    let mut served = recipient("李华律师", LI.2, pb::AddressBasis::Confirmed);
    served.identity = LI.0.into();
    let ordered = court
        .serve_order(order("portal-served-1", &document, vec![served]))
        .await
        .unwrap()
        .into_inner();
    let order_id = ordered.order_id;
    let jars = tempfile::tempdir().unwrap();
    let li = signed_in(&w, jars.path(), maildir.path(), LI, 0).await;

    let (status, list) = li.get("/portal/served");
    assert_eq!(status, 200, "{list}");
    let detail_path = format!("/portal/served/{order_id}/R1");
    assert!(
        list.contains(&detail_path) && list.contains("送达中"),
        "{list}"
    );
    looks_without_visiting_record_nothing(&w, &li, &detail_path).await;
    let (status, detail) = li.get(&detail_path);
    assert_eq!(status, 200, "{detail}");
    let (form, csrf) = (hidden(&detail, "form"), hidden(&detail, "csrf"));

    // The download is the document listed, byte for byte.
    let file = jars.path().join("served.pdf");
    let jar = li.jar.to_str().unwrap();
    let url = format!("{}{detail_path}/d/1", li.base);
    let (status, _) = w.curl(&["-b", jar, "-o", file.to_str().unwrap(), &url]);
    assert_eq!(status, 200);
    let bytes = std::fs::read(&file).unwrap();
    assert!(bytes.starts_with(b"%PDF"), "not the PDF");
    assert!(
        detail.contains(&sha256_hex(&bytes)),
        "the SHA-256 shown is not the download's"
    );

    // Opening the page again hands out the same form and records nothing more.
    let opened = recipient_acts(&w).await;
    let (_, again) = li.get(&detail_path);
    assert_eq!(hidden(&again, "form"), form);
    assert_eq!(
        recipient_acts(&w).await,
        opened,
        "a second opening was recorded"
    );
    let confirm = format!("{detail_path}/confirm");
    forms_do_not_cross(&w, &li, maildir.path(), (&confirm, &form, &csrf)).await;
    let (status, page) = li.post(&confirm, &[("form", &form), ("csrf", "forged")]);
    assert_eq!(status, 403, "{page}");
    let (status, page) = li.post(&confirm, &[("form", &form), ("csrf", &csrf)]);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("您已确认阅读送达文书"), "{page}");
    let (status, page) = li.post(&confirm, &[("form", &form), ("csrf", &csrf)]);
    assert_eq!(status, 409, "a form is good once: {page}");

    let s = common::service::status(&mut court, &order_id, "R1").await;
    let effective = s
        .effective
        .expect("effective after the portal's confirmation");
    assert_eq!(effective.rule, "recipient_confirmed_reading");
    assert!(
        li.get(&detail_path).1.contains("您已于"),
        "the page shows the confirmation"
    );
    the_printed_proof_names_the_portal(&w, &order_id, jars.path()).await;

    another_lawyer_is_refused(
        &w,
        zhang_browser(&w, jars.path(), maildir.path()).await,
        &detail_path,
        &sha256_hex(&bytes),
    )
    .await;
    drop(smtp);
    w.hub.stop().await;
}
