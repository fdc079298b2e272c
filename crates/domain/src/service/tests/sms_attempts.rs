//! SMS attempts told apart: a notice sent again after no receipt, receipts about either attempt,
//! and each acceptance kept with its own id.

use super::*;

/// Attempt 1 ("A1") heard nothing and was dead-lettered; a clerk retried; attempt 2 ("B1")
/// accepted at minute 15. Event numbers continue from 6.
fn sms_retried_after_no_receipt(s: &mut RecipientService) {
    sms_accepted(s, "A1");
    s.apply(
        &RecipientEvent::ReceiptMissing {
            channel: Channel::Sms,
        },
        t(10),
        4,
    );
    let retry = RecipientEvent::DeadLetterRetried {
        channel: Channel::Sms,
        by: "clerk".into(),
        note: None,
    };
    s.apply(&retry, t(14), 5);
    s.apply(&sending(Channel::Sms, 2), t(15), 6);
    let accepted = AttemptResult::Accepted {
        gateway_id: "B1".into(),
        receipt_by: Some(t(25)),
        receipt_ids: Vec::new(),
    };
    s.apply(&result(Channel::Sms, 2, accepted), t(15), 7);
    let trace = s.trace(Channel::Sms).unwrap();
    assert_eq!(trace.earlier_parts, [["A1"]]);
    // Each acceptance with its own id; `sent_at` stays the first.
    let accepted: Vec<_> = (trace.accepted.iter())
        .map(|a| (a.attempt, a.gateway_id.as_str(), a.at))
        .collect();
    assert_eq!(accepted, [(1, "A1", t(0)), (2, "B1", t(15))]);
    assert_eq!(
        (trace.sent_at, trace.gateway_id.as_str()),
        (Some(t(0)), "B1")
    );
}

#[test]
fn a_failure_about_an_earlier_attempt_or_after_reaching_undoes_nothing() {
    let mut s = sms_first(AddressBasis::Confirmed);
    sms_retried_after_no_receipt(&mut s);
    s.apply(&receipt("B1", ReceiptState::Delivered, 20), t(20), 8);
    let served = s.effective.expect("attempt 2 reached the handset");
    assert_eq!(served.at, t(20));
    // The SMSC gives up on attempt 1's part, then repeats a failure about attempt 2's.
    s.apply(&receipt("A1", ReceiptState::Expired, 30), t(30), 9);
    s.apply(&receipt("B1", ReceiptState::Undeliverable, 31), t(31), 10);
    assert_eq!(
        s.effective,
        Some(served),
        "a report about another attempt undid service"
    );
    let sms = s.trace(Channel::Sms).unwrap();
    assert!(!sms.closed && s.dead_letters.is_empty(), "{s:?}");
    assert!(
        s.trace(Channel::Email).is_none(),
        "no e-mail after service took effect"
    );
    assert_eq!(
        sms.receipts.len(),
        3,
        "every receipt is kept as what the SMSC said"
    );
}

#[test]
fn an_earlier_attempts_late_delivrd_still_counts_and_its_failure_does_not_close_the_latest() {
    let mut s = sms_first(AddressBasis::Confirmed);
    sms_retried_after_no_receipt(&mut s);
    s.apply(&receipt("A1", ReceiptState::Rejected, 16), t(16), 8);
    assert!(
        !s.trace(Channel::Sms).unwrap().closed,
        "attempt 2 is still out"
    );
    assert!(s.dues.iter().any(|d| d.action == DueAction::ReceiptTimeout));
    let mut late = sms_first(AddressBasis::Confirmed);
    sms_retried_after_no_receipt(&mut late);
    late.apply(&receipt("A1", ReceiptState::Delivered, 17), t(17), 8);
    assert_eq!(late.effective.map(|e| e.at), Some(t(17)));
}

#[test]
fn a_receipt_recorded_before_attempts_were_told_apart_is_replayed_as_the_hub_judged_it() {
    let mut s = sms_first(AddressBasis::Confirmed);
    sms_retried_after_no_receipt(&mut s);
    s.apply(&receipt("B1", ReceiptState::Delivered, 20), t(20), 8);
    let mut before = receipt("A1", ReceiptState::Expired, 30);
    if let RecipientEvent::ReceiptReported { per_attempt, .. } = &mut before {
        *per_attempt = false;
    }
    s.apply(&before, t(30), 9);
    assert!(
        s.trace(Channel::Sms).unwrap().closed,
        "the channel closed, as it did"
    );
    assert_eq!(s.dead_letters.len(), 1, "{s:?}");
}

#[test]
fn the_receipt_timeout_waits_for_every_part_of_the_latest_attempt() {
    let timeout =
        |s: &RecipientService| s.dues.iter().any(|d| d.action == DueAction::ReceiptTimeout);
    let mut s = sms_first(AddressBasis::Confirmed);
    sms_accepted(&mut s, "E1 E2");
    s.apply(&receipt("E1", ReceiptState::Delivered, 1), t(1), 4);
    assert!(timeout(&s), "E2 has not reported");
    s.apply(&receipt("E2", ReceiptState::Pending, 2), t(2), 5);
    assert!(timeout(&s), "ACCEPTD is not final");
    s.apply(&receipt("E2", ReceiptState::Delivered, 3), t(3), 6);
    assert!(!timeout(&s));
}

#[test]
fn a_delivered_sms_to_a_discovered_number_proves_nothing_by_itself() {
    let mut s = sms_first(AddressBasis::Discovered);
    sms_accepted(&mut s, "D1");
    s.apply(&receipt("D1", ReceiptState::Delivered, 1), t(1), 4);
    assert!(
        s.effective.is_none(),
        "art. 31 para. 2: reaching is not enough"
    );
    assert!(!s.dues.iter().any(|d| d.action == DueAction::ReceiptTimeout));
    assert!(s.dues.iter().any(|d| d.action == DueAction::Deadline));
}
