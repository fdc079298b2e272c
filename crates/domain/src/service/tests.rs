use super::*;
use crate::serve_order::{RecipientRequest, ServeOrderRequest};

mod reports;
mod sms_attempts;

fn t(minute: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-28T02:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
        + Duration::minutes(minute)
}

fn service(email_basis: AddressBasis, with_phone: bool) -> RecipientService {
    let order = ServeOrderRequest {
        case_number: "（2026）鄂06民初123号".into(),
        documents: vec!["F000000000001/S1".into()],
        recipients: vec![RecipientRequest {
            name: "张三".into(),
            role: "被告".into(),
            phone: if with_phone {
                "13800138000".into()
            } else {
                String::new()
            },
            email: "zhangsan@example.cn".into(),
            phone_basis: with_phone.then_some(AddressBasis::Confirmed),
            email_basis: Some(email_basis),
            consent_basis: "送达地址确认书".into(),
            identity: String::new(),
        }],
        plan: vec![
            PlanStep {
                channel: Channel::Email,
                deadline_hours: 24,
            },
            PlanStep {
                channel: Channel::Sms,
                deadline_hours: 48,
            },
        ],
    }
    .validate()
    .unwrap();
    let ordered = ServiceOrdered {
        order_id: "O000000000001".into(),
        request_id: "r1".into(),
        fingerprint: String::new(),
        ordered_by: "court".into(),
        order,
        documents: Vec::new(),
        links_expire_at: t(60 * 24 * 7),
        notice_tag: "t".into(),
    };
    RecipientService::ordered(&ordered, t(0), 1).remove(0)
}

/// Proof version 1 saying service took effect as `e`, issued at `minute`.
fn first_proof(e: EffectiveService, minute: i64) -> RecipientEvent {
    RecipientEvent::ProofIssued(ProofRef {
        version: 1,
        document_sha256: "a".into(),
        signature_sha256: "b".into(),
        effective: Some(e),
        issued_at: t(minute),
        reviews: Some(0),
        replies: None,
    })
}

fn sending(channel: Channel, attempt: u32) -> RecipientEvent {
    RecipientEvent::NoticeSending {
        channel,
        attempt,
        address: "zhangsan@example.cn".into(),
        message_id: "O1.R1.email@hub".into(),
        subject: "通知".into(),
        body: "正文".into(),
        link_nonce: format!("n{attempt}"),
        in_doubt: false,
        holder: "hub-0000000a".into(),
    }
}

fn result(channel: Channel, attempt: u32, result: AttemptResult) -> RecipientEvent {
    RecipientEvent::NoticeResult {
        channel,
        attempt,
        result,
    }
}

#[test]
fn an_answer_to_an_attempt_sent_again_by_another_instance_leaves_the_later_one_in_flight() {
    let mut s = service(AddressBasis::Confirmed, true);
    s.apply(&sending(Channel::Email, 1), t(0), 2);
    // hub-0000000a stopped answering; hub-0000000b sends the same notice again.
    let again = RecipientEvent::NoticeSending {
        channel: Channel::Email,
        attempt: 2,
        address: "zhangsan@example.cn".into(),
        message_id: "O1.R1.email@hub".into(),
        subject: "通知".into(),
        body: "正文".into(),
        link_nonce: "n1".into(),
        in_doubt: true,
        holder: "hub-0000000b".into(),
    };
    s.apply(&again, t(1), 3);
    let accepted = |id: &str| AttemptResult::Accepted {
        gateway_id: id.into(),
        receipt_by: None,
        receipt_ids: Vec::new(),
    };
    // The first instance, cut off, still finishes attempt 1: recorded, but superseded.
    s.apply(&result(Channel::Email, 1, accepted("late")), t(2), 4);
    let trace = s.trace(Channel::Email).unwrap();
    assert!(trace.in_flight, "attempt 2 is still under way");
    assert_eq!((trace.attempts, trace.resends_in_doubt), (2, 1));
    assert_eq!(trace.holder, "hub-0000000b");
    assert!(trace.sent_at.is_none() && s.dues.is_empty());
    s.apply(&result(Channel::Email, 2, accepted("q2")), t(3), 5);
    let trace = s.trace(Channel::Email).unwrap();
    assert!(!trace.in_flight);
    assert_eq!(
        (trace.gateway_id.as_str(), trace.sent_at),
        ("q2", Some(t(3)))
    );
    // Both acceptances are on record, each with its attempt: the recipient may have had either.
    let accepted: Vec<_> = (trace.accepted.iter())
        .map(|a| (a.attempt, a.gateway_id.as_str(), a.at))
        .collect();
    assert_eq!(accepted, [(1, "late", t(2)), (2, "q2", t(3))]);
}

#[test]
fn an_order_makes_the_first_channel_due_at_once() {
    let s = service(AddressBasis::Confirmed, true);
    assert_eq!(
        s.dues,
        vec![Due {
            at: t(0),
            channel: Channel::Email,
            action: DueAction::Send
        }]
    );
    assert_eq!(s.status(), ServiceStatus::Sending);
}

#[test]
fn accepted_waits_for_the_deadline_and_never_falls_back_on_sent_alone() {
    let mut s = service(AddressBasis::Discovered, true);
    s.apply(&sending(Channel::Email, 1), t(0), 2);
    assert!(s.dues.is_empty());
    assert_eq!(s.status(), ServiceStatus::Sending);
    s.apply(
        &result(
            Channel::Email,
            1,
            AttemptResult::Accepted {
                gateway_id: "q1".into(),
                receipt_by: None,
                receipt_ids: Vec::new(),
            },
        ),
        t(1),
        3,
    );
    assert_eq!(s.status(), ServiceStatus::Awaiting);
    assert_eq!(
        s.dues,
        vec![Due {
            at: t(1) + Duration::hours(24),
            channel: Channel::Email,
            action: DueAction::Deadline
        }]
    );
    // The deadline passes without effect: the plan falls back to SMS.
    s.apply(
        &RecipientEvent::DeadlinePassed {
            channel: Channel::Email,
        },
        t(60 * 25),
        4,
    );
    assert_eq!(s.dues[0].channel, Channel::Sms);
    assert_eq!(s.dues[0].action, DueAction::Send);
    assert_eq!(s.dead_letters[0].channel, Channel::Email);
}

#[test]
fn a_temporary_failure_is_due_again_at_its_retry_time() {
    let mut s = service(AddressBasis::Confirmed, false);
    s.apply(&sending(Channel::Email, 1), t(0), 2);
    s.apply(
        &result(
            Channel::Email,
            1,
            AttemptResult::Temporary {
                detail: "451".into(),
                retry_at: t(2),
                maybe_sent: false,
            },
        ),
        t(0),
        3,
    );
    assert_eq!(
        s.dues,
        vec![Due {
            at: t(2),
            channel: Channel::Email,
            action: DueAction::Send
        }]
    );
    assert!(s.dead_letters.is_empty());
}

#[test]
fn a_permanent_failure_dead_letters_and_falls_back_or_leaves_the_recipient_unserved() {
    let mut s = service(AddressBasis::Confirmed, true);
    s.apply(&sending(Channel::Email, 1), t(0), 2);
    s.apply(
        &result(
            Channel::Email,
            1,
            AttemptResult::Permanent {
                detail: "550".into(),
                suppress: true,
            },
        ),
        t(0),
        3,
    );
    assert_eq!(s.dead_letters.len(), 1);
    assert_eq!(s.dues[0].channel, Channel::Sms);

    let mut alone = service(AddressBasis::Confirmed, false);
    alone.apply(&sending(Channel::Email, 1), t(0), 2);
    alone.apply(
        &result(
            Channel::Email,
            1,
            AttemptResult::Permanent {
                detail: "550".into(),
                suppress: true,
            },
        ),
        t(0),
        3,
    );
    assert_eq!(alone.status(), ServiceStatus::Unserved);
    // A clerk retries: sending again, no longer unserved.
    alone.apply(
        &RecipientEvent::DeadLetterRetried {
            channel: Channel::Email,
            by: "clerk".into(),
            note: Some("受送达人来电称邮箱已恢复".into()),
        },
        t(5),
        4,
    );
    assert!(alone.dead_letters.is_empty());
    assert_eq!(alone.status(), ServiceStatus::Sending);
    // The e-mail dead letter of the first is closed by hand; both clerks' acts are kept, in order.
    s.apply(
        &RecipientEvent::DeadLetterResolved {
            channel: Channel::Email,
            by: "clerk-wang".into(),
            note: "已改为邮寄送达".into(),
        },
        t(6),
        4,
    );
    assert_eq!(s.resolution.as_deref(), Some("已改为邮寄送达"));
    assert_eq!(
        s.clerk_acts,
        [ClerkAct {
            at: t(6),
            by: "clerk-wang".into(),
            channel: Channel::Email,
            resolved: true,
            note: Some("已改为邮寄送达".into()),
        }]
    );
    assert_eq!(alone.clerk_acts.len(), 1);
    assert!(!alone.clerk_acts[0].resolved);
    assert_eq!(
        alone.clerk_acts[0].note.as_deref(),
        Some("受送达人来电称邮箱已恢复")
    );
    assert_eq!(alone.clerk_acts[0].at, t(5));
}

#[test]
fn a_get_is_not_reading_and_a_confirmation_makes_service_effective_with_a_proof_due() {
    let mut s = service(AddressBasis::Discovered, false);
    s.apply(&sending(Channel::Email, 1), t(0), 2);
    s.apply(
        &RecipientEvent::RecipientActed {
            activity: Activity::Fetched { form: "f1".into() },
            client: "127.0.0.1".into(),
            link: "n1".into(),
        },
        t(3),
        3,
    );
    assert!(s.effective.is_none());
    assert_eq!(s.open_forms, vec!["f1".to_string()]);
    s.apply(
        &RecipientEvent::RecipientActed {
            activity: Activity::ConfirmedReading,
            client: "127.0.0.1".into(),
            link: "n1".into(),
        },
        t(4),
        4,
    );
    let e = s.effective.unwrap();
    assert_eq!(e.at, t(4));
    // The link came in the e-mail notice: that channel made service effective.
    assert_eq!(e.channel, Some(Channel::Email));
    assert_eq!(s.confirmations.len(), 1);
    assert_eq!(s.confirmations[0].client, "127.0.0.1");
    assert!(s.open_forms.is_empty());
    assert!(s.proof_due());
    s.apply(&first_proof(e, 5), t(5), 5);
    assert!(!s.proof_due());
}

/// SMS first (confirmed number), then e-mail (provided address).
fn sms_first(phone_basis: AddressBasis) -> RecipientService {
    let mut s = service(AddressBasis::Provided, true);
    s.plan.reverse();
    s.recipient.addresses = s
        .recipient
        .addresses
        .iter()
        .map(|(c, a, b)| {
            (
                *c,
                a.clone(),
                if *c == Channel::Sms { phone_basis } else { *b },
            )
        })
        .collect();
    s.dues[0].channel = Channel::Sms;
    s
}

fn sms_accepted(s: &mut RecipientService, parts: &str) {
    s.apply(&sending(Channel::Sms, 1), t(0), 2);
    s.apply(
        &result(
            Channel::Sms,
            1,
            AttemptResult::Accepted {
                gateway_id: parts.into(),
                receipt_by: Some(t(10)),
                receipt_ids: Vec::new(),
            },
        ),
        t(0),
        3,
    );
}

fn receipt(part: &str, state: ReceiptState, minute: i64) -> RecipientEvent {
    RecipientEvent::ReceiptReported {
        channel: Channel::Sms,
        part: part.into(),
        state,
        at: t(minute),
        text: format!("id:{part} stat:…"),
        per_attempt: true,
    }
}

#[test]
fn an_sms_waits_for_its_receipt_and_every_part_delivered_is_effective_at_the_last() {
    let mut s = sms_first(AddressBasis::Confirmed);
    sms_accepted(&mut s, "A1 A2 A3");
    assert_eq!(s.trace(Channel::Sms).unwrap().parts, ["A1", "A2", "A3"]);
    assert!(
        s.dues
            .iter()
            .any(|d| d.action == DueAction::ReceiptTimeout && d.at == t(10))
    );
    s.apply(&receipt("A2", ReceiptState::Delivered, 1), t(1), 4);
    s.apply(&receipt("A1", ReceiptState::Pending, 1), t(1), 5);
    s.apply(&receipt("A1", ReceiptState::Delivered, 2), t(2), 6);
    assert!(s.effective.is_none(), "one part still out");
    s.apply(&receipt("A3", ReceiptState::Delivered, 3), t(3), 7);
    let e = s.effective.expect("reached a confirmed number");
    assert_eq!(e.at, t(3));
    assert_eq!(e.channel, Some(Channel::Sms));
    assert!(
        s.dues.is_empty(),
        "no receipt timeout, no deadline, no e-mail"
    );
    assert!(s.trace(Channel::Email).is_none());
}

#[test]
fn every_failed_receipt_state_falls_back_to_e_mail() {
    for state in [
        ReceiptState::Undeliverable,
        ReceiptState::Expired,
        ReceiptState::Rejected,
        ReceiptState::Deleted,
        ReceiptState::Unknown,
    ] {
        let mut s = sms_first(AddressBasis::Confirmed);
        sms_accepted(&mut s, "B1");
        s.apply(&receipt("B1", state, 1), t(1), 4);
        assert!(s.effective.is_none(), "{state:?}");
        assert!(s.trace(Channel::Sms).unwrap().closed, "{state:?}");
        assert_eq!(s.dead_letters.len(), 1, "{state:?}");
        assert!(s.dead_letters[0].reason.contains(state.describe()));
        assert_eq!(
            s.dues,
            vec![Due {
                at: t(1),
                channel: Channel::Email,
                action: DueAction::Send
            }],
            "{state:?}: e-mail next, at once"
        );
    }
}

#[test]
fn an_accepted_receipt_is_not_final_and_a_missing_receipt_moves_the_plan_on() {
    let mut s = sms_first(AddressBasis::Confirmed);
    sms_accepted(&mut s, "C1");
    s.apply(&receipt("C1", ReceiptState::Pending, 1), t(1), 4);
    assert!(s.dues.iter().any(|d| d.action == DueAction::ReceiptTimeout));
    assert!(!s.trace(Channel::Sms).unwrap().closed);
    s.apply(
        &RecipientEvent::ReceiptMissing {
            channel: Channel::Sms,
        },
        t(10),
        5,
    );
    assert!(s.trace(Channel::Sms).unwrap().closed);
    assert!(s.dead_letters[0].reason.contains("状态未知"));
    assert_eq!(s.dues[0].channel, Channel::Email);
    // A late DELIVRD still counts: reached the confirmed number at its time.
    s.apply(&receipt("C1", ReceiptState::Delivered, 12), t(12), 6);
    assert_eq!(s.effective.unwrap().at, t(12));
    assert!(s.dead_letters.is_empty(), "served: nothing left for clerks");
}

#[test]
fn a_failure_that_may_have_been_sent_marks_the_next_attempt() {
    let mut s = sms_first(AddressBasis::Confirmed);
    s.apply(&sending(Channel::Sms, 1), t(0), 2);
    s.apply(
        &result(
            Channel::Sms,
            1,
            AttemptResult::Temporary {
                detail: "connection lost".into(),
                retry_at: t(1),
                maybe_sent: true,
            },
        ),
        t(0),
        3,
    );
    assert!(s.trace(Channel::Sms).unwrap().maybe_sent);
    s.apply(&sending(Channel::Sms, 2), t(1), 4);
    assert!(!s.trace(Channel::Sms).unwrap().maybe_sent);
}

fn sms_reply(text: &str, minute: i64) -> RecipientEvent {
    RecipientEvent::ReplyReceived(crate::reply::ReceivedReply {
        at: t(minute),
        channel: Some(Channel::Sms),
        from: "13800138000".into(),
        text: text.into(),
        form: String::new(),
        disallowed: None,
        attributed: None,
    })
}

#[test]
fn a_disallowed_reply_no_longer_counts_closes_its_channel_and_makes_a_withdrawing_proof_due() {
    let mut s = sms_first(AddressBasis::Discovered);
    sms_accepted(&mut s, "D1");
    s.apply(&receipt("D1", ReceiptState::Delivered, 1), t(1), 4);
    assert!(
        s.effective.is_none(),
        "reaching a discovered number is not service"
    );
    s.apply(&sms_reply("你们发错号码了", 2), t(2), 5);
    let e = s
        .effective
        .expect("a reply completes service (art. 31 para. 2)");
    s.apply(&first_proof(e, 3), t(3), 6);
    let disallow = |by: &str| RecipientEvent::ReplyDisallowed {
        index: 0,
        by: by.into(),
        note: "经电话核实非受送达人".into(),
    };
    s.apply(&disallow("clerk-li"), t(4), 7);
    assert!(s.effective.is_none(), "the reply no longer counts");
    assert!(
        s.proof_due(),
        "the proof saying effective must be withdrawn"
    );
    let d = s.replies[0].disallowed.as_ref().expect("marked");
    assert_eq!((d.by.as_str(), d.at), ("clerk-li", t(4)));
    assert_eq!(s.replies[0].text, "你们发错号码了", "kept as received");
    // The number is not the recipient's: SMS is closed with the clerk's note, e-mail is next.
    assert!(s.trace(Channel::Sms).unwrap().closed);
    assert!(s.dead_letters[0].reason.contains("经电话核实非受送达人"));
    assert!(
        s.dues
            .iter()
            .any(|d| d.channel == Channel::Email && d.action == DueAction::Send)
    );
    // A finding is made once: a second one changes nothing.
    s.apply(&disallow("clerk-wang"), t(5), 8);
    assert_eq!(s.replies[0].disallowed.as_ref().unwrap().by, "clerk-li");
    // A later reply typed on the page of the e-mail notice counts (the outbox no longer takes
    // that number's messages as replies: tested in outbox).
    let mut typed = sms_reply("已收到", 6);
    if let RecipientEvent::ReplyReceived(r) = &mut typed {
        r.channel = Some(Channel::Email);
    }
    s.apply(&typed, t(6), 9);
    assert_eq!(s.effective.map(|e| e.at), Some(t(6)));
}

#[test]
fn a_disallowed_reply_on_a_channel_no_longer_tried_takes_up_the_plan_where_it_stood() {
    // SMS first (discovered number): no receipt, so e-mail goes out and waits for its deadline;
    // then a message from the number counts, and service takes effect (clearing that deadline).
    let mut s = sms_first(AddressBasis::Discovered);
    sms_accepted(&mut s, "F1");
    s.apply(
        &RecipientEvent::ReceiptMissing {
            channel: Channel::Sms,
        },
        t(10),
        4,
    );
    s.apply(&sending(Channel::Email, 1), t(11), 5);
    let accepted = AttemptResult::Accepted {
        gateway_id: "q1".into(),
        receipt_by: None,
        receipt_ids: Vec::new(),
    };
    s.apply(&result(Channel::Email, 1, accepted), t(11), 6);
    s.apply(&sms_reply("你们发错号码了", 12), t(12), 7);
    assert!(s.effective.is_some() && s.dues.is_empty());
    let disallow = RecipientEvent::ReplyDisallowed {
        index: 0,
        by: "clerk-li".into(),
        note: "非受送达人".into(),
    };
    s.apply(&disallow, t(20), 8);
    assert!(s.effective.is_none());
    assert_eq!(
        s.dues,
        vec![Due {
            at: t(20) + Duration::hours(24),
            channel: Channel::Email,
            action: DueAction::Deadline,
        }],
        "the e-mail step's deadline runs again"
    );
    assert_eq!(s.status(), ServiceStatus::Awaiting);
}

#[test]
fn disallowing_an_attributed_reply_leaves_the_served_channel_open() {
    let mut s = sms_first(AddressBasis::Discovered);
    sms_accepted(&mut s, "G1");
    let mut attributed = sms_reply("我换了号码", 2);
    if let RecipientEvent::ReplyReceived(r) = &mut attributed {
        r.from = "13700000000".into();
        r.attributed = Some(crate::reply::ReplyAttribution {
            seq: 9,
            by: "clerk-li".into(),
            note: "电话核实".into(),
            at: t(3),
        });
    }
    s.apply(&attributed, t(3), 4);
    assert!(s.effective.is_some());
    let disallow = RecipientEvent::ReplyDisallowed {
        index: 0,
        by: "clerk-wang".into(),
        note: "复核后认定非本人".into(),
    };
    s.apply(&disallow, t(4), 5);
    assert!(s.effective.is_none());
    assert!(
        !s.trace(Channel::Sms).unwrap().closed,
        "the served number was never in question"
    );
    assert!(s.dead_letters.is_empty());
}

#[test]
fn disallowing_one_of_two_replies_keeps_service_at_the_other() {
    let mut s = sms_first(AddressBasis::Discovered);
    sms_accepted(&mut s, "E1");
    s.apply(&sms_reply("发错了吧", 2), t(2), 4);
    s.apply(&sms_reply("已收到，谢谢", 3), t(3), 5);
    assert_eq!(s.effective.map(|e| e.at), Some(t(2)));
    s.apply(
        &RecipientEvent::ReplyDisallowed {
            index: 0,
            by: "clerk-li".into(),
            note: "首条为他人所发".into(),
        },
        t(4),
        6,
    );
    assert_eq!(
        s.effective.map(|e| e.at),
        Some(t(3)),
        "the other reply stands"
    );
    assert!(!s.trace(Channel::Sms).unwrap().closed);
    assert!(s.dead_letters.is_empty());
}

#[test]
fn a_bounce_is_contradicted_only_by_what_came_through_its_own_channels_notice() {
    let mut s = service(AddressBasis::Confirmed, true);
    // The SMS (link n1) and the e-mail (link n2) both went out.
    s.apply(&sending(Channel::Sms, 1), t(0), 2);
    s.apply(&sending(Channel::Email, 2), t(0), 3);
    let opened = |link: &str| RecipientEvent::RecipientActed {
        activity: Activity::Fetched { form: "f1".into() },
        client: "127.0.0.1".into(),
        link: link.into(),
    };
    assert_eq!(s.contradicts_bounce(Channel::Email), None);
    // The SMS's link opened: no contradiction of an e-mail bounce, but of an SMS failure.
    s.apply(&opened("n1"), t(2), 4);
    s.apply(&sms_reply("收到", 2), t(2), 5);
    assert_eq!(s.contradicts_bounce(Channel::Email), None);
    assert!(s.contradicts_bounce(Channel::Sms).is_some());
    // The e-mail's own link opened: its bounce is contradicted.
    s.apply(&opened("n2"), t(3), 6);
    assert_eq!(
        s.contradicts_bounce(Channel::Email),
        Some("the recipient already opened the link")
    );
    // The e-mail's read receipt contradicts its bounce too.
    let mut read = service(AddressBasis::Confirmed, true);
    read.facts.push(DeliveryFact::ReadReported {
        channel: Channel::Email,
        at: t(2),
    });
    assert!(read.contradicts_bounce(Channel::Email).is_some());
    assert_eq!(read.contradicts_bounce(Channel::Sms), None);
    // A fact recorded before its channel was kept counts for every channel.
    let mut old = service(AddressBasis::Confirmed, true);
    old.apply(&opened(""), t(2), 2);
    assert!(old.contradicts_bounce(Channel::Email).is_some());
}

/// Entries written before a clerk could say why a notice went again read as before, and a retry
/// without a note is written as they were: the hash chain covers those bytes.
#[test]
fn a_retry_without_a_note_reads_and_writes_as_entries_did_before_notes() {
    let old = r#"{"kind":"dead_letter_retried","channel":"email","by":"clerk"}"#;
    let event: RecipientEvent = serde_json::from_str(old).unwrap();
    assert_eq!(
        event,
        RecipientEvent::DeadLetterRetried {
            channel: Channel::Email,
            by: "clerk".into(),
            note: None,
        }
    );
    assert_eq!(serde_json::to_string(&event).unwrap(), old);
}

#[test]
fn an_sms_part_is_one_whatever_the_case_zeros_or_0x_of_its_id() {
    let key = super::sms_part_key("1A2B3C28");
    for same in [
        "1a2b3c28",
        "000000001A2B3C28",
        "0x1a2b3c28",
        " 0X001A2B3C28 ",
    ] {
        assert_eq!(super::sms_part_key(same), key, "{same}");
    }
    assert_ne!(super::sms_part_key("1A2B3C29"), key);
    assert_eq!(super::sms_part_key("000"), "0");
}
