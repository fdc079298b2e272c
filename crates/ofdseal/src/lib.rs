//! Sealed OFD documents after GB/T 33190-2016 §18 (数字签名): the hub adds
//! `/Doc_0/Signs/Signatures.xml` (the list), and per seal `Sign_N/Signature.xml` — the SM3 digest
//! of every file of the package in `References` (`CheckMethod` 1.2.156.10197.1.401), a visible
//! `StampAnnot` on the chosen page, the seal in `Seal.esl` — and `Sign_N/SignedValue.dat`, a
//! GB/T 38540 `SES_Signature` over the bytes of `Signature.xml`, as ofdrw and the readers that
//! follow it expect.
//!
//! Later seals keep earlier ones valid: `Signatures.xml` is never a reference (the "continue
//! sealing" mode), so adding a seal changes no file an earlier seal protects.
//! [`verify_ofd`] judges each seal: every reference present and unchanged, no file added that no
//! later seal accounts for, the stamp on a page and inside it, `Seal.esl` the seal inside the
//! signature, and the `SES_Signature` itself with the same report as detached seals.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod container;
mod doc;
pub mod package;
mod seal;
mod verify;
pub mod xml;

pub use doc::{Page, pages};
pub use seal::{Stamp, seal_ofd};
pub use verify::{OfdSeal, verify_ofd};

/// Whether `ofd` is an OFD the hub can seal and check later: one ZIP archive alone, within the
/// package limits, its document and every page's content well-formed within the ambient parse
/// budget — what SealOfd and VerifyOfd read first. Checked when it is filed, so that no filed
/// OFD is found unreadable only when a judge seals it, and none whose content depends on the
/// program reading it sits in the record as an ordinary document (outside tests, round 21, F1).
pub fn readable(ofd: &[u8]) -> Result<(), OfdError> {
    let package = package::Package::read(ofd, package::Limits::of_budget())?;
    doc::pages(&package).map(drop)
}

/// SM3's OID, the `CheckMethod` of the references the hub writes.
pub const SM3_OID: &str = "1.2.156.10197.1.401";

/// Why an OFD could not be read or sealed.
#[derive(Debug, thiserror::Error)]
pub enum OfdError {
    /// The ZIP container is unusable.
    #[error("the OFD package: {0}")]
    Package(String),
    /// A file the structure names is not in the package.
    #[error("the OFD package has no file {0}")]
    Missing(String),
    /// An XML file does not parse.
    #[error("{0} is not well-formed XML: {1}")]
    Xml(String, String),
    /// The structure is not an OFD's.
    #[error("{0}")]
    Structure(String),
    /// The parse budget ([parsing] in the hub's configuration) ran out.
    #[error("{0}")]
    Budget(ecenter_budget::Exceeded),
    /// Sealing failed.
    #[error("sealing failed: {0}")]
    Seal(#[from] ecenter_seal::SealError),
}
