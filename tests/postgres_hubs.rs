//! Several hubs, one log: two hubs serving mutual TLS on loopback share one PostgreSQL database
//! (`[store] backend = "postgres"`), each with its own data directory. A lawyer files on one and
//! the court reads, downloads and watches on the other; the request sent again to the other hub is
//! the same filing, replayed (sent to both at once, it is one filing too: the store's tests);
//! both hubs name the same chain head, and PostgreSQL's own SHA-256 agrees with it.

mod common;

use common::postgres::{database_for, psql};
use common::*;
use ecenter_proto::v1 as pb;
use ecenter_server::config::StoreConfig;
use std::path::Path;
use std::time::Duration;

const LAWYER: &str = "lawyer-14201202010000001";
const COURT_CMS: &str = "court-xiangyang-cms";

/// Two hubs with the PKI in `pki` on the database named after `shared`.
async fn two_hubs(pki: &Path, shared: &Path) -> (TestHub, TestHub, [tempfile::TempDir; 2], String) {
    let (db, config) = database_for(shared);
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let mut hubs = Vec::new();
    for dir in &dirs {
        let store = StoreConfig::Postgres(config.clone());
        hubs.push(start_tls_with(dir.path(), pki, move |c| c.store = store).await);
    }
    let b = hubs.pop().unwrap();
    let a = hubs.pop().unwrap();
    (a, b, dirs, db)
}

/// The chain head as a clerk reads it over mTLS.
async fn chain_head(hub: &TestHub, pki: &Path) -> pb::ChainHead {
    let channel = channel_as(hub.addr, pki, "clerk-c0001").await;
    ecenter_proto::v1::event_log_service_client::EventLogServiceClient::new(channel)
        .get_chain_head(pb::GetChainHeadRequest {})
        .await
        .unwrap()
        .into_inner()
}

/// Waits until `hub` shows the filing (its replica follows PostgreSQL within moments).
async fn filing_on(hub: &TestHub, pki: &Path, filing_id: &str) -> pb::Filing {
    let mut court = tls_client(hub.addr, pki, COURT_CMS).await;
    for _ in 0..200 {
        let got = court
            .get_filing(pb::GetFilingRequest {
                filing_id: filing_id.into(),
            })
            .await;
        if let Ok(f) = got {
            return f.into_inner();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{filing_id} never reached the other hub")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_filing_made_on_one_hub_is_read_downloaded_and_watched_on_another() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let shared = tempfile::tempdir().unwrap();
    let (a, b, _dirs, db) = two_hubs(pki.path(), shared.path()).await;

    let mut court_b = tls_client(b.addr, pki.path(), COURT_CMS).await;
    let mut watch = watch_department(&mut court_b, "民事审判庭").await;

    let answer = pdf("答辩状 filed on hub A");
    let mut lawyer_a = tls_client(a.addr, pki.path(), LAWYER).await;
    let receipt = file_evidence(&mut lawyer_a, "pg-hubs-1", &answer).await;

    let seen = tokio::time::timeout(Duration::from_secs(20), watch.message())
        .await
        .expect("hub B streams hub A's filing")
        .unwrap()
        .unwrap();
    assert_eq!(seen.filing_id, receipt.filing_id);

    let on_b = filing_on(&b, pki.path(), &receipt.filing_id).await;
    assert_eq!(on_b.documents[0].sha256, sha256_hex(&answer));
    let bytes = download(
        &mut court_b,
        &receipt.filing_id,
        &on_b.documents[0].document_id,
    )
    .await
    .unwrap();
    assert_eq!(bytes, answer, "hub B serves the document hub A received");

    // The same request id sent to hub B is the same filing, replayed.
    let mut lawyer_b = tls_client(b.addr, pki.path(), LAWYER).await;
    let again = submit(
        &mut lawyer_b,
        "pg-hubs-1",
        CASE,
        "证据材料",
        &[("e.pdf", &answer)],
    )
    .await
    .unwrap();
    assert!(again.replayed);
    assert_eq!(again.receipt.unwrap().filing_id, receipt.filing_id);

    let head_a = chain_head(&a, pki.path()).await;
    let mut head_b = chain_head(&b, pki.path()).await;
    for _ in 0..200 {
        if head_b.seq >= head_a.seq {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        head_b = chain_head(&b, pki.path()).await;
    }
    assert_eq!((head_a.seq, &head_a.hash), (head_b.seq, &head_b.hash));
    let stored = psql(
        &db,
        "SELECT seq || ' ' || encode(hash, 'hex') FROM ecenter_head",
    );
    assert_eq!(stored, format!("{} {}", head_a.seq, head_a.hash));
    let verified = psql(
        &db,
        "SELECT bool_and(sha256(substring(entry from 33)) = hash) FROM ecenter_log",
    );
    assert_eq!(verified, "t");
    a.stop().await;
    b.stop().await;
}
