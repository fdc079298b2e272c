//! The proof's lines and pages, from hand-made proofs.

use super::*;

#[test]
fn a_notice_a_provider_may_hold_is_never_said_to_be_unsent() {
    let proof = |maybe_sent: bool| {
        serde_json::json!({
            "title": "电子送达凭证",
            "effective": {"at": null},
            "recipient": {},
            "channels": [{"channel": "电子邮件", "sent_at": null, "maybe_sent": maybe_sent}],
        })
    };
    let said = |p| {
        lines(&p, "00")
            .unwrap()
            .into_iter()
            .map(|l| l.text)
            .collect::<Vec<_>>()
            .join("\n")
    };
    let held = said(proof(true));
    assert!(
        held.contains("未获确认") && !held.contains("未发出"),
        "{held}"
    );
    assert!(said(proof(false)).contains("未发出"));
}

#[test]
fn the_texts_own_line_breaks_are_kept_and_never_drawn() {
    let lines = wrap(
        "【襄阳中院】送达通知\r\n请点击链接查看\n\n末行",
        10.0,
        500.0,
    );
    assert_eq!(
        lines,
        ["【襄阳中院】送达通知", "请点击链接查看", "", "末行"]
    );
    assert!(lines.iter().all(|l| !l.contains(['\n', '\r'])));
}

#[test]
fn a_hidden_character_from_outside_is_printed_as_its_code_point() {
    let lines = wrap("已收到\u{202E}文书\t完\u{200B}", 10.0, 500.0);
    assert_eq!(lines, ["已收到[U+202E]文书[U+0009]完[U+200B]"]);
}

#[test]
fn lines_break_at_the_width_and_cjk_counts_as_wide() {
    let lines = wrap(&"院".repeat(100), 10.0, 100.0);
    assert_eq!(lines.len(), 10);
    assert!(lines.iter().all(|l| l.chars().count() == 10));
    let latin = wrap("abc def", 10.0, 1000.0);
    assert_eq!(latin, ["abc def"]);
}

#[test]
fn an_identifier_is_never_broken_inside_unless_wider_than_a_line() {
    // Outside tests, round 22, F3: "queued as Q0⏎0000002", "qian@ex⏎ample.cn", "RFC 809⏎8".
    let width = 20.0 * 0.56 * 10.0; // twenty Latin characters at 10 pt
    let lines = wrap("网关编号：2.0.0 Ok: queued as Q00000002", 10.0, width);
    assert_eq!(lines, ["网关编号：2.0.0 Ok:", "queued as Q00000002"]);
    let lines = wrap("Final-Recipient: qian@example.cn（RFC 8098）", 10.0, width);
    assert_eq!(
        lines,
        ["Final-Recipient:", "qian@example.cn（RFC", "8098）"]
    );
    // Chinese still breaks anywhere, and a token longer than a line is broken as it must be.
    let long = "urn:ecenter:clerk:c0001".repeat(2);
    let lines = wrap(&long, 10.0, width);
    assert_eq!(lines.concat(), long);
    assert!(lines.iter().all(|l| l.chars().count() <= 20), "{lines:?}");
    // CRLF line breaks are one break each, not a blank line.
    assert_eq!(wrap("第一行\r\n第二行", 10.0, 500.0), ["第一行", "第二行"]);
}

#[test]
fn a_withdrawing_proof_says_service_does_not_stand_and_shows_the_clerks_judgments() {
    let proof = serde_json::json!({
        "title": "电子送达凭证", "version": 2, "recipient": {"name": "王五"},
        "channels": [], "events": [],
        "reviewed_reports": [{
            "channel": "电子邮件", "claims": "退回（未送达）", "at": {"beijing": "2026-11-30 18:00:00（北京时间）"},
            "detail": "5.1.1 (mta.court.example)", "judgment": {"accepted": true, "by": "clerk-li", "note": "已核实"},
            "set_aside_because": "报告未经认证（并非法院中继所发），交书记员审核 / not authenticated: it came in as mail from outside: set aside for a clerk to judge",
        }, {
            "channel": "电子邮件", "claims": "退回（未送达）", "at": {"beijing": "2026-11-30 18:01:00（北京时间）"},
            "detail": "5.1.1", "judgment": null,
            "set_aside_because": "not an RFC 3464 delivery report (no delivery-status part)",
        }],
        "effective": null,
        "withdraws": {"versions": [1], "statement": "其后记录的事实（见 events 与 reviewed_reports）使送达不再成立"},
    });
    let text: Vec<String> = lines(&proof, "ab")
        .unwrap()
        .into_iter()
        .map(|l| l.text)
        .collect();
    assert!(text.iter().any(|l| l == "送达未生效"), "{text:?}");
    assert!(
        text.iter().any(|l| l.starts_with("本版撤回第 1 版")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|l| l.contains("经书记员 clerk-li 审核采纳：已核实")),
        "{text:?}"
    );
    // Why each was set aside is printed: a report from outside never reads like the relay's.
    assert!(
        text.iter().any(|l| l.contains(
            "（5.1.1 (mta.court.example)）；搁置原因：报告未经认证（并非法院中继所发）；经书记员"
        )),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|l| l.contains("搁置原因：not an RFC 3464 delivery report")),
        "{text:?}"
    );
    assert!(!text.concat().contains("交书记员审核 /"), "{text:?}");
    assert!(!text.iter().any(|l| l.starts_with("生效时间")), "{text:?}");
    // A reader of paper is pointed at the print's sections, not at the JSON's fields.
    let all = text.concat();
    assert!(all.contains("见上文“送达事件”"), "{text:?}");
    assert!(
        !all.contains("events") && !all.contains("reviewed_reports"),
        "{text:?}"
    );
}

#[test]
fn a_notice_accepted_twice_names_each_acceptance_with_its_own_id() {
    let at = |t: &str| serde_json::json!({"beijing": format!("2026-11-30 {t}（北京时间）")});
    let proof = serde_json::json!({
        "title": "电子送达凭证", "recipient": {}, "effective": null, "events": [],
        "channels": [{"channel": "短信", "address": "13800138000", "attempts": 2,
            "sent_at": at("09:00:00"), "gateway_id": "B1",
            "accepted": [{"attempt": 1, "at": at("09:00:00"), "gateway_id": "A1"},
                         {"attempt": 2, "at": at("10:15:00"), "gateway_id": "B1"}]}],
    });
    let said = lines(&proof, "00")
        .unwrap()
        .into_iter()
        .map(|l| l.text)
        .collect::<Vec<_>>();
    let first = "    第 1 次发送：短信平台于 2026-11-30 09:00:00（北京时间） 接收；网关编号：A1";
    let second = "    第 2 次发送：短信平台于 2026-11-30 10:15:00（北京时间） 接收；网关编号：B1";
    assert!(said.iter().any(|l| l == first), "{said:#?}");
    assert!(said.iter().any(|l| l == second), "{said:#?}");
    assert!(
        !said
            .iter()
            .any(|l| l.contains("09:00:00（北京时间）；尝试")),
        "the first time is never paired with the latest id: {said:#?}"
    );
    // A proof from before acceptances were kept says which time and which id it names.
    let mut old = proof.clone();
    old["channels"][0]
        .as_object_mut()
        .unwrap()
        .remove("accepted");
    let said = lines(&old, "00")
        .unwrap()
        .into_iter()
        .map(|l| l.text)
        .collect::<Vec<_>>();
    let line =
        "    首次被接收：2026-11-30 09:00:00（北京时间）；共尝试 2 次；最近一次的网关编号：B1";
    assert!(said.iter().any(|l| l == line), "{said:#?}");
}

#[test]
fn anything_but_a_proof_is_refused() {
    let err = lines(&serde_json::json!({"title": "起诉状"}), "00")
        .err()
        .unwrap();
    assert!(matches!(err, ProofPdfError::NotAProof(_)));
}

#[test]
fn a_file_that_is_no_font_is_refused() {
    let err = render(&serde_json::json!({}), "00", b"not a font".to_vec(), 0).err();
    assert!(matches!(err, Some(ProofPdfError::Font)));
}

#[test]
fn every_clerks_act_on_a_dead_letter_is_printed_with_who_when_and_what() {
    let at = |t: &str| serde_json::json!({"beijing": format!("2026-12-01 {t}（北京时间）")});
    let proof = serde_json::json!({
        "title": "电子送达凭证", "version": 1, "recipient": {"name": "王五"},
        "channels": [], "events": [],
        "clerk_actions": [
            {"at": at("09:00:00"), "by": "clerk-li", "channel": "短信", "action": "重新发送", "note": null},
            {"at": at("10:00:00"), "by": "clerk-wang", "channel": "电子邮件", "action": "人工处理", "note": "已改为邮寄送达"},
            {"at": at("10:30:00"), "by": "clerk-li", "channel": "短信", "action": "重新发送", "note": "号码已恢复"},
        ],
        "effective": {"at": at("11:00:00"), "rule_text": "短信到达", "channel": "短信"},
    });
    let text: Vec<String> = lines(&proof, "ab")
        .unwrap()
        .into_iter()
        .map(|l| l.text)
        .collect();
    let heading = text
        .iter()
        .position(|l| l == "书记员处理")
        .expect("heading");
    assert_eq!(
        text[heading + 1],
        "2026-12-01 09:00:00（北京时间）　clerk-li 重新发送短信通知"
    );
    assert_eq!(
        text[heading + 2],
        "2026-12-01 10:00:00（北京时间）　clerk-wang 结束电子邮件送达：已改为邮寄送达"
    );
    assert_eq!(
        text[heading + 3],
        "2026-12-01 10:30:00（北京时间）　clerk-li 重新发送短信通知：号码已恢复"
    );
    let without = serde_json::json!({
        "title": "电子送达凭证", "version": 1, "recipient": {"name": "王五"},
        "channels": [], "events": [], "effective": proof["effective"].clone(),
    });
    let text: Vec<String> = lines(&without, "ab")
        .unwrap()
        .into_iter()
        .map(|l| l.text)
        .collect();
    assert!(!text.iter().any(|l| l == "书记员处理"), "{text:?}");
}

/// A wrapped line (one event of the proof) that does not fit in what is left of a page starts
/// the next page whole, not with its last part orphaned there (round 20, m15).
#[test]
fn a_wrapped_line_is_never_cut_across_pages() {
    let one = |t: &str| vec![(t.to_string(), BODY, 0.0)];
    let mut wrapped: Vec<Vec<(String, f32, f32)>> = Vec::new();
    // Fill the first page but for about two lines.
    let lines_per_page = ((PAGE_HEIGHT - 2.0 * MARGIN) / LEADING) as usize;
    for i in 0..lines_per_page - 2 {
        wrapped.push(one(&format!("事件 {i}")));
    }
    wrapped.push(vec![
        (
            "确认阅读：通过电子邮件送达通知中的链接；来源 127.0.0.1".to_string(),
            BODY,
            0.0,
        ),
        ("curl/7.88.1".to_string(), BODY, 0.0),
        ("（续）".to_string(), BODY, 0.0),
    ]);
    let (pages, _) = paginate(wrapped);
    let page_of = |t: &str| pages.iter().position(|p| p.iter().any(|l| l.0 == t));
    assert_eq!(page_of("curl/7.88.1"), Some(1));
    assert_eq!(
        page_of("确认阅读：通过电子邮件送达通知中的链接；来源 127.0.0.1"),
        Some(1)
    );
    assert_eq!(page_of("事件 0"), Some(0));
}
