//! Recipient links as other systems quote them. A bounce, an auto-reply or a reply quotes the
//! notice the way its writer's software does: the link percent-encoded in a rewritten URL
//! (`…?url=https%3A%2F%2Fsongda…%2Fs%2F<token>`), with HTML entities (`&#x2F;s&#x2F;`), broken
//! across quoted lines or by invisible characters, or the notice's base64 body copied in raw. The
//! token — the credential — is in all of them; [`redact_quoted_links`] finds it in every such form
//! and removes every piece of it.

use super::{redact_tokens, redaction_mark};
use base64::Engine;

/// The fewest characters of a token run that count as a piece of it (36 bits).
const PIECE: usize = 6;
/// The shortest line taken for a line of base64 text.
const BASE64_LINE: usize = 20;
/// What stands for base64 lines that carried a link.
pub const BASE64_CUT: &str = "[base64 text quoting the notice with the recipient's link removed 已删去含受送达人链接的 base64 文本]";

/// `text` with every recipient link's token removed in any form [`quoted`](self) lists: plain
/// tokens by [`redact_tokens`]'s mark; pieces of a token written otherwise by the mark of the
/// whole token; base64 lines whose decoded text holds a link by [`BASE64_CUT`].
pub fn redact_quoted_links(text: &str) -> String {
    let cut = cut_base64_links(text);
    // Pieces first, so that every piece of a broken link bears the whole token's mark; then what
    // is left of plain tokens.
    let mut out = cut.clone();
    for token in &found_tokens(&normalized(&cut)) {
        out = without_pieces(&out, token);
    }
    redact_tokens(&out)
}

/// Whether `text` holds a recipient link in any form [`redact_quoted_links`] removes.
pub fn quotes_link(text: &str) -> bool {
    redact_quoted_links(text) != text
}

/// `text` read as a person's software shows it: percent-escapes and the HTML entities of URLs
/// decoded, invisible characters dropped, and quoted lines joined (`\n> ` removed).
fn normalized(text: &str) -> String {
    let mut s = text.to_string();
    for (from, to) in [
        ("&#x2F;", "/"),
        ("&#x2f;", "/"),
        ("&#47;", "/"),
        ("&sol;", "/"),
        ("&#x3A;", ":"),
        ("&#58;", ":"),
        ("&amp;", "&"),
    ] {
        s = s.replace(from, to);
    }
    let s = percent_decoded(&s);
    let visible: String = s
        .chars()
        .filter(|c| {
            !matches!(
                c,
                '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
            )
        })
        .collect();
    joined_lines(&visible)
}

/// `%2F`, `%3A` and the like decoded (ASCII only; anything else kept as written).
fn percent_decoded(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) if b.is_ascii() => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Lines joined where a quoting program broke them: each line end and the `>` and spaces that
/// begin the next line are dropped.
fn joined_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let line = if i == 0 {
            line
        } else {
            line.trim_start_matches(['>', ' '])
        };
        out.push_str(line);
    }
    out
}

/// Every token of a recipient link (after `/s/` or `/f/`) in `text`.
fn found_tokens(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    for mark in ["/s/", "/f/"] {
        for (at, _) in text.match_indices(mark) {
            let tail = &text[at + mark.len()..];
            let run = tail.find(|c: char| !token_char(c)).unwrap_or(tail.len());
            let token = compact_prefix(tail[..run].trim_end_matches('.'));
            // Longer is no link of this hub (a compact token is 56, a textual one about 100):
            // such a run is left to `redact_tokens`' plain mark, and costs nothing here.
            if (16..=MAX_TOKEN).contains(&token.len()) && !tokens.iter().any(|t| t == token) {
                tokens.push(token.to_string());
            }
        }
    }
    tokens
}

/// The longest run taken for a token.
const MAX_TOKEN: usize = 200;
/// Characters of a compact token (42 bytes in base64url): all a link of this build carries.
const COMPACT_CHARS: usize = 56;

/// A compact token's 56 characters when `run` starts with them and goes on (lines joined where a
/// token ended at a line's end run into the next line's first word); else `run` (a token of the
/// first, textual form, or a piece).
fn compact_prefix(run: &str) -> &str {
    let base64url = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    match run.as_bytes().get(..COMPACT_CHARS) {
        Some(head) if run.len() > COMPACT_CHARS && head.iter().all(|b| base64url(*b)) => {
            &run[..COMPACT_CHARS]
        }
        _ => run,
    }
}

fn token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.|~".contains(c)
}

/// `text` with every piece of `token` (at least [`PIECE`] characters of it, within a run of token
/// characters, e.g. after a percent-escape's `2F`) replaced by the mark of the whole token.
fn without_pieces(text: &str, token: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(token_char) {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let run = tail.find(|c: char| !token_char(c)).unwrap_or(tail.len());
        out.push_str(&masked_run(&tail[..run], token));
        rest = &tail[run..];
    }
    out.push_str(rest);
    out
}

/// `run` (token characters only, so ASCII) with its pieces of `token` masked: every stretch
/// covered by [`PIECE`]-long windows that are [`varied`] and lie in the token becomes one mark.
/// Linear in the run (each window is looked up in the token once), so a long run costs little.
fn masked_run(run: &str, token: &str) -> String {
    if run.len() < PIECE {
        return run.to_string();
    }
    if token.contains(run.trim_end_matches('.')) {
        // The token itself, or one piece of it standing alone (after a line break).
        return redaction_mark(token);
    }
    let mut covered = vec![false; run.len()];
    for from in 0..=run.len() - PIECE {
        let window = &run[from..from + PIECE];
        if varied(window) && token.contains(window) {
            covered[from..from + PIECE].fill(true);
        }
    }
    let mut out = String::with_capacity(run.len());
    let mut at = 0;
    while at < run.len() {
        let end = (at..run.len())
            .find(|&i| covered[i] != covered[at])
            .unwrap_or(run.len());
        if covered[at] {
            out.push_str(&redaction_mark(token));
        } else {
            out.push_str(&run[at..end]);
        }
        at = end;
    }
    out
}

/// Whether `piece` has four or more distinct characters: `AAAAAA`, in a token as in any base64
/// of zeros, tells nothing and is left where it stands.
fn varied(piece: &str) -> bool {
    let mut seen: Vec<u8> = Vec::new();
    for b in piece.bytes() {
        if !seen.contains(&b) {
            seen.push(b);
        }
    }
    seen.len() >= 4
}

/// `text` with each block of base64 lines whose decoded text holds a recipient link replaced by
/// [`BASE64_CUT`] (a notice's body copied raw into a bounce).
fn cut_base64_links(text: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < lines.len() {
        let block = lines[i..].iter().take_while(|l| base64_line(l)).count();
        if block == 0 {
            out.push_str(lines[i]);
            i += 1;
            continue;
        }
        let joined: String = lines[i..i + block].iter().map(|l| l.trim()).collect();
        if decodes_to_link(&joined) {
            out.push_str(BASE64_CUT);
            out.push_str("\r\n");
        } else {
            lines[i..i + block].iter().for_each(|l| out.push_str(l));
        }
        i += block;
    }
    out
}

fn base64_line(line: &str) -> bool {
    let line = line.trim();
    line.len() >= BASE64_LINE
        && line
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=')
}

/// Whether base64 `text` (a prefix is enough) decodes to text holding a recipient link.
fn decodes_to_link(text: &str) -> bool {
    let clean: String = text.chars().filter(|c| *c != '=').collect();
    let whole = clean.len() - clean.len() % 4;
    let Ok(bytes) = base64::engine::general_purpose::STANDARD_NO_PAD.decode(&clean[..whole]) else {
        return false;
    };
    let decoded = String::from_utf8_lossy(&bytes);
    !found_tokens(&normalized(&decoded)).is_empty()
}

#[cfg(test)]
mod tests;
