//! What every text field from outside is checked with: characters a reader cannot see, and the
//! short excerpt of a bad value an error message quotes.

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// A character a reader cannot see: a control (Unicode Cc) or a format character (Cf: zero-width
/// spaces and joiners, the byte-order mark, bidirectional overrides that reorder what a table or
/// a file name shows, as in `判决书\u{202E}fdp.exe`). Text holding one looks equal to text without
/// it and is not.
pub fn hidden(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Control | GeneralCategory::Format
    )
}

/// Whether `s` holds a [`hidden`] character.
pub fn has_hidden(s: &str) -> bool {
    s.chars().any(hidden)
}

/// Checks a name-like field a person reads (a name, a role, a note): present, at most `max`
/// characters, and no [`hidden`] character. `label` names the field in Chinese for the message.
///
/// Errors: why, in English and Chinese, naming the hidden character by its code point (a line
/// break by name: such fields are one line).
pub fn check_field(text: &str, max: usize, label: &str) -> Result<(), String> {
    let chars = text.chars().count();
    if chars == 0 {
        return Err(format!("is empty / 请填写{label}"));
    }
    if chars > max {
        return Err(format!(
            "has {chars} characters; at most {max} / {label}最多{max}个字"
        ));
    }
    match text.chars().find(|c| hidden(*c)) {
        Some('\n' | '\r') => Err(format!(
            "holds a line break; write it on one line / {label}须写在一行内"
        )),
        Some(c) => Err(format!(
            "holds the invisible character U+{:04X}; retype it / {label}含有不可见字符，请重新输入",
            c as u32
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

/// At most `chars` characters of what a caller sent, with … when cut, for an error message.
pub fn excerpt(s: &str, chars: usize) -> String {
    let mut out: String = s.chars().take(chars).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_format_characters_are_hidden_letters_and_marks_are_not() {
        for c in [
            '\u{0}', '\u{7}', '\u{200B}', '\u{200D}', '\u{202E}', '\u{2066}', '\u{FEFF}',
        ] {
            assert!(hidden(c), "U+{:04X}", c as u32);
        }
        for c in ['张', '·', '（', '　', 'a', '\u{301}'] {
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
}
