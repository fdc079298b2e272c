//! The `[seals]` configuration and what it loads: the maker's, signer's and TSA's keys, the trust
//! stores per purpose, and the B-LTA and archival-renewal policy. Refuses, naming the setting or
//! file, anything unusable at start-up.

use ecenter_seal::tsa::TimestampAuthority;
use ecenter_seal::{KeyHolder, TrustStores, Verifier};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Where the seal keys and trust stores are. Production paths come from here; `certs/` is for development.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealConfig {
    /// The seal maker's certificate (PEM) and key: it signs every SESeal of the registry.
    pub maker_cert: PathBuf,
    /// The seal maker's key (PEM PKCS#8).
    pub maker_key: PathBuf,
    /// The seal-signing certificate (PEM) the registry's seals are bound to.
    pub signer_cert: PathBuf,
    /// Its key.
    pub signer_key: PathBuf,
    /// The hub's timestamp authority (certificate with the critical timeStamping EKU), if any.
    #[serde(default)]
    pub tsa_cert: Option<PathBuf>,
    /// Its key.
    #[serde(default)]
    pub tsa_key: Option<PathBuf>,
    /// Trust anchors for seal makers.
    pub trust_seal_makers: Vec<PathBuf>,
    /// Trust anchors for signers.
    pub trust_signers: Vec<PathBuf>,
    /// Trust anchors for timestamp authorities.
    #[serde(default)]
    pub trust_tsas: Vec<PathBuf>,
    /// Intermediate CAs that may complete chains.
    #[serde(default)]
    pub intermediates: Vec<PathBuf>,
    /// CRLs (PEM) for revocation.
    #[serde(default)]
    pub crls: Vec<PathBuf>,
    /// PAdES level of the PDFs the hub seals: `B-LTA` (the default when the hub has a TSA: the
    /// validation data and a document timestamp follow the seal) or `B-LT`.
    #[serde(default)]
    pub pades_level: Option<String>,
    /// Archival renewal: days before the newest timestamp's TSA certificate expires that the hub
    /// adds a fresh document timestamp to each sealed PDF it keeps (default 180).
    #[serde(default)]
    pub archive_lead_days: Option<u64>,
    /// Seconds between renewal checks (default 86400); 0 turns renewal off.
    #[serde(default)]
    pub archive_check_seconds: Option<u64>,
    /// Per signature algorithm (dotted OID), the date (`YYYY-MM-DD`, UTC) after which the court no
    /// longer trusts it: timestamps in it are renewed `archive_lead_days` before, by a TSA in
    /// another algorithm. E.g. `{ "1.2.840.10045.4.3.2" = "2031-01-01" }`.
    #[serde(default)]
    pub archive_algorithm_sunset: std::collections::BTreeMap<String, String>,
    /// The role (an OID, as EKU or certificate policy) a seal maker's certificate must carry;
    /// unset, ecenter's own `1.3.6.1.4.1.59648.1.2`, which `ecenter-pki` writes.
    #[serde(default)]
    pub maker_role: Option<String>,
}

/// Loaded keys and trust.
pub struct SealContext {
    pub(crate) maker: KeyHolder,
    pub(crate) signer: KeyHolder,
    pub(crate) signer_subject: String,
    pub(crate) tsa: Option<TimestampAuthority>,
    pub(crate) verifier: Verifier,
    /// Intermediate certificates embedded in PDF signatures so validators can build the chain.
    pub(crate) chain: Vec<Vec<u8>>,
    /// B-LTA and archival renewal.
    pub(crate) archive: crate::archive::ArchivePolicy,
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn certs(paths: &[PathBuf]) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    for p in paths {
        for c in CertificateDer::pem_file_iter(p).map_err(|e| format!("{}: {e}", p.display()))? {
            out.push(
                c.map_err(|e| format!("{}: {e}", p.display()))?
                    .as_ref()
                    .to_vec(),
            );
        }
    }
    Ok(out)
}

impl SealConfig {
    fn sunsets(&self) -> Result<Vec<(String, SystemTime)>, String> {
        self.archive_algorithm_sunset
            .iter()
            .map(|(oid, date)| {
                der::asn1::ObjectIdentifier::new(oid).map_err(|e| {
                    format!("[seals] archive_algorithm_sunset: {oid:?} is not an algorithm OID: {e}")
                })?;
                let day = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|e| {
                    format!("[seals] archive_algorithm_sunset.{oid} = {date:?}: not a date like 2031-01-01 ({e})")
                })?;
                let at = day.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
                Ok((oid.clone(), SystemTime::from(at)))
            })
            .collect()
    }

    fn maker_role(&self) -> Result<Option<der::asn1::ObjectIdentifier>, String> {
        self.maker_role
            .as_deref()
            .map(|r| {
                der::asn1::ObjectIdentifier::new(r).map_err(|e| {
                    format!("[seal] maker_role = {r:?} is not an object identifier (like 1.3.6.1.4.1.59648.1.2): {e}")
                })
            })
            .transpose()
    }

    /// Loads the keys and trust stores, refusing anything unusable with the file it came from.
    pub fn load(&self) -> Result<SealContext, String> {
        let holder = |c: &Path, k: &Path| {
            KeyHolder::from_pem(&read(c)?, &read(k)?).map_err(|e| format!("{}: {e}", c.display()))
        };
        let maker = holder(&self.maker_cert, &self.maker_key)?;
        let role = self
            .maker_role()?
            .unwrap_or(ecenter_seal::roles::SEAL_MAKER_ROLE);
        ecenter_seal::roles::maker_role_ok(maker.cert(), role).map_err(|(_, e)| {
            format!(
                "[seals] maker_cert {}: {e}; issue the maker's certificate with that role, or name the court's role in [seals] maker_role",
                self.maker_cert.display()
            )
        })?;
        let signer = holder(&self.signer_cert, &self.signer_key)?;
        let tsa = match (&self.tsa_cert, &self.tsa_key) {
            (Some(c), Some(k)) => Some(TimestampAuthority::new(holder(c, k)?)),
            (None, None) => None,
            _ => return Err("set both tsa_cert and tsa_key, or neither".into()),
        };
        let mut crls = Vec::new();
        for p in &self.crls {
            for c in CertificateRevocationListDer::pem_file_iter(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
            {
                crls.push(
                    c.map_err(|e| format!("{}: {e}", p.display()))?
                        .as_ref()
                        .to_vec(),
                );
            }
        }
        let chain = certs(&self.intermediates)?;
        let trust = TrustStores {
            seal_makers: certs(&self.trust_seal_makers)?,
            signers: certs(&self.trust_signers)?,
            intermediates: chain.clone(),
            crls,
            tsas: certs(&self.trust_tsas)?,
            maker_role: self.maker_role()?,
        };
        let signer_subject = x509_parser::parse_x509_certificate(signer.cert())
            .map(|(_, c)| c.subject().to_string())
            .map_err(|e| format!("signer certificate: {e}"))?;
        let lta = match self.pades_level.as_deref() {
            None | Some("B-LTA") => tsa.is_some(),
            Some("B-LT") => false,
            Some(other) => {
                return Err(format!(
                    "[seals] pades_level = {other:?}: choose \"B-LTA\" (validation data and a document timestamp) or \"B-LT\""
                ));
            }
        };
        Ok(SealContext {
            maker,
            signer,
            signer_subject,
            tsa,
            verifier: Verifier::new(trust),
            chain,
            archive: crate::archive::ArchivePolicy {
                sunsets: self.sunsets()?,
                lta,
                lead: std::time::Duration::from_secs(
                    self.archive_lead_days.unwrap_or(180) * 86_400,
                ),
                every: std::time::Duration::from_secs(self.archive_check_seconds.unwrap_or(86_400)),
            },
        })
    }
}

impl SealContext {
    /// The certificates of the hub's signer and TSA chains and the configured CRLs: what a PDF's
    /// document security store holds so it can be validated without asking anyone (B-LT).
    pub(crate) fn validation_data(&self) -> ecenter_pdfseal::ValidationData {
        ecenter_pdfseal::ValidationData {
            certificates: std::iter::once(self.signer.cert().to_vec())
                .chain(self.chain.iter().cloned())
                .chain(self.tsa.as_ref().map(|t| t.cert().to_vec()))
                .collect(),
            crls: self.verifier.trust().crls.clone(),
        }
    }

    /// The hub's TSA, if any.
    pub(crate) fn tsa(&self) -> Option<&TimestampAuthority> {
        self.tsa.as_ref()
    }

    /// A detached CAdES signature by the hub's signer over `data`, with a signature timestamp when
    /// the hub has a TSA: how proofs of service are sealed.
    pub fn sign_detached(
        &self,
        data: &[u8],
        now: SystemTime,
    ) -> Result<Vec<u8>, ecenter_seal::SealError> {
        let digest: [u8; 32] = ring::digest::digest(&ring::digest::SHA256, data)
            .as_ref()
            .try_into()
            .expect("SHA-256 is 32 bytes");
        ecenter_seal::cades::sign_detached(
            &self.signer,
            &self.chain,
            &digest,
            self.tsa.as_ref(),
            now,
        )
    }

    /// Subject of the hub's signing certificate.
    pub fn signer_subject(&self) -> &str {
        &self.signer_subject
    }

    /// An RFC 3161 timestamp token over `data` from the hub's TSA; `None` without a TSA.
    pub fn timestamp(
        &self,
        data: &[u8],
        now: SystemTime,
    ) -> Option<Result<Vec<u8>, ecenter_seal::SealError>> {
        self.tsa.as_ref().map(|t| t.timestamp(data, now))
    }

    /// Whether signatures carry a trusted timestamp.
    pub fn timestamps(&self) -> bool {
        self.tsa.is_some()
    }
}
