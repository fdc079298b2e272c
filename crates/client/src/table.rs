//! Tables for people: text from outside made safe for a terminal, columns padded by terminal
//! width (a Chinese character takes two columns, UAX #11) so that they line up.

/// `s` safe for a terminal: control characters (escape sequences, line breaks, bells) and format
/// characters (bidirectional overrides and isolates that reorder what the clerk reads, zero-width
/// spaces and joiners, the byte-order mark) — which text from outside, a report's words or a
/// handset's reply, may carry — become spaces. The class is the hub's one rule for characters a
/// reader cannot see, [`ecenter_domain::text::hidden`] (Unicode Cc and Cf).
pub fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if ecenter_domain::text::hidden(c) {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// Pads `s` to `width` terminal columns (a Chinese character takes two), for aligned tables;
/// control characters become spaces ([`printable`]).
pub fn pad(s: &str, width: usize) -> String {
    let s = printable(s);
    let w = unicode_width::UnicodeWidthStr::width(s.as_str());
    // Text wider than its column keeps one space, so it never runs into the next column.
    let fill = if w >= width { 1 } else { width - w };
    format!("{s}{}", " ".repeat(fill))
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_line_up_by_terminal_width_and_never_run_together() {
        assert_eq!(super::pad("起诉状", 10), "起诉状    ");
        assert_eq!(super::pad("abc", 5), "abc  ");
        let long = super::pad("关于追加被告及变更诉讼请求的申请书", 12);
        assert!(long.ends_with("申请书 "), "{long:?}");
    }

    #[test]
    fn text_from_outside_cannot_drive_the_terminal() {
        let hostile = "已收到\u{1b}[2J\u{1b}]0;pwned\u{7}\n下一行\u{202E}cba";
        let shown = super::pad(hostile, 40);
        assert!(!shown.chars().any(char::is_control), "{shown:?}");
        assert!(
            shown.starts_with("已收到 [2J ]0;pwned  下一行"),
            "{shown:?}"
        );
        assert!(!shown.contains('\u{202E}'), "{shown:?}");
        // Zero-width and other format characters that make equal-looking names differ.
        let shown = super::printable("张\u{200B}三\u{FEFF}\u{2060}\u{061C}");
        assert_eq!(shown, "张 三   ");
    }
}
