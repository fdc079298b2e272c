use super::*;

fn trace(sent_at: &str) -> ecenter_domain::service::ChannelTrace {
    serde_json::from_value(serde_json::json!({
        "channel": "email", "address": "zhang+court@parties.test", "basis": "confirmed",
        "message_id": "O000000000001.R1.email.t@hub.test", "attempts": 1, "resends_in_doubt": 0,
        "sent_at": sent_at, "gateway_id": "", "subject": "", "body": "", "last_error": "",
        "in_flight": false, "closed": false
    }))
    .unwrap()
}

/// A report written at `date` (its `Date:`), about a notice the relay took at 08:00:05.
fn report(action: &str, orcpt: &str, final_rcpt: &str, date: &str) -> dsn::DeliveryReport {
    let arrival = "Mon, 30 Nov 2026 08:00:05 +0000";
    let raw = format!(
        "From: MAILER-DAEMON@mta.test\r\nTo: dsn@hub.test\r\nDate: {date}\r\nSubject: report\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nreport\r\n\
         --b\r\nContent-Type: message/delivery-status\r\n\r\n\
         Reporting-MTA: dns; mta.test\r\nOriginal-Envelope-Id: O000000000001.R1.email.t@hub.test\r\n\
         Arrival-Date: {arrival}\r\n\r\n\
         Original-Recipient: rfc822;{orcpt}\r\nFinal-Recipient: rfc822;{final_rcpt}\r\n\
         Action: {action}\r\nStatus: 5.1.1 (bad destination mailbox address)\r\n\r\n--b--\r\n"
    );
    dsn::parse(raw.as_bytes()).unwrap()
}

#[test]
fn a_reported_time_outside_what_the_hub_witnessed_gives_way_to_the_hubs_receive_time() {
    let t = trace("2026-11-30T08:00:00Z");
    let received: chrono::DateTime<Utc> = "2026-11-30T09:00:00Z".parse().unwrap();
    let addr = "zhang+court@parties.test";
    // Written at 08:30 about a notice the relay took at 08:00:05 (Arrival-Date): delivered
    // at 08:30, as Postfix states no Last-Attempt-Date; never at the relay's arrival.
    for (written, expect_reported) in [
        ("Mon, 30 Nov 2026 08:30:00 +0000", true),
        ("Wed, 01 Jan 2020 00:00:00 +0000", false),
        ("Tue, 01 Jan 2030 00:00:00 +0000", false),
        ("Mon, 30 Nov 2026 09:08:00 +0000", false),
    ] {
        let r = report("delivered", addr, addr, written);
        let Some(RecipientEvent::DeliveryReported {
            at,
            detail,
            reached,
            source: Some(source),
            ..
        }) = outcome(&r.recipients[0], &r, &t, &copy_at(received), Channel::Email)
        else {
            panic!("no outcome, or one naming no source, for {written}");
        };
        assert!(reached);
        // The proof names the relay and, when the hub's receive time replaced it, the time stated.
        assert_eq!(source.relay, "mta.test");
        assert_eq!(source.received_at, received);
        assert_eq!(source.stated_at, r.date);
        assert_eq!(source.replaced(at).is_some(), !expect_reported, "{written}");
        if expect_reported {
            assert_eq!(
                at,
                "2026-11-30T08:30:00Z"
                    .parse::<chrono::DateTime<Utc>>()
                    .unwrap()
            );
        } else {
            assert_eq!(at, received, "{written}");
            assert!(
                detail.contains("outside what the hub witnessed"),
                "{detail}"
            );
            // The clerk and the proof read it in Chinese, in Beijing time, first.
            let bj = ecenter_domain::time::beijing_seconds(received);
            let zh = format!("收到报告 {bj}），以平台收到报告的时间为准 / the reported time");
            assert!(detail.contains(&zh), "{detail}");
            assert!(bj.starts_with("2026-11-30 17:00:00"), "{bj}");
        }
    }
}

#[test]
fn a_report_on_an_internationalised_domain_names_it_as_sent_and_counts() {
    let mut t = trace("2026-11-30T08:00:00Z");
    t.address = "lisi@法院.中国".into();
    let received: chrono::DateTime<Utc> = "2026-11-30T09:00:00Z".parse().unwrap();
    let sent_as = "lisi@xn--nww899f.xn--fiqs8s";
    let r = report(
        "delivered",
        sent_as,
        sent_as,
        "Mon, 30 Nov 2026 08:30:00 +0000",
    );
    let outcome = outcome(&r.recipients[0], &r, &t, &copy_at(received), Channel::Email);
    assert!(
        matches!(
            outcome,
            Some(RecipientEvent::DeliveryReported { reached: true, .. })
        ),
        "{outcome:?}"
    );
}

#[test]
fn a_block_about_another_address_is_set_aside_and_comments_are_read() {
    let t = trace("2026-11-30T08:00:00Z");
    let received: chrono::DateTime<Utc> = "2026-11-30T09:00:00Z".parse().unwrap();
    let written = "Mon, 30 Nov 2026 08:30:00 +0000";
    // A forwarding target failed under our envelope id: not our recipient's failure.
    let r = report(
        "failed (bad destination mailbox)",
        "forward@elsewhere.test",
        "forward@elsewhere.test",
        written,
    );
    assert!(outcome(&r.recipients[0], &r, &t, &copy_at(received), Channel::Email).is_none());
    // Our recipient (ORCPT as sent, xtext-encoded "+" included), with comments in Action and Status.
    let r = report(
        "failed (bad destination mailbox)",
        "zhang+2Bcourt@parties.test",
        "zhang@final.test",
        written,
    );
    assert_eq!(r.recipients[0].status, "5.1.1");
    let Some(RecipientEvent::DeliveryReported {
        reached, suppress, ..
    }) = outcome(&r.recipients[0], &r, &t, &copy_at(received), Channel::Email)
    else {
        panic!("our recipient's failure was set aside");
    };
    assert!(!reached && suppress);
}

/// A report's claim that it `reached` the recipient, judged with `authenticated` and what is
/// `established`, nothing else doubtful.
fn judged(
    reached: bool,
    authenticated: &Result<(), Unproven>,
    established: Option<&str>,
) -> RecipientEvent {
    Claim {
        event: reported(reached),
        authenticated,
        self_contradicting: false,
        expanded: false,
        established,
    }
    .judged()
}

fn reported(reached: bool) -> RecipientEvent {
    RecipientEvent::DeliveryReported {
        channel: Channel::Email,
        reached,
        at: "2026-11-30T08:30:00Z".parse().unwrap(),
        detail: "2.0.0 (mta.court.example)".into(),
        suppress: false,
        report: "sha256:e".into(),
        source: None,
    }
}

#[test]
fn an_unauthenticated_report_of_either_kind_is_set_aside_and_an_authenticated_one_counts() {
    let forged: Result<(), Unproven> = Err(Unproven::NoReceived);
    for reached in [true, false] {
        let RecipientEvent::ReportSetAside(r) = judged(reached, &forged, None) else {
            panic!("an unauthenticated report changed the service");
        };
        assert_eq!(r.reached, reached);
        // Chinese first, for the clerk and the proof; the technical detail after it.
        assert!(r.reason.starts_with("报告未经认证"), "{}", r.reason);
        assert!(r.reason.contains(" / not authenticated: "), "{}", r.reason);
    }
    assert_eq!(judged(true, &Ok(()), None), reported(true));
    // Authenticated, but a bounce after the recipient confirmed: still the clerks'.
    let why = Some("the recipient already confirmed reading");
    let RecipientEvent::ReportSetAside(r) = judged(false, &Ok(()), why) else {
        panic!("a bounce contradicting what is established counted");
    };
    assert!(
        r.reason.starts_with("退信与已确认的送达事实不符"),
        "{}",
        r.reason
    );
    assert_eq!(judged(true, &Ok(()), why), reported(true));
}

#[test]
fn notice_ids_name_order_recipient_and_channel() {
    assert_eq!(
        notice_of("O000000000007.R12.email.a1b2c3d4e5@songda.court.example"),
        Some(("O000000000007".into(), "R12".into(), Channel::Email))
    );
    assert_eq!(notice_of("20261128071643.BCEC9C40B2@mta.hub.test"), None);
    assert_eq!(notice_of("O1.R1.fax@x"), None);
}

/// A report read at `received` whose copy is kept as it came.
fn copy_at(received: chrono::DateTime<Utc>) -> KeptCopy {
    KeptCopy {
        received_at: received,
        kept_sha256: "0".repeat(64),
        received_sha256: None,
    }
}

#[test]
fn a_free_text_report_adds_nothing_once_the_channel_failed_a_claim_waits_or_it_is_recorded() {
    let claim = |reason: &str, judged: bool| UnverifiedReport {
        channel: Channel::Email,
        at: "2026-11-30T08:30:00Z".parse().unwrap(),
        detail: "5.1.1".into(),
        reason: reason.into(),
        reached: false,
        suppress: false,
        read: false,
        judgment: judged.then(|| ecenter_domain::review::ReportJudgment {
            accepted: false,
            by: "clerk-li".into(),
            note: "不属实".into(),
            at: "2026-11-30T09:00:00Z".parse().unwrap(),
        }),
        report: "sha256:b".into(),
        source: None,
    };
    let recorded = ["sha256:a".to_string()];
    assert_eq!(nothing_new((&[], &recorded), false, "sha256:new"), None);
    let closed = nothing_new((&[], &recorded), true, "sha256:new").unwrap();
    assert!(closed.contains("already failed"), "{closed}");
    let again = nothing_new((&[], &recorded), false, "sha256:a").unwrap();
    assert!(again.contains("already recorded"), "{again}");
    // A waiting free-text claim, its reason as written before and since the Chinese came first.
    let chinese_first = for_clerk("非标准格式的退信", format_args!("{FREE_TEXT} (x)"));
    for reason in [format!("{FREE_TEXT} (x)"), chinese_first] {
        let waits = nothing_new((&[claim(&reason, false)], &recorded), false, "sha256:new");
        assert!(waits.unwrap().contains("waits for a clerk"), "{reason}");
        // Judged, it waits no longer; nor does another kind of claim.
        assert_eq!(
            nothing_new((&[claim(&reason, true)], &recorded), false, "sha256:new"),
            None
        );
    }
    let unauthenticated = claim(&for_clerk("报告未经认证", "not authenticated"), false);
    assert_eq!(
        nothing_new((&[unauthenticated], &recorded), false, "sha256:new"),
        None
    );
}

/// Round 19b, F7: forged reports cannot pad the clerks' queue and the proof's versions. One
/// unauthenticated claim of each kind (reached, bounced) per channel waits at a time; once judged,
/// the next is recorded; reports set aside for other reasons are not limited by it.
#[test]
fn one_unauthenticated_claim_of_each_kind_waits_for_a_clerk_at_a_time() {
    let report = |reached: bool, reason: String, judged: bool| UnverifiedReport {
        channel: Channel::Email,
        at: "2026-11-30T08:30:00Z".parse().unwrap(),
        detail: "5.1.1 forged (mta.court.example)".into(),
        reason,
        reached,
        suppress: false,
        read: false,
        judgment: judged.then(|| ecenter_domain::review::ReportJudgment {
            accepted: false,
            by: "clerk-li".into(),
            note: "伪造".into(),
            at: "2026-11-30T09:00:00Z".parse().unwrap(),
        }),
        report: "sha256:f".into(),
        source: None,
    };
    let forged = || {
        for_clerk(
            "报告未经认证（并非法院中继所发）",
            format_args!("{NOT_AUTHENTICATED}it came in as mail from outside"),
        )
    };
    let bounce = report(false, forged(), false);
    assert!(!unauthenticated_claim_waits(&[], &bounce));
    let waiting = [report(false, forged(), false)];
    assert!(unauthenticated_claim_waits(&waiting, &bounce));
    // A claim of the other kind is new to the clerks; a judged claim waits no more.
    assert!(!unauthenticated_claim_waits(
        &waiting,
        &report(true, forged(), false)
    ));
    assert!(!unauthenticated_claim_waits(
        &[report(false, forged(), true)],
        &bounce
    ));
    // An authenticated bounce set aside as contradicting what is established is not limited.
    let contradicting = report(
        false,
        for_clerk("退信与已确认的送达事实不符", "a bounce, but x"),
        false,
    );
    assert!(!unauthenticated_claim_waits(&waiting, &contradicting));
}

/// Round 19c, F3: a forged `expanded` report, or one whose blocks disagree, is set aside first of
/// all as unauthenticated — so the proof never prints it as what the court's relay did, and the
/// limit of one unauthenticated claim waiting holds for it too. Authenticated, its own reason
/// stands; every doubt is named.
#[test]
fn a_report_set_aside_for_another_reason_says_first_that_it_is_unauthenticated() {
    let claim = |authenticated, self_contradicting| {
        let RecipientEvent::ReportSetAside(u) = (Claim {
            event: reported(true),
            authenticated,
            self_contradicting,
            expanded: true,
            established: None,
        })
        .judged() else {
            panic!("an expanded report counted");
        };
        u
    };
    let forged: Result<(), Unproven> = Err(Unproven::NoReceived);
    let u = claim(&forged, false);
    assert!(u.reason.starts_with("报告未经认证"), "{}", u.reason);
    assert!(
        u.reason.contains("besides, the relay delivered"),
        "{}",
        u.reason
    );
    let waiting = [u.clone()];
    assert!(unauthenticated_claim_waits(&waiting, &u));
    let u = claim(&Ok(()), false);
    assert!(
        u.reason.starts_with("中继已将通知投递至该地址并转发给他人"),
        "{}",
        u.reason
    );
    assert!(!u.reason.contains(NOT_AUTHENTICATED), "{}", u.reason);
    let u = claim(&forged, true);
    assert!(u.reason.starts_with("报告未经认证"), "{}", u.reason);
    assert!(u.reason.contains(SELF_CONTRADICTING), "{}", u.reason);
    assert!(u.reason.contains(EXPANDED), "{}", u.reason);
}
