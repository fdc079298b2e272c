//! Signed checkpoints of the event log, in the manner of Certificate Transparency's signed tree
//! heads (RFC 6962 §3.5): every so often the hub signs `(number, seq, hash, time)` of its durable
//! head with its own key and appends the line to a file *outside sled*, synced on its own, and to
//! each witness the court configured.
//!
//! Why: sled treats a damaged record as a torn tail and silently drops it and everything after it,
//! so a log whose entries 5–12 were lost still verifies as a shorter chain. A checkpoint naming
//! entry 12 turns that into a refusal naming entry 5. And because the hash chain links every entry
//! to the one before, one checkpoint that matches the log vouches for every entry up to it.
//!
//! File format: one JSON object a line (JSON Lines), numbered from 1 without gaps. The signature is
//! ECDSA P-256 with SHA-256 (ASN.1 DER), over [`Checkpoint::signed_text`]; the public key sits beside
//! the file as `key.pem` (SubjectPublicKeyInfo), so `openssl dgst -sha256 -verify key.pem` checks a
//! line without ecenter. An optional `timestamp` is an RFC 3161 token over the signature bytes.

use crate::chain::ChainHead;
use chrono::{DateTime, SecondsFormat, Utc};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair, UnparsedPublicKey};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

mod histories;
pub use histories::{check_histories, vouched_through};

/// Name of the checkpoint file inside a checkpoint directory (the data directory's
/// `checkpoints/`, or a witness directory).
pub const FILE_NAME: &str = "checkpoints.jsonl";
/// Name of the public key beside it.
pub const KEY_NAME: &str = "key.pem";

/// The checkpoint directory of a data directory.
pub fn local_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("checkpoints")
}

/// DER prefix of a P-256 SubjectPublicKeyInfo (id-ecPublicKey, prime256v1, BIT STRING of 66).
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// One signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// 1, 2, 3, … within the file.
    pub number: u64,
    /// The log entry it vouches for (the durable head when it was made).
    pub seq: u64,
    /// That entry's hash, lowercase hex.
    pub hash: String,
    /// When it was signed (UTC).
    pub at: DateTime<Utc>,
    /// First 16 hex digits of SHA-256 of the signing key's SubjectPublicKeyInfo.
    pub key_id: String,
    /// ECDSA P-256 SHA-256 signature (DER), base64, over [`Checkpoint::signed_text`].
    pub signature: String,
    /// RFC 3161 timestamp token over the signature bytes (DER, base64), when the hub has a TSA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
}

impl Checkpoint {
    /// The exact bytes signed: a versioned text, one field a line.
    pub fn signed_text(&self) -> String {
        format!(
            "ecenter-checkpoint/v1\n{}\n{}\n{}\n{}\n",
            self.number,
            self.seq,
            self.hash,
            self.at.to_rfc3339_opts(SecondsFormat::Millis, true)
        )
    }

    /// The signature bytes (DER).
    pub fn signature_der(&self) -> Result<Vec<u8>, base64::DecodeError> {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.decode(&self.signature)
    }

    /// The RFC 3161 timestamp token (DER), when the checkpoint has one.
    pub fn timestamp_der(&self) -> Option<Result<Vec<u8>, base64::DecodeError>> {
        use base64::Engine;
        self.timestamp
            .as_ref()
            .map(|t| base64::engine::general_purpose::STANDARD.decode(t))
    }

    /// The signing time as people read it: Beijing time.
    pub fn at_beijing(&self) -> String {
        beijing(self.at)
    }
}

/// The newer of two checkpoints: the one naming the later entry, else the later signed (the
/// newest published checkpoint as instances keep it, and as `clerk` reports it).
pub fn newer(a: Option<Checkpoint>, b: Option<Checkpoint>) -> Option<Checkpoint> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if (b.seq, b.at) > (a.seq, a.at) { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// A time in Beijing time (UTC+8), to the second: `2026-11-28 09:23:42 (Beijing time)`.
pub fn beijing(at: DateTime<Utc>) -> String {
    ecenter_domain::time::beijing_time(at)
}

/// What is wrong with checkpoints, or between them and the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// A key or checkpoint file cannot be read or written.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What happened.
        reason: String,
    },
    /// A line of a checkpoint file is malformed, out of order or not signed by the key.
    #[error("{path} line {line}: {reason}: the checkpoint file was altered")]
    BadLine {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A line verifies with another key than the one checked with: the file, or the key, was
    /// replaced (a witness re-signed, or a data directory given a new key).
    #[error(
        "{path} line {line}: checkpoint {number} is signed by key {signed_by}, not by the hub's key {hub}: the checkpoint file or the hub's key was replaced"
    )]
    OtherKey {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The checkpoint's number.
        number: u64,
        /// The key id the line names.
        signed_by: String,
        /// The key id checked with.
        hub: String,
    },
    /// Two files hold different checkpoints under one number: one history was rolled back and
    /// signed on from there.
    #[error(
        "checkpoint {number} names entry {seq} with hash {hash} in {path}, but entry {other_seq} with hash {other_hash} in {other_path}: one history was rolled back and signed again"
    )]
    Forked {
        /// The number both use.
        number: u64,
        /// One file and what its checkpoint names.
        path: PathBuf,
        /// The entry.
        seq: u64,
        /// Its hash.
        hash: String,
        /// The other file.
        other_path: PathBuf,
        /// The entry there.
        other_seq: u64,
        /// Its hash there.
        other_hash: String,
    },
    /// The log is shorter than a checkpoint says it was.
    #[error(
        "the log ends at entry {log_ends_at}, but checkpoint {number} signed {at} names entry {seq} with hash {hash}: entries {first_missing}–{seq} were lost or altered"
    )]
    Truncated {
        /// The log's last entry.
        log_ends_at: u64,
        /// The first entry the checkpoint vouches for that is not in the log.
        first_missing: u64,
        /// The checkpoint's number.
        number: u64,
        /// When it was signed (Beijing time).
        at: String,
        /// The entry it names.
        seq: u64,
        /// That entry's hash.
        hash: String,
    },
    /// The log has the entry, with another hash.
    #[error(
        "entry {seq} has hash {found}, but checkpoint {number} signed {at} names hash {hash}: the log was altered or replaced up to entry {seq}"
    )]
    Diverged {
        /// The entry.
        seq: u64,
        /// Its hash in the log.
        found: String,
        /// The checkpoint's number.
        number: u64,
        /// When it was signed (Beijing time).
        at: String,
        /// The hash it names.
        hash: String,
    },
}

fn file_error(path: &Path, reason: impl std::fmt::Display) -> CheckpointError {
    CheckpointError::File {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// The hub's checkpoint key: ECDSA P-256, PKCS#8.
pub struct CheckpointSigner {
    key: EcdsaKeyPair,
    spki: Vec<u8>,
}

impl std::fmt::Debug for CheckpointSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CheckpointSigner({})", key_id(&self.spki))
    }
}

impl CheckpointSigner {
    /// Reads a PKCS#8 PEM key (`-----BEGIN PRIVATE KEY-----`), or makes one there (mode 0600)
    /// when `create` and the file does not exist.
    pub fn load(path: &Path, create: bool) -> Result<CheckpointSigner, CheckpointError> {
        let rng = SystemRandom::new();
        let der = match std::fs::read_to_string(path) {
            Ok(pem) => {
                let blocks = pem.matches("-----BEGIN ").count();
                if blocks != 1 {
                    return Err(file_error(
                        path,
                        format!("holds {blocks} PEM blocks, not one PKCS#8 PRIVATE KEY"),
                    ));
                }
                let (label, der) =
                    pem_rfc7468::decode_vec(pem.as_bytes()).map_err(|e| file_error(path, e))?;
                if label != "PRIVATE KEY" {
                    return Err(file_error(
                        path,
                        format!("holds \"{label}\", not a PKCS#8 PRIVATE KEY"),
                    ));
                }
                der
            }
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                return Err(file_error(path, "not text (DER?), not a PEM PRIVATE KEY"));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let doc =
                    EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
                        .map_err(|_| file_error(path, "cannot generate a P-256 key"))?;
                let pem = pem_rfc7468::encode_string(
                    "PRIVATE KEY",
                    pem_rfc7468::LineEnding::LF,
                    doc.as_ref(),
                )
                .map_err(|e| file_error(path, e))?;
                write_private(path, pem.as_bytes())?;
                tracing::info!(key = %path.display(), "made the hub's checkpoint key");
                doc.as_ref().to_vec()
            }
            Err(e) => return Err(file_error(path, e)),
        };
        let key = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &der, &rng)
            .map_err(|e| file_error(path, format!("not an ECDSA P-256 PKCS#8 key ({e})")))?;
        let mut spki = P256_SPKI_PREFIX.to_vec();
        spki.extend_from_slice(key.public_key().as_ref());
        Ok(CheckpointSigner { key, spki })
    }

    /// The public key as PEM SubjectPublicKeyInfo (what `openssl` reads).
    pub fn public_key_pem(&self) -> String {
        pem_rfc7468::encode_string("PUBLIC KEY", pem_rfc7468::LineEnding::LF, &self.spki)
            .expect("SPKI encodes")
    }

    /// The key id checkpoints carry.
    pub fn key_id(&self) -> String {
        key_id(&self.spki)
    }

    /// Signs checkpoint `number` of `head` at `at`.
    pub fn sign(&self, number: u64, head: &ChainHead, at: DateTime<Utc>) -> Checkpoint {
        use base64::Engine;
        // Milliseconds, as signed: the JSON then says exactly what the signature covers.
        let at = DateTime::from_timestamp_millis(at.timestamp_millis()).unwrap_or(at);
        let mut cp = Checkpoint {
            number,
            seq: head.seq,
            hash: hex::encode(head.hash),
            at,
            key_id: self.key_id(),
            signature: String::new(),
            timestamp: None,
        };
        let sig = self
            .key
            .sign(&SystemRandom::new(), cp.signed_text().as_bytes())
            .expect("ECDSA signing with a system RNG");
        cp.signature = base64::engine::general_purpose::STANDARD.encode(sig.as_ref());
        cp
    }
}

impl CheckpointSigner {
    /// ECDSA P-256 with SHA-256 over `message` (an ASN.1 DER signature): the seal of a batch of
    /// entries in PostgreSQL's log ([`crate::postgres`]'s `seals`).
    pub(crate) fn sign_bytes(&self, message: &[u8]) -> Vec<u8> {
        self.key
            .sign(&SystemRandom::new(), message)
            .expect("ECDSA signing with a system RNG")
            .as_ref()
            .to_vec()
    }
}

fn key_id(spki: &[u8]) -> String {
    hex::encode(&crate::chain::sha256(spki)[..8])
}

fn write_private(path: &Path, data: &[u8]) -> Result<(), CheckpointError> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| file_error(dir, e))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| file_error(path, e))?;
    f.write_all(data)
        .and_then(|()| f.sync_all())
        .map_err(|e| file_error(path, e))
}

/// A public key that checkpoints are checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointKey {
    spki: Vec<u8>,
}

impl CheckpointKey {
    /// Reads a PEM `PUBLIC KEY` (P-256 SubjectPublicKeyInfo).
    pub fn load(path: &Path) -> Result<CheckpointKey, CheckpointError> {
        let pem = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::InvalidData => file_error(
                path,
                "not text (DER?): give it as PEM, uncompressed, `openssl ec -pubin -inform DER -in \
                 FILE -pubout -conv_form uncompressed`",
            ),
            _ => file_error(path, e),
        })?;
        CheckpointKey::from_pem(&pem).map_err(|e| file_error(path, e))
    }

    /// Parses a PEM `PUBLIC KEY` (P-256 SubjectPublicKeyInfo), e.g. one published with the
    /// chain's checkpoints in PostgreSQL.
    pub fn from_pem(pem: &str) -> Result<CheckpointKey, String> {
        let blocks = pem.matches("-----BEGIN ").count();
        if blocks > 1 {
            return Err(format!(
                "holds {blocks} PEM blocks (a certificate chain, or several keys in one file): \
                 give one PUBLIC KEY per file"
            ));
        }
        if blocks == 0 {
            return Err(
                "holds no PEM block (empty?): give the instance's PUBLIC KEY, \
                 `openssl pkey -in hub.key -pubout`"
                    .into(),
            );
        }
        let (label, spki) = pem_rfc7468::decode_vec(pem.as_bytes()).map_err(|e| e.to_string())?;
        if label.ends_with("PRIVATE KEY") {
            return Err(format!(
                "a {label}, not a PUBLIC KEY: a private key stays on its instance; give its \
                 public half, `openssl pkey -in FILE -pubout`"
            ));
        }
        if label == "PUBLIC KEY" && spki.len() == 59 && spki[2..23] == P256_SPKI_PREFIX[2..23] {
            return Err(
                "a P-256 PUBLIC KEY with its point compressed: give it uncompressed, \
                 `openssl ec -pubin -in FILE -pubout -conv_form uncompressed`"
                    .into(),
            );
        }
        if label == "CERTIFICATE" {
            return Err(
                "a CERTIFICATE, not a PUBLIC KEY: take its key out with `openssl x509 \
                 -pubkey -noout -in FILE`"
                    .into(),
            );
        }
        if label != "PUBLIC KEY" || !spki.starts_with(&P256_SPKI_PREFIX) || spki.len() != 91 {
            return Err("not an ECDSA P-256 PUBLIC KEY".into());
        }
        Ok(CheckpointKey { spki })
    }

    /// Whether `cp` names this key and its signature verifies with it; why not, otherwise.
    pub fn check(&self, cp: &Checkpoint) -> Result<(), String> {
        self.verifies(cp).map_err(|e| e.to_string())
    }

    /// No key at all (none was found): every checkpoint fails to verify with it.
    pub fn unknown() -> CheckpointKey {
        CheckpointKey { spki: Vec::new() }
    }

    /// The key id checkpoints signed by it carry.
    pub fn key_id(&self) -> String {
        if self.spki.is_empty() {
            return "(none: no checkpoint key found)".into();
        }
        key_id(&self.spki)
    }

    /// Whether `signature` (ASN.1 DER) is this key's ECDSA P-256 SHA-256 signature of `message`.
    pub(crate) fn verifies_bytes(&self, message: &[u8], signature: &[u8]) -> bool {
        let point = self.spki.get(P256_SPKI_PREFIX.len()..).unwrap_or_default();
        UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, point)
            .verify(message, signature)
            .is_ok()
    }

    fn verifies(&self, cp: &Checkpoint) -> Result<(), Unsigned> {
        if cp.key_id != self.key_id() {
            return Err(Unsigned::OtherKey {
                signed_by: cp.key_id.clone(),
                hub: self.key_id(),
            });
        }
        let point = self.spki.get(P256_SPKI_PREFIX.len()..).unwrap_or_default();
        UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, point)
            .verify(cp.signed_text().as_bytes(), &cp.signature_der()?)
            .map_err(|_| Unsigned::DoesNotVerify)
    }
}

/// Why a checkpoint is not signed by the hub's checkpoint key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum Unsigned {
    /// It names another key.
    #[error("signed by key {signed_by}, not by the hub's key {hub}")]
    OtherKey { signed_by: String, hub: String },
    /// The signature field is not base64.
    #[error("signature is not base64: {0}")]
    NotBase64(#[from] base64::DecodeError),
    /// ECDSA P-256 over the signed text fails.
    #[error("the signature does not verify")]
    DoesNotVerify,
}

impl From<&CheckpointSigner> for CheckpointKey {
    fn from(s: &CheckpointSigner) -> Self {
        CheckpointKey {
            spki: s.spki.clone(),
        }
    }
}

/// Reads and checks a whole checkpoint file: every line parses, numbers run 1, 2, 3, …, entries
/// and times never go back, and every signature verifies with `key`. A missing file is `Ok(None)`;
/// an empty one `Ok(Some(vec![]))`.
pub fn read_file(
    path: &Path,
    key: &CheckpointKey,
) -> Result<Option<Vec<Checkpoint>>, CheckpointError> {
    let text = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(file_error(path, e)),
    };
    let bad = |line: usize, reason: String| CheckpointError::BadLine {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let mut out: Vec<Checkpoint> = Vec::new();
    for (i, raw) in text.split(|b| *b == b'\n').enumerate() {
        let line = i + 1;
        if raw.is_empty() {
            continue;
        }
        let cp: Checkpoint = serde_json::from_slice(raw)
            .map_err(|e| bad(line, format!("not a checkpoint ({e})")))?;
        let expected = out.last().map_or(1, |p| p.number + 1);
        if cp.number != expected {
            return Err(bad(
                line,
                format!("checkpoint {} where {expected} was due", cp.number),
            ));
        }
        if let Some(p) = out.last()
            && (cp.seq < p.seq || cp.at < p.at)
        {
            return Err(bad(
                line,
                format!(
                    "checkpoint {} goes back behind checkpoint {}",
                    cp.number, p.number
                ),
            ));
        }
        key.verifies(&cp).map_err(|r| match r {
            Unsigned::OtherKey { signed_by, hub } => CheckpointError::OtherKey {
                path: path.to_path_buf(),
                line,
                number: cp.number,
                signed_by,
                hub,
            },
            r => bad(line, format!("checkpoint {}: {r}", cp.number)),
        })?;
        out.push(cp);
    }
    Ok(Some(out))
}

/// Compares the log with a checkpoint: the log must reach the entry it names, with its hash.
/// `hash_at(seq)` reads an entry's hash from the log.
pub fn check_log(
    head: &ChainHead,
    cp: &Checkpoint,
    hash_at: impl FnOnce(u64) -> Option<[u8; 32]>,
    accepted: &[(u64, u64)],
) -> Result<(), CheckpointError> {
    // An operator recorded that the entries this checkpoint vouched for are lost.
    if accepted
        .iter()
        .any(|(first, last)| (*first..=*last).contains(&cp.seq))
    {
        return Ok(());
    }
    if head.seq < cp.seq {
        return Err(CheckpointError::Truncated {
            log_ends_at: head.seq,
            first_missing: head.seq + 1,
            number: cp.number,
            at: cp.at_beijing(),
            seq: cp.seq,
            hash: cp.hash.clone(),
        });
    }
    if cp.seq == 0 {
        return Ok(());
    }
    let found = hash_at(cp.seq).map(hex::encode).unwrap_or_default();
    if found != cp.hash {
        return Err(CheckpointError::Diverged {
            seq: cp.seq,
            found,
            number: cp.number,
            at: cp.at_beijing(),
            hash: cp.hash.clone(),
        });
    }
    Ok(())
}

/// An append-only checkpoint file, synced after every line.
#[derive(Debug)]
pub struct CheckpointFile {
    path: PathBuf,
    file: std::fs::File,
}

impl CheckpointFile {
    /// Opens (creating) `dir/checkpoints.jsonl` for appending, and writes `dir/key.pem` when it is
    /// missing. A new file's directory entry is synced too.
    pub fn open(dir: &Path, key: &CheckpointSigner) -> Result<CheckpointFile, CheckpointError> {
        std::fs::create_dir_all(dir).map_err(|e| file_error(dir, e))?;
        // The public key beside the file is for people and openssl; the hub's key decides.
        let key_path = dir.join(KEY_NAME);
        let pem = key.public_key_pem();
        if std::fs::read_to_string(&key_path).ok().as_deref() != Some(pem.as_str()) {
            std::fs::write(&key_path, pem).map_err(|e| file_error(&key_path, e))?;
        }
        let path = dir.join(FILE_NAME);
        let file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|e| file_error(&path, e))?;
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| file_error(dir, e))?;
        Ok(CheckpointFile { path, file })
    }

    /// Appends one checkpoint and syncs it to disk before returning. A line that could not be
    /// written whole (a full disk) is cut off again, so that the next line starts a line.
    pub fn append(&mut self, cp: &Checkpoint) -> Result<(), CheckpointError> {
        let mut line = serde_json::to_vec(cp).expect("checkpoints serialise");
        line.push(b'\n');
        let mark = self.bytes()?;
        let written = self
            .file
            .write_all(&line)
            .and_then(|()| self.file.sync_data());
        if let Err(e) = written {
            let _ = self.truncate_to(mark);
            return Err(file_error(&self.path, e));
        }
        Ok(())
    }

    /// The file's length in bytes.
    pub fn bytes(&self) -> Result<u64, CheckpointError> {
        self.file
            .metadata()
            .map(|m| m.len())
            .map_err(|e| file_error(&self.path, e))
    }

    /// Cuts the file back to `len` bytes (the lines it held before an append that must not
    /// stand), synced.
    pub fn truncate_to(&mut self, len: u64) -> Result<(), CheckpointError> {
        self.file
            .set_len(len)
            .and_then(|()| self.file.sync_data())
            .map_err(|e| file_error(&self.path, e))
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
pub(crate) mod tests;
