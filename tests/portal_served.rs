//! 向我送达的文书 in the lawyers' portal, through curl over HTTPS: a court serves a sealed judgment
//! on a lawyer by their hub identity (over gRPC, notice by e-mail to aiosmtpd); the lawyer signs in,
//! finds it, downloads it (its SHA-256 the one listed), and confirms reading with the one-time form:
//! the court then sees service effective under art. 31 para. 2 (1). A replayed form, a forged CSRF
//! token and another lawyer's session are refused; the refusal of the other lawyer is recorded.

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

/// The value of hidden field `name` in `page`.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + marker.len();
    page[start..].split('"').next().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lawyer_downloads_and_confirms_what_was_served_on_them_and_no_one_else_can() {
    let maildir = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir.path());
    let w = world(smtp.addr.port(), 10).await;
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

    let confirm = format!("{detail_path}/confirm");
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

    // Another lawyer's session: nothing listed, the service refused and the refusal recorded.
    let zhang = signed_in(&w, jars.path(), maildir.path(), ZHANG, 0).await;
    let (_, list) = zhang.get("/portal/served");
    assert!(list.contains("尚未通过本平台向您送达文书"), "{list}");
    for path in [detail_path.clone(), format!("{detail_path}/d/1")] {
        let (status, page) = zhang.get(&path);
        assert_eq!(status, 404, "{path}: {page}");
        assert!(page.contains("没有这次送达，或受送达人不是您"), "{page}");
        assert!(
            !page.contains("%PDF") && !page.contains(&sha256_hex(&bytes)),
            "{page}"
        );
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
    drop(smtp);
    w.hub.stop().await;
}
