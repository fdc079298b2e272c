use super::*;
use crate::event::{FilingReceived, ReceivedDocument};
use crate::filing::LogPosition;
use crate::lifecycle::{Decision, DocumentDecision};

const FILER: &str = "urn:ecenter:lawyer:14201202010000001";
const COLLEAGUE: &str = "urn:ecenter:lawyer:14201202010000002";

fn email(a: &str) -> NoticeAddress {
    NoticeAddress {
        channel: Channel::Email,
        address: a.into(),
    }
}

fn sms(a: &str) -> NoticeAddress {
    NoticeAddress {
        channel: Channel::Sms,
        address: a.into(),
    }
}

fn at(seq: u64) -> LogPosition {
    LogPosition {
        seq,
        hash: "0".repeat(64),
        recorded_at: "2026-12-02T01:00:00Z".parse().unwrap(),
    }
}

fn received() -> (Event, Filing) {
    let event = Event::FilingReceived(FilingReceived {
        filing_id: "F000000000007".into(),
        request_id: "r1".into(),
        fingerprint: "x".into(),
        submitter: FILER.into(),
        case_number: Some(crate::CaseNumber::parse("（2026）鄂06民初777号").unwrap()),
        filing_kind: "答辩状".into(),
        title: "答辩".into(),
        documents: ["答辩状.pdf", "证据.pdf"]
            .iter()
            .enumerate()
            .map(|(i, n)| ReceivedDocument {
                document_id: format!("D{}", i + 1),
                name: (*n).into(),
                size: 10,
                media_type: "application/pdf".into(),
                sha256: "a".repeat(64),
            })
            .collect(),
        corrects_filing_id: None,
        submitter_listed: None,
    });
    let filing = Filing::apply(None, &event, &at(7)).unwrap();
    (event, filing)
}

#[test]
fn addresses_are_checked_each_by_its_place() {
    assert!(NoticeAddress::check_all(&[email("zhang@lawfirm.cn"), sms("13800000000")]).is_ok());
    let Err(DomainError::InvalidInput(v)) = NoticeAddress::check_all(&[
        email("not-an-address"),
        sms("0710-1234567"),
        email("Zhang@lawfirm.cn"),
        email("zhang@LAWFIRM.cn"),
    ]) else {
        panic!("bad addresses accepted");
    };
    let fields: Vec<&str> = v.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["addresses[0]", "addresses[1]", "addresses[3]"]);
    assert!(v[2].description.contains("twice"), "{v:?}");
    let many: Vec<_> = (0..6).map(|i| email(&format!("a{i}@b.cn"))).collect();
    assert!(NoticeAddress::check_all(&many).is_err());
    let long = email(&format!("{}@b.cn", "x".repeat(5000)));
    let Err(DomainError::InvalidInput(v)) = NoticeAddress::check_all(&[long]) else {
        panic!("a 5000-character address accepted");
    };
    assert!(v[0].description.chars().count() < 200, "{v:?}");
}

#[test]
fn the_filer_and_co_counsel_with_addresses_get_one_notice_per_address() {
    let (event, filing) = received();
    let addresses = |who: &str| match who {
        FILER => vec![email("zhang@lawfirm.cn"), sms("13800000000")],
        COLLEAGUE => vec![email("li@lawfirm.cn")],
        _ => Vec::new(),
    };
    let co = [
        COLLEAGUE.to_string(),
        FILER.to_string(),
        "urn:ecenter:lawyer:none".to_string(),
    ];
    let parties = FilingNotice::parties(FILER, &co, addresses);
    assert_eq!(
        parties.len(),
        2,
        "the filer once, the one without addresses left out"
    );
    let stage = NoticeStage::of(&event, &filing).unwrap();
    assert_eq!(stage, NoticeStage::Received);
    let due = FilingNotice::due(stage, &filing, "", 7, at(7).recorded_at, &parties);
    let ids: Vec<_> = due.iter().map(|n| n.notice_id.as_str()).collect();
    assert_eq!(ids, ["N7-1", "N7-2", "N7-3"]);
    assert!(due[0].filer && due[1].filer && !due[2].filer);
    assert_eq!(due[2].address, "li@lawfirm.cn");
    assert_eq!(due[0].case_number.as_deref(), Some("（2026）鄂06民初777号"));
    assert!(due.iter().all(|n| n.due_at == Some(at(7).recorded_at)));
    assert!(FilingNotice::parties(FILER, &[], |_| Vec::new()).is_empty());
}

#[test]
fn a_review_names_its_stage_and_each_documents_decision() {
    let (_, filing) = received();
    let started = Event::ReviewStarted {
        filing_id: filing.filing_id.clone(),
        reviewer: "urn:ecenter:court:x".into(),
    };
    let filing = Filing::apply(Some(filing), &started, &at(8)).unwrap();
    assert_eq!(NoticeStage::of(&started, &filing), None);
    let reviewed = Event::FilingReviewed {
        filing_id: filing.filing_id.clone(),
        reviewer: "urn:ecenter:court:x".into(),
        decisions: vec![
            DocumentDecision {
                document_id: "D1".into(),
                decision: Decision::Accept,
                reason: String::new(),
            },
            DocumentDecision {
                document_id: "D2".into(),
                decision: Decision::ReturnForCorrection,
                reason: "扫描不清晰".into(),
            },
        ],
        comment: "请补正".into(),
        outcome: FilingState::ReturnedForCorrection,
    };
    let filing = Filing::apply(Some(filing), &reviewed, &at(9)).unwrap();
    let stage = NoticeStage::of(&reviewed, &filing).unwrap();
    assert_eq!(stage, NoticeStage::Returned);
    let parties = FilingNotice::parties(FILER, &[], |_| vec![email("zhang@lawfirm.cn")]);
    let due = FilingNotice::due(stage, &filing, "请补正", 9, at(9).recorded_at, &parties);
    assert_eq!(
        due[0].documents[1].status,
        DocumentStatus::ReturnedForCorrection
    );
    assert_eq!(due[0].documents[1].reason, "扫描不清晰");
    assert_eq!(due[0].comment, "请补正");
}

/// Attempt `attempt` of notice N7-1 leased by `holder`.
fn sending(attempt: u32, in_doubt: bool, holder: &str) -> FilingNoticeEvent {
    FilingNoticeEvent::Sending {
        attempt,
        message_id: "<N7-1@hub>".into(),
        subject: "s".into(),
        body: "b".into(),
        link_nonce: "nonce".into(),
        link_expires: 0,
        in_doubt,
        holder: holder.into(),
    }
}

#[test]
fn sending_then_results_move_the_notice_along() {
    let (_, filing) = received();
    let parties = FilingNotice::parties(FILER, &[], |_| vec![email("zhang@lawfirm.cn")]);
    let t = at(7).recorded_at;
    let mut n = FilingNotice::due(NoticeStage::Received, &filing, "", 7, t, &parties).remove(0);
    let sending = |attempt| sending(attempt, false, "hub-0000000a");
    n.apply(&sending(1));
    assert!(n.in_flight && n.due_at.is_none() && n.attempts == 1);
    let retry_at = t + chrono::Duration::minutes(5);
    n.apply(&FilingNoticeEvent::Result {
        attempt: 1,
        result: AttemptResult::Temporary {
            detail: "421 busy".into(),
            retry_at,
            maybe_sent: true,
        },
    });
    assert!(!n.in_flight && n.due_at == Some(retry_at) && n.maybe_sent);
    assert!(n.outcome.is_none());
    n.apply(&sending(2));
    n.apply(&FilingNoticeEvent::Result {
        attempt: 2,
        result: AttemptResult::Accepted {
            gateway_id: "250 2.0.0 Ok: queued as ABC".into(),
            receipt_by: None,
            receipt_ids: Vec::new(),
        },
    });
    assert_eq!(
        n.outcome,
        Some(NoticeOutcome::Sent {
            gateway_id: "250 2.0.0 Ok: queued as ABC".into()
        })
    );
    assert!(n.due_at.is_none() && !n.in_flight);
}

#[test]
fn a_final_result_without_sending_ends_the_notice() {
    // A suppressed address is answered with a permanent result and no `Sending` before it: the
    // notice must stop being due, or the outbox would record the same result for ever.
    let (_, filing) = received();
    let parties = FilingNotice::parties(FILER, &[], |_| vec![email("zhang@lawfirm.cn")]);
    let t = at(7).recorded_at;
    let mut n = FilingNotice::due(NoticeStage::Received, &filing, "", 7, t, &parties).remove(0);
    n.apply(&FilingNoticeEvent::Result {
        attempt: 1,
        result: AttemptResult::Permanent {
            detail: "zhang@lawfirm.cn 已退信".into(),
            suppress: false,
        },
    });
    assert_eq!(n.due_at, None);
    assert!(matches!(n.outcome, Some(NoticeOutcome::Failed { .. })));
}

#[test]
fn an_answer_to_an_attempt_sent_again_by_another_instance_changes_nothing() {
    let (_, filing) = received();
    let parties = FilingNotice::parties(FILER, &[], |_| vec![email("zhang@lawfirm.cn")]);
    let t = at(7).recorded_at;
    let mut n = FilingNotice::due(NoticeStage::Received, &filing, "", 7, t, &parties).remove(0);
    let sending = |attempt, holder| sending(attempt, attempt > 1, holder);
    n.apply(&sending(1, "hub-0000000a"));
    n.apply(&sending(2, "hub-0000000b"));
    n.apply(&FilingNoticeEvent::Result {
        attempt: 1,
        result: AttemptResult::Permanent {
            detail: "550 late answer".into(),
            suppress: false,
        },
    });
    assert!(n.in_flight && n.outcome.is_none() && n.attempts == 2);
    assert_eq!(n.holder, "hub-0000000b");
}
