//! A lexical count of PDF values (ISO 32000-1 §7.2–7.3), before lopdf builds any of them.
//!
//! lopdf turns every value it reads into an `Object` of about a hundred bytes: a 16 KB file whose
//! object stream inflates to 15 MiB of `0 0 0 …` became 2 GB. Counting the values first, in one
//! pass that allocates nothing, lets a parse refuse such a file by the `values` budget before
//! the first object exists. The count is of tokens — numbers, names, strings, keywords, and the
//! brackets that open arrays and dictionaries — so it is what lopdf would build, give or take
//! the closing brackets.

use memchr::memmem;

/// What the bytes outside a PDF's stream data hold.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outline {
    /// Values (tokens) outside stream data.
    pub values: u64,
    /// Whether a `/Encrypt` entry names a security handler: the file's objects and streams are
    /// then read by lopdf without the load filter that counts them.
    pub encrypted: bool,
}

fn is_white(b: u8) -> bool {
    matches!(b, b'\0' | b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

/// Counts the values of a content stream or of an object stream's inflated data: every token.
pub fn values(data: &[u8]) -> u64 {
    walk(data, false).values
}

/// The code-to-Unicode entries a CMap's `bfrange` sections stand for (Σ hi − lo + 1, saturating):
/// lopdf's ToUnicode reader builds every one of them, so `<00000000> <FFFFFFFF>` in a few bytes
/// would make 4.3 billion. Charged as values before the map is read.
pub fn cmap_range_entries(map: &[u8]) -> u64 {
    // Comments (to the end of the line) and strings hide nothing: lopdf skips them too.
    let map = &without_comments_and_strings(map);
    let begin = memmem::Finder::new(b"beginbfrange");
    let end = memmem::Finder::new(b"endbfrange");
    let mut total = 0u64;
    let mut at = 0;
    while let Some(found) = begin.find(&map[at..]) {
        let start = at + found + b"beginbfrange".len();
        let stop = end.find(&map[start..]).map_or(map.len(), |n| start + n);
        total = total.saturating_add(range_entries(&map[start..stop]));
        at = stop;
    }
    total
}

/// Σ hi − lo + 1 over the `<lo> <hi> dst` entries of one `bfrange` section (dst a hex string or
/// an array of them).
fn range_entries(section: &[u8]) -> u64 {
    let (mut total, mut codes, mut i) = (0u64, Vec::with_capacity(2), 0);
    while i < section.len() {
        match section[i] {
            b'<' => {
                let close = memchr::memchr(b'>', &section[i..]).map_or(section.len(), |n| i + n);
                if codes.len() < 2 {
                    codes.push(hex_value(&section[i + 1..close]));
                } else {
                    codes.clear();
                }
                if let [lo, hi] = codes[..] {
                    total = total.saturating_add(hi.saturating_sub(lo).saturating_add(1));
                }
                i = close + 1;
            }
            b'[' => {
                codes.clear();
                i = memchr::memchr(b']', &section[i..]).map_or(section.len(), |n| i + n + 1);
            }
            _ => i += 1,
        }
    }
    total
}

/// `data` with `%` comments and `(...)` strings (nesting and escapes followed) blanked out.
fn without_comments_and_strings(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'%' => i = skip_line(data, i),
            b'(' => i = skip_string(data, i),
            b => {
                out.push(b);
                i += 1;
                continue;
            }
        }
        out.push(b' ');
    }
    out
}

fn hex_value(digits: &[u8]) -> u64 {
    digits
        .iter()
        .filter_map(|d| char::from(*d).to_digit(16))
        .fold(0u64, |v, d| {
            v.saturating_mul(16).saturating_add(u64::from(d))
        })
}

/// Counts the values of a whole PDF file, skipping stream data (from the `stream` keyword to
/// `endstream`), and notes an `/Encrypt` entry.
pub fn outline(pdf: &[u8]) -> Outline {
    walk(pdf, true)
}

fn walk(data: &[u8], file: bool) -> Outline {
    let mut out = Outline::default();
    let endstream = memmem::Finder::new(b"endstream");
    let mut i = 0;
    while i < data.len() {
        let b = data[i];
        if is_white(b) || b == b')' || b == b'>' || b == b']' || b == b'}' {
            i += 1;
            continue;
        }
        out.values += 1;
        i = match b {
            b'%' => {
                out.values -= 1;
                skip_line(data, i)
            }
            b'(' => skip_string(data, i),
            b'<' if data.get(i + 1) == Some(&b'<') => i + 2,
            b'<' => memchr::memchr(b'>', &data[i..]).map_or(data.len(), |n| i + n + 1),
            b'[' | b'{' => i + 1,
            _ => {
                let start = i;
                let mut end = i + 1;
                while end < data.len() && !is_white(data[end]) && !is_delimiter(data[end]) {
                    end += 1;
                }
                let token = &data[start..end];
                if file && token == b"/Encrypt" {
                    out.encrypted = true;
                }
                if file && token == b"stream" {
                    // Stream data: whatever it holds is not values of the file.
                    endstream
                        .find(&data[end..])
                        .map_or(data.len(), |n| end + n + b"endstream".len())
                } else {
                    end
                }
            }
        };
    }
    out
}

fn skip_line(data: &[u8], from: usize) -> usize {
    data[from..]
        .iter()
        .position(|b| *b == b'\n' || *b == b'\r')
        .map_or(data.len(), |n| from + n + 1)
}

/// Past a literal string `( … )` with balanced parentheses and backslash escapes (§7.3.4.2).
fn skip_string(data: &[u8], from: usize) -> usize {
    let mut depth = 0usize;
    let mut i = from;
    while i < data.len() {
        match data[i] {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    data.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmap_ranges_count_the_entries_they_stand_for() {
        let map =
            b"2 beginbfrange\n<0000> <00FF> <0041>\n<8140> <8141> [<4E2D> <6587>]\nendbfrange\n\
                    1 beginbfrange <00000000> <FFFFFFFF> <0041> endbfrange";
        assert_eq!(cmap_range_entries(map), 256 + 2 + 0x1_0000_0000);
        assert_eq!(
            cmap_range_entries(b"1 beginbfchar <01> <0041> endbfchar"),
            0
        );
        // A marker in a comment or a string ends nothing.
        let hidden = b"1 beginbfrange <00> <01> <0041> %endbfrange\n\
                       <00000000> <FFFFFFFF> <0041> (endbfrange) endbfrange";
        assert_eq!(cmap_range_entries(hidden), 2 + 0x1_0000_0000);
        // A range written high to low stands for one entry, not a wrapped-around count.
        assert_eq!(
            cmap_range_entries(b"beginbfrange <FF> <00> <41> endbfrange"),
            1
        );
    }

    #[test]
    fn values_are_tokens_and_stream_data_is_skipped() {
        assert_eq!(values(b"BT /F1 12 Tf (a (nested) \\) string) Tj ET"), 7);
        assert_eq!(values(b"[0 0 0 0] << /A 1 >> <48656C6C6F>"), 9);
        let pdf = b"%PDF-1.7\n1 0 obj\n<< /Length 9 >>\nstream\n0 0 0 0 0\nendstream\nendobj\n";
        let o = outline(pdf);
        assert_eq!(o.values, 8, "{o:?}");
        assert!(!o.encrypted);
        assert!(outline(b"trailer << /Root 1 0 R /Encrypt 4 0 R >>").encrypted);
        // The name inside a string is not an entry.
        assert!(!outline(b"<< /Title (/Encrypt) >>").encrypted);
    }

    #[test]
    fn a_flat_array_of_millions_of_numbers_counts_as_millions() {
        let flat = [b"[".as_slice(), &b"0 ".repeat(1_000_000), b"]"].concat();
        assert_eq!(values(&flat), 1_000_001);
    }
}
