use super::*;

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn counted(reached: bool, at: &str, relay: &str, stated: Option<&str>) -> CountedReport {
    CountedReport {
        channel: Channel::Email,
        reached,
        at: t(at),
        detail: String::new(),
        report: format!("<{relay}-{at}>"),
        source: Some(ReportSource {
            relay: relay.into(),
            stated_at: stated.map(t),
            received_at: t("2026-12-07T10:00:00Z"),
            kept_sha256: "a".repeat(64),
            received_sha256: None,
        }),
    }
}

#[test]
fn each_reach_and_bounce_names_the_report_it_rests_on_once() {
    let (one, two) = ("2026-12-07T08:00:00Z", "2026-12-07T09:00:00Z");
    let reports = [
        counted(true, one, "mta-a.test", Some(one)),
        counted(false, two, "mta-b.test", None),
        counted(true, one, "mta-c.test", Some("2020-01-01T00:00:00Z")),
    ];
    let mut behind = ReportsBehind::new(&reports);
    // Two reaches at the same time pair with the two reports in the order recorded.
    assert_eq!(
        behind.fact(Channel::Email, true, t(one))["relay"],
        "mta-a.test"
    );
    assert_eq!(
        behind.fact(Channel::Email, false, t(two))["relay"],
        "mta-b.test"
    );
    let third = behind.fact(Channel::Email, true, t(one));
    assert_eq!(third["relay"], "mta-c.test");
    assert!(
        third["time_basis"]
            .as_str()
            .unwrap()
            .contains("2020-01-01 08:00:00"),
        "{third}"
    );
    // A fact no report made (an SMS receipt's) names none.
    assert!(behind.fact(Channel::Email, true, t(one)).is_null());
    assert!(behind.fact(Channel::Sms, false, t(two)).is_null());
}

#[test]
fn the_time_basis_says_which_time_was_used_and_why() {
    let at = t("2026-12-07T08:00:00Z");
    let source = |stated: Option<&str>| {
        counted(true, "2026-12-07T08:00:00Z", "m", stated)
            .source
            .unwrap()
    };
    assert_eq!(
        time_basis(&source(Some("2026-12-07T08:00:00Z")), at),
        "采用报告所载时间"
    );
    assert!(time_basis(&source(None), at).starts_with("报告未载明时间"));
    let replaced = time_basis(&source(Some("2030-01-01T00:00:00Z")), at);
    assert!(
        replaced.contains("2030-01-01 08:00:00") && replaced.contains("改用本中心读取报告的时间"),
        "{replaced}"
    );
}
