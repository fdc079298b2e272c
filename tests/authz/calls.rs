//! The seal, service, reply and similar-case calls of the authorization table, each made as a
//! given identity.

use super::*;

/// Makes the SealService call for `op` as `stem` (stored targets are document D1 of filing `id`).
pub(super) async fn seal_call(
    w: &mut World,
    op: Operation,
    stem: &str,
    id: String,
) -> Result<(), tonic::Status> {
    match op {
        Operation::CreateSeal => {
            w.n += 1;
            let n = w.n;
            w.seals(stem)
                .await
                .create_seal(seal_request(n))
                .await
                .map(drop)
        }
        Operation::ListSeals => w
            .seals(stem)
            .await
            .list_seals(pb::ListSealsRequest {})
            .await
            .map(drop),
        Operation::RevokeSeal => {
            let seal_id = w.new_seal().await;
            w.seals(stem)
                .await
                .revoke_seal(pb::RevokeSealRequest {
                    seal_id,
                    reason: "测试吊销".into(),
                })
                .await
                .map(drop)
        }
        Operation::ApplySeal => {
            let seal_id = w.new_seal().await;
            w.seals(stem)
                .await
                .apply_seal(pb::ApplySealRequest {
                    seal_id,
                    target: Some(pb::apply_seal_request::Target::Stored(pb::DocumentRef {
                        filing_id: id,
                        document_id: "D1".into(),
                    })),
                })
                .await
                .map(drop)
        }
        Operation::SealPdf => {
            let seal_id = w.new_seal().await;
            w.seals(stem)
                .await
                .seal_pdf(pb::SealPdfRequest {
                    seal_id,
                    target: Some(pb::seal_pdf_request::Target::Stored(pb::DocumentRef {
                        filing_id: id,
                        document_id: "D1".into(),
                    })),
                    ..Default::default()
                })
                .await
                .map(drop)
        }
        Operation::SealOfd => seal_ofd_call(w, stem).await,
        Operation::VerifySeal => w
            .seals(stem)
            .await
            .verify_seal(pb::VerifySealRequest {
                signature: b"not a seal".to_vec(),
                document: Some(pb::verify_seal_request::Document::Content(b"doc".to_vec())),
            })
            .await
            .map(drop),
        _ => unreachable!("{op:?} is not a SealService call"),
    }
}

/// Seals a freshly made plain OFD with a new seal, as `stem`.
async fn seal_ofd_call(w: &mut World, stem: &str) -> Result<(), tonic::Status> {
    let seal_id = w.new_seal().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("plain.ofd");
    common::pdf::python_tool("ofd_tools.py", &["plain", out.to_str().unwrap(), "1"]);
    w.seals(stem)
        .await
        .seal_ofd(pb::SealOfdRequest {
            seal_id,
            target: Some(pb::seal_ofd_request::Target::Content(
                std::fs::read(out).unwrap(),
            )),
            ..Default::default()
        })
        .await
        .map(drop)
}

/// Makes the ServiceOfProcess call for `op` as `stem`; only PERMISSION_DENIED counts as an error.
pub(super) async fn service_call(
    w: &World,
    op: Operation,
    stem: &str,
) -> Result<(), tonic::Status> {
    let mut svc = w.service(stem).await;
    let r = pb::RecipientRef {
        order_id: "O000000000001".into(),
        recipient_id: "R1".into(),
    };
    let action = pb::DeadLetterAction {
        order_id: "O000000000001".into(),
        recipient_id: "R1".into(),
        channel: pb::ServiceChannel::Email as i32,
        note: "已改为邮寄送达".into(),
    };
    let outcome = match op {
        Operation::ServeOrder => svc
            .serve_order(pb::ServeOrderRequest::default())
            .await
            .map(drop),
        Operation::GetServiceStatus => svc.get_recipient(r).await.map(drop),
        Operation::WatchService => svc
            .watch_service(pb::WatchServiceRequest {
                order_id: r.order_id,
                ..Default::default()
            })
            .await
            .map(drop),
        Operation::GetProof => proof_calls(&mut svc, r, stem).await,
        Operation::ListDeadLetters => svc
            .list_dead_letters(pb::ListDeadLettersRequest::default())
            .await
            .map(drop),
        Operation::RetryDeadLetter => svc.retry_dead_letter(action).await.map(drop),
        Operation::JudgeReport => svc
            .judge_report(pb::JudgeReportRequest {
                order_id: action.order_id,
                recipient_id: action.recipient_id,
                index: 0,
                accept: false,
                note: "伪造的退信".into(),
            })
            .await
            .map(drop),
        Operation::ListMyServices => svc
            .list_my_services(pb::ListMyServicesRequest {})
            .await
            .map(drop),
        Operation::DisallowReply | Operation::SettleReply => reply_call(&mut svc, op).await,
        _ => svc.resolve_dead_letter(action).await.map(drop),
    };
    match outcome {
        Err(s) if s.code() == tonic::Code::PermissionDenied => Err(s),
        _ => Ok(()),
    }
}

/// Makes the clerk's judgment of a reply for `op` (let through, it finds nothing to judge).
async fn reply_call(
    svc: &mut pb::service_of_process_client::ServiceOfProcessClient<Channel>,
    op: Operation,
) -> Result<(), tonic::Status> {
    if op == Operation::DisallowReply {
        let request = pb::DisallowReplyRequest {
            order_id: "O000000000001".into(),
            recipient_id: "R1".into(),
            index: 0,
            note: "发错号码".into(),
        };
        return svc.disallow_reply(request).await.map(drop);
    }
    let request = pb::SettleReplyRequest {
        seq: 1,
        note: "无关短信".into(),
        ..Default::default()
    };
    svc.settle_reply(request).await.map(drop)
}

/// Makes the SimilarCaseService call for `op` as `stem` (a judgment to remove is indexed first).
pub(super) async fn similar_call(
    w: &mut World,
    op: Operation,
    stem: &str,
) -> Result<(), tonic::Status> {
    match op {
        Operation::IndexCase => {
            let request = w.judgment();
            w.similar(stem).await.index_case(request).await.map(drop)
        }
        Operation::RemoveCase => {
            let request = w.judgment();
            let case_id = w
                .similar("court-xiangyang-cms")
                .await
                .index_case(request)
                .await
                .unwrap()
                .into_inner()
                .case_id;
            w.similar(stem)
                .await
                .remove_case(pb::RemoveCaseRequest {
                    case_id,
                    reason: "判决已撤销".into(),
                })
                .await
                .map(drop)
        }
        Operation::FindSimilar => w
            .similar(stem)
            .await
            .find_similar(pb::FindSimilarRequest {
                query: Some(pb::find_similar_request::Query::Text(
                    "被告人盗窃手机".into(),
                )),
                ..Default::default()
            })
            .await
            .map(drop),
        // Let through, a check finds no indexed sentence to compare with here: FAILED_PRECONDITION
        // comes only after authorization.
        Operation::CheckOutcome => match w
            .similar(stem)
            .await
            .check_outcome(pb::CheckOutcomeRequest {
                query: Some(pb::check_outcome_request::Query::Text(
                    "被告人盗窃手机".into(),
                )),
                proposed: "有期徒刑一年".into(),
                ..Default::default()
            })
            .await
        {
            Err(s) if s.code() == tonic::Code::FailedPrecondition => Ok(()),
            other => other.map(drop),
        },
        // Let through, no case has a push yet: NOT_FOUND comes only after authorization.
        Operation::ListPushedCases => match w
            .similar(stem)
            .await
            .list_pushed_cases(pb::ListPushedCasesRequest {
                case_number: "（2026）鄂06刑初1号".into(),
                ..Default::default()
            })
            .await
        {
            Err(s) if s.code() == tonic::Code::NotFound => Ok(()),
            other => other.map(drop),
        },
        Operation::SetCasePush => w
            .similar(stem)
            .await
            .set_case_push(pb::SetCasePushRequest {
                // A case the hub holds filings of: one it does not is NOT_FOUND.
                case_number: CASE.into(),
                enabled: false,
                reason: "合议庭不需要推送".into(),
            })
            .await
            .map(drop),
        _ => unreachable!("{op:?} is not a SimilarCaseService call"),
    }
}

/// GetProof, with GetProofPdf and GetDeliveryReport beside it: the printable copy is the same
/// proof and the reports are its evidence, so the same people may have them (each refusal beyond
/// GetProof's is counted in `EXTRA_REFUSALS`).
async fn proof_calls(
    svc: &mut ecenter_proto::v1::service_of_process_client::ServiceOfProcessClient<Channel>,
    r: pb::RecipientRef,
    stem: &str,
) -> Result<(), tonic::Status> {
    let json = svc
        .get_proof(pb::ProofRequest::from(r.clone()))
        .await
        .map(drop);
    let pdf = svc
        .get_proof_pdf(pb::ProofRequest::from(r.clone()))
        .await
        .map(drop);
    let report = svc
        .get_delivery_report(pb::DeliveryReportRequest {
            order_id: r.order_id,
            recipient_id: r.recipient_id,
            kept_sha256: "0".repeat(64),
        })
        .await
        .map(drop);
    let denied = |o: &Result<(), tonic::Status>| matches!(o, Err(s) if s.code() == tonic::Code::PermissionDenied);
    for (other, name) in [(&pdf, "GetProofPdf"), (&report, "GetDeliveryReport")] {
        assert_eq!(
            denied(&json),
            denied(other),
            "GetProof and {name} as {stem}"
        );
        if denied(other) {
            EXTRA_REFUSALS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
    json
}
