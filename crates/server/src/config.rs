//! Hub configuration: embedded defaults, overridden by a TOML file, then by environment and flags
//! (the binary applies those last two).

use ecenter_domain::RoutingTable;
use ecenter_domain::submission::Limits;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Everything the hub needs to run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address of the gRPC port.
    pub listen: SocketAddr,
    /// Where the log and the documents live.
    pub data_dir: PathBuf,
    /// Serve without TLS. Only allowed on loopback, and only when asked for.
    pub dev_mode: bool,
    /// Seconds a stop waits for requests in flight before the process exits without them.
    pub stop_grace_secs: u64,
    /// Mutual TLS; when set, the hub serves only mTLS (dev_mode is ignored).
    pub tls: Option<crate::tls::TlsConfig>,
    /// Filing limits.
    pub limits: LimitsConfig,
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
            dev_mode: false,
            stop_grace_secs: 10,
            tls: None,
            limits: LimitsConfig::default(),
            request_limits: ecenter_api::guard::RequestLimits::default(),
            seals: None,
            routing: RoutingTable::default(),
            service: None,
            checkpoints: crate::checkpoints::CheckpointConfig::default(),
            scrub: ecenter_api::scrub::ScrubConfig::default(),
            parsing: ecenter_budget::Limits::default(),
            parse_pool: ecenter_api::parsing::PoolConfig::default(),
            accept_loss: None,
        }
    }
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

impl Config {
    /// Parses a TOML document on top of the defaults.
    pub fn from_toml(text: &str) -> Result<Config, toml::de::Error> {
        toml::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }

    #[test]
    fn the_configuration_shown_in_the_readme_parses() {
        let readme = include_str!("../../../README.md");
        let start = readme.find("```toml").expect("a TOML example in README.md") + 7;
        let end = start + readme[start..].find("```").expect("the example ends");
        let c = Config::from_toml(&readme[start..end]).unwrap();
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
