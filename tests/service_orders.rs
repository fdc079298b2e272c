//! Serve orders a court system spoils, one field at a time, over mutual TLS (tonic): each refused
//! naming its field and recording nothing; and how long an order's links work against its plan.

mod common;

use common::service::*;
use common::smtp::free_port;
use common::*;
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::service_of_process_client::ServiceOfProcessClient;

/// The service-of-process client of the hub's tests.
type Service = ServiceOfProcessClient<tonic::transport::Channel>;

/// A good e-mail order on 张三 for `document`, for the refusal tests to spoil one field of.
fn good_order(document: &str) -> pb::ServeOrderRequest {
    order(
        "bad-1",
        document,
        vec![recipient(
            "张三",
            "zhangsan@example.cn",
            pb::AddressBasis::Confirmed,
        )],
    )
}

/// A document served must belong to the order's case (round 19, F8): a sealed copy of a filing in
/// another case is refused, and so is one of a new case's first filing not yet docketed — it
/// belongs to no case yet, and the notices, the page and the proof would all name the order's.
async fn documents_of_no_or_another_case_are_refused(w: &World, court: &mut Service) {
    let mut lawyer = tls_client(w.hub.addr, w.pki.path(), "lawyer-14201202010000001").await;
    let mut seals = pb::seal_service_client::SealServiceClient::new(
        channel_as(w.hub.addr, w.pki.path(), "court-xiangyang-cms").await,
    );
    for (n, (case, kind, said)) in [
        (
            "（2026）鄂06民初999号",
            "证据材料",
            "belongs to case （2026）鄂06民初999号",
        ),
        ("", "起诉状", "starts a new case"),
    ]
    .into_iter()
    .enumerate()
    {
        let doc = pdf(&format!("other-case-{n}"));
        let request = format!("req-other-case-{n}");
        let filing_id =
            file_in_case(&mut lawyer, (&request, case, kind), &[("材料.pdf", &doc)]).await;
        seals.seal_pdf(seal_d1(&filing_id)).await.unwrap();
        let mut r = good_order(&format!("{filing_id}/S1"));
        r.request_id = format!("other-case-{n}");
        assert_status(
            court.serve_order(r).await,
            tonic::Code::FailedPrecondition,
            said,
        );
    }
}

/// Checks that orders each spoiled in one field are refused naming that field.
async fn each_bad_field_is_refused(court: &mut Service, document: &str) {
    let good = || good_order(document);
    let mut r = good();
    r.request_id.clear();
    assert_status(
        court.serve_order(r).await,
        tonic::Code::InvalidArgument,
        "request_id",
    );
    let mut r = good();
    r.recipients[0].consent_basis.clear();
    assert_status(
        court.serve_order(r).await,
        tonic::Code::InvalidArgument,
        "第九十条",
    );
    let mut r = good();
    r.recipients[0].email = "not-an-address".into();
    assert_status(
        court.serve_order(r).await,
        tonic::Code::InvalidArgument,
        "not-an-address",
    );
    let mut r = good();
    r.plan[0].channel = pb::ServiceChannel::Sms as i32;
    r.recipients[0].phone = "13800138000".into();
    r.recipients[0].phone_basis = pb::AddressBasis::Confirmed as i32;
    assert_status(
        court.serve_order(r).await,
        tonic::Code::FailedPrecondition,
        "SMS",
    );
    let mut r = good();
    r.documents = vec![document.replace("/S1", "/D1")];
    assert_status(
        court.serve_order(r).await,
        tonic::Code::InvalidArgument,
        "not sealed",
    );
    let mut r = good();
    r.documents = vec!["../../S1".into()];
    assert_status(
        court.serve_order(r).await,
        tonic::Code::InvalidArgument,
        "not a document reference",
    );
    let mut r = good();
    r.documents = vec![document.replace("/S1", "/S9")];
    assert_status(court.serve_order(r).await, tonic::Code::NotFound, "S9");
    let mut r = good();
    r.case_number = "鄂06民初".into();
    assert_status(
        court.serve_order(r).await,
        tonic::Code::InvalidArgument,
        "case_number",
    );
    // Texts a court reads in the proof: nothing hidden (U+202E shows 张三 reversed), one line.
    let mut r = good();
    r.recipients[0].name = "张三\u{202E}".into();
    assert_status(
        court.serve_order(r).await,
        tonic::Code::InvalidArgument,
        "U+202E",
    );
    let mut r = good();
    r.recipients[0].role = "被告\n第三人".into();
    assert_status(
        court.serve_order(r).await,
        tonic::Code::InvalidArgument,
        "recipients[0].role",
    );
    // Links that would stop before the plan runs out.
    let mut r = good();
    r.link_valid_hours = 23;
    assert_status(
        court.serve_order(r).await,
        tonic::Code::InvalidArgument,
        "link_valid_hours",
    );
}

/// One field of a recipient spoilt.
type Spoil = fn(&mut pb::ServeRecipient);

/// Checks the mistakes a foreign court system made (outsider, session 46, Python grpcio): each
/// refused as INVALID_ARGUMENT naming the field, where they had been accepted and sent.
async fn foreign_mistakes_are_refused(court: &mut Service, document: &str) {
    let good = || good_order(document);
    let spoilt: [(&str, Spoil); 9] = [
        ("not an e-mail address", |r| {
            r.email = "<zhangsan@example.cn>".into();
        }),
        // A Cyrillic а: the proof would show example.cn (round 15, F1).
        ("mixes scripts", |r| {
            r.email = "zhangsan@ex\u{430}mple.cn".into();
        }),
        ("not an e-mail address", |r| {
            r.email = "a@[127.0.0.1]".into();
        }),
        ("line break", |r| r.name = "张三\u{2028}李四".into()),
        ("U+3164", |r| r.name = "\u{3164}".into()),
        ("U+0301", |r| r.name = "\u{301}\u{301}".into()),
        ("lawyer", |r| {
            r.identity = "urn:ecenter:court:xiangyang-cms".into();
        }),
        ("recipients[0].identity", |r| {
            r.identity = "urn:ecenter:lawyer:../x".into();
        }),
        ("phone_basis", |r| {
            r.phone_basis = pb::AddressBasis::Discovered as i32;
        }),
    ];
    for (said, spoil) in spoilt {
        let mut r = good();
        spoil(&mut r.recipients[0]);
        assert_status(
            court.serve_order(r).await,
            tonic::Code::InvalidArgument,
            said,
        );
    }
    // The same person twice would get two notices and two proofs of one service — also when
    // the name is encoded otherwise (金 as the compatibility ideograph U+F90A; round 15, F2).
    for (first, again) in [("张三", "张三"), ("张三", "张三 "), ("金三", "\u{F90A}三")] {
        let mut r = good();
        r.recipients[0].name = first.into();
        let mut second = r.recipients[0].clone();
        second.name = again.into();
        r.recipients.push(second);
        assert_status(
            court.serve_order(r).await,
            tonic::Code::InvalidArgument,
            "recipients[1]",
        );
    }
    // A time outside a timestamp's range would switch the filter off.
    for t in [
        prost_types::Timestamp {
            seconds: 1_000_000_000_000_000,
            nanos: 0,
        },
        prost_types::Timestamp {
            seconds: 0,
            nanos: -5,
        },
    ] {
        let asked = pb::ListDeliveriesRequest {
            ordered_from: Some(t),
            ..Default::default()
        };
        assert_status(
            court.list_deliveries(asked).await,
            tonic::Code::InvalidArgument,
            "ordered_from",
        );
    }
}

/// A page of an order's recipients continues after one of its own ids as the hub writes them;
/// any other cursor is refused, never read as past the end (outside tests, round 13, F3).
async fn pages_continue_only_after_the_orders_own_recipients(court: &mut Service, order_id: &str) {
    let page = |after: &str| pb::GetOrderRequest {
        order_id: order_id.into(),
        after_recipient_id: after.into(),
        page_size: 3,
    };
    let last = court.get_order(page("R1")).await.unwrap().into_inner();
    assert!(last.recipients.is_empty() && last.next_after_recipient_id.is_empty());
    for after in ["r1", "R01", "R１", " R1", "R+1", "R2", "R0", "\u{202e}R1"] {
        assert_status(
            court.get_order(page(after)).await,
            tonic::Code::InvalidArgument,
            "after_recipient_id",
        );
    }
}

/// The clerks' list of deliveries is read whole page by page — across an order's recipients too —
/// in the order one page gives it, each delivery once; a cursor that is not a delivery of the hub
/// is refused naming its field, never read as the end (a case's export was cut at 2000 rows).
async fn deliveries_are_read_to_the_end_page_by_page(court: &mut Service, document: &str) {
    let three = ["王一", "王二", "王三"]
        .map(|name| recipient(name, "wang@example.cn", pb::AddressBasis::Confirmed));
    court
        .serve_order(order("paged", document, three.to_vec()))
        .await
        .unwrap();
    let list = |limit, after: (&str, &str)| pb::ListDeliveriesRequest {
        limit,
        after_order_id: after.0.into(),
        after_recipient_id: after.1.into(),
        ..Default::default()
    };
    let key = |d: &pb::Delivery| {
        (
            d.order_id.clone(),
            d.recipient.clone().unwrap().recipient_id,
        )
    };
    let whole = court.list_deliveries(list(0, ("", ""))).await.unwrap();
    let whole: Vec<_> = whole.into_inner().deliveries.iter().map(key).collect();
    assert!(whole.len() >= 5, "{whole:?}");
    let (mut paged, mut after) = (Vec::new(), (String::new(), String::new()));
    loop {
        let page = court.list_deliveries(list(2, (&after.0, &after.1))).await;
        let page = page.unwrap().into_inner();
        assert!(page.deliveries.len() <= 2);
        paged.extend(page.deliveries.iter().map(key));
        assert_eq!(page.truncated, !page.next_after_order_id.is_empty());
        if !page.truncated {
            break;
        }
        assert_eq!(
            (
                page.next_after_order_id.clone(),
                page.next_after_recipient_id.clone()
            ),
            *paged.last().unwrap()
        );
        after = (page.next_after_order_id, page.next_after_recipient_id);
    }
    assert_eq!(paged, whole);
    let (order_id, _) = &whole[0];
    for (bad, field) in [
        (("O999999999999", "R1"), "after_order_id"),
        ((order_id.as_str(), "R9"), "after_recipient_id"),
        ((order_id.as_str(), ""), "after_order_id"),
        (("", "R1"), "after_order_id"),
    ] {
        let refused = court.list_deliveries(list(2, bad)).await;
        assert_status(refused, tonic::Code::InvalidArgument, field);
    }
}

/// `court serve` without --plan asks for e-mail then SMS; a hub without SMS refuses the step and
/// the tool says to give --plan, which then serves (outside tests, round 15, F13).
fn the_default_plan_is_refused_naming_plan_on_a_hub_without_sms(w: &World, document: &str) {
    let court = common::court::Court::new();
    let out = court.login(w.hub.addr, w.pki.path(), "court-xiangyang-cms");
    assert!(out.status.success(), "{}", common::efile::text(&out));
    let to = "孙七,role=被告,email=sunqi@example.cn,email-basis=confirmed,consent=送达地址确认书";
    let serve = ["serve", "--case", common::CASE, document, "--to", to];
    let out = court.run(&serve);
    let said = common::efile::text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("plan[1]") && said.contains("--plan email:72"),
        "{said}"
    );
    let out = court.run(&[&serve[..], &["--plan", "email:72"]].concat());
    assert!(out.status.success(), "{}", common::efile::text(&out));
}

/// Checks that the hub's default link validity (168 hours) is lengthened to a longer plan.
async fn links_outlive_the_plan(court: &mut Service, document: &str) {
    let mut r = good_order(document);
    r.request_id = "long-plan".into();
    r.plan[0].deadline_hours = 200;
    let before = chrono::Utc::now().timestamp();
    let ordered = court.serve_order(r).await.unwrap().into_inner();
    let order = court
        .get_order(pb::GetOrderRequest {
            order_id: ordered.order_id,
            after_recipient_id: String::new(),
            page_size: 0,
        })
        .await
        .unwrap()
        .into_inner();
    let expires = order.links_expire_at.unwrap().seconds;
    assert!(
        expires >= before + 200 * 3600,
        "links expire {} s after the order",
        expires - before
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_orders_are_refused_with_the_field_and_nothing_is_recorded() {
    let w = world(free_port(), 5).await;
    let document = w.sealed_document().await;
    let mut court = w.service("court-xiangyang-cms").await;
    let mut lawyer = w.service("lawyer-14201202010000001").await;

    let good = || good_order(&document);
    let refused = lawyer.serve_order(good()).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);

    each_bad_field_is_refused(&mut court, &document).await;
    foreign_mistakes_are_refused(&mut court, &document).await;
    documents_of_no_or_another_case_are_refused(&w, &mut court).await;
    let listed = court
        .list_deliveries(pb::ListDeliveriesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(listed.deliveries.is_empty(), "{:?}", listed.deliveries);
    links_outlive_the_plan(&mut court, &document).await;

    // A request id reused for a different order is refused, naming the order it belongs to.
    let first = court.serve_order(good()).await.unwrap().into_inner();
    let mut r = good();
    r.recipients[0].name = "李四".into();
    assert_status(
        court.serve_order(r).await,
        tonic::Code::AlreadyExists,
        &first.order_id,
    );
    // ... said first, even when the new content is wrong in itself (round 13, F8).
    let mut r = good();
    r.case_number = "（2026）鄂06民初124号".into();
    assert_status(
        court.serve_order(r).await,
        tonic::Code::AlreadyExists,
        &first.order_id,
    );

    assert_status(
        court
            .get_recipient(pb::RecipientRef {
                order_id: first.order_id.clone(),
                recipient_id: "R9".into(),
            })
            .await,
        tonic::Code::NotFound,
        "R9",
    );
    pages_continue_only_after_the_orders_own_recipients(&mut court, &first.order_id).await;
    deliveries_are_read_to_the_end_page_by_page(&mut court, &document).await;
    the_default_plan_is_refused_naming_plan_on_a_hub_without_sms(&w, &document);
    assert_status(
        court
            .get_proof(pb::ProofRequest {
                order_id: first.order_id.clone(),
                recipient_id: "R1".into(),
                version: 0,
            })
            .await,
        tonic::Code::FailedPrecondition,
        "not taken effect",
    );
    w.hub.stop().await;
}

/// A sealed filing is the court's record: its filer can no longer withdraw it (outside tests,
/// round 14b, F2), so nothing the court serves comes from a withdrawn filing; a filing withdrawn
/// before any seal gets none, and the same withdrawal again records nothing while another reason
/// is refused quoting the one on record (round 13, F1, F4; round 14b, F6).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sealed_filing_stays_and_a_withdrawn_one_is_not_sealed() {
    let w = world(free_port(), 5).await;
    let document = w.sealed_document().await;
    let sealed = document.split('/').next().unwrap().to_string();
    let mut lawyer = tls_client(w.hub.addr, w.pki.path(), "lawyer-14201202010000001").await;
    let cancel = |filing: &str, reason: &str| pb::CancelFilingRequest {
        filing_id: filing.into(),
        reason: reason.into(),
    };
    let refused = lawyer
        .cancel_filing(cancel(&sealed, " "))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{refused:?}");
    assert!(refused.message().contains("请填写撤回理由"), "{refused:?}");
    let refused = lawyer.cancel_filing(cancel(&sealed, "撤回起诉")).await;
    let refused = assert_status(
        refused,
        tonic::Code::FailedPrecondition,
        "can no longer be withdrawn",
    );
    assert!(
        ecenter_client::exit::in_chinese(&refused)
            .unwrap()
            .contains("已加盖本院电子签章")
    );

    let docs: &[(&str, &[u8])] = &[("证据.pdf", &pdf("withdrawn before any seal"))];
    let withdrawn = file_documents(&mut lawyer, "req-withdrawn-1", "证据材料", docs).await;
    let cancelled = lawyer
        .cancel_filing(cancel(&withdrawn, "撤回起诉"))
        .await
        .unwrap();
    let again = lawyer
        .cancel_filing(cancel(&withdrawn, "撤回起诉"))
        .await
        .unwrap();
    let seq = |f: tonic::Response<pb::Filing>| f.into_inner().last_event_seq;
    assert_eq!(seq(again), seq(cancelled));
    let other = lawyer.cancel_filing(cancel(&withdrawn, "另一个理由")).await;
    assert_status(
        other,
        tonic::Code::FailedPrecondition,
        "withdrawn already, for the reason 「撤回起诉」",
    );
    let mut seals = ecenter_proto::v1::seal_service_client::SealServiceClient::new(
        channel_as(w.hub.addr, w.pki.path(), "court-xiangyang-cms").await,
    );
    let refused = seals.seal_pdf(seal_d1(&withdrawn)).await.unwrap_err();
    assert_eq!(
        refused.code(),
        tonic::Code::FailedPrecondition,
        "{refused:?}"
    );
    assert!(
        refused.message().contains("已撤回的材料不得签章"),
        "{}",
        refused.message()
    );
    let mut filings = tls_client(w.hub.addr, w.pki.path(), "court-xiangyang-cms").await;
    let filing = filings
        .get_filing(pb::GetFilingRequest {
            filing_id: withdrawn,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(filing.seals.is_empty(), "{filing:?}");
    a_copy_of_a_document_refused_since_is_not_served(&w, &document).await;
    w.hub.stop().await;
}

/// The court refuses (不予接收) the document it had sealed: its sealed copy is no longer served
/// (outside tests, round 14b, F2), and no order is recorded.
async fn a_copy_of_a_document_refused_since_is_not_served(w: &World, document: &str) {
    let filing_id = document.split('/').next().unwrap().to_string();
    let mut reviewer = tls_client(w.hub.addr, w.pki.path(), "court-xiangyang-cms").await;
    let take = pb::StartReviewRequest {
        filing_id: filing_id.clone(),
    };
    reviewer.start_review(take).await.unwrap();
    let decisions = vec![pb::DocumentDecision {
        document_id: "D1".into(),
        decision: pb::ReviewDecision::Reject as i32,
        reason: "不属于本院管辖".into(),
    }];
    let review = pb::ReviewFilingRequest {
        filing_id,
        decisions,
        comment: String::new(),
    };
    reviewer.review_filing(review).await.unwrap();
    let mut court = w.service("court-xiangyang-cms").await;
    let refused = court.serve_order(good_order(document)).await;
    let refused = assert_status(refused, tonic::Code::FailedPrecondition, "it is not served");
    assert!(
        ecenter_client::exit::in_chinese(&refused)
            .unwrap()
            .contains("不予送达")
    );
    let listed = court
        .list_deliveries(pb::ListDeliveriesRequest::default())
        .await;
    assert!(listed.unwrap().into_inner().deliveries.is_empty());
}
