//! Bad input gets the right gRPC code and a message a person can act on, and loses or adds nothing.

mod common;

use common::*;
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::submit_filing_request::Part;
use tonic::Code;
use tonic_types::StatusExt;

/// A hub with small limits so that limits are testable quickly.
async fn small_hub(dir: &std::path::Path) -> TestHub {
    TestHub::start_with(dir, |c| {
        c.limits.max_document_bytes = 64 * 1024;
        c.limits.max_documents = 3;
    })
    .await
}

async fn head(hub: &TestHub) -> pb::ChainHead {
    hub.log_client(CLERK)
        .await
        .get_chain_head(pb::GetChainHeadRequest {})
        .await
        .unwrap()
        .into_inner()
}

fn no_temp_files(hub: &TestHub) -> bool {
    std::fs::read_dir(hub.data_dir.join("blobs/tmp"))
        .unwrap()
        .next()
        .is_none()
}

fn violations(status: &tonic::Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn every_accepted_format_is_recognised_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let mut lawyer = hub.client(LAWYER_A).await;
    let cases: [(&str, Vec<u8>, &str); 5] = [
        ("a.pdf", pdf("x"), "application/pdf"),
        ("b.ofd", ofd(), "application/ofd"),
        ("c.png", png(), "image/png"),
        ("d.jpg", jpeg(), "image/jpeg"),
        (
            "e.docx",
            docx(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ];
    let docs: Vec<(&str, &[u8])> = cases.iter().map(|(n, d, _)| (*n, d.as_slice())).collect();
    let r = submit(&mut lawyer, "req-formats-1", CASE, "证据材料", &docs)
        .await
        .unwrap()
        .receipt
        .unwrap();
    for (doc, (_, _, media)) in r.documents.iter().zip(&cases) {
        assert_eq!(&doc.media_type, media);
    }
    hub.stop().await;
}

#[tokio::test]
async fn refused_content_is_named_and_nothing_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let hub = small_hub(dir.path()).await;
    let mut lawyer = hub.client(LAWYER_A).await;
    let before = head(&hub).await;

    let exe = b"MZ\x90\x00\x03\x00\x00\x00 this is a program".to_vec();
    let s = assert_status(
        submit(
            &mut lawyer,
            "req-bad-0001",
            CASE,
            "证据材料",
            &[("证据.pdf", &exe)],
        )
        .await,
        Code::InvalidArgument,
        "is not a PDF, OFD, PNG, JPEG or DOCX",
    );
    assert_eq!(violations(&s), vec!["header.documents[0]"]);

    let xlsx = zip_with(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("xl/workbook.xml", b"<w/>"),
    ]);
    assert_status(
        submit(
            &mut lawyer,
            "req-bad-0002",
            CASE,
            "证据材料",
            &[("表.docx", &xlsx)],
        )
        .await,
        Code::InvalidArgument,
        "judged by its content",
    );

    let doc = pdf("claimed png");
    let mut h = header("req-bad-0003", CASE, "证据材料", &[("x.png", &doc)]);
    h.documents[0].media_type = "image/png".into();
    let s = assert_status(
        submit_messages(&mut lawyer, messages(h, &[&doc], 1024)).await,
        Code::InvalidArgument,
        "announced as image/png but its content is application/pdf",
    );
    assert_eq!(violations(&s), vec!["header.documents[0].media_type"]);

    let mut h = header("req-bad-0004", CASE, "证据材料", &[("x.pdf", &doc)]);
    h.documents[0].media_type = "text/html".into();
    assert_status(
        submit_messages(&mut lawyer, messages(h, &[&doc], 1024)).await,
        Code::InvalidArgument,
        "「text/html」 is not accepted",
    );

    assert_eq!(head(&hub).await, before);
    assert!(no_temp_files(&hub));
    hub.stop().await;
}

#[tokio::test]
async fn limits_on_size_and_count_are_enforced_before_upload() {
    let dir = tempfile::tempdir().unwrap();
    let hub = small_hub(dir.path()).await;
    let mut lawyer = hub.client(LAWYER_A).await;
    let before = head(&hub).await;
    let big = vec![b'%'; 64 * 1024 + 1];
    let s = assert_status(
        submit(
            &mut lawyer,
            "req-limit-001",
            CASE,
            "证据材料",
            &[("big.pdf", &big)],
        )
        .await,
        Code::InvalidArgument,
        "more than the limit of 65536 bytes",
    );
    assert_eq!(violations(&s), vec!["header.documents[0].size"]);
    let doc = pdf("x");
    let four: Vec<(&str, &[u8])> = (0..4).map(|_| ("x.pdf", doc.as_slice())).collect();
    assert_status(
        submit(&mut lawyer, "req-limit-002", CASE, "证据材料", &four).await,
        Code::InvalidArgument,
        "4 documents is more than the 3 allowed",
    );
    let none: Vec<(&str, &[u8])> = Vec::new();
    assert_status(
        submit(&mut lawyer, "req-limit-003", CASE, "证据材料", &none).await,
        Code::InvalidArgument,
        "at least one document",
    );
    assert_eq!(head(&hub).await, before);
    hub.stop().await;
}

/// Checks empty submissions, a missing header, an empty document and truncated uploads of `doc` are refused.
async fn empty_and_truncated_uploads_are_refused(lawyer: &mut Client, doc: &[u8]) {
    assert_status(
        submit_messages(lawyer, vec![]).await,
        Code::InvalidArgument,
        "the submission is empty",
    );

    let chunk_first = messages(
        header("req-empty-001", CASE, "证据材料", &[("a.pdf", doc)]),
        &[doc],
        1024,
    )
    .split_off(1);
    assert_status(
        submit_messages(lawyer, chunk_first).await,
        Code::InvalidArgument,
        "first message of a submission must be the header",
    );

    let mut h = header("req-empty-002", CASE, "证据材料", &[("a.pdf", doc)]);
    h.documents[0].size = 0;
    assert_status(
        submit_messages(
            lawyer,
            vec![pb::SubmitFilingRequest {
                part: Some(Part::Header(h)),
            }],
        )
        .await,
        Code::InvalidArgument,
        "the document is empty",
    );

    let header_only = messages(
        header("req-trunc-001", CASE, "证据材料", &[("a.pdf", doc)]),
        &[],
        1024,
    );
    assert_status(
        submit_messages(lawyer, header_only).await,
        Code::InvalidArgument,
        &format!("is truncated: 0 of the {} announced bytes", doc.len()),
    );

    let half = &doc[..doc.len() / 2];
    let truncated = messages(
        header("req-trunc-002", CASE, "证据材料", &[("a.pdf", doc)]),
        &[half],
        100,
    );
    assert_status(
        submit_messages(lawyer, truncated).await,
        Code::InvalidArgument,
        &format!(
            "{} of the {} announced bytes arrived",
            half.len(),
            doc.len()
        ),
    );
}

/// Checks a missing second document, an overlong upload and a damaged one are refused.
async fn missing_overlong_and_damaged_uploads_are_refused(
    lawyer: &mut Client,
    doc: &[u8],
    two: &[u8],
) {
    let missing_second = messages(
        header(
            "req-trunc-003",
            CASE,
            "证据材料",
            &[("a.pdf", doc), ("b.pdf", two)],
        ),
        &[doc],
        1024,
    );
    assert_status(
        submit_messages(lawyer, missing_second).await,
        Code::InvalidArgument,
        "document 1 「b.pdf」 is truncated",
    );

    let mut longer = doc.to_vec();
    longer.extend_from_slice(b"extra");
    let overlong = messages(
        header("req-long-0001", CASE, "证据材料", &[("a.pdf", doc)]),
        &[&longer],
        1024,
    );
    assert_status(
        submit_messages(lawyer, overlong).await,
        Code::InvalidArgument,
        "more bytes than the",
    );

    let mut damaged = doc.to_vec();
    damaged[20] ^= 0xFF;
    let wrong_hash = messages(
        header("req-hash-0001", CASE, "证据材料", &[("a.pdf", doc)]),
        &[&damaged],
        1024,
    );
    assert_status(
        submit_messages(lawyer, wrong_hash).await,
        Code::InvalidArgument,
        "damaged on the way",
    );
}

/// Checks chunks sent out of order or for a document index that does not exist are refused.
async fn misordered_chunks_are_refused(lawyer: &mut Client, doc: &[u8], two: &[u8]) {
    let out_of_order = {
        let mut m = messages(
            header(
                "req-order-001",
                CASE,
                "证据材料",
                &[("a.pdf", doc), ("b.pdf", two)],
            ),
            &[doc, two],
            200,
        );
        m.push(pb::SubmitFilingRequest {
            part: Some(Part::Chunk(pb::DocumentChunk {
                document_index: 0,
                data: b"late".to_vec(),
            })),
        });
        m
    };
    assert_status(
        submit_messages(lawyer, out_of_order).await,
        Code::InvalidArgument,
        "send the documents one after another",
    );

    let mut bad_index = messages(
        header("req-index-001", CASE, "证据材料", &[("a.pdf", doc)]),
        &[doc],
        4096,
    );
    if let Some(Part::Chunk(c)) = &mut bad_index[1].part {
        c.document_index = 7;
    }
    assert_status(
        submit_messages(lawyer, bad_index).await,
        Code::InvalidArgument,
        "document index 7 does not exist",
    );
}

#[tokio::test]
async fn empty_truncated_overlong_and_damaged_uploads_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let mut lawyer = hub.client(LAWYER_A).await;
    let before = head(&hub).await;
    let doc = pdf("truncate me");

    empty_and_truncated_uploads_are_refused(&mut lawyer, &doc).await;

    let two = pdf("second");
    missing_overlong_and_damaged_uploads_are_refused(&mut lawyer, &doc, &two).await;
    misordered_chunks_are_refused(&mut lawyer, &doc, &two).await;

    assert_eq!(head(&hub).await, before);
    assert!(no_temp_files(&hub));
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_disconnects_mid_upload_leaves_no_half_filing() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let before = head(&hub).await;
    let doc = vec![b'%'; 3 * 1024 * 1024];
    let mut msgs = messages(
        header("req-drop-0001", CASE, "证据材料", &[("a.pdf", &doc)]),
        &[&doc],
        1024 * 1024,
    );
    msgs.truncate(2); // header and the first MiB only
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    for m in msgs {
        tx.send(m).await.unwrap();
    }
    let mut lawyer = hub.client(LAWYER_A).await;
    let call = tokio::spawn(async move {
        lawyer
            .submit_filing(tokio_stream::wrappers::ReceiverStream::new(rx))
            .await
    });
    // Wait until the hub has started writing the document, then vanish without ending the stream.
    let tmp = hub.data_dir.join("blobs/tmp");
    while std::fs::read_dir(&tmp).unwrap().next().is_none() {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    call.abort();
    drop(tx);
    while !no_temp_files(&hub) {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(head(&hub).await, before);
    let mut court = hub.client(COURT).await;
    assert!(
        list_all(&mut court, pb::ListFilingsRequest::default())
            .await
            .is_empty()
    );
    hub.stop().await;
}

#[tokio::test]
async fn header_fields_are_checked_with_field_violations() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let mut lawyer = hub.client(LAWYER_A).await;
    let doc = pdf("x");
    let s = assert_status(
        submit(
            &mut lawyer,
            "bad id!",
            "（2026）鄂06民初0号",
            "",
            &[("///", &doc)],
        )
        .await,
        Code::InvalidArgument,
        "invalid request",
    );
    let mut fields = violations(&s);
    fields.sort();
    assert_eq!(
        fields,
        vec![
            "header.case_number",
            "header.documents[0].name",
            "header.filing_kind",
            "header.request_id"
        ]
    );
    assert!(s.message().contains("must not be zero"), "{}", s.message());

    let r = submit(
        &mut lawyer,
        "req-name-0001",
        CASE,
        "证据材料",
        &[("../../etc/证据\u{7}.pdf", &doc)],
    )
    .await
    .unwrap();
    assert_eq!(r.receipt.unwrap().documents[0].name, "证据_.pdf");

    // A name longer than 255 bytes is refused with its length, not cut to fit without a word.
    let long = format!("{}.pdf", "证".repeat(84));
    let s = assert_status(
        submit(
            &mut lawyer,
            "req-name-0002",
            CASE,
            "证据材料",
            &[(&long, &doc)],
        )
        .await,
        Code::InvalidArgument,
        "256 bytes",
    );
    assert_eq!(violations(&s), vec!["header.documents[0].name"]);

    // A title of spaces is recorded as the kind's name, not as an empty 标题.
    let mut h = header("req-title-001", CASE, "evidence", &[("证据.pdf", &doc)]);
    h.title = "   ".into();
    let r = submit_messages(&mut lawyer, messages(h, &[&doc], 1024)).await;
    let filing_id = r.unwrap().receipt.unwrap().filing_id;
    let filing = lawyer
        .get_filing(pb::GetFilingRequest { filing_id })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(filing.title, "证据材料");

    let mut h = header("req-corr-0001", CASE, "证据材料", &[("a.pdf", &doc)]);
    h.corrects_filing_id = "F000000000001".into();
    assert_status(
        submit_messages(&mut lawyer, messages(h, &[&doc], 1024)).await,
        Code::InvalidArgument,
        "not a filing of yours that was returned for correction",
    );
    hub.stop().await;
}

/// A review of filing `id` that accepts its one document, D1.
fn accept_d1(id: &str) -> pb::ReviewFilingRequest {
    pb::ReviewFilingRequest {
        filing_id: id.to_string(),
        decisions: vec![pb::DocumentDecision {
            document_id: "D1".into(),
            decision: pb::ReviewDecision::Accept as i32,
            reason: String::new(),
        }],
        comment: String::new(),
    }
}

/// Checks a received filing can be neither reviewed nor docketed, and its review not started twice.
async fn undecided_transitions_are_refused(court: &mut Client, id: &str) {
    let s = assert_status(
        court.review_filing(accept_d1(id)).await,
        Code::FailedPrecondition,
        "start the review first",
    );
    assert!(s.message().contains("is received"), "{}", s.message());
    assert_status(
        court
            .docket_filing(pb::DocketFilingRequest {
                filing_id: id.to_string(),
                case_number: String::new(),
            })
            .await,
        Code::FailedPrecondition,
        "only an accepted",
    );
    court
        .start_review(pb::StartReviewRequest {
            filing_id: id.to_string(),
        })
        .await
        .unwrap();
    assert_status(
        court
            .start_review(pb::StartReviewRequest {
                filing_id: id.to_string(),
            })
            .await,
        Code::FailedPrecondition,
        "is under_review",
    );
}

/// Checks a rejection without a reason and an unspecified decision are refused with why.
async fn review_decisions_are_validated(court: &mut Client, id: &str) {
    // Review decisions are validated with field violations.
    let incomplete = pb::ReviewFilingRequest {
        filing_id: id.to_string(),
        decisions: vec![pb::DocumentDecision {
            document_id: "D1".into(),
            decision: pb::ReviewDecision::Reject as i32,
            reason: String::new(),
        }],
        comment: String::new(),
    };
    let s = assert_status(
        court.review_filing(incomplete).await,
        Code::InvalidArgument,
        "needs a reason",
    );
    assert_eq!(violations(&s), vec!["decisions[0].reason"]);
    let unspecified = pb::ReviewFilingRequest {
        filing_id: id.to_string(),
        decisions: vec![pb::DocumentDecision {
            document_id: "D1".into(),
            decision: 0,
            reason: String::new(),
        }],
        comment: String::new(),
    };
    assert_status(
        court.review_filing(unspecified).await,
        Code::InvalidArgument,
        "must be ACCEPT, REJECT or RETURN_FOR_CORRECTION",
    );
    // What the filer reads: nothing hidden but line breaks, and not without end.
    let texts = |reason: &str, comment: String| pb::ReviewFilingRequest {
        filing_id: id.to_string(),
        decisions: vec![pb::DocumentDecision {
            document_id: "D1".into(),
            decision: pb::ReviewDecision::ReturnForCorrection as i32,
            reason: reason.into(),
        }],
        comment,
    };
    let hidden = texts("缺少\u{200B}签名", String::new());
    let s = assert_status(
        court.review_filing(hidden).await,
        Code::InvalidArgument,
        "U+200B",
    );
    assert_eq!(violations(&s), vec!["decisions[0].reason"]);
    let reversed = texts("缺少签名", "请补正\u{202E}".into());
    let s = assert_status(
        court.review_filing(reversed).await,
        Code::InvalidArgument,
        "U+202E",
    );
    assert_eq!(violations(&s), vec!["comment"]);
    let endless = texts("缺少签名", "补".repeat(2001));
    let s = assert_status(
        court.review_filing(endless).await,
        Code::InvalidArgument,
        "2000",
    );
    assert_eq!(violations(&s), vec!["comment"]);
}

/// Accepts and dockets the filing, checking it can then be neither cancelled nor docketed again
/// under another number.
async fn decided_transitions_are_refused(lawyer: &mut Client, court: &mut Client, id: &str) {
    court.review_filing(accept_d1(id)).await.unwrap();
    assert_status(
        lawyer
            .cancel_filing(pb::CancelFilingRequest {
                filing_id: id.to_string(),
                reason: "撤回".into(),
            })
            .await,
        Code::FailedPrecondition,
        "cannot cancel",
    );
    court
        .docket_filing(pb::DocketFilingRequest {
            filing_id: id.to_string(),
            case_number: String::new(),
        })
        .await
        .unwrap();
    assert_status(
        court
            .docket_filing(pb::DocketFilingRequest {
                filing_id: id.to_string(),
                case_number: "（2026）鄂06民初9号".into(),
            })
            .await,
        Code::FailedPrecondition,
        "is docketed",
    );
}

/// Checks a new, undecided filing of `doc` is cancelled with its reason, and only once.
async fn an_undecided_filing_is_cancelled_once(lawyer: &mut Client, doc: &[u8]) {
    // Cancelling an undecided filing works, once.
    let other = submit(lawyer, "req-trans-002", CASE, "证据材料", &[("a.pdf", doc)])
        .await
        .unwrap()
        .receipt
        .unwrap()
        .filing_id;
    let s = assert_status(
        lawyer
            .cancel_filing(pb::CancelFilingRequest {
                filing_id: other.clone(),
                reason: "提交\u{202E}错误".into(),
            })
            .await,
        Code::InvalidArgument,
        "U+202E",
    );
    assert_eq!(violations(&s), vec!["reason"]);
    let cancelled = lawyer
        .cancel_filing(pb::CancelFilingRequest {
            filing_id: other.clone(),
            reason: "提交错误\n（重复提交）".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cancelled.state(), pb::FilingState::Cancelled);
    assert_eq!(cancelled.cancel_reason, "提交错误\n（重复提交）");
    // Withdrawn again for another reason: the first withdrawal stands.
    assert_status(
        lawyer
            .cancel_filing(pb::CancelFilingRequest {
                filing_id: other.clone(),
                reason: "另有理由".into(),
            })
            .await,
        Code::FailedPrecondition,
        "is withdrawn already, for the reason",
    );
}

/// Checks unknown filings and documents are NOT_FOUND and an empty id INVALID_ARGUMENT.
async fn unknown_ids_are_not_found(court: &mut Client, id: &str) {
    assert_status(
        court
            .get_filing(pb::GetFilingRequest {
                filing_id: "F999999999999".into(),
            })
            .await,
        Code::NotFound,
        "no filing with id",
    );
    assert_status(
        court
            .start_review(pb::StartReviewRequest {
                filing_id: "F999999999999".into(),
            })
            .await,
        Code::NotFound,
        "no filing with id",
    );
    assert_status(
        court
            .get_filing(pb::GetFilingRequest {
                filing_id: String::new(),
            })
            .await,
        Code::InvalidArgument,
        "filing_id: is required",
    );
    assert_status(
        download(court, id, "D9").await,
        Code::NotFound,
        "has no document 「D9」",
    );
}

#[tokio::test]
async fn illegal_transitions_are_failed_preconditions_and_unknown_ids_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let mut lawyer = hub.client(LAWYER_A).await;
    let mut court = hub.client(COURT).await;
    let doc = pdf("x");
    let id = submit(
        &mut lawyer,
        "req-trans-001",
        CASE,
        "证据材料",
        &[("a.pdf", &doc)],
    )
    .await
    .unwrap()
    .receipt
    .unwrap()
    .filing_id;
    undecided_transitions_are_refused(&mut court, &id).await;
    review_decisions_are_validated(&mut court, &id).await;
    decided_transitions_are_refused(&mut lawyer, &mut court, &id).await;
    an_undecided_filing_is_cancelled_once(&mut lawyer, &doc).await;
    unknown_ids_are_not_found(&mut court, &id).await;
    hub.stop().await;
}

#[tokio::test]
async fn list_queue_and_watch_requests_are_validated() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let mut court = hub.client(COURT).await;
    let all = pb::ListFilingsRequest::default;
    for (request, said) in [
        (
            pb::ListFilingsRequest {
                page_size: 501,
                ..all()
            },
            "500 allowed",
        ),
        (
            pb::ListFilingsRequest {
                page_token: "../x".into(),
                ..all()
            },
            "page_token",
        ),
        // A token that is no filing id would read as a place past the end: an empty last page.
        (
            pb::ListFilingsRequest {
                page_token: "garbage".into(),
                ..all()
            },
            "not a token this hub issued",
        ),
        (
            pb::ListFilingsRequest { state: 42, ..all() },
            "not a filing state",
        ),
        (
            pb::ListFilingsRequest {
                case_number: "鄂06民初1号".into(),
                ..all()
            },
            "year in brackets",
        ),
    ] {
        assert_status(
            court.list_filings(request).await,
            Code::InvalidArgument,
            said,
        );
    }
    assert_status(
        court
            .list_department_queue(pb::ListDepartmentQueueRequest {
                department: "财务室".into(),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "known: ",
    );
    for (scope, code, said) in [
        (
            None,
            Code::InvalidArgument,
            "give a filing_id or a department",
        ),
        (
            Some(pb::watch_events_request::Scope::FilingId("F404".into())),
            Code::NotFound,
            "F404",
        ),
    ] {
        let request = pb::WatchEventsRequest {
            scope,
            after_seq: 0,
        };
        assert_status(court.watch_events(request).await, code, said);
    }
    hub.stop().await;
}
