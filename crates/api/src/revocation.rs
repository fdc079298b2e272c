//! Revocation that bites on connections already open. The TLS handshake checks a client
//! certificate once; a lawyer whose certificate the court revokes while their connection stays
//! open would keep filing for as long as the connection lives. So every request checks the
//! certificate it arrived under against the CRL in force (and its validity period against now).
//!
//! The CRL file is looked at no more than once a second ([`RELOAD_EVERY`]); its revoked serials are
//! kept per CRL generation, so a request costs one hash-set lookup.

use crate::error::ApiError;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

/// Least time between two looks at the CRL file.
pub const RELOAD_EVERY: Duration = Duration::from_secs(1);

/// What identifies a client certificate to a CRL, and until when it is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCredential {
    /// The issuer's name, DER.
    pub issuer: Vec<u8>,
    /// The serial number, as encoded.
    pub serial: Vec<u8>,
    /// notAfter, seconds since the Unix epoch.
    pub not_after: i64,
    /// (issuer, serial) as the CRL's set holds it, built once per connection.
    key: (Vec<u8>, Vec<u8>),
}

impl ClientCredential {
    /// Reads the fields of a DER certificate.
    pub fn of(der: &[u8]) -> Option<ClientCredential> {
        let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
        let (issuer, serial) = (cert.issuer().as_raw().to_vec(), cert.raw_serial().to_vec());
        Some(ClientCredential {
            key: (issuer.clone(), serial.clone()),
            issuer,
            serial,
            not_after: cert.validity().not_after.timestamp(),
        })
    }

    /// The serial as people read it (hex).
    pub fn serial_hex(&self) -> String {
        hex::encode(&self.serial)
    }
}

/// The client CA's CRL, kept current.
#[derive(Debug)]
pub struct Revocation {
    path: Option<PathBuf>,
    state: Mutex<State>,
}

/// (issuer name DER, serial) of each revoked certificate.
type Revoked = HashSet<(Vec<u8>, Vec<u8>)>;

#[derive(Debug, Default)]
struct State {
    looked_at: Option<Instant>,
    modified: Option<SystemTime>,
    /// thisUpdate of the CRL in force (seconds): an older one never replaces it.
    issued: Option<i64>,
    revoked: Revoked,
}

impl Revocation {
    /// Follows the CRL file at `path` (none: nothing is revoked).
    pub fn new(path: Option<PathBuf>) -> Revocation {
        let r = Revocation {
            path,
            state: Mutex::new(State::default()),
        };
        r.refresh(&mut r.state.lock().expect("revocation lock"));
        r
    }

    /// Why a request under `credential` must be refused now, if it must.
    pub fn refusal(&self, credential: &ClientCredential) -> Option<Unauthenticated> {
        let now = chrono::Utc::now().timestamp();
        if credential.not_after < now {
            return Some(Unauthenticated::Expired {
                serial: credential.serial_hex(),
                at: chrono::DateTime::from_timestamp(credential.not_after, 0)
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default(),
            });
        }
        let mut state = self.state.lock().expect("revocation lock");
        if state.looked_at.is_none_or(|t| t.elapsed() >= RELOAD_EVERY) {
            self.refresh(&mut state);
        }
        state
            .revoked
            .contains(&credential.key)
            .then(|| Unauthenticated::Revoked(credential.serial_hex()))
    }

    /// Re-reads the CRL when its file changed. A CRL that fails to load keeps the previous list in
    /// force (and says so) rather than forgetting revocations.
    fn refresh(&self, state: &mut State) {
        state.looked_at = Some(Instant::now());
        let Some(path) = &self.path else { return };
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        if modified.is_some() && modified == state.modified {
            return;
        }
        state.modified = modified;
        match load(path) {
            Ok((_, issued)) if state.issued.is_some_and(|i| issued < i) => tracing::error!(
                crl = %path.display(),
                "the client CRL file holds an older CRL than the one in force; keeping the one in force"
            ),
            Ok((revoked, issued)) => {
                state.revoked = revoked;
                state.issued = Some(issued);
            }
            Err(e) => {
                tracing::error!(crl = %path.display(), error = %e, "the client CRL cannot be read; the previous list stays in force");
            }
        }
    }
}

fn load(path: &std::path::Path) -> Result<(Revoked, i64), CrlError> {
    use rustls_pki_types::CertificateRevocationListDer;
    use rustls_pki_types::pem::PemObject;
    let unreadable = |e: rustls_pki_types::pem::Error| CrlError::Unreadable(e.to_string());
    let crls = CertificateRevocationListDer::pem_file_iter(path)
        .map_err(unreadable)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(unreadable)?;
    let issued = newest_issue(&crls)?;
    let mut out = HashSet::new();
    for crl in &crls {
        let (_, parsed) = x509_parser::parse_x509_crl(crl.as_ref())
            .map_err(|e| CrlError::Malformed(e.to_string()))?;
        let issuer = parsed.issuer().as_raw().to_vec();
        for revoked in parsed.iter_revoked_certificates() {
            out.insert((issuer.clone(), revoked.raw_serial().to_vec()));
        }
    }
    Ok((out, issued))
}

/// The newest thisUpdate (seconds) of `crls`; an error when there is none or one does not parse.
pub fn newest_issue(
    crls: &[rustls_pki_types::CertificateRevocationListDer<'_>],
) -> Result<i64, CrlError> {
    let mut newest = None;
    for crl in crls {
        let (_, parsed) = x509_parser::parse_x509_crl(crl.as_ref())
            .map_err(|e| CrlError::Malformed(e.to_string()))?;
        let issued = parsed.last_update().timestamp();
        newest = Some(newest.map_or(issued, |n: i64| n.max(issued)));
    }
    newest.ok_or(CrlError::Empty)
}

/// Why the client CRL file cannot be used (RFC 5280 §5).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrlError {
    /// The file cannot be read, or a PEM block in it is broken.
    #[error("{0}")]
    Unreadable(String),
    /// A CRL in it does not parse.
    #[error("a CRL does not parse ({0}): revocations cannot be read")]
    Malformed(String),
    /// No `X509 CRL` block at all.
    #[error("holds no CRL: revocations cannot be read")]
    Empty,
}

/// Why a caller's certificate does not (or no longer) identify anyone; answered UNAUTHENTICATED.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unauthenticated {
    /// The TLS handshake carried no client certificate.
    #[error("no client certificate")]
    NoCertificate,
    /// The certificate names no usable identity.
    #[error(transparent)]
    Identity(#[from] crate::identity::IdentityError),
    /// Past its notAfter (RFC 3339 UTC).
    #[error(
        "the client certificate (serial {serial}) expired at {at}: ask the court for a new one"
    )]
    Expired {
        /// The serial, hex.
        serial: String,
        /// When it expired.
        at: String,
    },
    /// On the court's CRL since the handshake; holds the serial, hex.
    #[error(
        "the client certificate (serial {0}) was revoked by the court: requests under it are refused, also on connections opened before"
    )]
    Revoked(String),
}

/// The certificate a long-lived stream was opened under, to check again while it runs: a watch
/// stream ends with UNAUTHENTICATED at its next event once the certificate is revoked or expired.
#[derive(Debug, Clone, Default)]
pub struct StillGood(Option<crate::peer::PeerInfo>);

impl StillGood {
    /// The connection `request` came on (nothing to check in development mode).
    pub fn of<T>(request: &tonic::Request<T>) -> StillGood {
        StillGood(request.extensions().get::<crate::peer::PeerInfo>().cloned())
    }

    /// UNAUTHENTICATED with the reason, once the certificate may no longer be used.
    pub fn refusal(&self) -> Option<tonic::Status> {
        self.0
            .as_ref()
            .and_then(|p| p.current_identity().err())
            .map(|reason| ApiError::unauthenticated(reason.to_string()).into())
    }
}
