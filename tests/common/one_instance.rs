//! One hub on a PostgreSQL database of its own, and the drill the tests of a database altered
//! around the hubs share: file once, tamper with the database as its role could, and expect every
//! later write refused naming what was done, with the instance's health NOT_SERVING so that a
//! balancer takes it out.

use super::postgres::{database_for, psql};
use super::*;
use ecenter_server::config::StoreConfig;

const COURT_CMS: &str = "court-xiangyang-cms";
const LAWYER: &str = "lawyer-14201202010000001";

/// One instance's data directory on a database of its own, with the PKI its hub serves.
pub struct OneInstance {
    pub pki: tempfile::TempDir,
    _shared: tempfile::TempDir,
    pub db: String,
    pub config: ecenter_store::postgres::PostgresConfig,
    pub dir: tempfile::TempDir,
}

impl OneInstance {
    pub fn new() -> OneInstance {
        let pki = tempfile::tempdir().unwrap();
        ecenter_pki::init(pki.path(), false).unwrap();
        let shared = tempfile::tempdir().unwrap();
        let (db, config) = database_for(shared.path());
        let dir = tempfile::tempdir().unwrap();
        OneInstance {
            pki,
            _shared: shared,
            db,
            config,
            dir,
        }
    }

    /// Starts its hub, files `id` (one PDF made of it) as a lawyer, and stops it: the document
    /// and its receipt.
    pub async fn file_one_and_stop(&self, id: &str) -> (Vec<u8>, ecenter_proto::v1::Receipt) {
        let hub = self.start().await;
        let mut lawyer = tls_client(hub.addr, self.pki.path(), LAWYER).await;
        let doc = pdf(id);
        let filed = submit(&mut lawyer, id, CASE, "证据材料", &[("a.pdf", &doc)]).await;
        drop(lawyer);
        hub.stop().await;
        (doc, filed.unwrap().receipt.unwrap())
    }

    /// Starts (or starts again) its hub over mutual TLS.
    pub async fn start(&self) -> TestHub {
        let store = StoreConfig::Postgres(self.config.clone());
        start_tls_with(self.dir.path(), self.pki.path(), move |c| c.store = store).await
    }
}

/// The health `hub` reports to the court's system (`grpc.health.v1`), as its number.
pub async fn serving(hub: &TestHub, pki: &Path) -> i32 {
    use tonic_health::pb::health_client::HealthClient;
    let mut health = HealthClient::new(channel_as(hub.addr, pki, COURT_CMS).await);
    health
        .check(tonic_health::pb::HealthCheckRequest::default())
        .await
        .unwrap()
        .into_inner()
        .status
}

/// Waits (up to 30 s) until `hub`'s health is NOT_SERVING.
pub async fn until_not_serving(hub: &TestHub, pki: &std::path::Path) {
    use tonic_health::pb::health_check_response::ServingStatus;
    let mut status = serving(hub, pki).await;
    for _ in 0..300 {
        if status == ServingStatus::NotServing as i32 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        status = serving(hub, pki).await;
    }
    assert_eq!(status, ServingStatus::NotServing as i32);
}

/// Files `id` (one PDF made of it) and expects it refused as UNAVAILABLE, nothing recorded:
/// what the hub says.
pub async fn refused_filing(lawyer: &mut FilingServiceClient<Channel>, id: &str) -> String {
    let refused = submit(lawyer, id, CASE, "证据材料", &[("a.pdf", &pdf(id))])
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unavailable, "{refused:?}");
    refused.message().to_string()
}

/// Files once, runs `sql` on the instance's database around it, then expects two filings
/// refused (UNAVAILABLE) with a message holding `named`, and the health NOT_SERVING.
pub async fn tamper_then_expect_the_stop(sql: &str, named: &str) {
    use tonic_health::pb::health_check_response::ServingStatus;
    let one = OneInstance::new();
    let hub = one.start().await;
    let mut lawyer = tls_client(hub.addr, one.pki.path(), LAWYER).await;
    let doc = pdf("before the database was altered");
    submit(
        &mut lawyer,
        "tamper-0001",
        CASE,
        "证据材料",
        &[("a.pdf", &doc)],
    )
    .await
    .unwrap();
    psql(&one.db, sql);
    for id in ["tamper-0002", "tamper-0003"] {
        let said = refused_filing(&mut lawyer, id).await;
        assert!(said.contains(named), "{said}");
    }
    let status = serving(&hub, one.pki.path()).await;
    assert_eq!(status, ServingStatus::NotServing as i32);
    let _ = hub.stop_result().await;
}

/// Why a hub on `data_dir` and the database `config` does not open.
pub fn refused_at_start(
    data_dir: &std::path::Path,
    config: &ecenter_store::postgres::PostgresConfig,
) -> String {
    let config = ecenter_server::config::Config {
        dev_mode: true,
        data_dir: data_dir.to_path_buf(),
        store: StoreConfig::Postgres(config.clone()),
        ..Default::default()
    };
    match ecenter_server::Hub::open(config, "127.0.0.1:0".parse().unwrap()) {
        Ok(_) => panic!("the hub opened"),
        Err(e) => e.to_string(),
    }
}
