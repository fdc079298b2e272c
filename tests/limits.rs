//! Per-identity request limits: RESOURCE_EXHAUSTED with a retry hint, other callers unaffected.

mod common;

use common::*;
use ecenter_api::guard::RequestLimits;
use ecenter_proto::v1 as pb;
use tonic::Code;
use tonic_types::StatusExt;

#[tokio::test]
async fn a_caller_over_its_rate_is_told_when_to_retry_and_others_are_unaffected() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start_with(dir.path(), |c| {
        c.request_limits = RequestLimits {
            requests_per_second: 2,
            burst: 3,
            max_concurrent: 100,
        };
    })
    .await;
    let mut lawyer = hub.client(LAWYER_A).await;
    let mut refused = None;
    for _ in 0..30 {
        match lawyer.list_filings(pb::ListFilingsRequest::default()).await {
            Ok(_) => {}
            Err(s) => {
                refused = Some(s);
                break;
            }
        }
    }
    let status = refused.expect("30 calls at once exceed 2 per second with a burst of 3");
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert!(
        status.message().contains("more than 2 requests per second"),
        "{}",
        status.message()
    );
    let retry = status
        .get_details_retry_info()
        .expect("a RetryInfo detail")
        .retry_delay
        .expect("a delay");
    assert!(retry > std::time::Duration::ZERO);

    // Another identity has its own budget.
    let mut court = hub.client(COURT).await;
    court
        .list_filings(pb::ListFilingsRequest::default())
        .await
        .unwrap();
    // After the hinted delay the caller is served again.
    tokio::time::sleep(retry + std::time::Duration::from_millis(50)).await;
    lawyer
        .list_filings(pb::ListFilingsRequest::default())
        .await
        .unwrap();
    hub.stop().await;
}

/// Probes until a third call of the lawyer is refused while both `calls` upload, and checks the refusal.
async fn a_third_call_is_refused<T>(lawyer: &mut Client, calls: &[tokio::task::JoinHandle<T>]) {
    let mut probes = 0;
    let refused = loop {
        probes += 1;
        assert!(
            probes < 2_000
                && !calls
                    .iter()
                    .any(|c: &tokio::task::JoinHandle<_>| c.is_finished()),
            "an upload ended early (refused behind a probe) or never arrived"
        );
        match lawyer.list_filings(pb::ListFilingsRequest::default()).await {
            Err(s) if s.code() == Code::ResourceExhausted => break s,
            _ => tokio::time::sleep(std::time::Duration::from_millis(5)).await,
        }
    };
    assert!(
        refused
            .message()
            .contains("already has 2 requests in progress"),
        "{}",
        refused.message()
    );
    assert!(refused.get_details_retry_info().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_in_progress_count_against_the_concurrency_limit() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start_with(dir.path(), |c| {
        c.request_limits = RequestLimits {
            requests_per_second: 0,
            burst: 0,
            max_concurrent: 2,
        };
    })
    .await;
    let doc = pdf("slow upload");
    let mut senders = Vec::new();
    let mut calls = Vec::new();
    for i in 0..2 {
        let msgs = messages(
            header(
                &format!("req-conc-{i:04}"),
                CASE,
                "证据材料",
                &[("a.pdf", &doc)],
            ),
            &[&doc],
            64,
        );
        let (tx, rx) = tokio::sync::mpsc::channel(msgs.len());
        let mut msgs = msgs.into_iter();
        // The header and the first piece only, for now: the hub starts the document's file.
        tx.send(msgs.next().unwrap()).await.unwrap();
        tx.send(msgs.next().unwrap()).await.unwrap();
        let mut c = hub.client(LAWYER_A).await;
        calls.push(tokio::spawn(async move {
            c.submit_filing(tokio_stream::wrappers::ReceiverStream::new(rx))
                .await
        }));
        senders.push((tx, msgs));
    }
    // Both uploads hold a slot from the moment the hub accepts their streams: a third call of the
    // same lawyer is refused as soon as both have arrived.
    let mut lawyer = hub.client(LAWYER_A).await;
    // Both uploads reach the hub (each has begun its document's file) before probing: a probe
    // that arrived first would take a slot and the upload behind it would be refused.
    let tmp = hub.data_dir.join("blobs/tmp");
    common::service::until(60, "both uploads to begin", || async {
        assert!(
            !calls.iter().any(tokio::task::JoinHandle::is_finished),
            "an upload was refused before any probe"
        );
        (std::fs::read_dir(&tmp).map_or(0, Iterator::count) >= 2).then_some(())
    })
    .await;
    a_third_call_is_refused(&mut lawyer, &calls).await;
    let mut court = hub.client(COURT).await;
    court
        .list_filings(pb::ListFilingsRequest::default())
        .await
        .expect("other identities are unaffected");

    // Finish the uploads: their receipts come, and the lawyer is served again.
    for (tx, msgs) in senders {
        for m in msgs {
            tx.send(m).await.unwrap();
        }
    }
    for call in calls {
        call.await.unwrap().unwrap();
    }
    lawyer
        .list_filings(pb::ListFilingsRequest::default())
        .await
        .unwrap();
    hub.stop().await;
}
