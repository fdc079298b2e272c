use super::*;
use base64::Engine;

/// A recipient link as notices carry it.
const LINK: &str =
    "https://songda.court.example/s/O000000000007.R1.1796601600.k3JfY9xQ2mZpA7bC4dE5";

/// The notice as the hub sends it: UTF-8 Chinese text in base64, with its link.
fn notice_base64() -> String {
    let text = format!("湖北省襄阳市中级人民法院向您送达文书，请点击链接查看：{LINK}\r\n");
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    encoded
        .as_bytes()
        .chunks(76)
        .map(|c| format!("{}\r\n", std::str::from_utf8(c).unwrap()))
        .collect()
}

/// An RFC 3464 report about the notice, returning `returned` as its third part of `kind`.
fn report(kind: &str, returned: &str) -> Vec<u8> {
    format!(
        "From: MAILER-DAEMON@mta.hub.test\r\n\
         To: dsn@hub.test\r\n\
         Subject: Delivery Status Notification\r\n\
         Message-ID: <20261207.ABC@mta.hub.test>\r\n\
         Date: Mon, 07 Dec 2026 10:00:00 +0000\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\
         \r\n\
         --B\r\n\
         Content-Type: text/plain\r\n\
         \r\n\
         Your message was delivered.\r\n\
         --B\r\n\
         Content-Type: message/delivery-status\r\n\
         \r\n\
         Reporting-MTA: dns; mta.hub.test\r\n\
         Original-Envelope-Id: O000000000007.R1.email.a1b2c3@hub.test\r\n\
         \r\n\
         Final-Recipient: rfc822; zhang@parties.test\r\n\
         Action: delivered\r\n\
         Status: 2.0.0\r\n\
         \r\n\
         --B\r\n\
         Content-Type: {kind}\r\n\
         \r\n\
         {returned}\r\n\
         --B--\r\n"
    )
    .into_bytes()
}

/// The notice's headers, as a relay returns them.
const NOTICE_HEADERS: &str = "Message-ID: <O000000000007.R1.email.a1b2c3@hub.test>\r\n\
From: court <songda@hub.test>\r\n\
To: zhang@parties.test\r\n\
Subject: =?utf-8?b?6YCB6L6+6YCa55+l?=\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: base64\r\n";

#[test]
fn a_report_returning_headers_only_is_kept_byte_for_byte() {
    let raw = report("text/rfc822-headers", NOTICE_HEADERS);
    assert!(!carries_link(&raw));
    assert_eq!(kept(&raw), raw);
}

#[test]
fn a_report_returning_the_whole_notice_keeps_everything_but_the_notices_text() {
    let returned = format!("{NOTICE_HEADERS}\r\n{}", notice_base64());
    let raw = report("message/rfc822", &returned);
    assert!(carries_link(&raw), "the base64 link is not seen");
    let copy = kept(&raw);
    assert!(!carries_link(&copy), "{}", String::from_utf8_lossy(&copy));
    let text = String::from_utf8(copy.clone()).unwrap();
    // The report's words, its status and the returned notice's headers stay.
    for kept in [
        "Your message was delivered.",
        "Reporting-MTA: dns; mta.hub.test",
        "Status: 2.0.0",
        "Message-ID: <O000000000007.R1.email.a1b2c3@hub.test>",
        CUT.trim_end(),
    ] {
        assert!(text.contains(kept), "{kept} is missing from\n{text}");
    }
    // It is still the report it was.
    let (before, after) = (
        crate::dsn::parse(&raw).unwrap(),
        crate::dsn::parse(&copy).unwrap(),
    );
    assert_eq!(before.notice_id(), after.notice_id());
    assert_eq!(before.recipients[0].status, after.recipients[0].status);
}

#[test]
fn a_free_text_bounce_quoting_the_notice_keeps_its_words_with_the_link_marked() {
    let raw = format!(
        "From: MAILER-DAEMON@old.parties.test\r\n\
         Subject: failure notice\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\
         \r\n\
         Hi. This is the qmail-send program. I'm afraid I wasn't able to deliver your message.\r\n\
         <zhang@parties.test>: Sorry, no mailbox here by that name.\r\n\
         --- Below this line is a copy of the message.\r\n\
         \r\n\
         请点击链接查看：{LINK}\r\n"
    )
    .into_bytes();
    let copy = String::from_utf8(kept(&raw)).unwrap();
    assert!(!carries_link(copy.as_bytes()), "{copy}");
    assert!(
        copy.contains("Sorry, no mailbox here by that name."),
        "{copy}"
    );
    assert!(
        copy.contains("请点击链接查看：https://songda.court.example/s/"),
        "{copy}"
    );
    assert!(copy.contains(&crate::link::redact_tokens(LINK)), "{copy}");
}

#[test]
fn an_encoded_part_carrying_the_link_is_cut_and_nothing_else_is() {
    let raw = format!(
        "From: MAILER-DAEMON@mx.parties.test\r\n\
         Subject: Undeliverable\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"Q\"\r\n\
         \r\n\
         --Q\r\n\
         Content-Type: text/plain\r\n\
         \r\n\
         Delivery has failed to these recipients: zhang@parties.test\r\n\
         --Q\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: base64\r\n\
         \r\n\
         {}--Q--\r\n",
        notice_base64()
    )
    .into_bytes();
    let copy = String::from_utf8(kept(&raw)).unwrap();
    assert!(!carries_link(copy.as_bytes()), "{copy}");
    assert!(
        copy.contains("Delivery has failed to these recipients"),
        "{copy}"
    );
    assert!(copy.contains(CUT.trim_end()), "{copy}");
    // The copy is still mail with its headers as they came.
    let parsed = MessageParser::default().parse(copy.as_bytes()).unwrap();
    assert_eq!(parsed.subject(), Some("Undeliverable"));
}

#[test]
fn an_exim_bounce_copying_the_raw_notice_inline_keeps_its_words_without_the_base64_body() {
    let raw = format!(
        "From: Mail Delivery System <Mailer-Daemon@mx.example.cn>\r\n\
         X-Failed-Recipients: wangwu@example.cn\r\n\
         Subject: Mail delivery failed: returning message to sender\r\n\r\n\
         This message was created automatically by mail delivery software.\r\n\r\n\
         \x20 wangwu@example.cn\r\n    550 5.1.1 user unknown\r\n\r\n\
         ------ This is a copy of the message, including all the headers. ------\r\n\r\n\
         {NOTICE_HEADERS}\r\n{}",
        notice_base64()
    )
    .into_bytes();
    assert!(carries_link(&raw), "the inline base64 body is not seen");
    let copy = String::from_utf8(kept(&raw)).unwrap();
    assert!(!carries_link(copy.as_bytes()), "{copy}");
    assert!(copy.contains("550 5.1.1 user unknown"), "{copy}");
    assert!(copy.contains(crate::link::BASE64_CUT), "{copy}");
    assert!(
        copy.contains("Message-ID: <O000000000007.R1.email.a1b2c3@hub.test>"),
        "{copy}"
    );
}

#[test]
fn an_8bit_gb18030_html_bounce_keeps_its_words_with_the_link_marked() {
    let page =
        format!("<p>收件人 r5@example.cn 不存在</p><p>原邮件：<a href=\"{LINK}\">查看</a></p>");
    let (html, _, _) = encoding_rs::GB18030.encode(&page);
    let mut raw = b"From: postmaster@qq.example\r\nSubject: =?utf-8?b?6YCA5L+h?=\r\n\
Content-Type: text/html; charset=GB18030\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        .to_vec();
    raw.extend_from_slice(&html);
    raw.extend_from_slice(b"\r\n");
    assert!(carries_link(&raw));
    let copy = kept(&raw);
    assert!(!carries_link(&copy));
    let (text, _, malformed) = encoding_rs::GB18030.decode(&copy);
    assert!(!malformed);
    assert!(text.contains("收件人 r5@example.cn 不存在"), "{text}");
    assert!(text.contains(crate::link::REDACTED), "{text}");
}
