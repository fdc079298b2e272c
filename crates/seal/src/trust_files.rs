//! The files a verifier is told to trust or check against — anchors, intermediates, CRLs — read
//! as CAs publish them: PEM (one or more blocks, RFC 7468) or DER (one structure). A file that
//! holds none of what it should is an error naming it, never an empty list: an empty CRL list
//! would leave revocation unchecked and pass a revoked signer, an empty anchor list would hide a
//! wrong file behind "no chain found" (outside tests, round 17, F1 and F3).

use rustls_pki_types::pem::{PemObject, SectionKind};
use std::path::{Path, PathBuf};

/// A trust file that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {why}", path.display())]
pub struct TrustFileError {
    /// The file as given.
    pub path: PathBuf,
    /// What is wrong with it.
    pub why: String,
}

/// Every certificate in `paths`, in order: each file's PEM `CERTIFICATE` blocks, or the one DER
/// certificate it is.
///
/// Errors: a file that cannot be read, or holds no certificate that parses (X.509, RFC 5280).
pub fn certificates(paths: &[PathBuf]) -> Result<Vec<Vec<u8>>, TrustFileError> {
    let mut out = Vec::new();
    for path in paths {
        out.extend(read(path, Kind::Certificate)?);
    }
    Ok(out)
}

/// Every CRL in `paths`, in order: each file's PEM `X509 CRL` blocks, or the one DER
/// CertificateList it is.
///
/// Errors: a file that cannot be read, or holds no CRL that parses (RFC 5280 §5).
pub fn crls(paths: &[PathBuf]) -> Result<Vec<Vec<u8>>, TrustFileError> {
    let mut out = Vec::new();
    for path in paths {
        out.extend(read(path, Kind::Crl)?);
    }
    Ok(out)
}

#[derive(Clone, Copy)]
enum Kind {
    Certificate,
    Crl,
}

impl Kind {
    fn section(self) -> SectionKind {
        match self {
            Kind::Certificate => SectionKind::Certificate,
            Kind::Crl => SectionKind::Crl,
        }
    }

    fn none(self) -> &'static str {
        match self {
            Kind::Certificate => {
                "holds no certificate (PEM \"CERTIFICATE\" blocks, or one DER certificate)"
            }
            Kind::Crl => "holds no CRL (PEM \"X509 CRL\" blocks, or one DER CertificateList)",
        }
    }

    /// Why `der` is not one whole structure of this kind, if it is not.
    fn unparsed(self, der: &[u8]) -> Option<String> {
        let rest = match self {
            Kind::Certificate => x509_parser::parse_x509_certificate(der)
                .map(|(rest, _)| rest.len())
                .map_err(|e| format!("a certificate that does not parse ({e})")),
            Kind::Crl => x509_parser::parse_x509_crl(der)
                .map(|(rest, _)| rest.len())
                .map_err(|e| format!("a CRL that does not parse ({e})")),
        };
        match rest {
            Ok(0) => None,
            Ok(n) => Some(format!("{n} bytes follow the structure")),
            Err(why) => Some(why),
        }
    }
}

/// The structures of `kind` in the file at `path`.
fn read(path: &Path, kind: Kind) -> Result<Vec<Vec<u8>>, TrustFileError> {
    let error = |why: String| TrustFileError {
        path: path.to_path_buf(),
        why,
    };
    let mut bytes = std::fs::read(path).map_err(|e| error(e.to_string()))?;
    // A PEM file saved by a Windows editor starts with a UTF-8 byte-order mark.
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    let mut found = Vec::new();
    for item in <(SectionKind, Vec<u8>)>::pem_slice_iter(&bytes) {
        let (section, der) = item.map_err(|e| error(format!("unreadable PEM ({e})")))?;
        if section == kind.section() {
            found.push(der);
        }
    }
    if found.is_empty() && bytes.first() == Some(&0x30) {
        found.push(bytes); // one DER structure
    }
    if found.is_empty() {
        return Err(error(kind.none().into()));
    }
    if let Some(why) = found.iter().find_map(|der| kind.unparsed(der)) {
        return Err(error(why));
    }
    Ok(found)
}

#[cfg(test)]
mod tests;
