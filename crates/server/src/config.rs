//! Hub configuration: embedded defaults, overridden by a TOML file, then by environment and flags
//! (the binary applies those last two).

use ecenter_domain::RoutingTable;
use ecenter_domain::policy::CourtPolicy;
use ecenter_domain::submission::Limits;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Everything the hub needs to run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address of the gRPC port.
    pub listen: SocketAddr,
    /// Where the log and the documents live.
    pub data_dir: PathBuf,
    /// Where the log of record is kept (`[store]`): sled in `data_dir` (one hub), or PostgreSQL
    /// shared by several hubs, each keeping its read models in `data_dir`.
    pub store: StoreConfig,
    /// Serve without TLS. Only allowed on loopback, and only when asked for.
    pub dev_mode: bool,
    /// Seconds a stop waits for requests in flight before the process exits without them
    /// (default 30; a second stop signal ends the process at once).
    pub stop_grace_secs: u64,
    /// Mutual TLS; when set, the hub serves only mTLS (dev_mode is ignored).
    pub tls: Option<crate::tls::TlsConfig>,
    /// Filing limits.
    pub limits: LimitsConfig,
    /// The kinds of filing the court takes and its fees (`[policy]`; GetPolicy).
    pub policy: PolicyConfig,
    /// Receipts as PDFs sealed by the court (`[receipts]`; GetReceipt with pdf).
    pub receipts: ReceiptsConfig,
    /// Per-identity rate and concurrency limits.
    pub request_limits: ecenter_api::guard::RequestLimits,
    /// Electronic seals: keys and trust stores; SealService answers FAILED_PRECONDITION without them.
    pub seals: Option<ecenter_api::seal::SealConfig>,
    /// Department routing.
    pub routing: RoutingTable,
    /// Electronic service (电子送达); ServiceOfProcess answers FAILED_PRECONDITION without it.
    pub service: Option<ecenter_api::service::ServiceConfig>,
    /// Signed checkpoints of the log: key, frequency, witnesses.
    pub checkpoints: crate::checkpoints::CheckpointConfig,
    /// The background scrub of stored documents.
    pub scrub: ecenter_api::scrub::ScrubConfig,
    /// The budget of every parse of a document the hub did not write (`[parsing]`).
    pub parsing: ecenter_budget::Limits,
    /// How many parses at once, per caller and in how much memory (`[parse_pool]`).
    pub parse_pool: ecenter_api::parsing::PoolConfig,
    /// Similar cases (`[similar]`): the band of CheckOutcome's warning (偏离度预警).
    pub similar: ecenter_api::similar::SimilarConfig,
    /// An operator's acceptance of lost log entries (`ecenterd --accept-loss`; never from a file).
    #[serde(skip)]
    pub accept_loss: Option<crate::loss::LossAcceptance>,
}

impl Default for Config {
    /// A hub on loopback with its data in `./ecenter-data`.
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:50051".parse().expect("constant address"),
            data_dir: PathBuf::from("ecenter-data"),
            store: StoreConfig::Sled,
            dev_mode: false,
            stop_grace_secs: 30,
            tls: None,
            limits: LimitsConfig::default(),
            policy: PolicyConfig::default(),
            receipts: ReceiptsConfig::default(),
            request_limits: ecenter_api::guard::RequestLimits::default(),
            seals: None,
            routing: RoutingTable::default(),
            service: None,
            checkpoints: crate::checkpoints::CheckpointConfig::default(),
            scrub: ecenter_api::scrub::ScrubConfig::default(),
            parsing: ecenter_budget::Limits::default(),
            parse_pool: ecenter_api::parsing::PoolConfig::default(),
            similar: ecenter_api::similar::SimilarConfig::default(),
            accept_loss: None,
        }
    }
}

/// `[store]`: which log of record the hub keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "backend", rename_all = "lowercase")]
pub enum StoreConfig {
    /// `backend = "sled"` (the default): the log and read models in `data_dir`, for one court on one
    /// machine.
    #[default]
    Sled,
    /// `backend = "postgres"` with `url` (and `ca_file`): the log in PostgreSQL, shared by every hub
    /// configured with it; `data_dir` keeps this hub's replica of the read models.
    Postgres(ecenter_store::PostgresConfig),
}

/// Filing limits as configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest document in bytes (default 100 MiB).
    pub max_document_bytes: u64,
    /// Most documents in one filing (default 50).
    pub max_documents: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        let l = Limits::default();
        LimitsConfig {
            max_document_bytes: l.max_document_bytes,
            max_documents: l.max_documents,
        }
    }
}

impl LimitsConfig {
    /// The domain's view of the limits.
    pub fn to_limits(&self) -> Limits {
        Limits {
            max_document_bytes: self.max_document_bytes,
            max_documents: self.max_documents,
        }
    }
}

/// The court's filing policy as configured: `[[policy.filing_kinds]]` (code, name, starts_case)
/// and `[[policy.fees]]` (filing_kind, description, amount_fen). Without the section, the common
/// kinds of [`ecenter_domain::policy::default_filing_kinds`] and no fees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyConfig {
    /// The kinds of filing taken, in the order lawyers are shown them.
    pub filing_kinds: Vec<ecenter_domain::policy::FilingKind>,
    /// Fees, where the court charges them.
    pub fees: Vec<ecenter_domain::policy::Fee>,
    /// The court codes (法院代字) whose case numbers the hub takes, each covering the codes that
    /// begin with it (`["鄂06"]`: the court and its city's basic courts); empty: any court's.
    pub court_codes: Vec<String>,
}

/// Sealed receipts (签收单 PDF): the registry's seal applied to them and a Chinese font to lay
/// them out with. Without both, GetReceipt answers FAILED_PRECONDITION when a PDF is asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReceiptsConfig {
    /// The seal (its id in the registry) applied to receipts.
    pub seal_id: Option<String>,
    /// A CJK TrueType/OpenType font, e.g. /usr/share/fonts/truetype/wqy/wqy-microhei.ttc.
    pub font: Option<PathBuf>,
    /// The face of a font collection (`.ttc`).
    pub font_index: u32,
    /// The court's name printed above the seal; default: `[service] court`.
    pub court: Option<String>,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            filing_kinds: ecenter_domain::policy::default_filing_kinds(),
            fees: Vec::new(),
            court_codes: Vec::new(),
        }
    }
}

impl Config {
    /// The court's policy: `[policy]`, `[limits]` and the court's name from `[service] court`,
    /// checked ([`CourtPolicy::check`]: the error names the setting).
    pub fn court_policy(&self) -> Result<CourtPolicy, ecenter_domain::policy::PolicyError> {
        let policy = CourtPolicy {
            court: self
                .service
                .as_ref()
                .map(|s| s.court.clone())
                .unwrap_or_default(),
            limits: self.limits.to_limits(),
            filing_kinds: self
                .policy
                .filing_kinds
                .iter()
                .map(|k| ecenter_domain::policy::FilingKind {
                    code: k.code.trim().to_string(),
                    name: k.name.trim().to_string(),
                    starts_case: k.starts_case,
                })
                .collect(),
            fees: self.policy.fees.clone(),
            court_codes: (self.policy.court_codes.iter())
                .map(|c| c.trim().to_string())
                .collect(),
        };
        policy.check()?;
        Ok(policy)
    }

    /// The routing table with each rule's filing kind as the policy records it (a rule may name a
    /// kind by its code); a kind the policy does not list is refused, naming the rule, since such
    /// a rule would silently never match.
    pub fn routing_table(&self, policy: &CourtPolicy) -> Result<RoutingTable, String> {
        let mut table = self.routing.clone();
        for (i, rule) in table.rules.iter_mut().enumerate() {
            if let Some(given) = &rule.filing_kind {
                let kind = policy.kind(given).ok_or_else(|| {
                    format!(
                        "routing.rules[{i}].filing_kind 「{given}」 is not a kind of the policy; use one of {}",
                        policy.kinds_list()
                    )
                })?;
                rule.filing_kind = Some(kind.name.clone());
            }
        }
        Ok(table)
    }

    /// Parses a TOML document on top of the defaults.
    pub fn from_toml(text: &str) -> Result<Config, toml::de::Error> {
        toml::from_str(text)
    }

    /// Reads a configuration file on top of the defaults. A relative path in it (a certificate, a
    /// key, the data directory, …; see [`is_path_setting`]) is taken from the file's directory, so
    /// the hub reads the same files whatever directory it is started from.
    pub fn from_file(path: &Path) -> Result<Config, ConfigFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigFileError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let parse = |source| ConfigFileError::Parse {
            path: path.to_path_buf(),
            source,
        };
        // Parsed as text first, so that a mistake is reported with its line and column.
        Config::from_toml(&text).map_err(parse)?;
        let mut table: toml::Table = toml::from_str(&text).map_err(parse)?;
        let base = std::path::absolute(path)
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_default();
        for (key, value) in &mut table {
            resolve_paths(key, value, &base);
        }
        toml::Table::try_into(table).map_err(parse)
    }
}

/// Why a configuration file cannot be used; names the file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    /// It cannot be read.
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// It is not TOML, or a setting is unknown or of the wrong type (the message names it).
    #[error("{path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line.
        source: toml::de::Error,
    },
}

/// Whether a setting holds a path (or a list of paths): certificates, keys, trust lists,
/// directories and `*_file` settings.
pub fn is_path_setting(key: &str) -> bool {
    const NAMED: [&str; 17] = [
        "cert",
        "key",
        "client_ca",
        "client_crl",
        "maker_cert",
        "maker_key",
        "signer_cert",
        "signer_key",
        "tsa_cert",
        "tsa_key",
        "trust_seal_makers",
        "trust_signers",
        "trust_tsas",
        "intermediates",
        "crls",
        "proof_font",
        "font",
    ];
    NAMED.contains(&key)
        || key.ends_with("_file")
        || key.ends_with("_dir")
        || key.ends_with("_dirs")
        || key.ends_with("_maildir")
}

/// Makes the relative paths under `key` absolute against `base`, through tables and arrays.
fn resolve_paths(key: &str, value: &mut toml::Value, base: &Path) {
    match value {
        toml::Value::String(s) if is_path_setting(key) && Path::new(s.as_str()).is_relative() => {
            *s = base.join(s.as_str()).display().to_string();
        }
        toml::Value::Array(items) => {
            for item in items {
                resolve_paths(key, item, base);
            }
        }
        toml::Value::Table(table) => {
            for (k, v) in table {
                resolve_paths(k, v, base);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_is_sled_unless_postgres_is_named_with_its_url() {
        assert_eq!(Config::from_toml("").unwrap().store, StoreConfig::Sled);
        let c = Config::from_toml(
            "[store]\nbackend = \"postgres\"\nurl = \"host=db1,db2 target_session_attrs=read-write\"\n",
        )
        .unwrap();
        let StoreConfig::Postgres(pg) = c.store else {
            panic!("postgres expected")
        };
        assert_eq!(pg.url, "host=db1,db2 target_session_attrs=read-write");
        assert_eq!(pg.ca_file, None);
        assert!(pg.instance_keys.is_empty());
        assert_eq!(
            pg.recheck_every(),
            Some(std::time::Duration::from_secs(86_400))
        );
        let c = Config::from_toml(
            "[store]\nbackend = \"postgres\"\nurl = \"x\"\ninstance_keys = [\"a.pub\", \"b.pub\"]\nrecheck_every_secs = 0\n",
        )
        .unwrap();
        let StoreConfig::Postgres(pg) = c.store else {
            panic!("postgres expected")
        };
        assert_eq!(
            pg.instance_keys,
            [PathBuf::from("a.pub"), PathBuf::from("b.pub")]
        );
        assert_eq!(pg.recheck_every(), None, "0: only the walk at the start");
        for (text, says) in [
            ("[store]\nbackend = \"postgres\"\n", "missing field `url`"),
            (
                "[store]\nbackend = \"postgres\"\nurl = \"x\"\ninstance_keys = []\n",
                "instance_keys = [] pins no key",
            ),
            ("[store]\nbackend = \"mysql\"\n", "unknown variant `mysql`"),
            (
                "[store]\nbackend = \"postgres\"\nurl = \"x\"\nuser = \"y\"\n",
                "unknown field `user`",
            ),
        ] {
            let err = Config::from_toml(text).unwrap_err().to_string();
            assert!(err.contains(says), "{text}: {err}");
        }
    }

    #[test]
    fn a_partial_file_keeps_the_other_defaults() {
        let c = Config::from_toml(
            r#"
            listen = "127.0.0.1:7000"
            [limits]
            max_documents = 5
            [routing]
            default_department = "立案庭"
            [[routing.rules]]
            department = "民一庭"
            case_type_prefix = "民"
            "#,
        )
        .unwrap();
        assert_eq!(c.listen.port(), 7000);
        assert_eq!(c.limits.max_documents, 5);
        assert_eq!(c.limits.max_document_bytes, 100 * 1024 * 1024);
        assert_eq!(c.routing.rules[0].department, "民一庭");
        assert!(!c.dev_mode);
        assert_eq!(c.court_policy().unwrap().filing_kinds[0].name, "起诉状");
    }

    #[test]
    fn relative_paths_in_a_file_are_taken_from_its_directory() {
        // The README's example with every absolute path made relative: each one resolves.
        let readme = include_str!("../../../README.md");
        let start = readme.find("```toml").expect("a TOML example in README.md") + 7;
        let end = start + readme[start..].find("```").expect("the example ends");
        let relative = readme[start..end].replace("\"/", "\"rel/");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hub.toml");
        std::fs::write(&file, &relative).unwrap();
        let c = Config::from_file(&file).unwrap();
        let printed = toml::to_string(&c).unwrap();
        assert!(
            !printed.contains("\"rel/"),
            "a path left relative: {printed}"
        );
        assert_eq!(c.data_dir, dir.path().join("rel/var/lib/ecenter"));
        assert_eq!(
            c.tls.unwrap().cert,
            dir.path().join("rel/etc/ecenter/server.pem")
        );
        // Other strings are left alone.
        assert_eq!(c.routing.default_department, "立案庭");
        let missing = Config::from_file(&dir.path().join("nope.toml")).unwrap_err();
        assert!(missing.to_string().contains("nope.toml"), "{missing}");
    }

    #[test]
    fn a_court_lists_its_own_kinds_and_fees_and_a_bad_list_names_the_setting() {
        let c = Config::from_toml(
            r#"
            [[policy.filing_kinds]]
            code = "COMPLAINT"
            name = "起诉状"
            starts_case = true
            [[policy.filing_kinds]]
            code = "EVIDENCE"
            name = "证据材料"
            [[policy.fees]]
            filing_kind = "COMPLAINT"
            description = "案件受理费，按《诉讼费用交纳办法》第十三条计算"
            "#,
        )
        .unwrap();
        let p = c.court_policy().unwrap();
        assert_eq!(p.filing_kinds.len(), 2);
        assert!(!p.filing_kinds[1].starts_case);
        assert_eq!(p.fees[0].amount_fen, 0);
        let bad = Config::from_toml(
            r#"
            [[policy.fees]]
            filing_kind = "LETTER"
            description = "x"
            "#,
        )
        .unwrap();
        let e = bad.court_policy().unwrap_err().to_string();
        assert!(
            e.contains("policy.fees[0].filing_kind") && e.contains("LETTER"),
            "{e}"
        );
        // Routing rules may name a kind by its code; one the policy lacks is named.
        let routed = Config::from_toml(
            "[routing]\ndefault_department = \"立案庭\"\n[[routing.rules]]\ndepartment = \"民一庭\"\nfiling_kind = \"EVIDENCE\"\n",
        )
        .unwrap();
        let policy = routed.court_policy().unwrap();
        let table = routed.routing_table(&policy).unwrap();
        assert_eq!(table.rules[0].filing_kind.as_deref(), Some("证据材料"));
        let mut unknown = routed.clone();
        unknown.routing.rules[0].filing_kind = Some("证据".into());
        let e = unknown.routing_table(&policy).unwrap_err();
        assert!(e.contains("routing.rules[0].filing_kind"), "{e}");
    }

    #[test]
    fn the_configuration_shown_in_the_readme_parses() {
        let readme = include_str!("../../../README.md");
        let start = readme.find("```toml").expect("a TOML example in README.md") + 7;
        let end = start + readme[start..].find("```").expect("the example ends");
        let c = Config::from_toml(&readme[start..end]).unwrap();
        let policy = c.court_policy().unwrap();
        assert_eq!(policy.fees[0].filing_kind, "COMPLAINT");
        assert_eq!(policy.court, "湖北省襄阳市中级人民法院");
        assert!(policy.filing_kinds.len() > 10, "the common kinds stay");
        let service = c.service.expect("the example shows [service]");
        assert_eq!(service.court, "湖北省襄阳市中级人民法院");
        assert_eq!(service.smtp.unwrap().dkim.unwrap().selector, "songda2026");
        assert_eq!(service.retry.max_attempts, 8);
        let sms = service.sms.expect("the example shows [service.sms]");
        assert_eq!(
            (sms.security, sms.window),
            (ecenter_api::service::SmsSecuritySetting::Tls, 32)
        );
        assert_eq!(sms.receipt_timeout_secs, 1800);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = Config::from_toml("listn = \"127.0.0.1:1\"").unwrap_err();
        assert!(err.to_string().contains("listn"), "{err}");
    }
}
