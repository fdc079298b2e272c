//! What a document is, judged by its bytes and not by its name, and safe file names.

/// The document formats a court accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    /// PDF.
    Pdf,
    /// OFD (GB/T 33190), China's fixed-layout format: a ZIP whose entry file is `OFD.xml`.
    Ofd,
    /// PNG image.
    Png,
    /// JPEG image.
    Jpeg,
    /// Word document: an OPC package whose main part is WordprocessingML (see [`crate::package`]).
    Docx,
}

impl MediaType {
    /// Every accepted type.
    pub const ALL: [MediaType; 5] = [
        MediaType::Pdf,
        MediaType::Ofd,
        MediaType::Png,
        MediaType::Jpeg,
        MediaType::Docx,
    ];

    /// IANA-style media type string.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Pdf => "application/pdf",
            MediaType::Ofd => "application/ofd",
            MediaType::Png => "image/png",
            MediaType::Jpeg => "image/jpeg",
            MediaType::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
        }
    }

    /// Parses a media type string as clients send it (case-insensitive, parameters ignored).
    pub fn from_name(name: &str) -> Option<MediaType> {
        let base = name
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        MediaType::ALL.into_iter().find(|m| m.as_str() == base)
    }

    /// The format a file name's extension names (`.pdf`, `.ofd`, `.png`, `.jpg`/`.jpeg`,
    /// `.docx`, any case); `None` for another extension or none. A name is the lawyer's word for
    /// what the court will open: a `.pdf` holding a PNG would not open as a PDF, so a filing
    /// whose name and content disagree is refused ([`MediaType::named_otherwise`]).
    pub fn by_extension(name: &str) -> Option<MediaType> {
        let (_, ext) = name.rsplit_once('.')?;
        match ext.to_ascii_lowercase().as_str() {
            "pdf" => Some(MediaType::Pdf),
            "ofd" => Some(MediaType::Ofd),
            "png" => Some(MediaType::Png),
            "jpg" | "jpeg" | "jpe" => Some(MediaType::Jpeg),
            "docx" => Some(MediaType::Docx),
            _ => None,
        }
    }

    /// The format `name`'s extension names when it is not `self` (the content's): what the
    /// name claims, for the refusal.
    pub fn named_otherwise(self, name: &str) -> Option<MediaType> {
        MediaType::by_extension(name).filter(|named| *named != self)
    }

    /// The usual extension of the format, for telling a person how to rename a file.
    pub fn extension(self) -> &'static str {
        match self {
            MediaType::Pdf => ".pdf",
            MediaType::Ofd => ".ofd",
            MediaType::Png => ".png",
            MediaType::Jpeg => ".jpg",
            MediaType::Docx => ".docx",
        }
    }

    /// The short name people know the format by (PDF, DOCX), for messages to them.
    pub fn label(self) -> &'static str {
        match self {
            MediaType::Pdf => "PDF",
            MediaType::Ofd => "OFD",
            MediaType::Png => "PNG",
            MediaType::Jpeg => "JPEG",
            MediaType::Docx => "DOCX",
        }
    }

    /// A human list of what is accepted, for error messages.
    pub fn accepted_list() -> &'static str {
        "PDF, OFD, PNG, JPEG or DOCX"
    }

    /// [`MediaType::accepted_list`] in Chinese punctuation.
    pub fn accepted_list_zh() -> &'static str {
        "PDF、OFD、PNG、JPEG 或 DOCX"
    }
}

/// What the first bytes of a document say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// Known from the magic number alone.
    Known(MediaType),
    /// A ZIP container: look at its entries with [`classify_zip`].
    Zip,
    /// Not an accepted format.
    Unknown,
}

/// Bytes needed by [`sniff`].
pub const SNIFF_LEN: usize = 8;

/// Looks at the first bytes (at least [`SNIFF_LEN`] when the document is that long).
pub fn sniff(head: &[u8]) -> Sniffed {
    // A UTF-8 byte-order mark some editors write before the header (ISO 32000-2 §7.5.2 lets
    // the header start anywhere in the first 1,024 bytes; readers accept it).
    if head.starts_with(b"%PDF-") || head.starts_with(b"\xEF\xBB\xBF%PDF-") {
        Sniffed::Known(MediaType::Pdf)
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Sniffed::Known(MediaType::Png)
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Sniffed::Known(MediaType::Jpeg)
    } else if head.starts_with(b"PK\x03\x04") {
        Sniffed::Zip
    } else {
        Sniffed::Unknown
    }
}

pub use crate::package::classify_zip;

/// Longest file name a filing records, in bytes of UTF-8: Linux's `NAME_MAX`, so that a recipient
/// saves a document under the very name it was filed with (85 Chinese characters, 255 Latin).
pub const MAX_NAME_BYTES: usize = 255;

/// Why a client's file name cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileNameError {
    /// Nothing is left once paths and control characters are taken off (`..`, `a/`, `\u{0}`).
    Empty,
    /// Longer than [`MAX_NAME_BYTES`] once cleaned; the length in bytes.
    TooLong(usize),
}

/// The name a filing records for a client's file name: [`sanitize_file_name`]'s cleaning, but a
/// name too long is refused rather than cut, so that the lawyer chooses what the court reads.
pub fn recorded_file_name(name: &str) -> Result<String, FileNameError> {
    let cleaned = clean_file_name(name).ok_or(FileNameError::Empty)?;
    match cleaned.len() {
        n if n > MAX_NAME_BYTES => Err(FileNameError::TooLong(n)),
        _ => Ok(cleaned),
    }
}

/// Reduces a file name from elsewhere (a served document's, to save it) to a safe base name: no
/// directories, no control or reserved characters, no leading dots, at most [`MAX_NAME_BYTES`]
/// (cut, keeping the extension). `None` when nothing is left.
pub fn sanitize_file_name(name: &str) -> Option<String> {
    let cleaned = clean_file_name(name)?;
    if cleaned.len() <= MAX_NAME_BYTES {
        return Some(cleaned);
    }
    let ext = cleaned
        .rfind('.')
        .map(|i| cleaned[i..].to_string())
        .filter(|e| e.len() <= 16)
        .unwrap_or_default();
    let mut cut = MAX_NAME_BYTES - ext.len();
    while !cleaned.is_char_boundary(cut) {
        cut -= 1;
    }
    Some(format!("{}{}", &cleaned[..cut], ext))
}

/// The base name without directories, hidden, control or reserved characters, runs of spaces
/// and leading or trailing dots; a Windows device name gets a `_` in front. Not shortened.
fn clean_file_name(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .map(|c| {
            if crate::text::hidden(c) || "<>:\"|?*".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let cleaned = cleaned
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' '])
        .to_string();
    if cleaned.is_empty() || cleaned.chars().all(|c| c == '_') {
        return None;
    }
    let stem = cleaned.split('.').next().unwrap_or("").to_ascii_uppercase();
    let reserved = [
        "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "LPT1", "LPT2", "LPT3",
    ];
    Some(if reserved.contains(&stem.as_str()) {
        format!("_{cleaned}")
    } else {
        cleaned
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_claims_the_format_its_extension_names() {
        assert_eq!(
            MediaType::Png.named_otherwise("证据.PDF"),
            Some(MediaType::Pdf)
        );
        assert_eq!(MediaType::Jpeg.named_otherwise("scan.JPEG"), None);
        assert_eq!(MediaType::Jpeg.named_otherwise("scan.jpg"), None);
        assert_eq!(MediaType::Pdf.named_otherwise("no-extension"), None);
        assert_eq!(MediaType::Pdf.named_otherwise("scan.tif"), None);
        assert_eq!(
            MediaType::Docx.named_otherwise("答辩状.ofd"),
            Some(MediaType::Ofd)
        );
    }

    #[test]
    fn sniffs_by_magic_number() {
        assert_eq!(sniff(b"%PDF-1.7\n"), Sniffed::Known(MediaType::Pdf));
        assert_eq!(
            sniff(b"\xEF\xBB\xBF%PDF-1.7"),
            Sniffed::Known(MediaType::Pdf)
        );
        assert_eq!(sniff(b"\xEF\xBB\xBFPK\x03\x04"), Sniffed::Unknown);
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n...."),
            Sniffed::Known(MediaType::Png)
        );
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Sniffed::Known(MediaType::Jpeg)
        );
        assert_eq!(sniff(b"PK\x03\x04rest"), Sniffed::Zip);
        assert_eq!(sniff(b"MZ\x90\x00 an exe"), Sniffed::Unknown);
        assert_eq!(sniff(b""), Sniffed::Unknown);
    }

    #[test]
    fn media_type_names_parse_loosely() {
        assert_eq!(
            MediaType::from_name("Application/PDF; charset=binary"),
            Some(MediaType::Pdf)
        );
        assert_eq!(MediaType::from_name("text/plain"), None);
    }

    #[test]
    fn file_names_lose_paths_and_dangerous_characters_but_keep_chinese() {
        assert_eq!(
            sanitize_file_name("../../etc/passwd").as_deref(),
            Some("passwd")
        );
        assert_eq!(
            sanitize_file_name("C:\\Users\\张三\\起诉状.pdf").as_deref(),
            Some("起诉状.pdf")
        );
        assert_eq!(
            sanitize_file_name("证据\u{0}清单 <1>.pdf").as_deref(),
            Some("证据_清单 _1_.pdf")
        );
        assert_eq!(
            sanitize_file_name("  ..hidden.pdf  ").as_deref(),
            Some("hidden.pdf")
        );
        // A right-to-left override would show 判决书\u{202E}fdp.exe as 判决书exe.pdf.
        assert_eq!(
            sanitize_file_name("判决书\u{202E}fdp.exe").as_deref(),
            Some("判决书_fdp.exe")
        );
        assert_eq!(sanitize_file_name("CON.pdf").as_deref(), Some("_CON.pdf"));
        assert_eq!(sanitize_file_name("///"), None);
        assert_eq!(sanitize_file_name("..."), None);
        let long = format!("{}.pdf", "判".repeat(300));
        let cut = sanitize_file_name(&long).unwrap();
        assert!(cut.len() <= 255 && cut.ends_with(".pdf"), "{cut}");
    }

    #[test]
    fn a_filed_name_too_long_is_refused_not_cut() {
        // 83 Chinese characters and ".pdf" are 253 bytes; one more character is 256.
        let fits = format!("{}.pdf", "判".repeat(83));
        assert_eq!(recorded_file_name(&fits).as_deref(), Ok(fits.as_str()));
        let over = format!("{}.pdf", "判".repeat(84));
        assert_eq!(recorded_file_name(&over), Err(FileNameError::TooLong(256)));
        assert_eq!(
            recorded_file_name("C:\\文件\\起诉状.pdf").as_deref(),
            Ok("起诉状.pdf")
        );
        assert_eq!(recorded_file_name(".."), Err(FileNameError::Empty));
    }
}
