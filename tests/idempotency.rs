//! Idempotent submission: a retry returns the original receipt; a reused id with other content is refused.

mod common;

use common::*;
use ecenter_proto::v1 as pb;

#[tokio::test]
async fn a_retry_returns_the_original_receipt_and_stores_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let mut lawyer = hub.client(LAWYER_A).await;
    let doc = pdf("once");
    let first = submit(
        &mut lawyer,
        "req-idem-0001",
        CASE,
        "答辩状",
        &[("答辩状.pdf", &doc)],
    )
    .await
    .unwrap();
    let head = hub.chain_head().await;
    let again = submit(
        &mut lawyer,
        "req-idem-0001",
        CASE,
        "答辩状",
        &[("答辩状.pdf", &doc)],
    )
    .await
    .unwrap();
    assert!(!first.replayed);
    assert!(again.replayed);
    // The same receipt; only the newest signed checkpoint it names may have moved on meanwhile.
    let without_checkpoint = |r: Option<pb::Receipt>| {
        r.map(|r| pb::Receipt {
            checkpoint: None,
            ..r
        })
    };
    assert_eq!(
        without_checkpoint(again.receipt),
        without_checkpoint(first.receipt)
    );
    let head_after = hub.chain_head().await;
    assert_eq!(head_after, head, "a replay appends nothing");
    let all = list_all(&mut lawyer, pb::ListFilingsRequest::default()).await;
    assert_eq!(all.len(), 1);
    hub.stop().await;
}

#[tokio::test]
async fn the_same_request_id_with_different_content_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let mut lawyer = hub.client(LAWYER_A).await;
    let doc = pdf("original");
    let first = submit(
        &mut lawyer,
        "req-idem-0002",
        CASE,
        "答辩状",
        &[("答辩状.pdf", &doc)],
    )
    .await
    .unwrap();
    let filing_id = first.receipt.unwrap().filing_id;
    let other = pdf("changed");
    let refused = submit(
        &mut lawyer,
        "req-idem-0002",
        CASE,
        "答辩状",
        &[("答辩状.pdf", &other)],
    )
    .await;
    assert_status(refused, tonic::Code::AlreadyExists, &filing_id);
    let other_kind = submit(
        &mut lawyer,
        "req-idem-0002",
        CASE,
        "代理词",
        &[("答辩状.pdf", &doc)],
    )
    .await;
    assert_status(other_kind, tonic::Code::AlreadyExists, "different content");
    // Request ids are per submitter: another lawyer's identical id is a different filing.
    let mut other_lawyer = hub.client(LAWYER_B).await;
    let theirs = submit(
        &mut other_lawyer,
        "req-idem-0002",
        CASE,
        "答辩状",
        &[("答辩状.pdf", &doc)],
    )
    .await
    .unwrap();
    assert!(!theirs.replayed);
    assert_ne!(theirs.receipt.unwrap().filing_id, filing_id);
    hub.stop().await;
}

#[tokio::test]
async fn concurrent_retries_of_one_request_create_exactly_one_filing() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let doc = pdf("raced");
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let mut c = hub.client(LAWYER_A).await;
        let doc = doc.clone();
        tasks.push(tokio::spawn(async move {
            submit(&mut c, "req-idem-race1", CASE, "答辩状", &[("a.pdf", &doc)])
                .await
                .unwrap()
        }));
    }
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    assert_eq!(results.iter().filter(|r| !r.replayed).count(), 1);
    let ids: std::collections::HashSet<_> = results
        .iter()
        .map(|r| r.receipt.as_ref().unwrap().filing_id.clone())
        .collect();
    assert_eq!(ids.len(), 1);
    let mut c = hub.client(COURT).await;
    assert_eq!(
        list_all(&mut c, pb::ListFilingsRequest::default())
            .await
            .len(),
        1
    );
    hub.stop().await;
}
