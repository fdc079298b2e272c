use super::*;

/// A token of the shape links carry (base64url, 56 characters).
const TOKEN: &str = "AgAAAAAAAAAMAAAAAmsf3PHBhDw1lgSxFfa60UJCZJamn2p0UkmWiofU";

/// No six characters of the token are left anywhere in `out`.
fn no_piece_left(out: &str) {
    for piece in TOKEN.as_bytes().windows(PIECE) {
        let piece = std::str::from_utf8(piece).unwrap();
        // Runs like "AAAAAA" are pieces of any base64 of zeros and tell nothing (`varied`).
        if !varied(piece) {
            continue;
        }
        assert!(!out.contains(piece), "{piece} is left in\n{out}");
    }
}

#[test]
fn a_percent_encoded_link_in_a_rewritten_url_is_removed() {
    let text = format!(
        "<a href=\"https://apc01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fsongda.court.test%2Fs%2F{TOKEN}&data=05\">查看</a>"
    );
    let out = redact_quoted_links(&text);
    no_piece_left(&out);
    assert!(out.contains("safelinks.protection.outlook.com"), "{out}");
}

#[test]
fn a_link_written_with_html_entities_is_removed() {
    let text = format!("<a href=\"https:&#x2F;&#x2F;songda.court.test&#x2F;s&#x2F;{TOKEN}\">");
    no_piece_left(&redact_quoted_links(&text));
}

#[test]
fn a_link_broken_across_quoted_lines_or_by_invisible_characters_loses_every_piece() {
    let (head, tail) = TOKEN.split_at(25);
    let wrapped = format!(
        "> 请点击链接查看：https://songda.court.test/s/{head}\r\n> {tail}\r\n> 湖北省襄阳市中级人民法院\r\n"
    );
    let out = redact_quoted_links(&wrapped);
    no_piece_left(&out);
    assert!(out.contains("湖北省襄阳市中级人民法院"), "{out}");
    // Every piece is marked with the whole token's mark, which names it and nothing of it: the
    // recipient's own copy is matched by hashing the token in it.
    let marks = out.matches(super::super::REDACTED).count();
    assert_eq!(out.matches(&redaction_mark(TOKEN)).count(), marks, "{out}");
    assert!(marks >= 2, "{out}");
    let (head, tail) = TOKEN.split_at(28);
    let split = format!("originalsrc=\"https://songda.court.test/s/{head}\u{200B}{tail}\"");
    no_piece_left(&redact_quoted_links(&split));
}

#[test]
fn a_notices_base64_body_copied_into_a_bounce_is_cut_and_the_bounce_kept() {
    let notice = format!(
        "湖北省襄阳市中级人民法院向您送达文书，请点击链接查看：https://songda.court.test/s/{TOKEN}\r\n"
    );
    let encoded = base64::engine::general_purpose::STANDARD.encode(notice.as_bytes());
    let body: String = (encoded.as_bytes().chunks(76))
        .map(|c| format!("{}\r\n", std::str::from_utf8(c).unwrap()))
        .collect();
    let bounce = format!(
        "wangwu@example.cn: 550 5.1.1 user unknown\r\n------ This is a copy of the message ------\r\n\r\n{body}\r\nMessage-ID: <O1.R1.email.x@hub.test>\r\n"
    );
    let out = redact_quoted_links(&bounce);
    assert!(out.contains(BASE64_CUT), "{out}");
    assert!(!out.contains(&body), "{out}");
    assert!(
        out.contains("550 5.1.1 user unknown")
            && out.contains("Message-ID: <O1.R1.email.x@hub.test>"),
        "{out}"
    );
    // Base64 that holds no link (an attachment) is kept as it came.
    let attachment = base64::engine::general_purpose::STANDARD.encode([7u8; 120]);
    let text = format!("see the attachment\r\n{attachment}\r\n");
    assert_eq!(redact_quoted_links(&text), text);
    assert!(!quotes_link(&text) && quotes_link(&bounce));
}

#[test]
fn the_words_after_a_link_at_a_lines_end_are_kept() {
    let text = format!(
        "查看：https://songda.court.test/s/{TOKEN}\r\nMessage-ID: <O1.R1.email.x@hub.test>\r\n"
    );
    let out = redact_quoted_links(&text);
    no_piece_left(&out);
    assert!(
        out.contains("\r\nMessage-ID: <O1.R1.email.x@hub.test>"),
        "{out}"
    );
}

#[test]
fn a_bounce_of_long_runs_after_a_link_mark_costs_little() {
    // A stranger's bounce: "/s/" and a run far longer than any token, then a large base64 body.
    let run = "a.b".repeat(100_000);
    let body = "QUJDRA".repeat(20_000);
    let text = format!("/s/{run}\r\n/s/{TOKEN}\r\n{body}\r\n{body}\r\n");
    let started = std::time::Instant::now();
    let out = redact_quoted_links(&text);
    no_piece_left(&out);
    // Not a timing assertion: a quadratic search would not finish at all in a test run.
    assert!(out.len() < text.len(), "{:?}", started.elapsed());
}
