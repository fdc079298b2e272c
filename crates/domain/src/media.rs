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

/// Longest file name kept, in bytes (common file system limit).
const MAX_NAME_BYTES: usize = 200;

/// Reduces a client-given file name to a safe base name: no directories, no control or reserved
/// characters, no leading dots, at most 200 bytes (keeping the extension). `None` when nothing is left.
pub fn sanitize_file_name(name: &str) -> Option<String> {
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
    let mut cleaned = if reserved.contains(&stem.as_str()) {
        format!("_{cleaned}")
    } else {
        cleaned
    };
    if cleaned.len() > MAX_NAME_BYTES {
        let ext = cleaned
            .rfind('.')
            .map(|i| cleaned[i..].to_string())
            .filter(|e| e.len() <= 16)
            .unwrap_or_default();
        let mut cut = MAX_NAME_BYTES - ext.len();
        while !cleaned.is_char_boundary(cut) {
            cut -= 1;
        }
        cleaned = format!("{}{}", &cleaned[..cut], ext);
    }
    Some(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(cut.len() <= 200 && cut.ends_with(".pdf"), "{cut}");
    }
}
