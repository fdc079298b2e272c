//! What every text field from outside is checked with: characters a reader cannot see, and the
//! short excerpt of a bad value an error message quotes.

use std::ops::RangeInclusive;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Unicode's Default_Ignorable_Code_Point beyond the format characters (UAX #44 §5.3,
/// DerivedCoreProperties.txt): code points a renderer draws as nothing — the combining grapheme
/// joiner U+034F, the Hangul fillers U+115F, U+1160, U+3164 and U+FFA0 (a name of one U+3164
/// looks blank), Khmer's inherent vowels, Mongolian and standard variation selectors
/// (`张\u{FE0F}三` looks like 张三 and is not), and the reserved and tag ranges.
const IGNORABLE: [RangeInclusive<u32>; 10] = [
    0x034F..=0x034F,
    0x115F..=0x1160,
    0x17B4..=0x17B5,
    0x180B..=0x180F,
    0x2065..=0x2065,
    0x3164..=0x3164,
    0xFE00..=0xFE0F,
    0xFFA0..=0xFFA0,
    0xFFF0..=0xFFF8,
    0xE0000..=0xE0FFF,
];

/// A character a reader cannot see, or cannot be sure to see as the writer did: a control (Unicode
/// Cc), a format character (Cf: zero-width spaces and joiners, the byte-order mark, bidirectional
/// overrides that reorder what a table or a file name shows, as in `判决书\u{202E}fdp.exe`), a line
/// or paragraph separator (Zl, Zp: U+2028 breaks a one-line name), a private-use character (Co:
/// each computer's font draws its own), or another default-ignorable code point ([`IGNORABLE`]).
/// Text holding one looks equal to text without it and is not. This is the hub's one rule: what
/// it refuses on input, tables blank and printed proofs write out as code points.
pub fn hidden(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
            | GeneralCategory::PrivateUse
            | GeneralCategory::Surrogate
    ) || IGNORABLE.iter().any(|r| r.contains(&u32::from(c)))
}

/// Whether `s` holds a [`hidden`] character.
pub fn has_hidden(s: &str) -> bool {
    s.chars().any(hidden)
}

/// A combining mark (Unicode M*) with no letter before it to sit on: at the start, or after a
/// space. Such a mark draws alone or on nothing (a name of two U+0301 looks empty).
fn stray_mark(text: &str) -> Option<char> {
    let mut prev: Option<char> = None;
    for c in text.chars() {
        let mark = matches!(
            c.general_category(),
            GeneralCategory::NonspacingMark
                | GeneralCategory::SpacingMark
                | GeneralCategory::EnclosingMark
        );
        if mark && prev.is_none_or(char::is_whitespace) {
            return Some(c);
        }
        prev = Some(c);
    }
    None
}

/// `text` with each [`hidden`] character written out as its code point, `[U+202E]`: what came
/// from outside (a file name, a handset's reply, a report's words) is shown as it was recorded,
/// but never drawn other than it reads — `判决书\u{202E}fdp.exe` does not pass for an `.exe`.
pub fn written_out(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if hidden(c) {
            out.push_str(&format!("[U+{:04X}]", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Checks a name-like field a person reads (a name, a role, a note): something visible in it, at
/// most `max` characters, no [`hidden`] character, and no combining mark without a letter.
/// `label` names the field in Chinese for the message.
///
/// Errors: why, in English and Chinese, naming the offending character by its code point (a line
/// break by name: such fields are one line).
pub fn check_field(text: &str, max: usize, label: &str) -> Result<(), String> {
    let chars = text.chars().count();
    if text.trim().is_empty() {
        return Err(format!("is empty / 请填写{label}"));
    }
    if chars > max {
        return Err(format!(
            "has {chars} characters; at most {max} / {label}最多{max}个字"
        ));
    }
    match text.chars().find(|c| hidden(*c)) {
        Some('\n' | '\r' | '\u{2028}' | '\u{2029}') => {
            return Err(format!(
                "holds a line break; write it on one line / {label}须写在一行内"
            ));
        }
        Some(c) if c.general_category() == GeneralCategory::PrivateUse => {
            return Err(format!(
                "holds the private-use character U+{:04X}, which each computer draws its own way; \
                 use the standard character / {label}含有私用区字符，各电脑显示不一，请改用标准字符",
                u32::from(c)
            ));
        }
        Some(c) => {
            return Err(format!(
                "holds the invisible character U+{:04X}; retype it / {label}含有不可见字符，请重新输入",
                u32::from(c)
            ));
        }
        None => {}
    }
    match stray_mark(text) {
        Some(c) => Err(format!(
            "holds the combining mark U+{:04X} with no letter before it; retype it / \
             {label}含有无所依附的组合符号，请重新输入",
            u32::from(c)
        )),
        None => Ok(()),
    }
}

/// Checks a free text a person writes for the record (a reason, a comment, a note): present, at
/// most `max` characters, and no [`hidden`] character but line breaks (`\n`, `\r`).
///
/// Errors: as [`check_field`].
pub fn check_lines(text: &str, max: usize, label: &str) -> Result<(), String> {
    let one_line: String = text.replace(['\n', '\r'], " ");
    check_field(&one_line, max, label)
}

/// A long text taken from a document (a judgment's facts, holding or full text) as the hub reads
/// and keeps it. Such text comes from word processors and web pages, so it is made readable
/// rather than refused: a control character but tab and line breaks becomes a space (Word writes
/// U+000B for a manual line break), a line or paragraph separator a line break, and a format or
/// other default-ignorable character is dropped (a zero-width space inside 盗窃罪 would hide the
/// charge from every search). Private-use characters stay: a court's font may draw a rare
/// character of a name with one.
pub fn readable(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c.general_category() {
            _ if matches!(c, '\n' | '\r' | '\t') => Some(c),
            GeneralCategory::Control => Some(' '),
            GeneralCategory::LineSeparator | GeneralCategory::ParagraphSeparator => Some('\n'),
            GeneralCategory::PrivateUse => Some(c),
            _ if hidden(c) => None,
            _ => Some(c),
        })
        .collect()
}

/// At most `chars` characters of what a caller sent, with … when cut, for an error message.
pub fn excerpt(s: &str, chars: usize) -> String {
    let mut out: String = s.chars().take(chars).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// What an error message quotes of a value a caller sent: its [`excerpt`] with every hidden
/// character [`written_out`] (`[U+202E]`), so the quote reads as sent and cannot reorder, blank or
/// break the message around it.
pub fn quoted(s: &str, chars: usize) -> String {
    written_out(&excerpt(s, chars))
}

/// `s` with full-width digits (０-９, as Chinese input methods type them) made ASCII.
pub fn ascii_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            c => c,
        })
        .collect()
}

/// A number as a person types it into a form (a licence number, 执业证号): full-width digits made
/// ASCII, and — when what remains is all digits — the spaces (also U+3000) and hyphens of the
/// groups long numbers are typed in taken out (`1420 1202 0100 00001`). Anything else is left as
/// typed, to be refused as what it is.
pub fn typed_number(s: &str) -> String {
    let digits = ascii_digits(s.trim());
    let joined: String = (digits.chars())
        .filter(|c| !matches!(c, ' ' | '\u{3000}' | '-'))
        .collect();
    if !joined.is_empty() && joined.chars().all(|c| c.is_ascii_digit()) {
        joined
    } else {
        digits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_text_is_made_readable_not_refused() {
        assert_eq!(
            readable(
                "被告人甲\u{0}盗\u{200B}窃罪\u{000B}判处\u{2028}有期\u{FE0F}徒刑\u{E000}\t。\r\n"
            ),
            "被告人甲 盗窃罪 判处\n有期徒刑\u{E000}\t。\r\n"
        );
        assert_eq!(
            readable("\u{0}\u{1}\u{200B}\u{200E}\u{202E}\u{FEFF}").trim(),
            ""
        );
    }

    #[test]
    fn hidden_characters_are_written_out_by_code_point_and_nothing_else_changes() {
        assert_eq!(
            written_out("判决书\u{202E}fdp.exe\u{200B}"),
            "判决书[U+202E]fdp.exe[U+200B]"
        );
        assert_eq!(written_out("张三 e\u{301}.pdf"), "张三 e\u{301}.pdf");
        assert_eq!(written_out("a\tb"), "a[U+0009]b");
    }

    #[test]
    fn controls_and_format_characters_are_hidden_letters_and_marks_are_not() {
        for c in [
            '\u{0}', '\u{7}', '\u{200B}', '\u{200D}', '\u{202E}', '\u{2066}', '\u{FEFF}',
        ] {
            assert!(hidden(c), "U+{:04X}", c as u32);
        }
        for c in ['张', '·', '（', '　', 'a', '\u{301}', '𠀀'] {
            assert!(!hidden(c), "U+{:04X}", c as u32);
        }
        assert_eq!(excerpt("湖北省襄阳市", 2), "湖北…");
        assert_eq!(check_field("张三", 2, "姓名"), Ok(()));
        assert!(
            check_field("张三丰", 2, "姓名")
                .unwrap_err()
                .contains("最多2个字")
        );
        assert!(
            check_field("", 2, "姓名")
                .unwrap_err()
                .contains("请填写姓名")
        );
        let bidi = check_field("张三\u{202E}", 10, "姓名").unwrap_err();
        assert!(bidi.contains("U+202E"), "{bidi}");
        let line = check_field("已改为\n邮寄送达", 10, "说明").unwrap_err();
        assert!(line.contains("line break"), "{line}");
        assert_eq!(
            check_lines("请补正：\r\n1. 起诉状\n2. 证据", 30, "审查意见"),
            Ok(())
        );
        let tab = check_lines("请补正\t\u{200B}", 30, "审查意见").unwrap_err();
        assert!(tab.contains("U+0009"), "{tab}");
        assert_eq!(excerpt("湖北", 2), "湖北");
    }

    /// What looks blank or like something else and is not (outsider, session 46): separators,
    /// fillers, selectors, private use, and marks with nothing to sit on.
    #[test]
    fn text_that_looks_blank_or_equal_to_other_text_is_refused_by_its_code_point() {
        for c in [
            '\u{2028}',
            '\u{2029}',
            '\u{3164}',
            '\u{115F}',
            '\u{FFA0}',
            '\u{034F}',
            '\u{FE0F}',
            '\u{180B}',
            '\u{E000}',
            '\u{F8FF}',
            '\u{E0041}',
            '\u{E0100}',
            '\u{F0000}',
        ] {
            assert!(hidden(c), "U+{:04X}", c as u32);
        }
        let cases = [
            ("张三\u{2028}李四", "line break"),
            ("\u{3164}", "U+3164"),
            ("张\u{FE0F}三", "U+FE0F"),
            ("张\u{E000}三", "私用区"),
            ("\u{301}\u{301}", "U+0301"),
            ("张 \u{301}三", "组合符号"),
            ("   ", "请填写"),
            ("\u{3000}", "请填写"),
        ];
        for (text, why) in cases {
            let got = check_field(text, 20, "姓名").unwrap_err();
            assert!(got.contains(why), "{text:?}: {got}");
        }
        // A mark on a letter is writing: pinyin with its tone, decomposed.
        assert_eq!(check_field("Lu\u{308}\u{300} 吕", 20, "姓名"), Ok(()));
        assert_eq!(check_field("张　三", 20, "姓名"), Ok(()));
        assert!(check_lines("第一行\u{2029}第二行", 20, "说明").is_err());
    }

    #[test]
    fn a_number_typed_in_groups_or_full_width_is_its_digits() {
        for typed in [
            "14201202010000001",
            " 1420 1202 0100 00001 ",
            "１４２０　１２０２-０１００００００１",
        ] {
            assert_eq!(super::typed_number(typed), "14201202010000001", "{typed:?}");
        }
        // Not a number: left as typed (trimmed), to be refused as what it is.
        assert_eq!(
            super::typed_number(" urn:ecenter:lawyer:1 "),
            "urn:ecenter:lawyer:1"
        );
        assert_eq!(super::typed_number("1420 abc"), "1420 abc");
        assert_eq!(super::typed_number(" - "), "-");
    }
}
