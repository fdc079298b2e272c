//! The copy of a delivery report the hub keeps as evidence (a DSN, a free-text bounce, an
//! automatic answer): the message as it arrived, byte for byte — except where it quotes the
//! notice with the recipient's live link.
//!
//! The hub asks relays to return headers only (RFC 3461 §4.3 `RET=HDRS`), but a relay may return
//! the whole notice, and a free-text bounce often quotes it. Whoever holds that link can act as the
//! recipient on the page, so the hub keeps no live link anywhere a clerk or a court system reads
//! (ARCHITECTURE.md, "Links"): a part that carries one is cut from the copy. A part written as
//! plain 7- or 8-bit text has each token replaced in place by the mark every view of the hub shows
//! (the first 12 hex digits of the token's SHA-256) in whatever form it is quoted — percent-encoded,
//! with HTML entities, broken across lines, or in the notice's base64 body copied inline
//! ([`crate::link::redact_quoted_links`]) — so its words stay; a quoted message is kept with the same rule applied inside it; a part in base64 or
//! quoted-printable, which cannot be edited without decoding, is replaced by [`CUT`]. The headers
//! of the report and of every part are kept as they came. The digest of the message as it arrived
//! is recorded beside the copy's, so the copy can be matched to the relay's own log.

use mail_parser::{Encoding, Message, MessageParser, MimeHeaders, PartType};
use std::ops::Range;

/// What replaces a part in base64 or quoted-printable that carried a live link (ASCII, so it reads
/// the same under any charset the part declares).
pub const CUT: &str = "[ecenter: this part quoted the notice with the recipient's live link; \
cut from the copy the court keeps. The digest of the report as it arrived is recorded.]\r\n";

/// The copy of `raw` to keep: `raw` itself when it carries no live link, else `raw` with each part
/// that does edited or cut (see the module's description). A copy is never returned that still
/// carries a link: if editing the parts leaves one (a structure the parser reads otherwise than
/// expected), only the report's header block is kept, followed by [`CUT`].
pub fn kept(raw: &[u8]) -> Vec<u8> {
    if !carries_link(raw) {
        return raw.to_vec();
    }
    let edited = edit(raw);
    if !carries_link(&edited) {
        return edited;
    }
    let headers = header_end(raw).unwrap_or(0);
    let mut copy = raw[..headers].to_vec();
    copy.extend_from_slice(CUT.as_bytes());
    copy
}

/// Whether `raw`, read as mail, holds a recipient link's token in any form a reader would see it:
/// the bytes as they are, or any part decoded (a quoted message included, at any depth).
pub fn carries_link(raw: &[u8]) -> bool {
    if has_token(&String::from_utf8_lossy(raw)) {
        return true;
    }
    MessageParser::default()
        .parse(raw)
        .is_some_and(|m| message_carries_link(&m))
}

fn message_carries_link(message: &Message<'_>) -> bool {
    message.parts.iter().any(|part| match &part.body {
        PartType::Text(t) | PartType::Html(t) => has_token(t),
        PartType::Binary(b) | PartType::InlineBinary(b) => has_token(&String::from_utf8_lossy(b)),
        PartType::Message(nested) => {
            has_token(&String::from_utf8_lossy(nested.raw_message()))
                || message_carries_link(nested)
        }
        PartType::Multipart(_) => false,
    })
}

fn has_token(text: &str) -> bool {
    crate::link::quotes_link(text)
}

/// `raw` with every leaf part that carries a link edited in place or cut.
fn edit(raw: &[u8]) -> Vec<u8> {
    let Some(message) = MessageParser::default().parse(raw) else {
        return edit_body(raw, (Encoding::None, None), false);
    };
    let mut edits: Vec<(Range<usize>, Vec<u8>)> = Vec::new();
    for part in &message.parts {
        let carries = match &part.body {
            PartType::Multipart(_) => continue,
            PartType::Text(t) | PartType::Html(t) => has_token(t),
            PartType::Binary(b) | PartType::InlineBinary(b) => {
                has_token(&String::from_utf8_lossy(b))
            }
            PartType::Message(nested) => message_carries_link(nested),
        };
        let body = part.offset_body as usize..(part.offset_end as usize).min(raw.len());
        let bytes = &raw[body.clone()];
        if !carries && !has_token(&String::from_utf8_lossy(bytes)) {
            continue;
        }
        let nested = matches!(part.body, PartType::Message(_));
        let charset = (part.content_type()).and_then(|c| c.attribute("charset"));
        edits.push((body, edit_body(bytes, (part.encoding, charset), nested)));
    }
    splice(raw, edits)
}

/// One part's body with its links edited: a quoted message as a message of its own, plain text
/// token by token (in UTF-8, or in the charset it declares, e.g. GB18030), anything encoded — or
/// text its charset cannot write back — replaced by [`CUT`].
fn edit_body(bytes: &[u8], (encoding, charset): (Encoding, Option<&str>), nested: bool) -> Vec<u8> {
    if encoding != Encoding::None {
        return CUT.as_bytes().to_vec();
    }
    if nested {
        return kept(bytes);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => crate::link::redact_quoted_links(text).into_bytes(),
        Err(_) => recoded(bytes, charset).unwrap_or_else(|| CUT.as_bytes().to_vec()),
    }
}

/// `bytes`, text in `charset`, with its links edited and written back in that charset; `None`
/// when the charset is unknown or the text does not go there and back unchanged.
fn recoded(bytes: &[u8], charset: Option<&str>) -> Option<Vec<u8>> {
    let encoding = encoding_rs::Encoding::for_label(charset?.as_bytes())?;
    let (text, _, malformed) = encoding.decode(bytes);
    if malformed {
        return None;
    }
    let edited = crate::link::redact_quoted_links(&text);
    let (out, _, unmappable) = encoding.encode(&edited);
    (!unmappable).then(|| out.into_owned())
}

/// `raw` with each range replaced (ranges that overlap one already taken are skipped: the outer
/// edit holds the inner one's).
fn splice(raw: &[u8], mut edits: Vec<(Range<usize>, Vec<u8>)>) -> Vec<u8> {
    edits.sort_by_key(|(r, _)| r.start);
    let mut out = Vec::with_capacity(raw.len());
    let mut at = 0;
    for (range, replacement) in edits {
        if range.start < at {
            continue;
        }
        out.extend_from_slice(&raw[at..range.start]);
        out.extend_from_slice(&replacement);
        at = range.end;
    }
    out.extend_from_slice(&raw[at..]);
    out
}

/// Where the header block of `raw` ends (after its blank line).
fn header_end(raw: &[u8]) -> Option<usize> {
    let crlf = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| at + 4);
    let lf = raw.windows(2).position(|w| w == b"\n\n").map(|at| at + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests;
