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
//! Text in a font no method can read is an error only when it leaves the document without text:
//! a filing whose words cannot be read must say so rather than silently match nothing.

use lopdf::content::Content;
use lopdf::{Dictionary, Document, Encoding, Object, ObjectId};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// How one font's string bytes become characters.
enum Decoder<'a> {
    /// lopdf's own decoding: a `ToUnicode` map or a simple font's encoding.
    Lopdf(Encoding<'a>),
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

impl Decoder<'_> {
    fn push(&self, bytes: &[u8], out: &mut String) -> bool {
        match self {
            Decoder::Lopdf(encoding) => encoding.write_to_string(bytes, out).is_ok(),
            Decoder::Gb18030 => push_decoded(encoding_rs::GB18030, bytes, out),
            Decoder::Utf16Be => push_decoded(encoding_rs::UTF_16BE, bytes, out),
            Decoder::Utf8 => push_decoded(encoding_rs::UTF_8, bytes, out),
            Decoder::AdobeGb1 => match adobe_gb1() {
                Some(encoding) => encoding.write_to_string(bytes, out).is_ok(),
                None => false,
            },
            Decoder::Unreadable(_) => false,
        }
    }
}

fn push_decoded(encoding: &'static encoding_rs::Encoding, bytes: &[u8], out: &mut String) -> bool {
    let (text, malformed) = encoding.decode_without_bom_handling(bytes);
    out.push_str(&text);
    !malformed
}

/// The predefined CMaps whose codes are GB 18030 byte sequences (Adobe-GB1 ordering).
const GB_CMAPS: &[&str] = &[
    "GB-EUC",
    "GBpc-EUC",
    "GBK-EUC",
    "GBKp-EUC",
    "GBK2K",
    "GBT-EUC",
    "GBTpc-EUC",
];

/// What a predefined CMap name says about its codes, for `font` (a Type0 font dictionary).
fn predefined(name: &[u8], font: &Dictionary, document: &Document) -> Option<Decoder<'static>> {
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

/// Chooses the decoder of font `name`; `plain` is the font with its `Encoding` removed (so lopdf
/// reads its `ToUnicode`), kept by the caller as long as the decoder lives.
fn decoder<'a>(
    name: &[u8],
    font: &'a Dictionary,
    plain: &'a Dictionary,
    document: &'a Document,
) -> Decoder<'a> {
    let composite = is_type0(font);
    if font.has(b"ToUnicode")
        && let Ok(encoding) = plain.get_font_encoding(document)
        // lopdf falls back to StandardEncoding when the map does not parse.
        && matches!(encoding, Encoding::UnicodeMapEncoding(_))
    {
        return Decoder::Lopdf(encoding);
    }
    if !composite {
        return match font.get_font_encoding(document) {
            Ok(encoding) => Decoder::Lopdf(encoding),
            Err(e) => Decoder::Unreadable(format!(
                "font {} has an encoding that cannot be read ({e})",
                String::from_utf8_lossy(name)
            )),
        };
    }
    let cmap = font.get(b"Encoding").and_then(Object::as_name).ok();
    match cmap.and_then(|c| predefined(c, font, document)) {
        Some(decoder) => decoder,
        None => Decoder::Unreadable(format!(
            "font {} has no ToUnicode map and its CMap {} over the {} collection has no \
             Unicode mapping this reader knows",
            String::from_utf8_lossy(name),
            cmap.map_or("(embedded)".into(), String::from_utf8_lossy),
            ordering(font, document).unwrap_or_else(|| "unknown".into())
        )),
    }
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

/// The text of one page whose (inflated) content stream is `content`, pushed onto `out`;
/// `unreadable` gets the first reason a font's text could not be read.
pub(crate) fn page_text(
    document: &Document,
    page: ObjectId,
    content: &[u8],
    out: &mut String,
    unreadable: &mut Option<String>,
) -> Result<(), String> {
    let fonts = document.get_page_fonts(page).map_err(|e| e.to_string())?;
    let plain: BTreeMap<&[u8], Dictionary> = fonts
        .iter()
        .map(|(name, font)| {
            let mut plain = (*font).clone();
            plain.remove(b"Encoding");
            (name.as_slice(), plain)
        })
        .collect();
    let decoders: BTreeMap<&[u8], Decoder> = fonts
        .iter()
        .map(|(name, font)| {
            let decoder = decoder(name, font, &plain[name.as_slice()], document);
            (name.as_slice(), decoder)
        })
        .collect();
    let content = Content::decode(content).map_err(|e| e.to_string())?;
    let mut current: Option<&Decoder> = None;
    for operation in &content.operations {
        let operands = operation.operands.as_slice();
        match operation.operator.as_str() {
            "Tf" => {
                let name = operands.first().and_then(|o| o.as_name().ok());
                current = name.and_then(|n| decoders.get(n));
            }
            "Tj" | "TJ" => show(current, operands, out, unreadable),
            "'" | "\"" => {
                new_line(out);
                let shown = operands
                    .last()
                    .map(std::slice::from_ref)
                    .unwrap_or_default();
                show(current, shown, out, unreadable);
            }
            "T*" | "ET" => new_line(out),
            _ => {}
        }
    }
    Ok(())
}

fn new_line(out: &mut String) {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

/// Shows the strings among `operands` (a `TJ` array's too) in the current font.
fn show(
    decoder: Option<&Decoder>,
    operands: &[Object],
    out: &mut String,
    unreadable: &mut Option<String>,
) {
    let Some(decoder) = decoder else {
        unreadable.get_or_insert_with(|| "text is shown before any font is selected".into());
        return;
    };
    for operand in operands {
        match operand {
            Object::String(bytes, _) if !decoder.push(bytes, out) => {
                let why = match decoder {
                    Decoder::Unreadable(why) => why.clone(),
                    _ => "a string does not decode in its font's encoding".into(),
                };
                unreadable.get_or_insert(why);
            }
            Object::Array(items) => show(Some(decoder), items, out, unreadable),
            _ => {}
        }
    }
}
