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
        assert_eq!(excerpt("湖北", 2), "湖北");
    }
}
