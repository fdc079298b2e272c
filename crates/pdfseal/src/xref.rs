//! Whether a PDF's own cross-reference data can be followed. A seal is an incremental update
//! (ISO 32000-1 §7.5.6) whose trailer points back (/Prev) at the file's last cross-reference
//! section; if that section's offsets are wrong — a file edited by hand, re-saved by a careless
//! tool, cut or padded in transit — readers that trust the offsets (qpdf, pdf.js) lose objects or
//! whole pages of the sealed file, even though lopdf, which rebuilds what it cannot find, read it.
//! Such a file is refused, saying which object is not where the table says.

use crate::PdfSealError;
use lopdf::xref::XrefEntry;

/// Checks that the file's last `startxref` points exactly at a cross-reference section and that
/// every object the table lists as in use starts exactly at its offset with its `id generation
/// obj` header. lopdf repairs what it reads, so the offsets are taken from the file itself.
pub(crate) fn check(pdf: &[u8], doc: &lopdf::Document) -> Result<(), PdfSealError> {
    let fix = "repair the file (for example `qpdf damaged.pdf repaired.pdf`, or print it to PDF again) and seal the repaired file";
    let start = startxref(pdf).ok_or_else(|| {
        PdfSealError::BadRequest(format!(
            "the PDF does not end with a startxref naming its cross-reference table; {fix}"
        ))
    })?;
    let at_start = pdf.get(start..).unwrap_or_default();
    if !at_start.starts_with(b"xref") && object_header(at_start).is_none() {
        return Err(PdfSealError::BadRequest(format!(
            "the PDF's cross-reference table is damaged: startxref names byte {start}, where no cross-reference section begins; {fix}"
        )));
    }
    for (id, entry) in &doc.reference_table.entries {
        let XrefEntry::Normal { offset, generation } = entry else {
            continue;
        };
        let found = pdf
            .get(*offset as usize..)
            .and_then(object_header)
            .is_some_and(|(i, g)| i == *id && g == u32::from(*generation));
        if !found {
            return Err(PdfSealError::BadRequest(format!(
                "the PDF's cross-reference table is damaged: object {id} is listed at byte {offset}, where the file holds no object {id}; {fix}"
            )));
        }
    }
    Ok(())
}

/// The offset the last `startxref` of the file names (ISO 32000-1 §7.5.5).
fn startxref(pdf: &[u8]) -> Option<usize> {
    let tail = &pdf[pdf.len().saturating_sub(1024)..];
    let at = tail.windows(9).rposition(|w| w == b"startxref")?;
    let text = std::str::from_utf8(tail[at + 9..].split(|b| *b == b'%').next()?).ok()?;
    text.split_ascii_whitespace().next()?.parse().ok()
}

/// The `id generation obj` header exactly at the start of `bytes`, if any.
fn object_header(bytes: &[u8]) -> Option<(u32, u32)> {
    if !bytes.first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let head = &bytes[..bytes.len().min(40)];
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).ok()?,
    };
    let mut words = text.split_ascii_whitespace();
    let id = words.next()?.parse().ok()?;
    let generation = words.next()?.parse().ok()?;
    let keyword = words.next()?;
    keyword.starts_with("obj").then_some((id, generation))
}

#[cfg(test)]
mod tests {
    use super::object_header;

    #[test]
    fn object_headers_are_read_exactly_at_the_offset_also_without_a_space_before_the_dictionary() {
        assert_eq!(object_header(b"12 0 obj\n<<>>"), Some((12, 0)));
        assert_eq!(object_header(b"3 1 obj<</A 1>>"), Some((3, 1)));
        assert_eq!(object_header(b"\n3 1 obj"), None);
        assert_eq!(object_header(b"endobj\n4 0 obj"), None);
        assert_eq!(object_header(b"4 0 R"), None);
    }
}
