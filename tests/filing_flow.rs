//! The whole intake flow over a real tonic client against a hub on 127.0.0.1:0.

mod common;

use common::*;
use ecenter_proto::v1 as pb;
use std::time::Duration;
use tokio_stream::StreamExt;

async fn next_events(
    stream: &mut tonic::Streaming<pb::FilingEvent>,
    n: usize,
) -> Vec<pb::FilingEvent> {
    let mut out = Vec::new();
    while out.len() < n {
        let e = tokio::time::timeout(Duration::from_secs(20), stream.next())
            .await
            .expect("event arrives")
            .unwrap()
            .unwrap();
        out.push(e);
    }
    out
}

/// Checks the receipt names the case, submitter, department, local time and each document filed.
fn receipt_says_what_was_filed(r: &pb::Receipt, complaint: &[u8]) {
    assert_eq!(r.case_number.as_ref().unwrap().normalized, CASE);
    assert_eq!(r.case_number.as_ref().unwrap().court_code, "鄂06");
    assert_eq!(r.submitter, LAWYER_A);
    assert_eq!(r.department, "民事审判庭");
    assert!(
        r.received_at_local.ends_with("+08:00"),
        "{}",
        r.received_at_local
    );
    assert_eq!(r.documents.len(), 2);
    assert_eq!(
        r.documents[0].name, "答辩状.pdf",
        "path is stripped from the name"
    );
    assert_eq!(r.documents[0].media_type, "application/pdf");
    assert_eq!(r.documents[0].sha256, sha256_hex(complaint));
    assert_eq!(r.documents[0].size, complaint.len() as u64);
    assert_eq!(r.documents[1].media_type, "image/png");
    assert_eq!(r.log_hash.len(), 64);
}

/// Checks the lawyer sees the filing received with its same receipt, and the department queue lists it.
async fn filing_and_queue_show_it(lawyer: &mut Client, court: &mut Client, r: &pb::Receipt) {
    let got = lawyer
        .get_filing(pb::GetFilingRequest {
            filing_id: r.filing_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.state(), pb::FilingState::Received);
    assert_eq!(got.documents[1].status(), pb::DocumentStatus::Pending);
    let again = lawyer
        .get_receipt(pb::GetReceiptRequest {
            filing_id: r.filing_id.clone(),
            pdf: false,
        })
        .await
        .unwrap()
        .into_inner();
    // The same receipt; only the newest signed checkpoint it names may have moved on meanwhile.
    let seq = |r: &pb::Receipt| r.checkpoint.as_ref().map(|c| c.seq);
    assert!(seq(&again) >= seq(r), "the checkpoint went back: {again:?}");
    let without_checkpoint = |r: &pb::Receipt| pb::Receipt {
        checkpoint: None,
        ..r.clone()
    };
    assert_eq!(without_checkpoint(&again), without_checkpoint(r));

    let queue = court
        .list_department_queue(pb::ListDepartmentQueueRequest {
            department: "民事审判庭".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        queue
            .filings
            .iter()
            .map(|f| f.filing_id.as_str())
            .collect::<Vec<_>>(),
        vec![r.filing_id.as_str()]
    );
}

/// Reviews the filing (D1 accepted, D2 rejected), dockets it and checks it leaves the queue.
async fn review_and_docket(court: &mut Client, filing_id: &str) {
    let under = court
        .start_review(pb::StartReviewRequest {
            filing_id: filing_id.to_string(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(under.state(), pb::FilingState::UnderReview);
    assert_eq!(under.reviewer, COURT);
    let reviewed = court
        .review_filing(pb::ReviewFilingRequest {
            filing_id: filing_id.to_string(),
            decisions: vec![
                pb::DocumentDecision {
                    document_id: "D1".into(),
                    decision: pb::ReviewDecision::Accept as i32,
                    reason: String::new(),
                },
                pb::DocumentDecision {
                    document_id: "D2".into(),
                    decision: pb::ReviewDecision::Reject as i32,
                    reason: "证据与本案无关".into(),
                },
            ],
            comment: "部分接收".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reviewed.state(), pb::FilingState::PartiallyAccepted);
    assert_eq!(reviewed.documents[0].status(), pb::DocumentStatus::Accepted);
    assert_eq!(reviewed.documents[1].status(), pb::DocumentStatus::Rejected);
    assert_eq!(reviewed.documents[1].reason, "证据与本案无关");

    let docketed = court
        .docket_filing(pb::DocketFilingRequest {
            filing_id: filing_id.to_string(),
            case_number: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(docketed.state(), pb::FilingState::Docketed);

    // Out of the queue once decided.
    let queue = court
        .list_department_queue(pb::ListDepartmentQueueRequest {
            department: "民事审判庭".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(queue.filings.is_empty());
}

/// Checks both watches saw the five events of the flow, chained, starting at the receipt's entry.
async fn watchers_saw_every_event(
    filing_watch: &mut tonic::Streaming<pb::FilingEvent>,
    dept_watch: &mut tonic::Streaming<pb::FilingEvent>,
    r: &pb::Receipt,
) {
    let expected = [
        "received",
        "routed",
        "review_started",
        "reviewed",
        "docketed",
    ];
    for stream in [filing_watch, dept_watch] {
        let events = next_events(stream, expected.len()).await;
        assert_eq!(
            events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
            expected
        );
        assert!(
            events
                .iter()
                .all(|e| e.filing_id == r.filing_id && e.department == "民事审判庭")
        );
        assert_eq!(events[0].seq, r.log_seq);
        assert_eq!(events[0].hash, r.log_hash);
        for pair in events.windows(2) {
            assert_eq!(
                pair[1].prev_hash, pair[0].hash,
                "watchers see the hash chain"
            );
        }
        assert_eq!(events[3].state_after(), pb::FilingState::PartiallyAccepted);
        assert_eq!(events[3].actor, COURT);
        assert!(events[3].detail_json.contains("证据与本案无关"));
    }
}

/// Files seven filings alternately as A (in CASE) and B (in a criminal case); returns their ids.
async fn file_seven(a: &mut Client, b: &mut Client) -> Vec<String> {
    let doc = pdf("x");
    let mut ids = Vec::new();
    for i in 0..7 {
        let (client, case) = if i % 2 == 0 {
            (&mut *a, CASE)
        } else {
            (&mut *b, "（2026）鄂06刑初9号")
        };
        let r = submit(
            client,
            &format!("req-list-{i:04}"),
            case,
            "证据材料",
            &[("e.pdf", &doc)],
        )
        .await
        .unwrap();
        ids.push(r.receipt.unwrap().filing_id);
    }
    ids
}

#[tokio::test]
async fn submit_receipt_review_docket_and_watch_every_event() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let mut lawyer = hub.client(LAWYER_A).await;
    let mut court = hub.client(COURT).await;

    let mut dept_watch = watch_department(&mut court, "民事审判庭").await;

    let complaint = pdf("answer of the defendant");
    let evidence = png();
    let receipt = submit(
        &mut lawyer,
        "req-flow-0001",
        "(2026)鄂06民初123号",
        "答辩状",
        &[
            ("C:\\案件\\答辩状.pdf", &complaint),
            ("证据一.png", &evidence),
        ],
    )
    .await
    .unwrap();
    assert!(!receipt.replayed);
    let r = receipt.receipt.unwrap();
    receipt_says_what_was_filed(&r, &complaint);

    // The receipt's log entry is the filing's received event, and the chain head is at or past it.
    let mut log = hub.log_client(CLERK).await;
    let head = log
        .get_chain_head(pb::GetChainHeadRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(head.seq >= r.log_seq);

    let mut filing_watch = court
        .watch_events(pb::WatchEventsRequest {
            scope: Some(pb::watch_events_request::Scope::FilingId(
                r.filing_id.clone(),
            )),
            after_seq: 0,
        })
        .await
        .unwrap()
        .into_inner();

    filing_and_queue_show_it(&mut lawyer, &mut court, &r).await;
    review_and_docket(&mut court, &r.filing_id).await;
    watchers_saw_every_event(&mut filing_watch, &mut dept_watch, &r).await;

    // Downloads give back exactly the bytes received.
    assert_eq!(
        download(&mut court, &r.filing_id, "D1").await.unwrap(),
        complaint
    );
    assert_eq!(
        download(&mut court, &r.filing_id, "D2").await.unwrap(),
        evidence
    );
    hub.stop().await;
}

/// A retry after a lost answer — the same number, or none — is answered with the filing and
/// records nothing; another number is refused (outside tests, round 13, F4).
async fn docketing_again_is_a_retry_or_refused(court: &mut Client, docketed: &pb::Filing) {
    for again in ["（2026）鄂06民初777号", "(2026)鄂06民初777号", ""] {
        let retried = court
            .docket_filing(pb::DocketFilingRequest {
                filing_id: docketed.filing_id.clone(),
                case_number: again.into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(retried.last_event_seq, docketed.last_event_seq, "{again}");
    }
    let other = court
        .docket_filing(pb::DocketFilingRequest {
            filing_id: docketed.filing_id.clone(),
            case_number: "（2026）鄂06民初778号".into(),
        })
        .await;
    // Refused naming the number it has (round 14, F6).
    assert_status(
        other,
        tonic::Code::FailedPrecondition,
        "is docketed under （2026）鄂06民初777号 already",
    );
    // A number this court cannot give is said to be wrong before the state is (round 13, F8).
    use chrono::Datelike;
    let beijing = chrono::Utc::now() + chrono::Duration::hours(8);
    let next_year = beijing.year() + 1;
    let later = court
        .docket_filing(pb::DocketFilingRequest {
            filing_id: docketed.filing_id.clone(),
            case_number: format!("({next_year})鄂06民初1号"),
        })
        .await;
    // The refusal names the number as the hub reads it (round 14, F6).
    let named = format!("（{next_year}）鄂06民初1号: the year {next_year} is later than this year");
    assert_status(later, tonic::Code::InvalidArgument, &named);
}

#[tokio::test]
async fn new_cases_route_to_the_filing_division_and_get_their_number_at_docketing() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let mut lawyer = hub.client(LAWYER_A).await;
    let mut court = hub.client(COURT).await;
    let doc = pdf("complaint");
    let r = submit(
        &mut lawyer,
        "req-newcase-1",
        "",
        "起诉状",
        &[("起诉状.pdf", &doc)],
    )
    .await
    .unwrap()
    .receipt
    .unwrap();
    assert_eq!(r.department, "立案庭");
    assert!(r.case_number.is_none());
    court
        .start_review(pb::StartReviewRequest {
            filing_id: r.filing_id.clone(),
        })
        .await
        .unwrap();
    court
        .review_filing(pb::ReviewFilingRequest {
            filing_id: r.filing_id.clone(),
            decisions: vec![pb::DocumentDecision {
                document_id: "D1".into(),
                decision: pb::ReviewDecision::Accept as i32,
                reason: String::new(),
            }],
            comment: String::new(),
        })
        .await
        .unwrap();
    let missing = court
        .docket_filing(pb::DocketFilingRequest {
            filing_id: r.filing_id.clone(),
            case_number: String::new(),
        })
        .await;
    assert_status(missing, tonic::Code::InvalidArgument, "new case");
    // A new case is not numbered in a year before it arrived (round 13b, F5).
    let past = court
        .docket_filing(pb::DocketFilingRequest {
            filing_id: r.filing_id.clone(),
            case_number: "（1949）鄂06民初1号".into(),
        })
        .await;
    assert_status(
        past,
        tonic::Code::InvalidArgument,
        "before this filing arrived",
    );
    let f = court
        .docket_filing(pb::DocketFilingRequest {
            filing_id: r.filing_id.clone(),
            case_number: "（2026）鄂06民初777号".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        f.case_number.as_ref().unwrap().normalized,
        "（2026）鄂06民初777号"
    );
    docketing_again_is_a_retry_or_refused(&mut court, &f).await;
    // Listing by the new case number finds it, whichever bracket style the query uses.
    let by_case = list_all(
        &mut court,
        pb::ListFilingsRequest {
            case_number: "(2026)鄂06民初777号".into(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(by_case.len(), 1);
    hub.stop().await;
}

#[tokio::test]
async fn lists_filter_and_page() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let mut a = hub.client(LAWYER_A).await;
    let mut b = hub.client(LAWYER_B).await;
    let mut court = hub.client(COURT).await;
    let ids = file_seven(&mut a, &mut b).await;
    let all = list_all(
        &mut court,
        pb::ListFilingsRequest {
            page_size: 3,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        all.iter().map(|f| f.filing_id.clone()).collect::<Vec<_>>(),
        ids
    );
    let of_a = list_all(
        &mut court,
        pb::ListFilingsRequest {
            submitter: LAWYER_A.into(),
            page_size: 2,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(of_a.len(), 4);
    assert!(of_a.iter().all(|f| f.submitter == LAWYER_A));
    let criminal = list_all(
        &mut court,
        pb::ListFilingsRequest {
            case_number: "（2026）鄂06刑初9号".into(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(criminal.len(), 3);
    assert!(criminal.iter().all(|f| f.department == "刑事审判庭"));
    court
        .start_review(pb::StartReviewRequest {
            filing_id: ids[0].clone(),
        })
        .await
        .unwrap();
    let under = list_all(
        &mut court,
        pb::ListFilingsRequest {
            state: pb::FilingState::UnderReview as i32,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(under.len(), 1);
    assert_eq!(under[0].filing_id, ids[0]);
    let civil = list_all(
        &mut court,
        pb::ListFilingsRequest {
            department: "民事审判庭".into(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(civil.len(), 4);
    hub.stop().await;
}

#[tokio::test]
async fn health_and_reflection_let_a_generic_client_discover_the_api() {
    use tonic_health::pb::health_client::HealthClient;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let mut health = HealthClient::new(channel(hub.addr).await);
    let status = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "ecenter.v1.FilingService".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        status.status(),
        tonic_health::pb::health_check_response::ServingStatus::Serving
    );

    let mut reflection = ServerReflectionClient::new(channel(hub.addr).await);
    let request = tonic_reflection::pb::v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = reflection
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .unwrap()
        .into_inner();
    let response = responses.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("unexpected {response:?}")
    };
    let names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
    for expected in [
        "ecenter.v1.FilingService",
        "ecenter.v1.EventLogService",
        "ecenter.v1.LawyerDirectory",
        "grpc.health.v1.Health",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
    hub.stop().await;
}

/// A case number whose court code the court-code table lacks is filed all the same (the table may
/// lag a new court) and flagged to the reviewing court; a known code names its court.
#[tokio::test]
async fn an_unknown_court_code_is_filed_and_flagged_to_the_reviewing_court() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let mut lawyer = hub.client(LAWYER_A).await;
    let mut court = hub.client(COURT).await;
    let doc = pdf("motion");
    let mut filed = Vec::new();
    for (request_id, case) in [
        ("req-court-99", "（2026）鄂99民初1号"),
        ("req-court-06", CASE),
        ("req-type-mi", "（2026）鄂06民乙1号"),
    ] {
        let r = submit(
            &mut lawyer,
            request_id,
            case,
            "答辩状",
            &[("答辩状.pdf", &doc)],
        )
        .await
        .unwrap()
        .receipt
        .unwrap();
        filed.push(r.filing_id);
    }
    let get = |id: &String| pb::GetFilingRequest {
        filing_id: id.clone(),
    };
    let unknown = court.get_filing(get(&filed[0])).await.unwrap().into_inner();
    assert_eq!(unknown.state(), pb::FilingState::Received);
    assert_eq!(unknown.case_number.as_ref().unwrap().court, "");
    assert_eq!(unknown.review_flags.len(), 1, "{:?}", unknown.review_flags);
    assert!(
        unknown.review_flags[0].contains("「鄂99」"),
        "{}",
        unknown.review_flags[0]
    );
    assert!(unknown.review_flags[0].contains("court-code table"));
    let known = court.get_filing(get(&filed[1])).await.unwrap().into_inner();
    assert!(known.review_flags.is_empty(), "{:?}", known.review_flags);
    assert_eq!(known.case_number.unwrap().court, "湖北省襄阳市");
    // The lawyer's own view carries the same flag, so the efile client can show it.
    let mine = lawyer
        .get_filing(get(&filed[0]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(mine.review_flags, unknown.review_flags);
    // An invented 类型代字 (民乙) is flagged the same way.
    let invented = court.get_filing(get(&filed[2])).await.unwrap().into_inner();
    assert_eq!(
        invented.review_flags.len(),
        1,
        "{:?}",
        invented.review_flags
    );
    assert!(invented.review_flags[0].contains("「民乙」"));
    hub.stop().await;
}

/// Records `decision` on every document of `filing` (one document, D1, in these tests).
async fn review(court: &mut Client, filing: &str, decision: pb::ReviewDecision) {
    court
        .start_review(pb::StartReviewRequest {
            filing_id: filing.into(),
        })
        .await
        .unwrap();
    court
        .review_filing(pb::ReviewFilingRequest {
            filing_id: filing.into(),
            decisions: vec![pb::DocumentDecision {
                document_id: "D1".into(),
                decision: decision as i32,
                reason: "审查".into(),
            }],
            comment: String::new(),
        })
        .await
        .unwrap();
}

/// Files one PDF as `kind` in `case` ("" for a new case) and returns the filing id.
async fn file_one(lawyer: &mut Client, request_id: &str, case: &str, kind: &str) -> String {
    let doc = pdf(request_id);
    let name = format!("{kind}.pdf");
    let receipt = submit(lawyer, request_id, case, kind, &[(name.as_str(), &doc)])
        .await
        .unwrap();
    receipt.receipt.unwrap().filing_id
}

/// Round 19 F1: a refusal for a filing waiting in the case says it awaits review and how the
/// court frees the number (not accept a lawyer's guess at the court's next number).
fn says_it_awaits_review(status: &tonic::Status) {
    use tonic_types::StatusExt;
    let message = status.message();
    assert!(
        message.contains("was filed in it and awaits review") && message.contains("reject it"),
        "{status:?}"
    );
    let details = status.get_error_details();
    let zh = &details.localized_message().unwrap().message;
    assert!(
        zh.contains("尚未审查") && zh.contains("不予接收后即可使用此案号"),
        "{zh}"
    );
}

/// The filing `waiting` in case `number` is turned away, as its refusal said: a new case can now
/// be docketed under the number.
async fn rejecting_it_frees_the_number(
    court: &mut Client,
    lawyer: &mut Client,
    waiting: &str,
    number: &str,
) {
    review(court, waiting, pb::ReviewDecision::Reject).await;
    let new_case = file_one(lawyer, "req-case-freed", "", "起诉状").await;
    review(court, &new_case, pb::ReviewDecision::Accept).await;
    let request = pb::DocketFilingRequest {
        filing_id: new_case,
        case_number: number.into(),
    };
    court.docket_filing(request).await.unwrap();
}

/// One number names one case (round 13b, F4): a new case is not docketed under a number another
/// filing was docketed under, or filed in and still waiting; a number only a rejected filing named
/// stays free; a refusal records nothing.
#[tokio::test]
async fn a_new_case_gets_a_number_no_other_filing_carries() {
    use chrono::Datelike;
    use tonic_types::StatusExt;
    let year = (chrono::Utc::now() + chrono::Duration::hours(8)).year();
    let [n801, n802, n803] = [801, 802, 803].map(|n| format!("（{year}）鄂06民初{n}号"));
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let mut a = hub.client(LAWYER_A).await;
    let mut b = hub.client(LAWYER_B).await;
    let mut court = hub.client(COURT).await;
    let first = file_one(&mut a, "req-case-801-a", "", "起诉状").await;
    let second = file_one(&mut b, "req-case-801-b", "", "起诉状").await;
    let waiting = file_one(&mut a, "req-case-802", &n802, "证据材料").await;
    let turned_away = file_one(&mut a, "req-case-803", &n803, "证据材料").await;
    for f in [&first, &second] {
        review(&mut court, f, pb::ReviewDecision::Accept).await;
    }
    review(&mut court, &turned_away, pb::ReviewDecision::Reject).await;
    let docket = |filing: &str, number: &str| pb::DocketFilingRequest {
        filing_id: filing.into(),
        case_number: number.into(),
    };
    court.docket_filing(docket(&first, &n801)).await.unwrap();
    let head = hub.chain_head().await;
    // The same number in half-width brackets, with 字第, in traditional characters is the same
    // number (round 14, F1, F2); a case type no table knows is no number the court gives.
    let half = n801.replace('（', "(").replace('）', ")");
    for written in [
        n801.replace("民初", "民初字第"),
        n801.replace('）', "】").replace('（', "【"),
    ] {
        let taken = court.docket_filing(docket(&second, &written)).await;
        assert_status(taken, tonic::Code::AlreadyExists, &first);
    }
    let typo = court
        .docket_filing(docket(&second, &n801.replace("民初", "民出")))
        .await;
    assert_status(
        typo,
        tonic::Code::InvalidArgument,
        "case type 民出 is not in",
    );
    let taken = court.docket_filing(docket(&second, &half)).await;
    let status = assert_status(taken, tonic::Code::AlreadyExists, &first);
    assert!(
        status.message().contains("was docketed under it"),
        "{status:?}"
    );
    let details = status.get_error_details();
    let zh = details.localized_message().expect("Chinese for people");
    assert!(zh.message.contains("已在此案号下立案"), "{}", zh.message);
    let info = details.resource_info().expect("the case named");
    assert_eq!(
        (info.resource_type.as_str(), info.owner.as_str()),
        ("case", format!("filing {first}").as_str())
    );
    let filed_in = court.docket_filing(docket(&second, &n802)).await;
    let status = assert_status(filed_in, tonic::Code::AlreadyExists, &waiting);
    says_it_awaits_review(&status);
    assert_eq!(
        hub.chain_head().await.seq,
        head.seq,
        "a refusal records nothing"
    );
    let still = court
        .get_filing(pb::GetFilingRequest {
            filing_id: second.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(still.state, pb::FilingState::Accepted as i32);
    let docketed = court
        .docket_filing(docket(&second, &n803))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(docketed.case_number.unwrap().normalized, n803);
    rejecting_it_frees_the_number(&mut court, &mut b, &waiting, &n802).await;
    hub.stop().await;
}
