//! 我的立案 in the lawyers' portal, through curl over the hub's HTTPS listener: a signed-in lawyer
//! sees their own filings (filed over gRPC with their client certificate: the same identity), with
//! a filter by state and each document's decision once the court reviews over gRPC; another
//! lawyer's filing is refused and the refusal recorded, as the authorization table says; without a
//! session the pages send the browser to sign in.

mod common;

use common::portal::*;
use common::service::*;
use common::smtp::start_aiosmtpd;
use common::*;
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::filing_service_client::FilingServiceClient;

const ZHANG: (&str, &str, &str) = (
    "urn:ecenter:lawyer:14201202010000001",
    "14201202010000001",
    "zhang@chutian-law.cn",
);

fn decision(d: &str, decision: pb::ReviewDecision, reason: &str) -> pb::DocumentDecision {
    pb::DocumentDecision {
        document_id: d.into(),
        decision: decision as i32,
        reason: reason.into(),
    }
}

/// The court takes `own` into review over gRPC: D1 accepted, D2 returned with a reason.
async fn review_returning_d2(w: &World, own: &str) {
    let mut court =
        FilingServiceClient::new(channel_as(w.hub.addr, w.pki.path(), COURT_STEM).await);
    court
        .start_review(pb::StartReviewRequest {
            filing_id: own.to_string(),
        })
        .await
        .unwrap();
    let review = pb::ReviewFilingRequest {
        filing_id: own.to_string(),
        decisions: vec![
            decision("D1", pb::ReviewDecision::Accept, ""),
            decision(
                "D2",
                pb::ReviewDecision::ReturnForCorrection,
                "证据目录缺少页码，请补正后重新提交",
            ),
        ],
        comment: "请于七日内补正".into(),
    };
    court.review_filing(review).await.unwrap();
}

/// A query or path the portal cannot read, or a method a page lacks, is answered in Chinese with
/// the portal's security headers — not the web framework's English text without them.
fn malformed_requests_get_the_portals_words_and_headers(browser: &Curl<'_>) {
    for (path, extra, status) in [
        ("/portal/filings?state=received&state=x", &[][..], 400),
        (
            "/portal/filings/F000000000001/events?since=-1",
            &[][..],
            400,
        ),
        ("/portal/", &["-X", "PUT"][..], 405),
    ] {
        let (got, answer) = browser.get_with(path, extra);
        assert_eq!(got, status, "{path}: {answer}");
        let lower = answer.to_ascii_lowercase();
        assert!(answer.contains("请求的地址或参数有误"), "{path}: {answer}");
        assert!(lower.contains("content-security-policy:"), "{answer}");
        assert!(
            lower.contains("x-content-type-options: nosniff"),
            "{answer}"
        );
        assert!(!answer.contains("Failed to deserialize"), "{answer}");
    }
    // An address that leads nowhere is 404 whatever the method, not 405.
    for method in ["GET", "POST"] {
        let (got, answer) = browser.get_with("/portal/verify", &["-X", method]);
        assert_eq!(got, 404, "{method}: {answer}");
        assert!(answer.contains("诉讼服务平台没有这个页面"), "{answer}");
    }
}

/// A filing the lawyer withdrew: its documents were never reviewed and never will be, so they do
/// not read 待审查 as if the court still had them (round 13b, F8).
async fn a_withdrawn_filing_reads_never_reviewed(
    browser: &Curl<'_>,
    zhang: &mut FilingServiceClient<tonic::transport::Channel>,
) {
    let docs: &[(&str, &[u8])] = &[("证据.pdf", &pdf("withdrawn"))];
    let withdrawn = file_documents(zhang, "portal-3", "证据材料", docs).await;
    zhang
        .cancel_filing(pb::CancelFilingRequest {
            filing_id: withdrawn.clone(),
            reason: "提交有误".into(),
        })
        .await
        .unwrap();
    let (status, detail) = browser.get(&format!("/portal/filings/{withdrawn}"));
    assert_eq!(status, 200, "{detail}");
    assert!(detail.contains("未审查（已撤回）"), "{detail}");
    assert!(!detail.contains("待审查"), "{detail}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lawyer_follows_their_own_filings_and_no_one_elses() {
    let maildir = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir.path());
    let w = world(smtp.addr.port(), 10).await;
    let mut zhang = tls_client(w.hub.addr, w.pki.path(), "lawyer-14201202010000001").await;
    let mut li = tls_client(w.hub.addr, w.pki.path(), "lawyer-14201202010000002").await;
    let docs: &[(&str, &[u8])] = &[
        ("答辩状.pdf", &pdf("defence")),
        ("证据目录.pdf", &pdf("list")),
    ];
    let own = file_documents(&mut zhang, "portal-1", "答辩状", docs).await;
    let others = file_documents(&mut li, "portal-2", "证据材料", &docs[..1]).await;
    let jars = tempfile::tempdir().unwrap();
    let browser = signed_in(&w, jars.path(), maildir.path(), ZHANG, 0).await;

    let (status, list) = browser.get("/portal/filings");
    assert_eq!(status, 200, "{list}");
    assert!(list.contains(&own) && list.contains("答辩状"), "{list}");
    assert!(
        !list.contains(&others),
        "another lawyer's filing is listed: {list}"
    );
    let (_, none) = browser.get("/portal/filings?state=docketed");
    assert!(
        none.contains("没有符合条件的材料") && !none.contains(&own),
        "{none}"
    );

    review_returning_d2(&w, &own).await;
    let (status, detail) = browser.get(&format!("/portal/filings/{own}"));
    assert_eq!(status, 200, "{detail}");
    for shown in [
        "退回补正",
        "已接收",
        "证据目录缺少页码，请补正后重新提交",
        "请于七日内补正",
    ] {
        assert!(detail.contains(shown), "{shown} is not shown: {detail}");
    }
    let (_, returned) = browser.get("/portal/filings?state=returned_for_correction");
    assert!(returned.contains(&own), "{returned}");
    malformed_requests_get_the_portals_words_and_headers(&browser);
    a_withdrawn_filing_reads_never_reviewed(&browser, &mut zhang).await;

    // Another lawyer's filing: refused, and the refusal is in the log with the filing's id.
    let (status, refused) = browser.get(&format!("/portal/filings/{others}"));
    let (_, missing) = browser.get("/portal/filings/F999999999999");
    // The same answer as for a filing that does not exist: ids tell nothing about others'.
    assert_eq!(status, 404, "{refused}");
    let body = |page: &str| {
        page.split("\r\n\r\n")
            .nth(1)
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(body(&refused), body(&missing));
    assert!(!refused.contains("证据材料"), "{refused}");
    // Its live updates likewise.
    let (status, _) = browser.get(&format!("/portal/filings/{others}/events"));
    assert_eq!(status, 404);
    let mut log = ecenter_proto::v1::event_log_service_client::EventLogServiceClient::new(
        channel_as(w.hub.addr, w.pki.path(), COURT_STEM).await,
    );
    let denied = all_entries(&mut log)
        .await
        .into_iter()
        .find(|e| e.kind == "access_denied")
        .expect("the refusal is recorded");
    assert_eq!(denied.actor, ZHANG.0);
    assert!(
        denied.detail_json.contains(&others),
        "{}",
        denied.detail_json
    );

    // Without a session: off to sign in, nothing shown.
    let stranger = Curl::new(&w, jars.path(), "stranger");
    let (status, page) = stranger.get(&format!("/portal/filings/{own}"));
    assert_eq!(status, 303, "{page}");
    assert!(!page.contains("答辩状"), "{page}");
    drop(smtp);
    w.hub.stop().await;
}
