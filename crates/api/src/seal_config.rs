//! The `[seals]` configuration and what it loads: the maker's, signer's and TSA's keys, the trust
//! stores per purpose, and the B-LTA and archival-renewal policy. Refuses, naming the setting or
//! file, anything unusable at start-up.

use ecenter_outbox::ConfigError;
use ecenter_seal::tsa::TimestampAuthority;
use ecenter_seal::{KeyHolder, SealError, TrustStores, Verifier};
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
    pub pades_level: Option<PadesLevel>,
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
    /// SM2 keys (国密), for seals created with the algorithm SM2_SM3: the main keys above stay
    /// ECDSA P-256, because PDF seals (PAdES) and proofs are verified by validators that know no
    /// SM2. Trust anchors for SM2 makers, signers and TSAs go in the lists above.
    #[serde(default)]
    pub sm2: Option<Sm2SealConfig>,
}

/// The PAdES baseline level (ETSI EN 319 142-1 §6) of the PDFs the hub seals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PadesLevel {
    /// B-LT: the signature, then the validation data (certificates, CRLs) in the DSS.
    #[serde(rename = "B-LT")]
    BLt,
    /// B-LTA: B-LT and a document timestamp over it all, renewed before its TSA ages out.
    #[serde(rename = "B-LTA")]
    BLta,
}

/// `[seals.sm2]`: the SM2 seal maker, signer and (optionally) TSA, PEM certificates and PKCS#8
/// keys on the curve sm2p256v1 (as `ecenter-pki init-sm2` or `openssl genpkey -algorithm SM2`
/// make them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sm2SealConfig {
    /// The SM2 seal maker's certificate; it must carry the maker role like the ECDSA one.
    pub maker_cert: PathBuf,
    /// Its key.
    pub maker_key: PathBuf,
    /// The SM2 seal-signing certificate SM2 seals are bound to.
    pub signer_cert: PathBuf,
    /// Its key.
    pub signer_key: PathBuf,
    /// An SM2 timestamp authority for SM2 seals (GM/T 0033 tokens), if any.
    #[serde(default)]
    pub tsa_cert: Option<PathBuf>,
    /// Its key.
    #[serde(default)]
    pub tsa_key: Option<PathBuf>,
}

/// The keys of one seal algorithm: who makes seals, who applies them, who timestamps.
pub(crate) struct SealKeys {
    pub(crate) maker: KeyHolder,
    pub(crate) signer: KeyHolder,
    pub(crate) signer_subject: String,
    pub(crate) tsa: Option<TimestampAuthority>,
}

/// Loaded keys and trust.
pub struct SealContext {
    pub(crate) maker: KeyHolder,
    pub(crate) signer: KeyHolder,
    pub(crate) signer_subject: String,
    pub(crate) tsa: Option<TimestampAuthority>,
    /// `[seals.sm2]`, when configured.
    pub(crate) sm2: Option<SealKeys>,
    pub(crate) verifier: Verifier,
    /// Intermediate certificates embedded in PDF signatures so validators can build the chain.
    pub(crate) chain: Vec<Vec<u8>>,
    /// B-LTA and archival renewal.
    pub(crate) archive: crate::archive::ArchivePolicy,
}

/// The file a setting names, or the setting and the file in the error.
fn read(section: &str, field: &str, path: &Path) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|e| ConfigError::file(section, field, path, e))
}

/// A certificate and its key, the error naming the setting and file at fault: an unreadable or
/// non-PEM certificate names the `*_cert` setting, a non-PEM key or one that does not belong to
/// the certificate names the `*_key` setting and both files.
fn key_holder(
    section: &str,
    names: [&str; 2],
    cert: &Path,
    key: &Path,
) -> Result<KeyHolder, ConfigError> {
    let [cert_field, key_field] = names;
    let cert_pem = read(section, cert_field, cert)?;
    let key_pem = read(section, key_field, key)?;
    KeyHolder::from_pem(&cert_pem, &key_pem).map_err(|e| match e {
        SealError::Certificate(_) => ConfigError::file(section, cert_field, cert, e),
        e => ConfigError::new(
            section,
            key_field,
            format!("{} (for {}): {e}", key.display(), cert.display()),
        ),
    })
}

/// Every certificate in the files of one list setting, PEM or DER
/// ([`ecenter_seal::trust_files`]): a file holding none is refused, naming it.
fn certs(field: &str, paths: &[PathBuf]) -> Result<Vec<Vec<u8>>, ConfigError> {
    ecenter_seal::trust_files::certificates(paths)
        .map_err(|e| ConfigError::file("seals", field, &e.path, e.why))
}

/// The CRLs of the `crls` files, PEM or DER, each checked to parse: a file that holds none is
/// refused, so revocation is never silently unchecked.
fn crls(paths: &[PathBuf]) -> Result<Vec<Vec<u8>>, ConfigError> {
    ecenter_seal::trust_files::crls(paths)
        .map_err(|e| ConfigError::file("seals", "crls", &e.path, e.why))
}

impl SealConfig {
    fn sunsets(&self) -> Result<Vec<(String, SystemTime)>, ConfigError> {
        self.archive_algorithm_sunset
            .iter()
            .map(|(oid, date)| {
                let bad =
                    |reason: String| ConfigError::new("seals", "archive_algorithm_sunset", reason);
                der::asn1::ObjectIdentifier::new(oid)
                    .map_err(|e| bad(format!("{oid:?} is not an algorithm OID: {e}")))?;
                let day = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|e| {
                    bad(format!(
                        "{oid} = {date:?}: not a date like 2031-01-01 ({e})"
                    ))
                })?;
                let at = day.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
                Ok((oid.clone(), SystemTime::from(at)))
            })
            .collect()
    }

    fn maker_role(&self) -> Result<Option<der::asn1::ObjectIdentifier>, ConfigError> {
        self.maker_role
            .as_deref()
            .map(|r| {
                der::asn1::ObjectIdentifier::new(r).map_err(|e| {
                    ConfigError::new(
                        "seals",
                        "maker_role",
                        format!(
                            "{r:?} is not an object identifier (like 1.3.6.1.4.1.59648.1.2): {e}"
                        ),
                    )
                })
            })
            .transpose()
    }

    /// Loads the keys and trust stores, refusing anything unusable with the file it came from.
    pub fn load(&self) -> Result<SealContext, ConfigError> {
        let holder = |names: [&str; 2], c: &Path, k: &Path| key_holder("seals", names, c, k);
        let maker = holder(
            ["maker_cert", "maker_key"],
            &self.maker_cert,
            &self.maker_key,
        )?;
        let role = self
            .maker_role()?
            .unwrap_or(ecenter_seal::roles::SEAL_MAKER_ROLE);
        ecenter_seal::roles::maker_role_ok(maker.cert(), role).map_err(|(_, e)| {
            ConfigError::file("seals", "maker_cert", &self.maker_cert, format!(
                "{e}; issue the maker's certificate with that role, or name the court's role in [seals] maker_role"
            ))
        })?;
        let signer = holder(
            ["signer_cert", "signer_key"],
            &self.signer_cert,
            &self.signer_key,
        )?;
        let tsa = optional_tsa("seals", (&self.tsa_cert, &self.tsa_key), holder)?;
        for (setting, key) in [("maker_key", &maker), ("signer_key", &signer)] {
            not_sm2(setting, key.curve())?;
        }
        if let Some(t) = &tsa {
            not_sm2("tsa_key", t.curve())?;
        }
        let sm2 = self.sm2.as_ref().map(|c| c.load(role)).transpose()?;
        let crls = crls(&self.crls)?;
        let chain = certs("intermediates", &self.intermediates)?;
        let tsa = tsa.map(|t| t.with_chain(&chain));
        let trust = TrustStores {
            seal_makers: certs("trust_seal_makers", &self.trust_seal_makers)?,
            signers: certs("trust_signers", &self.trust_signers)?,
            intermediates: chain.clone(),
            crls,
            tsas: certs("trust_tsas", &self.trust_tsas)?,
            maker_role: self.maker_role()?,
            maker_role_waived: false,
        };
        let signer_subject = subject_of("seals", &self.signer_cert, signer.cert())?;
        let lta = match self.pades_level {
            None | Some(PadesLevel::BLta) => tsa.is_some(),
            Some(PadesLevel::BLt) => false,
        };
        Ok(SealContext {
            maker,
            signer,
            signer_subject,
            tsa,
            sm2,
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

/// The section's timestamp authority: both `tsa_cert` and `tsa_key`, or neither (no TSA).
fn optional_tsa(
    section: &str,
    (cert, key): (&Option<PathBuf>, &Option<PathBuf>),
    holder: impl Fn([&str; 2], &Path, &Path) -> Result<KeyHolder, ConfigError>,
) -> Result<Option<TimestampAuthority>, ConfigError> {
    match (cert, key) {
        (Some(c), Some(k)) => Ok(Some(TimestampAuthority::new(holder(
            ["tsa_cert", "tsa_key"],
            c,
            k,
        )?))),
        (None, None) => Ok(None),
        _ => Err(ConfigError::new(
            section,
            "tsa_key",
            "set both tsa_cert and tsa_key, or neither",
        )),
    }
}

/// Refuses an SM2 key among the main (ECDSA) keys, pointing to `[seals.sm2]`.
fn not_sm2(setting: &str, curve: ecenter_seal::Curve) -> Result<(), ConfigError> {
    match curve {
        ecenter_seal::Curve::Sm2 => Err(ConfigError::new(
            "seals",
            setting,
            "an SM2 key: the main keys seal PDFs and proofs (PAdES, ECDSA P-256), which PDF validators verify only in ECDSA; put SM2 keys under [seals.sm2]",
        )),
        _ => Ok(()),
    }
}

/// The subject of the signer's certificate, or the `signer_cert` setting at fault.
fn subject_of(section: &str, path: &Path, cert: &[u8]) -> Result<String, ConfigError> {
    x509_parser::parse_x509_certificate(cert)
        .map(|(_, c)| c.subject().to_string())
        .map_err(|e| ConfigError::file(section, "signer_cert", path, e))
}

impl Sm2SealConfig {
    fn load(&self, role: der::asn1::ObjectIdentifier) -> Result<SealKeys, ConfigError> {
        const SECTION: &str = "seals.sm2";
        let holder = |names: [&str; 2], c: &Path, k: &Path| {
            let h = key_holder(SECTION, names, c, k)?;
            match h.curve() {
                ecenter_seal::Curve::Sm2 => Ok(h),
                other => Err(ConfigError::file(
                    SECTION,
                    names[1],
                    k,
                    format!("a {other:?} key, not SM2 (sm2p256v1)"),
                )),
            }
        };
        let maker = holder(
            ["maker_cert", "maker_key"],
            &self.maker_cert,
            &self.maker_key,
        )?;
        ecenter_seal::roles::maker_role_ok(maker.cert(), role)
            .map_err(|(_, e)| ConfigError::file(SECTION, "maker_cert", &self.maker_cert, e))?;
        let signer = holder(
            ["signer_cert", "signer_key"],
            &self.signer_cert,
            &self.signer_key,
        )?;
        let tsa = optional_tsa(SECTION, (&self.tsa_cert, &self.tsa_key), holder)?;
        Ok(SealKeys {
            signer_subject: subject_of(SECTION, &self.signer_cert, signer.cert())?,
            maker,
            signer,
            tsa,
        })
    }
}

/// The keys of one algorithm, borrowed from a [`SealContext`].
pub(crate) struct KeysRef<'a> {
    pub(crate) maker: &'a KeyHolder,
    pub(crate) signer: &'a KeyHolder,
    pub(crate) signer_subject: &'a str,
    pub(crate) tsa: Option<&'a TimestampAuthority>,
}

impl SealContext {
    /// The keys that make and apply seals in `algorithm`; for SM2, `[seals.sm2]` or an error a
    /// person can act on.
    pub(crate) fn keys(
        &self,
        algorithm: ecenter_seal::SignatureAlgorithm,
    ) -> Result<KeysRef<'_>, crate::error::ApiError> {
        match algorithm {
            ecenter_seal::SignatureAlgorithm::EcdsaP256Sha256 => Ok(KeysRef {
                maker: &self.maker,
                signer: &self.signer,
                signer_subject: &self.signer_subject,
                tsa: self.tsa.as_ref(),
            }),
            ecenter_seal::SignatureAlgorithm::Sm2Sm3 => self
                .sm2
                .as_ref()
                .map(|k| KeysRef {
                    maker: &k.maker,
                    signer: &k.signer,
                    signer_subject: &k.signer_subject,
                    tsa: k.tsa.as_ref(),
                })
                .ok_or_else(|| {
                    crate::error::ApiError::failed_precondition("this hub has no SM2 seal keys: configure [seals.sm2] (maker_cert, maker_key, signer_cert, signer_key)")
                }),
        }
    }

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

impl ecenter_outbox::ProofSigner for SealContext {
    fn sign_detached(
        &self,
        data: &[u8],
        now: SystemTime,
    ) -> Result<Vec<u8>, ecenter_outbox::SignError> {
        SealContext::sign_detached(self, data, now)
            .map_err(|e| ecenter_outbox::SignError(e.to_string()))
    }
}
