//! What a seal operation is given: a stored document or bytes sent with the request ([`Target`],
//! from each request's own choice of the two), and the format those bytes must have ([`Format`]).

use crate::error::invalid;
use ecenter_proto::v1 as pb;
use tonic::Status;

/// What a seal is applied to.
pub(super) enum Target {
    /// A document of a filing.
    Stored(pb::DocumentRef),
    /// Bytes sent with the request.
    Content(Vec<u8>),
}

/// [`Target`] from each request's choice of a stored document or bytes sent with it.
macro_rules! target_from {
    ($($request:ident :: $choice:ident),* $(,)?) => {$(
        impl From<pb::$request::$choice> for Target {
            fn from(choice: pb::$request::$choice) -> Self {
                match choice {
                    pb::$request::$choice::Stored(d) => Target::Stored(d),
                    pb::$request::$choice::Content(c) => Target::Content(c),
                }
            }
        }
    )*};
}

target_from!(
    apply_seal_request::Target,
    seal_pdf_request::Target,
    seal_ofd_request::Target,
    verify_pdf_request::Document,
    verify_ofd_request::Document,
    verify_seal_request::Document,
);

/// How a format's documents start, and what a caller who sends other bytes is told.
pub(super) struct Format {
    /// The bytes its documents start with.
    pub(super) magic: &'static [u8],
    /// What a caller who sends other bytes is told.
    pub(super) not_it: &'static str,
}

impl Format {
    /// INVALID_ARGUMENT on `field` unless `bytes` start as this format's documents do.
    pub(super) fn check(&self, field: &str, bytes: &[u8]) -> Result<(), Status> {
        if bytes.starts_with(self.magic) {
            Ok(())
        } else {
            Err(invalid(field, self.not_it))
        }
    }
}

/// A PDF to verify.
pub(super) const PDF_TO_VERIFY: Format = Format {
    magic: b"%PDF-",
    not_it: "not a PDF (it does not start with %PDF-)",
};

/// A PDF to seal in place.
pub(super) const PDF_TO_SEAL: Format = Format {
    magic: b"%PDF-",
    not_it: "only PDF documents can be sealed in place by SealPdf: seal an OFD with SealOfd (court seal chooses it), any other document with ApplySeal (a detached GB/T 38540 signature)",
};
