//! PDF text the way a careful reader gets it (ISO 32000-1 §9.10.2): a font's `ToUnicode` map when
//! it has one; else, for a composite (Type0) font, its predefined CMap — the GB family (`GB-EUC-H`,
//! `GBK-EUC-H`, `GBK2K-H`, ...) whose codes are GB 2312 / GBK / GB 18030 bytes, the Unicode ones
//! (`UniGB-UCS2-H`, `UniGB-UTF16-H`, `UniGB-UTF8-H`), and `Identity-H` over the Adobe-GB1
//! collection through Adobe's CID→Unicode table (`data/Adobe-GB1-UCS2`); else a simple font's
//! encoding, as lopdf reads it. Vertical (`-V`) CMaps read like their horizontal twins.
//!
//! lopdf 0.47 reads `ToUnicode` and simple encodings, but ignores `ToUnicode` when a font also
//! names an encoding, and refuses every predefined CJK CMap except the two UTF-16 ones ("invalid
//! character encoding"). Its decoders are used here; choosing one per font is this module's job.
//!
//! Text in a font no method can read is an error when it is most of what the document shows
//! (see `pdf_walk`): a filing whose words cannot be read must say so rather than silently match
//! nothing, or match on its page numbers alone.

use crate::ExtractError;
use ecenter_budget::pdf::{LoadError, charge_to_unicode};
use lopdf::{Dictionary, Document, Encoding, Object};
use std::sync::OnceLock;

/// How one font's string bytes become characters. Owned, so a reader builds it once per font
/// and keeps it for the whole document.
pub(crate) enum Decoder {
    /// A `ToUnicode` map, read once by lopdf.
    Map(Encoding<'static>),
    /// A simple font: the text of each of its 256 one-byte codes, from lopdf's encoding for it
    /// (built once per font, not per string).
    Simple(Box<[String]>),
    /// A GB-family CMap: the codes are the GB 18030 (⊃ GBK ⊃ GB 2312) byte sequences.
    Gb18030,
    /// `UniGB-UCS2-*` / `UniGB-UTF16-*`: the codes are UTF-16BE.
    Utf16Be,
    /// `UniGB-UTF8-*`.
    Utf8,
    /// `Identity-H`/`-V` over Adobe-GB1: each two-byte code is a CID.
    AdobeGb1,
    /// No method reads this font's text: why, naming the font.
    Unreadable(String),
}

impl Decoder {
    /// Appends the text of `bytes` to `out`; `false` (and nothing appended) when it does not
    /// decode, or decodes to mostly U+FFFD (codes a partial map does not cover).
    pub(crate) fn push(&self, bytes: &[u8], out: &mut String) -> bool {
        let before = out.len();
        let decoded = self.push_raw(bytes, out);
        let added = &out[before..];
        let replaced = added.chars().filter(|c| *c == '\u{FFFD}').count();
        if !decoded || replaced * 2 > added.chars().count() {
            out.truncate(before);
            return false;
        }
        true
    }

    /// Why this font cannot be read, when that is known before any text is shown.
    pub(crate) fn unreadable(&self) -> Option<&str> {
        match self {
            Decoder::Unreadable(why) => Some(why),
            _ => None,
        }
    }

    fn push_raw(&self, bytes: &[u8], out: &mut String) -> bool {
        match self {
            Decoder::Map(encoding) => encoding.write_to_string(bytes, out).is_ok(),
            Decoder::Simple(table) => {
                bytes
                    .iter()
                    .for_each(|b| out.push_str(&table[usize::from(*b)]));
                true
            }
            Decoder::Gb18030 => push_decoded(encoding_rs::GB18030, bytes, out),
            Decoder::Utf16Be => push_decoded(encoding_rs::UTF_16BE, bytes, out),
            Decoder::Utf8 => push_decoded(encoding_rs::UTF_8, bytes, out),
            Decoder::AdobeGb1 => adobe_gb1().is_some_and(|e| e.write_to_string(bytes, out).is_ok()),
            Decoder::Unreadable(_) => false,
        }
    }

    /// The decoder of font `name` (its dictionary `font`), its `ToUnicode` map inflated and
    /// charged to the ambient budget first.
    pub(crate) fn of(
        name: &[u8],
        font: &Dictionary,
        document: &Document,
    ) -> Result<Decoder, ExtractError> {
        let mut typed = font.clone();
        typed.set("Type", Object::Name(b"Font".to_vec()));
        if let Some(map) = to_unicode(&typed, document)? {
            return Ok(map);
        }
        let name = String::from_utf8_lossy(name);
        if !is_type0(font) {
            let table = typed.get_font_encoding(document).and_then(|encoding| {
                (0..=255u8)
                    .map(|code| encoding.bytes_to_string(&[code]))
                    .collect::<Result<Box<[String]>, _>>()
            });
            return Ok(match table {
                Ok(table) => Decoder::Simple(table),
                Err(e) => Decoder::Unreadable(format!(
                    "font {name} has an encoding that cannot be read ({e})"
                )),
            });
        }
        let cmap = font
            .get_deref(b"Encoding", document)
            .and_then(Object::as_name)
            .ok();
        Ok(match cmap.and_then(|c| predefined(c, font, document)) {
            Some(decoder) => decoder,
            None => Decoder::Unreadable(format!(
                "font {name} has no ToUnicode map and its CMap {} over the {} collection has no \
                 Unicode mapping this reader knows",
                cmap.map_or("(embedded)".into(), String::from_utf8_lossy),
                ordering(font, document).unwrap_or_else(|| "unknown".into())
            )),
        })
    }
}

/// The font's `ToUnicode` map, charged and read by lopdf (which reads it only when the font
/// names no encoding, so it is asked about a copy without one); `None` when there is none or
/// it does not parse.
fn to_unicode(typed: &Dictionary, document: &Document) -> Result<Option<Decoder>, ExtractError> {
    let Ok(stream) = typed
        .get_deref(b"ToUnicode", document)
        .and_then(Object::as_stream)
    else {
        return Ok(None);
    };
    let charged = charge_to_unicode(stream).map_err(|e| match e {
        LoadError::Budget(b) => ExtractError::Budget(b),
        other => crate::damaged("PDF")(other.to_string()),
    })?;
    let Some(inflated) = charged else {
        return Ok(None);
    };
    let mut plain = typed.clone();
    plain.remove(b"Encoding");
    Ok(
        match plain.get_font_encoding_with_limit(document, inflated.len() + 1) {
            // Owned: nothing in a ToUnicode map borrows from the document.
            Ok(Encoding::UnicodeMapEncoding(map)) => {
                Some(Decoder::Map(Encoding::UnicodeMapEncoding(map)))
            }
            // lopdf falls back to StandardEncoding when the map does not parse.
            _ => None,
        },
    )
}

/// Malformed sequences become U+FFFD, which [`Decoder::push`] weighs.
fn push_decoded(encoding: &'static encoding_rs::Encoding, bytes: &[u8], out: &mut String) -> bool {
    out.push_str(&encoding.decode_without_bom_handling(bytes).0);
    true
}

/// The predefined CMaps whose codes are GB 2312 / GBK / GB 18030 byte sequences (Adobe-GB1).
/// GBT-EUC and GBTpc-EUC are left out: they encode GB/T 12345's traditional characters, which
/// GB 18030 decoding would turn into simplified ones.
const GB_CMAPS: &[&str] = &["GB-EUC", "GBpc-EUC", "GBK-EUC", "GBKp-EUC", "GBK2K"];

/// What a predefined CMap name says about its codes, for `font` (a Type0 font dictionary).
fn predefined(name: &[u8], font: &Dictionary, document: &Document) -> Option<Decoder> {
    let name = std::str::from_utf8(name).ok()?;
    let base = name
        .strip_suffix("-H")
        .or_else(|| name.strip_suffix("-V"))?;
    if GB_CMAPS.contains(&base) {
        return Some(Decoder::Gb18030);
    }
    match base {
        "UniGB-UCS2" | "UniGB-UTF16" => Some(Decoder::Utf16Be),
        "UniGB-UTF8" => Some(Decoder::Utf8),
        "Identity" if ordering(font, document).as_deref() == Some("GB1") => Some(Decoder::AdobeGb1),
        _ => None,
    }
}

/// The `Ordering` of a Type0 font's descendant CIDFont (`GB1`, `Japan1`, `Identity`, ...).
fn ordering(font: &Dictionary, document: &Document) -> Option<String> {
    let descendants = font.get_deref(b"DescendantFonts", document).ok()?;
    let descendant = descendants.as_array().ok()?.first()?;
    let descendant = match descendant {
        Object::Reference(id) => document.get_dictionary(*id).ok()?,
        Object::Dictionary(d) => d,
        _ => return None,
    };
    let info = descendant.get_deref(b"CIDSystemInfo", document).ok()?;
    let ordering = info.as_dict().ok()?.get_deref(b"Ordering", document).ok()?;
    Some(String::from_utf8_lossy(ordering.as_str().ok()?).into_owned())
}

fn is_type0(font: &Dictionary) -> bool {
    font.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Type0".as_slice())
}

/// Adobe-GB1 CID → Unicode, read once from the vendored CMap through lopdf's `ToUnicode` reader.
fn adobe_gb1() -> Option<&'static Encoding<'static>> {
    static DOCUMENT: OnceLock<(Document, Dictionary)> = OnceLock::new();
    static ENCODING: OnceLock<Option<Encoding<'static>>> = OnceLock::new();
    ENCODING
        .get_or_init(|| {
            let (document, font) = DOCUMENT.get_or_init(|| {
                let cmap: String = include_str!("../data/Adobe-GB1-UCS2")
                    .lines()
                    .filter(|line| !line.starts_with('%'))
                    .flat_map(|line| [line, "\n"])
                    .collect();
                let mut document = Document::new();
                let stream = lopdf::Stream::new(Dictionary::new(), cmap.into_bytes());
                let id = document.add_object(stream);
                let mut font = Dictionary::new();
                font.set("Type", Object::Name(b"Font".to_vec()));
                font.set("ToUnicode", Object::Reference(id));
                (document, font)
            });
            let encoding = font.get_font_encoding(document).ok()?;
            matches!(encoding, Encoding::UnicodeMapEncoding(_)).then_some(encoding)
        })
        .as_ref()
}
