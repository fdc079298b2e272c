use super::*;

/// A read receipt as Thunderbird writes one (RFC 8098 §9.1's shape) for `notice` to `to`.
fn thunderbird(notice: &str, to: &str, disposition: &str) -> String {
    format!(
        "Date: Mon, 07 Dec 2026 10:15:00 +0800\r\n\
         From: 张三 <{to}>\r\n\
         To: dsn@hub.test\r\n\
         Subject: =?UTF-8?B?5bey6K+7?=: 送达通知\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=disposition-notification;\r\n boundary=\"MDN1\"\r\n\
         \r\n\
         --MDN1\r\n\
         Content-Type: text/plain; charset=UTF-8\r\n\
         \r\n\
         这是一封回执，表示您发送的邮件已被显示。\r\n\
         --MDN1\r\n\
         Content-Type: message/disposition-notification; name=\"MDNPart2.txt\"\r\n\
         Content-Disposition: inline\r\n\
         \r\n\
         Reporting-UA: mail.parties.test; Mozilla Thunderbird\r\n\
         Final-Recipient: rfc822;{to}\r\n\
         Original-Message-ID: <{notice}>\r\n\
         Disposition: {disposition}\r\n\
         \r\n\
         --MDN1\r\n\
         Content-Type: text/rfc822-headers; name=\"MDNPart3.txt\"\r\n\
         \r\n\
         Message-ID: <{notice}>\r\n\
         Subject: notice\r\n\
         \r\n\
         --MDN1--\r\n"
    )
}

const NOTICE: &str = "O000000000008.R3.email.5ba8c91825@hub.test";

#[test]
fn a_read_receipt_names_the_notice_the_mailbox_and_that_it_was_displayed() {
    let raw = thunderbird(
        NOTICE,
        "zhangsan@parties.test",
        "manual-action/MDN-sent-manually; displayed",
    );
    let r = parse(raw.as_bytes()).expect("a read receipt");
    assert_eq!(r.original_message_id, NOTICE);
    assert_eq!(r.mailbox(), "zhangsan@parties.test");
    assert!(r.displayed);
    // Quoted whole (outside tests, round 22, F6: only what followed the `;` was kept).
    assert_eq!(r.reporting_ua, "mail.parties.test; Mozilla Thunderbird");
    assert_eq!(
        r.date,
        Some("2026-12-07T02:15:00Z".parse::<DateTime<Utc>>().unwrap())
    );
    assert!(
        r.summary()
            .contains("Disposition: manual-action/MDN-sent-manually; displayed")
    );
}

/// As Exchange and Outlook write it (sent automatically, an Original-Recipient, the addresses in
/// angle brackets), as RFC 6533 writes it for an internationalised address, and with the
/// disposition part in base64: each read alike. A modifier or comment after the type is no other
/// type.
#[test]
fn read_receipts_as_other_programs_write_them_are_read_alike() {
    let outlook = thunderbird(
        NOTICE,
        "<zhangsan@parties.test>",
        "automatic-action/MDN-sent-automatically; displayed/error (x)",
    )
    .replace(
        "Final-Recipient",
        "Original-Recipient: rfc822;ZhangSan@parties.test\r\nFinal-Recipient",
    );
    let r = parse(outlook.as_bytes()).unwrap();
    assert!(r.displayed, "{r:?}");
    assert_eq!(r.mailbox(), "ZhangSan@parties.test");
    assert_eq!(r.final_recipient, "zhangsan@parties.test");
    let global = thunderbird(
        NOTICE,
        "张三@例子.中国",
        "manual-action/MDN-sent-manually; displayed",
    )
    .replace(
        "message/disposition-notification",
        "message/global-disposition-notification",
    )
    .replace("rfc822;", "utf-8;");
    assert_eq!(
        parse(global.as_bytes()).unwrap().mailbox(),
        "张三@例子.中国"
    );
    let fields = "Reporting-UA: Foxmail\r\nFinal-Recipient: rfc822;lisi@qq.test\r\n\
                  Original-Message-ID: <O1.R1.email.ab@hub.test>\r\nDisposition: manual-action/MDN-sent-manually; displayed\r\n";
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, fields);
    let encoded = format!(
        "From: lisi@qq.test\r\nContent-Type: multipart/report; report-type=disposition-notification; boundary=B\r\n\r\n\
         --B\r\nContent-Type: text/plain\r\n\r\n已读\r\n\
         --B\r\nContent-Type: message/disposition-notification\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--B--\r\n"
    );
    let r = parse(encoded.as_bytes()).expect("a base64 disposition part");
    assert_eq!(
        (r.original_message_id.as_str(), r.mailbox()),
        ("O1.R1.email.ab@hub.test", "lisi@qq.test")
    );
}

/// Deleted unread, or processed by a machine: a notification, but no claim of reading. A report
/// that names no original message, and a delivery status notification, are no read receipts.
#[test]
fn only_displayed_is_a_claim_of_reading_and_other_reports_are_none() {
    for disposition in [
        "manual-action/MDN-sent-manually; deleted",
        "automatic-action/MDN-sent-automatically; processed",
        "automatic-action/MDN-sent-automatically; dispatched",
    ] {
        let r = parse(thunderbird(NOTICE, "a@b.test", disposition).as_bytes()).unwrap();
        assert!(!r.displayed, "{disposition}");
    }
    let anonymous = thunderbird(
        NOTICE,
        "a@b.test",
        "manual-action/MDN-sent-manually; displayed",
    )
    .replace(&format!("Original-Message-ID: <{NOTICE}>\r\n"), "");
    assert_eq!(parse(anonymous.as_bytes()), None);
    let dsn = thunderbird(NOTICE, "a@b.test", "x; displayed")
        .replace("disposition-notification", "delivery-status");
    assert_eq!(parse(dsn.as_bytes()), None);
    assert_eq!(parse(b"From: a@b\r\n\r\nhello"), None);
}
