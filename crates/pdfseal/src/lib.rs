//! Sealed PDFs: the court seal applied *inside* a PDF, so that the document parties open in an
//! ordinary reader shows the red seal and carries a signature standard validators check.
//!
//! The original bytes are kept untouched and an incremental update (ISO 32000-1, 7.5.6) appends a
//! signature field whose widget shows the seal, and a PAdES baseline signature: a detached CAdES
//! SignedData over the byte range (everything but the signature's own /Contents), signed through
//! ring, with a timestamp from the hub's TSA when one is given (PAdES-B-T).
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod archive;
mod dss;
mod fields;
mod incremental;
pub mod revisions;
mod sample;
mod verify;
mod xref;

pub use archive::{archive_timestamp, newest_timestamp};
pub use sample::{sample_pdf, sample_pdf_titled};
pub use verify::{PdfReport, PdfSignatureReport, overall, verify_pdf};

use ecenter_seal::tsa::TimestampAuthority;
use ecenter_seal::{KeyHolder, SealError};
use lopdf::{Dictionary, IncrementalDocument, Object, ObjectId, Stream, StringFormat};
use std::time::SystemTime;

/// Bytes reserved for the CMS signature (hex-encoded, twice as many characters): the signer's
/// chain and a timestamp token with the TSA's certificate take about 5 KB.
pub const SIGNATURE_SPACE: usize = 16 * 1024;

/// A placeholder ByteRange number: ten digits, rewritten in place once offsets are known.
const RANGE_PLACEHOLDER: i64 = 9_999_999_999;

/// Side of the visible seal, in points (40 mm, the size of a court's round seal).
const SEAL_SIDE: f32 = 113.4;

/// Why a PDF could not be sealed or verified.
#[derive(Debug, thiserror::Error)]
pub enum PdfSealError {
    /// The file is not a PDF that can be read (its structure is damaged or it is something else).
    #[error("the file is not a PDF that can be read: {0}")]
    Unreadable(String),
    /// The PDF was read but cannot be updated.
    #[error("the PDF cannot be sealed: {0}")]
    Pdf(String),
    /// The caller asked for something the document does not have.
    #[error("{0}")]
    BadRequest(String),
    /// Signing failed.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// Reading the PDF went beyond the parse budget, its time, or its caller left.
    #[error(transparent)]
    Budget(#[from] ecenter_budget::Exceeded),
}

/// Loads a PDF under the ambient parse budget ([`ecenter_budget::pdf::load`]).
pub(crate) fn load(pdf: &[u8]) -> Result<lopdf::Document, PdfSealError> {
    ecenter_budget::pdf::load(pdf).map_err(|e| match e {
        ecenter_budget::pdf::LoadError::Budget(b) => PdfSealError::Budget(b),
        ecenter_budget::pdf::LoadError::Damaged(m) => PdfSealError::Unreadable(m),
        e @ ecenter_budget::pdf::LoadError::Encrypted => PdfSealError::BadRequest(e.to_string()),
    })
}

fn pdf_error(e: impl std::fmt::Display) -> PdfSealError {
    PdfSealError::Pdf(ecenter_budget::excerpt(&e.to_string(), 300))
}

/// Where and how the seal appears.
#[derive(Debug, Clone, Default)]
pub struct Placement {
    /// 1-based page; `None` seals the last page.
    pub page: Option<u32>,
    /// Lower-left corner of the seal in points; `None` puts it at the page's lower right.
    pub origin: Option<(f32, f32)>,
    /// The seal's picture (PNG, as the seal registry holds it); `None` draws a red ring and star.
    pub picture: Option<Vec<u8>>,
}

/// A PNG decoded for PDF: 8-bit RGB samples, and the alpha channel when it has one.
struct Picture {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
    alpha: Option<Vec<u8>>,
}

/// Decodes a PNG of any colour type (palette, grey and 16-bit are expanded to 8-bit RGB).
fn decode_png(png: &[u8]) -> Result<Picture, PdfSealError> {
    let bad = |e: &dyn std::fmt::Display| {
        PdfSealError::BadRequest(format!("the seal picture is not a readable PNG: {e}"))
    };
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| bad(&e))?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| bad(&"the picture is too large"))?;
    if size > 64 * 1024 * 1024 {
        return Err(bad(&"the picture is too large"));
    }
    let mut buf = vec![0; size];
    let frame = reader.next_frame(&mut buf).map_err(|e| bad(&e))?;
    let pixels = &buf[..frame.buffer_size()];
    let count = (frame.width * frame.height) as usize;
    let (mut rgb, mut alpha) = (Vec::with_capacity(count * 3), Vec::with_capacity(count));
    let channels = frame.color_type.samples();
    for px in pixels.chunks(channels) {
        match px {
            [g] => rgb.extend_from_slice(&[*g, *g, *g]),
            [g, a] => {
                rgb.extend_from_slice(&[*g, *g, *g]);
                alpha.push(*a);
            }
            [r, g, b] => rgb.extend_from_slice(&[*r, *g, *b]),
            [r, g, b, a] => {
                rgb.extend_from_slice(&[*r, *g, *b]);
                alpha.push(*a);
            }
            _ => return Err(bad(&"unexpected pixel layout")),
        }
    }
    Ok(Picture {
        width: frame.width,
        height: frame.height,
        rgb,
        alpha: (!alpha.is_empty()).then_some(alpha),
    })
}

/// Width and height of a seal picture, or why it cannot be shown (the seal registry checks
/// pictures with this before it accepts them).
pub fn picture_size(png: &[u8]) -> Result<(u32, u32), PdfSealError> {
    decode_png(png).map(|p| (p.width, p.height))
}

/// An image XObject (Flate-compressed) for `samples` of `components` per pixel.
fn image_stream(
    width: u32,
    height: u32,
    components: u8,
    samples: Vec<u8>,
) -> Result<Stream, PdfSealError> {
    let mut dict = Dictionary::new();
    dict.set("Type", Object::Name(b"XObject".to_vec()));
    dict.set("Subtype", Object::Name(b"Image".to_vec()));
    dict.set("Width", Object::Integer(i64::from(width)));
    dict.set("Height", Object::Integer(i64::from(height)));
    dict.set(
        "ColorSpace",
        Object::Name(if components == 3 {
            b"DeviceRGB".to_vec()
        } else {
            b"DeviceGray".to_vec()
        }),
    );
    dict.set("BitsPerComponent", Object::Integer(8));
    let mut stream = Stream::new(dict, samples);
    stream.compress().map_err(pdf_error)?;
    Ok(stream)
}

/// What the signature says about itself (shown by readers in the signature panel).
#[derive(Debug, Clone, Default)]
pub struct SignatureInfo {
    /// Who seals, e.g. 湖北省襄阳市中级人民法院.
    pub name: String,
    /// Why, e.g. 电子送达.
    pub reason: String,
    /// Where.
    pub location: String,
    /// Certificates and CRLs (DER) written into the document's DSS, so it can be validated later
    /// without asking anyone (PAdES-B-LT); empty for B-B / B-T.
    pub validation: ValidationData,
    /// The GB/T 38540 seal (`SESeal`, DER) whose picture is shown, named in the signature
    /// (signed attribute `ecenter_seal::cades::ESEAL_ATTRIBUTE`) so verifiers check the seal too.
    pub seal: Option<Vec<u8>>,
}

/// Validation material for the document security store (ISO 32000-2, 12.8.4.3).
#[derive(Debug, Clone, Default)]
pub struct ValidationData {
    /// Certificates of the signer's and the TSA's chains.
    pub certificates: Vec<Vec<u8>>,
    /// CRLs covering them.
    pub crls: Vec<Vec<u8>>,
}

/// A PDF text string: ASCII as is, anything else as UTF-16BE with a byte-order mark.
fn text_string(s: &str) -> Object {
    if s.is_ascii() {
        Object::String(s.as_bytes().to_vec(), StringFormat::Literal)
    } else {
        let mut bytes = vec![0xFE, 0xFF];
        for unit in s.encode_utf16() {
            bytes.extend_from_slice(&unit.to_be_bytes());
        }
        Object::String(bytes, StringFormat::Hexadecimal)
    }
}

/// A PDF date in China Standard Time, e.g. `D:20261128120000+08'00'`.
fn pdf_date(t: SystemTime) -> String {
    let utc: chrono::DateTime<chrono::Utc> = t.into();
    let cst = utc.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"));
    format!("D:{}+08'00'", cst.format("%Y%m%d%H%M%S"))
}

/// The seal's appearance: a red ring with a five-pointed star, drawn with paths only (no fonts).
fn seal_appearance() -> Vec<u8> {
    let r = SEAL_SIDE / 2.0;
    let (cx, cy) = (r, r);
    let k = 0.552_284_8 * (r - 3.0);
    let rr = r - 3.0;
    let mut ops = format!(
        "q 0.85 0.1 0.1 RG 0.85 0.1 0.1 rg 4 w\n{} {} m\n{} {} {} {} {} {} c\n{} {} {} {} {} {} c\n{} {} {} {} {} {} c\n{} {} {} {} {} {} c\nS\n",
        cx + rr,
        cy,
        cx + rr,
        cy + k,
        cx + k,
        cy + rr,
        cx,
        cy + rr,
        cx - k,
        cy + rr,
        cx - rr,
        cy + k,
        cx - rr,
        cy,
        cx - rr,
        cy - k,
        cx - k,
        cy - rr,
        cx,
        cy - rr,
        cx + k,
        cy - rr,
        cx + rr,
        cy - k,
        cx + rr,
        cy
    );
    let (outer, inner) = (r * 0.38, r * 0.15);
    for i in 0..10 {
        let radius = if i % 2 == 0 { outer } else { inner };
        let angle = std::f32::consts::FRAC_PI_2 + i as f32 * std::f32::consts::PI / 5.0;
        let (x, y) = (cx + radius * angle.cos(), cy + radius * angle.sin());
        ops.push_str(&format!(
            "{x:.2} {y:.2} {}\n",
            if i == 0 { "m" } else { "l" }
        ));
    }
    ops.push_str("h f Q\n");
    ops.into_bytes()
}

/// Looks up `obj` through references.
fn resolve<'a>(doc: &'a lopdf::Document, obj: &'a Object) -> Result<&'a Object, PdfSealError> {
    match obj {
        Object::Reference(id) => doc.get_object(*id).map_err(pdf_error),
        other => Ok(other),
    }
}

/// A page attribute, looked up through the page tree (ISO 32000-1 §7.7.3.4: MediaBox, CropBox
/// and Rotate are inheritable). A /Parent chain that loops is an error, not a hang.
fn inherited<'a>(
    doc: &'a lopdf::Document,
    page: ObjectId,
    key: &[u8],
) -> Result<Option<&'a Object>, PdfSealError> {
    let mut seen = std::collections::HashSet::new();
    let mut current = Some(page);
    while let Some(id) = current {
        if !seen.insert(id) || seen.len() > 64 {
            return Err(PdfSealError::BadRequest(
                "the PDF's page tree loops (a /Parent chain returns to itself)".into(),
            ));
        }
        let dict = doc.get_dictionary(id).map_err(pdf_error)?;
        if let Ok(v) = dict.get(key) {
            return resolve(doc, v).map(Some);
        }
        current = dict.get(b"Parent").and_then(Object::as_reference).ok();
    }
    Ok(None)
}

fn rectangle(doc: &lopdf::Document, obj: &Object) -> Result<[f32; 4], PdfSealError> {
    let array = obj.as_array().map_err(pdf_error)?;
    if array.len() != 4 {
        return Err(pdf_error("a page box is not four numbers"));
    }
    let mut v = [0f32; 4];
    for (slot, n) in v.iter_mut().zip(array) {
        *slot = resolve(doc, n)?.as_float().map_err(pdf_error)?;
    }
    // Normalised: lower left, then upper right, whichever corners the file names.
    Ok([
        v[0].min(v[2]),
        v[1].min(v[3]),
        v[0].max(v[2]),
        v[1].max(v[3]),
    ])
}

/// What a reader shows of a page: the crop box (clipped to the media box) and the rotation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageView {
    /// The visible box in default user space: lower left x, y, upper right x, y.
    pub visible: [f32; 4],
    /// Clockwise rotation when displayed: 0, 90, 180 or 270.
    pub rotate: i64,
}

impl PageView {
    /// Reads a page's view (ISO 32000-1 §14.11.2: CropBox defaults to MediaBox).
    pub fn of(doc: &lopdf::Document, page: ObjectId) -> Result<PageView, PdfSealError> {
        let media = match inherited(doc, page, b"MediaBox")? {
            Some(b) => rectangle(doc, b)?,
            None => [0.0, 0.0, 595.0, 842.0],
        };
        let visible = match inherited(doc, page, b"CropBox")? {
            Some(b) => {
                let c = rectangle(doc, b)?;
                let clipped = [
                    c[0].max(media[0]),
                    c[1].max(media[1]),
                    c[2].min(media[2]),
                    c[3].min(media[3]),
                ];
                if clipped[0] < clipped[2] && clipped[1] < clipped[3] {
                    clipped
                } else {
                    media
                }
            }
            None => media,
        };
        let rotate = inherited(doc, page, b"Rotate")?
            .and_then(|r| r.as_i64().ok())
            .unwrap_or(0)
            .rem_euclid(360);
        let rotate = if rotate % 90 == 0 { rotate } else { 0 };
        Ok(PageView { visible, rotate })
    }

    /// The rectangle (user space) of a square of `side` whose displayed position is `margin`
    /// from the lower right corner of what the reader shows.
    pub fn lower_right(&self, side: f32, margin: f32) -> [f32; 4] {
        let [x0, y0, x1, y1] = self.visible;
        let (x, y) = match self.rotate {
            90 => (x1 - margin - side, y1 - margin - side),
            180 => (x0 + margin, y1 - margin - side),
            270 => (x0 + margin, y0 + margin),
            _ => (x1 - margin - side, y0 + margin),
        };
        [x, y, x + side, y + side]
    }

    /// The appearance matrix that turns the drawing back against the page's rotation, so that it
    /// is upright as displayed (ISO 32000-1 §12.5.5).
    pub fn upright_matrix(&self) -> Option<[f32; 6]> {
        match self.rotate {
            90 => Some([0.0, 1.0, -1.0, 0.0, 0.0, 0.0]),
            180 => Some([-1.0, 0.0, 0.0, -1.0, 0.0, 0.0]),
            270 => Some([0.0, -1.0, 1.0, 0.0, 0.0, 0.0]),
            _ => None,
        }
    }
}

/// The seal's rectangle with its lower left corner at (`x`, `y`), if the whole seal lies in what a
/// reader shows of the page (its crop box): a position that is no number (NaN, infinity) would
/// write a rectangle no PDF reader can read (ISO 32000-1 §7.3.3), and one off the page a seal
/// nobody sees.
fn within_view(view: &PageView, x: f32, y: f32) -> Result<[f32; 4], PdfSealError> {
    let [x0, y0, x1, y1] = view.visible;
    let rect = [x, y, x + SEAL_SIDE, y + SEAL_SIDE];
    if rect.iter().all(|v| v.is_finite())
        && rect[0] >= x0
        && rect[1] >= y0
        && rect[2] <= x1
        && rect[3] <= y1
    {
        return Ok(rect);
    }
    Err(PdfSealError::BadRequest(format!(
        "a seal at ({x}, {y}) would not lie within the page's visible area: its lower left corner \
         must be within x {x0}..{} and y {y0}..{} (points, the seal is {SEAL_SIDE} wide); give \
         such a position, or none for the lower right",
        x1 - SEAL_SIDE,
        y1 - SEAL_SIDE
    )))
}

/// A document certified with DocMDP P=1 (ISO 32000-1 §12.8.2.2: "no changes to the document are
/// permitted") cannot take a seal without breaking its certification: refused, saying so.
fn refuse_if_certified_without_changes(
    pdf: &[u8],
    doc: &lopdf::Document,
) -> Result<(), PdfSealError> {
    match verify::strictest_certification(pdf, doc)? {
        Some(1) => Err(PdfSealError::BadRequest(
            "the PDF is certified with DocMDP P=1 (no changes allowed): sealing it would break its certification; seal the document before it is certified, or ask its author for a version certified with P=2".into(),
        )),
        _ => Ok(()),
    }
}

/// Who seals, and what completes the signature: the key, the certificates embedded beside the
/// signer's so validators can build the chain (PAdES, ETSI EN 319 142-1 §5.3), and the TSA that
/// adds the signature timestamp (none: PAdES-B-B).
#[derive(Clone, Copy)]
pub struct Sealer<'a> {
    /// The signing key and certificate.
    pub signer: &'a KeyHolder,
    /// Intermediate certificates (DER), embedded in the signature.
    pub chain: &'a [Vec<u8>],
    /// The timestamp authority for the signature timestamp.
    pub tsa: Option<&'a TimestampAuthority>,
}

/// Seals `pdf`: appends the signature field with the visible seal on the chosen page and a PAdES
/// signature by `signer` (its certificate and `chain` embedded; timestamped when `tsa` is given).
/// The original bytes are the prefix of the result.
pub fn seal_pdf(
    pdf: &[u8],
    sealer: &Sealer<'_>,
    now: SystemTime,
    placement: &Placement,
    info: &SignatureInfo,
) -> Result<Vec<u8>, PdfSealError> {
    let Sealer { signer, chain, tsa } = *sealer;
    let picture = placement.picture.as_deref().map(decode_png).transpose()?;
    let prev = incremental::open_for_sealing(pdf)?;
    let page_id = incremental::target_page(&prev, placement.page)?;
    let view = PageView::of(&prev, page_id)?;
    let [sx, sy, _, _] = match placement.origin {
        Some((x, y)) => within_view(&view, x, y)?,
        None => view.lower_right(SEAL_SIDE, 36.0),
    };
    let existing = incremental::read_existing(&prev, page_id)?;
    let catalog_id = existing.form.catalog_id;
    let mut doc = IncrementalDocument::create_from(pdf.to_vec(), prev);
    let new = &mut doc.new_document;
    // The CMS: certificates, timestamp and the named seal (its picture included).
    let space = SIGNATURE_SPACE + info.seal.as_ref().map_or(0, Vec::len);
    let sig = incremental::signature_object(info, now, space);
    let sig_id = new.add_object(Object::Dictionary(sig));
    let appearance_id = incremental::add_appearance(new, picture.as_ref(), &view)?;
    let widget = incremental::widget_dictionary(incremental::WidgetParts {
        field_name: existing.field_name,
        sig_id,
        page_id,
        origin: (sx, sy),
        appearance_id,
    });
    let widget_id = new.add_object(Object::Dictionary(widget));
    incremental::attach_widget(&mut doc, page_id, existing.annots, widget_id)?;
    incremental::register_field(&mut doc, existing.form, widget_id)?;
    dss::merge(&mut doc, catalog_id, &info.validation)?;

    let mut out = Vec::with_capacity(pdf.len() + 4 * space);
    doc.save_to(&mut out).map_err(pdf_error)?;
    let updated_from = pdf.len();
    let signing = Signing {
        signer,
        chain,
        tsa,
        now,
        seal: info.seal.as_deref(),
        space,
    };
    fill_signature(&mut out, updated_from, &signing)?;
    Ok(out)
}

/// Finds `needle` at or after `from`, last occurrence.
fn rfind(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack[from..]
        .windows(needle.len())
        .rposition(|w| w == needle)
        .map(|i| i + from)
}

/// A signature dictionary (ISO 32000-1 §12.8.1, Table 252) of `kind` (/Sig or /DocTimeStamp) and
/// `subfilter`, with placeholders for /ByteRange and a zeroed /Contents of `space` bytes, filled
/// in by [`fill_with`] once the file is written.
pub(crate) fn signature_dictionary(kind: &[u8], subfilter: &[u8], space: usize) -> Dictionary {
    let mut sig = Dictionary::new();
    sig.set("Type", Object::Name(kind.to_vec()));
    sig.set("Filter", Object::Name(b"Adobe.PPKLite".to_vec()));
    sig.set("SubFilter", Object::Name(subfilter.to_vec()));
    sig.set(
        "ByteRange",
        Object::Array(vec![
            Object::Integer(0),
            Object::Integer(RANGE_PLACEHOLDER),
            Object::Integer(RANGE_PLACEHOLDER),
            Object::Integer(RANGE_PLACEHOLDER),
        ]),
    );
    sig.set(
        "Contents",
        Object::String(vec![0; space], StringFormat::Hexadecimal),
    );
    sig
}

/// Who signs, with what, in how much reserved space.
struct Signing<'a> {
    signer: &'a KeyHolder,
    chain: &'a [Vec<u8>],
    tsa: Option<&'a TimestampAuthority>,
    now: SystemTime,
    seal: Option<&'a [u8]>,
    space: usize,
}

/// Writes the byte range into its placeholder, signs the covered bytes and writes the CMS into the
/// reserved /Contents.
fn fill_signature(out: &mut [u8], from: usize, s: &Signing<'_>) -> Result<(), PdfSealError> {
    fill_with(out, from, s.space, |digest| {
        Ok(ecenter_seal::cades::sign_detached_with_seal(
            s.signer, s.chain, digest, s.tsa, s.now, s.seal,
        )?)
    })
}

/// Writes the byte range into its placeholder (the last one after `from`), has `sign` make the
/// /Contents value from the SHA-256 of the covered bytes, and writes it into the `space` reserved.
pub(crate) fn fill_with(
    out: &mut [u8],
    from: usize,
    space: usize,
    sign: impl FnOnce(&[u8; 32]) -> Result<Vec<u8>, PdfSealError>,
) -> Result<(), PdfSealError> {
    let mut hole = b"<".to_vec();
    hole.extend(std::iter::repeat_n(b'0', 2 * space));
    hole.push(b'>');
    let start = rfind(out, &hole, from)
        .ok_or_else(|| PdfSealError::Pdf("the signature placeholder was not written".into()))?;
    let end = start + hole.len();
    let placeholder = format!("[0 {RANGE_PLACEHOLDER} {RANGE_PLACEHOLDER} {RANGE_PLACEHOLDER}]");
    let range_at = rfind(out, placeholder.as_bytes(), from)
        .ok_or_else(|| PdfSealError::Pdf("the byte range placeholder was not written".into()))?;
    let range = format!("[0 {start} {end} {}]", out.len() - end);
    let padded = format!("{range:<width$}", width = placeholder.len());
    out[range_at..range_at + padded.len()].copy_from_slice(padded.as_bytes());

    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(&out[..start]);
    ctx.update(&out[end..]);
    let digest: [u8; 32] = ctx
        .finish()
        .as_ref()
        .try_into()
        .expect("SHA-256 is 32 bytes");
    let cms = sign(&digest)?;
    if cms.len() > space {
        return Err(PdfSealError::Pdf(format!(
            "the signature takes {} bytes, more than the {space} reserved",
            cms.len()
        )));
    }
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for (i, b) in cms.iter().enumerate() {
        out[start + 1 + 2 * i] = HEX[usize::from(b >> 4)];
        out[start + 2 + 2 * i] = HEX[usize::from(b & 0x0F)];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_china_standard_time_and_text_strings_keep_chinese() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_795_000_000);
        assert_eq!(pdf_date(t), "D:20261118190640+08'00'");
        let Object::String(bytes, _) = text_string("电子送达") else {
            panic!("not a string");
        };
        assert_eq!(&bytes[..2], &[0xFE, 0xFF]);
        let units: Vec<u16> = bytes[2..]
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(String::from_utf16(&units).unwrap(), "电子送达");
        assert!(
            matches!(text_string("Xiangyang"), Object::String(b, StringFormat::Literal) if b == b"Xiangyang")
        );
    }

    #[test]
    fn the_appearance_is_a_closed_red_ring_and_star() {
        let ops = String::from_utf8(seal_appearance()).unwrap();
        assert!(ops.starts_with("q 0.85 0.1 0.1 RG"));
        assert_eq!(
            ops.matches(" c\n").count(),
            4,
            "four Bézier quarters make the ring"
        );
        assert_eq!(ops.matches(" l\n").count(), 9, "ten points make the star");
        assert!(ops.ends_with("h f Q\n"));
    }
}
