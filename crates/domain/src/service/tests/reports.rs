//! Delivery reports in a recipient's service: a reach and a bounce, a report set aside and judged,
//! and the reports a service keeps a copy of.

use super::*;
use crate::review::ReportSource;

#[test]
fn reaching_a_confirmed_address_is_effective_and_a_later_bounce_undoes_it() {
    let mut s = service(AddressBasis::Confirmed, true);
    s.apply(&sending(Channel::Email, 1), t(0), 2);
    s.apply(
        &result(
            Channel::Email,
            1,
            AttemptResult::Accepted {
                gateway_id: String::new(),
                receipt_by: None,
                receipt_ids: Vec::new(),
            },
        ),
        t(0),
        3,
    );
    let reported = |reached| RecipientEvent::DeliveryReported {
        channel: Channel::Email,
        reached,
        at: t(1),
        detail: "5.1.1".into(),
        suppress: !reached,
        report: String::new(),
        source: None,
    };
    s.apply(&reported(true), t(1), 4);
    assert_eq!(s.status(), ServiceStatus::Effective);
    assert!(s.dues.is_empty());
    s.apply(&reported(false), t(2), 5);
    assert!(s.effective.is_none());
    assert_eq!(
        s.dues[0].channel,
        Channel::Sms,
        "falls back after the bounce"
    );
}

#[test]
fn an_accepted_bounce_after_a_proof_makes_a_withdrawing_proof_due_and_a_rejected_one_changes_nothing()
 {
    let mut s = service(AddressBasis::Confirmed, false);
    s.apply(&sending(Channel::Email, 1), t(0), 2);
    let reached = RecipientEvent::DeliveryReported {
        channel: Channel::Email,
        reached: true,
        at: t(1),
        detail: "2.0.0".into(),
        suppress: false,
        report: String::new(),
        source: None,
    };
    s.apply(&reached, t(1), 3);
    let e = s.effective.expect("reached a confirmed address");
    s.apply(&first_proof(e, 2), t(2), 4);
    let bounce = UnverifiedReport {
        channel: Channel::Email,
        at: t(3),
        detail: "5.1.1 user unknown".into(),
        reason: "not from the court's relay".into(),
        reached: false,
        suppress: true,
        read: false,
        judgment: None,
        report: String::new(),
        source: None,
    };
    for (i, _) in [0, 1].iter().enumerate() {
        s.apply(
            &RecipientEvent::ReportSetAside(bounce.clone()),
            t(3),
            5 + i as u64,
        );
    }
    assert_eq!(s.effective, Some(e), "a report set aside changes no effect");
    assert!(
        s.proof_due(),
        "a new version shows the reports the hub holds"
    );
    let shown = |reviews| {
        RecipientEvent::ProofIssued(ProofRef {
            version: 2,
            reviews: Some(reviews),
            ..match first_proof(e, 2) {
                RecipientEvent::ProofIssued(p) => p,
                _ => unreachable!(),
            }
        })
    };
    s.apply(&shown(2), t(3), 7);
    assert!(!s.proof_due(), "the new version shows both");
    let judged = |index, accepted| RecipientEvent::ReportJudged {
        index,
        accepted,
        by: "clerk-li".into(),
        note: "checked with the recipient's provider".into(),
    };
    s.apply(&judged(0, false), t(4), 7);
    assert_eq!(s.effective, Some(e));
    assert!(!s.unverified[0].pending() && s.unverified[1].pending());
    assert!(s.proof_due(), "and another shows the judgment");
    s.apply(&judged(1, true), t(5), 8);
    s.apply(&s.unverified[1].clone().accepted_as("clerk-li"), t(5), 9);
    assert!(
        s.effective.is_none(),
        "the accepted bounce undoes the reach"
    );
    assert!(
        s.proof_due(),
        "the proof saying effective must be withdrawn"
    );
    assert_eq!(
        s.unverified[1].judgment.as_ref().map(|j| j.accepted),
        Some(true)
    );
}

/// A report's source, its copy named by `kept`, read at minute `minute`.
fn source(kept: char, minute: i64) -> ReportSource {
    ReportSource {
        relay: "mta.hub.test".into(),
        stated_at: Some(t(minute)),
        received_at: t(minute),
        kept_sha256: kept.to_string().repeat(64),
        received_sha256: None,
    }
}

#[test]
fn each_report_kept_is_listed_once_and_an_accepted_one_counts() {
    let mut s = service(AddressBasis::Confirmed, false);
    s.apply(&sending(Channel::Email, 1), t(0), 2);
    let aside = UnverifiedReport {
        channel: Channel::Email,
        at: t(1),
        detail: "5.1.1".into(),
        reason: "not from the court's relay".into(),
        reached: false,
        suppress: false,
        read: false,
        judgment: None,
        report: "<b@x>".into(),
        source: Some(source('b', 1)),
    };
    s.apply(&RecipientEvent::ReportSetAside(aside.clone()), t(1), 3);
    let reached = RecipientEvent::DeliveryReported {
        channel: Channel::Email,
        reached: true,
        at: t(2),
        detail: "2.0.0".into(),
        suppress: false,
        report: "<a@x>".into(),
        source: Some(source('a', 2)),
    };
    s.apply(&reached, t(2), 4);
    // Before copies were kept: counted, but no copy to list.
    let mut old = reached.clone();
    if let RecipientEvent::DeliveryReported { source, report, .. } = &mut old {
        (*source, *report) = (None, "<c@x>".into());
    }
    s.apply(&old, t(3), 5);
    let listed = |s: &RecipientService| {
        (s.kept_reports().iter())
            .map(|k| (k.report.to_string(), k.counted))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        listed(&s),
        [("<b@x>".into(), false), ("<a@x>".into(), true)]
    );
    assert_eq!(s.counted_reports.len(), 2, "the old entry is counted too");
    assert_eq!(s.counted_reports[0].source, Some(source('a', 2)));
    // Accepted, the report set aside is counted: listed once, as counted.
    s.apply(
        &RecipientEvent::ReportJudged {
            index: 0,
            accepted: true,
            by: "c".into(),
            note: "n".into(),
        },
        t(4),
        6,
    );
    s.apply(&aside.accepted_as("c"), t(4), 7);
    assert_eq!(listed(&s), [("<b@x>".into(), true), ("<a@x>".into(), true)]);
}

#[test]
fn a_reply_after_a_proof_makes_a_new_version_due_that_lists_it() {
    // Outside tests, round 22, F1: a reply typed after the proof was issued never reached a
    // proof, though a reply is what confirms — or rebuts — the service a proof attests.
    let mut s = sms_first(AddressBasis::Discovered);
    sms_accepted(&mut s, "D1");
    s.apply(&receipt("D1", ReceiptState::Delivered, 1), t(1), 4);
    s.apply(&sms_reply("收到", 2), t(2), 5);
    let e = s.effective.expect("a reply completes service");
    let listing = |version, replies| {
        RecipientEvent::ProofIssued(ProofRef {
            version,
            replies: Some(replies),
            ..match first_proof(e, 3) {
                RecipientEvent::ProofIssued(p) => p,
                _ => unreachable!(),
            }
        })
    };
    s.apply(&listing(1, 1), t(3), 6);
    assert!(!s.proof_due(), "the proof lists the one reply");
    s.apply(&sms_reply("另：我的新地址是襄阳市樊城区", 4), t(4), 7);
    assert_eq!(s.effective, Some(e), "the earliest fact still counts");
    assert!(s.proof_due(), "a new version lists the later reply");
    s.apply(&listing(2, 2), t(5), 8);
    assert!(!s.proof_due());
    s.apply(
        &RecipientEvent::ReplyDisallowed {
            index: 1,
            by: "clerk-li".into(),
            note: "经核实非受送达人所发".into(),
        },
        t(6),
        9,
    );
    assert_eq!(s.effective, Some(e), "the first reply still stands");
    assert!(s.proof_due(), "and another shows the clerk's finding");
    // A proof issued before replies were counted asks for no new version by itself.
    s.apply(
        &RecipientEvent::ProofIssued(ProofRef {
            replies: None,
            ..match listing(3, 0) {
                RecipientEvent::ProofIssued(p) => p,
                _ => unreachable!(),
            }
        }),
        t(7),
        10,
    );
    assert!(!s.proof_due());
}
