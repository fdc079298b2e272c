//! Mutual TLS: only certificates of the court's client CA, valid now, for client authentication and
//! not revoked, get in; the caller's identity comes from the certificate alone (and in development
//! mode from exactly one header).

mod common;

use common::*;
use ecenter_pki::{ClientSpec, Layout};
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::filing_service_client::FilingServiceClient;
use std::path::Path;
use time::{Duration, OffsetDateTime};

const LAWYER_A_STEM: &str = "lawyer-14201202010000001";

/// Tries one call with the given client certificate; Ok only if the hub answered it.
async fn call_with(
    hub: &TestHub,
    pki: &Path,
    client: Option<(&Path, &Path)>,
) -> Result<pb::Filing, String> {
    let channel = tls_channel(hub.addr, pki, client)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let mut c = FilingServiceClient::new(channel);
    match c
        .get_filing(pb::GetFilingRequest {
            filing_id: "F000000000001".into(),
        })
        .await
    {
        Ok(r) => Ok(r.into_inner()),
        Err(s) if s.code() == tonic::Code::NotFound => Ok(pb::Filing::default()),
        Err(s) => Err(format!("{:?}: {}", s.code(), s.message())),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lawyer_certificate_files_and_its_identity_comes_from_the_certificate() {
    let (pki, _data, hub) = tls_world().await;
    let mut lawyer = tls_client(hub.addr, pki.path(), LAWYER_A_STEM).await;
    let doc = pdf("over mTLS");
    let h = header("req-mtls-0001", CASE, "答辩状", &[("答辩状.pdf", &doc)]);
    let mut request = tonic::Request::new(tokio_stream::iter(messages(h, &[&doc], 1024)));
    // A header claiming another identity is ignored under mTLS.
    request
        .metadata_mut()
        .insert("x-ecenter-identity", COURT.parse().unwrap());
    let receipt = lawyer
        .submit_filing(request)
        .await
        .unwrap()
        .into_inner()
        .receipt
        .unwrap();
    assert_eq!(receipt.submitter, "urn:ecenter:lawyer:14201202010000001");
    let f = lawyer
        .get_filing(pb::GetFilingRequest {
            filing_id: receipt.filing_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(f.submitter, receipt.submitter);
    hub.stop().await;
}

/// Checks expired, not yet valid and server-only certificates of the court's client CA are refused.
async fn badly_dated_and_server_only_are_refused(hub: &TestHub, pki: &Path) {
    let now = OffsetDateTime::now_utc();
    let mut expired = ClientSpec::new("lawyer", "14201202010000007", "律师 过期");
    expired.not_before = now - Duration::days(30);
    expired.not_after = now - Duration::days(1);
    let expired = ecenter_pki::issue_client(pki, &expired).unwrap();
    let err = call_with(hub, pki, Some((&expired.0, &expired.1)))
        .await
        .unwrap_err();
    eprintln!("expired: {err}");

    let mut early = ClientSpec::new("lawyer", "14201202010000008", "律师 未生效");
    early.not_before = now + Duration::days(1);
    early.not_after = now + Duration::days(30);
    let early = ecenter_pki::issue_client(pki, &early).unwrap();
    let err = call_with(hub, pki, Some((&early.0, &early.1)))
        .await
        .unwrap_err();
    eprintln!("not yet valid: {err}");

    let server_only = ecenter_pki::issue_server_only(
        pki,
        &ClientSpec::new("lawyer", "14201202010000006", "服务器证书"),
    )
    .unwrap();
    let err = call_with(hub, pki, Some((&server_only.0, &server_only.1)))
        .await
        .unwrap_err();
    eprintln!("server-only: {err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_rogue_expired_early_wrong_purpose_and_plaintext_clients_are_refused() {
    let pki = tempfile::tempdir().unwrap();
    let layout = ecenter_pki::init(pki.path(), false).unwrap();
    let data = tempfile::tempdir().unwrap();
    let hub = start_tls(data.path(), pki.path()).await;
    let good = (
        layout.client_cert(LAWYER_A_STEM),
        layout.client_key(LAWYER_A_STEM),
    );
    assert!(
        call_with(&hub, pki.path(), Some((&good.0, &good.1)))
            .await
            .is_ok()
    );

    // No client certificate at all.
    let err = call_with(&hub, pki.path(), None).await.unwrap_err();
    eprintln!("no certificate: {err}");

    // A rogue CA with exactly the same names issues a certificate for the same lawyer.
    let rogue = tempfile::tempdir().unwrap();
    let rogue_layout = ecenter_pki::init(rogue.path(), false).unwrap();
    let rogue_cert = (
        rogue_layout.client_cert(LAWYER_A_STEM),
        rogue_layout.client_key(LAWYER_A_STEM),
    );
    let err = call_with(&hub, pki.path(), Some((&rogue_cert.0, &rogue_cert.1)))
        .await
        .unwrap_err();
    eprintln!("rogue CA: {err}");

    badly_dated_and_server_only_are_refused(&hub, pki.path()).await;

    // A certificate of the seal CA (same root, other branch) is not a client certificate either.
    let err = call_with(
        &hub,
        pki.path(),
        Some((&layout.file("seal.pem"), &layout.file("seal.key"))),
    )
    .await
    .unwrap_err();
    eprintln!("seal certificate: {err}");

    // Plaintext HTTP/2 against the TLS port, even with a development identity header.
    let plain = tonic::transport::Channel::from_shared(format!("http://{}", hub.addr))
        .unwrap()
        .connect()
        .await;
    if let Ok(channel) = plain {
        let mut c = FilingServiceClient::with_interceptor(channel, As::new(LAWYER_A));
        assert!(
            c.get_filing(pb::GetFilingRequest {
                filing_id: "F1".into()
            })
            .await
            .is_err()
        );
    }

    // None of this reached the log, and the good certificate still works.
    assert!(
        call_with(&hub, pki.path(), Some((&good.0, &good.1)))
            .await
            .is_ok()
    );
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_revoked_while_the_hub_runs_is_refused_from_then_on() {
    let pki = tempfile::tempdir().unwrap();
    let layout: Layout = ecenter_pki::init(pki.path(), false).unwrap();
    let data = tempfile::tempdir().unwrap();
    let hub = start_tls(data.path(), pki.path()).await;
    let b = (
        layout.client_cert("lawyer-14201202010000002"),
        layout.client_key("lawyer-14201202010000002"),
    );
    assert!(
        call_with(&hub, pki.path(), Some((&b.0, &b.1)))
            .await
            .is_ok()
    );
    std::thread::sleep(std::time::Duration::from_millis(20)); // a distinct modification time
    ecenter_pki::revoke(pki.path(), &b.0).unwrap();
    let err = call_with(&hub, pki.path(), Some((&b.0, &b.1)))
        .await
        .unwrap_err();
    eprintln!("revoked: {err}");
    // Others are unaffected.
    let a = (
        layout.client_cert(LAWYER_A_STEM),
        layout.client_key(LAWYER_A_STEM),
    );
    assert!(
        call_with(&hub, pki.path(), Some((&a.0, &a.1)))
            .await
            .is_ok()
    );
    hub.stop().await;
}

/// Checks that within the reload interval the open connection is refused, naming the revocation.
async fn the_open_connection_is_refused(
    lawyer: &mut FilingServiceClient<tonic::transport::Channel>,
) {
    // Within the reload interval the same connection is refused, naming the revocation.
    let mut refused = None;
    for i in 0..30 {
        let doc = pdf(&format!("after revocation {i}"));
        let h = header(
            &format!("after-revocation-{i}"),
            CASE,
            "答辩状",
            &[("a.pdf", &doc)],
        );
        match lawyer
            .submit_filing(tokio_stream::iter(messages(h, &[&doc], 1 << 20)))
            .await
        {
            Ok(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            Err(s) => {
                refused = Some(s);
                break;
            }
        }
    }
    let refused = refused.expect("a revoked certificate kept filing on its open connection");
    assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{refused:?}");
    assert!(
        refused.message().contains("revoked"),
        "{}",
        refused.message()
    );
}

/// Checks an unreadable, empty or older CRL put back refuses `cert` on the open connection and a new one.
async fn bad_crls_do_not_undo_the_revocation(
    hub: &TestHub,
    pki: &Path,
    lawyer: &mut FilingServiceClient<tonic::transport::Channel>,
    cert: (&Path, &Path),
    crl_before: Vec<u8>,
) {
    let crl = pki.join("client-ca.crl.pem");
    // A CRL file that cannot be read, or an older CRL put back, does not undo the revocation:
    // neither on the open connection nor on a new one.
    for (what, content) in [
        ("garbage", b"not a CRL".to_vec()),
        ("empty", Vec::new()),
        ("older", crl_before),
    ] {
        std::fs::write(&crl, &content).unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await; // past the reload interval
        let doc = pdf(what);
        let h = header(
            &format!("crl-{what}-0001"),
            CASE,
            "答辩状",
            &[("a.pdf", &doc)],
        );
        let again = lawyer
            .submit_filing(tokio_stream::iter(messages(h, &[&doc], 1 << 20)))
            .await;
        assert_eq!(
            again.unwrap_err().code(),
            tonic::Code::Unauthenticated,
            "{what} CRL"
        );
        assert!(
            call_with(hub, pki, Some(cert)).await.is_err(),
            "{what} CRL, new connection"
        );
    }
}

/// Checks a client CA certificate with no extendedKeyUsage at all is refused for want of clientAuth.
async fn a_certificate_without_eku_is_refused(hub: &TestHub, pki: &Path) {
    // A certificate of the client CA with no extendedKeyUsage at all.
    let no_eku = ecenter_pki::issue_without_eku(
        pki,
        &ClientSpec::new("lawyer", "14201202010000009", "无用途证书"),
    )
    .unwrap();
    let err = call_with(hub, pki, Some((&no_eku.0, &no_eku.1)))
        .await
        .unwrap_err();
    assert!(
        err.contains("Unauthenticated") && err.contains("clientAuth"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_bites_on_a_connection_already_open_and_a_certificate_without_client_auth_is_refused()
 {
    let pki = tempfile::tempdir().unwrap();
    let layout: Layout = ecenter_pki::init(pki.path(), false).unwrap();
    let data = tempfile::tempdir().unwrap();
    let hub = start_tls(data.path(), pki.path()).await;
    let b = (
        layout.client_cert("lawyer-14201202010000002"),
        layout.client_key("lawyer-14201202010000002"),
    );
    // One connection, kept open across the revocation.
    let channel = tls_channel(hub.addr, pki.path(), Some((&b.0, &b.1)))
        .await
        .unwrap();
    let mut lawyer = FilingServiceClient::new(channel);
    let doc = pdf("before revocation");
    let h = header("before-revocation", CASE, "答辩状", &[("a.pdf", &doc)]);
    let filing_id = lawyer
        .submit_filing(tokio_stream::iter(messages(h, &[&doc], 1 << 20)))
        .await
        .unwrap()
        .into_inner()
        .receipt
        .unwrap()
        .filing_id;
    // A watch stream opened before the revocation: received and routed arrive.
    let mut watch = lawyer
        .watch_events(pb::WatchEventsRequest {
            scope: Some(pb::watch_events_request::Scope::FilingId(filing_id.clone())),
            after_seq: 0,
        })
        .await
        .unwrap()
        .into_inner();
    for _ in 0..2 {
        watch.message().await.unwrap().unwrap();
    }
    let crl = pki.path().join("client-ca.crl.pem");
    let crl_before = std::fs::read(&crl).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100)); // a later thisUpdate
    ecenter_pki::revoke(pki.path(), &b.0).unwrap();
    the_open_connection_is_refused(&mut lawyer).await;

    // The stream opened before ends at its next event instead of delivering it.
    let mut court = tls_client(hub.addr, pki.path(), "court-xiangyang-cms").await;
    court
        .start_review(pb::StartReviewRequest { filing_id })
        .await
        .unwrap();
    let ended = watch.message().await.unwrap_err();
    assert_eq!(ended.code(), tonic::Code::Unauthenticated, "{ended:?}");

    bad_crls_do_not_undo_the_revocation(
        &hub,
        pki.path(),
        &mut lawyer,
        (b.0.as_path(), b.1.as_path()),
        crl_before,
    )
    .await;

    a_certificate_without_eku_is_refused(&hub, pki.path()).await;
    hub.stop().await;
}

/// An upload takes minutes: a certificate revoked while it runs gets UNAUTHENTICATED at its end
/// and nothing is filed (outsider, session 46: a 9 MiB upload spanning `ecenter-pki revoke` was
/// given a receipt).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_under_a_certificate_revoked_while_it_runs_files_nothing() {
    let (pki, _data, hub) = tls_world().await;
    let layout = Layout {
        dir: pki.path().to_path_buf(),
    };
    let stem = "lawyer-14201202010000002";
    let b = (layout.client_cert(stem), layout.client_key(stem));
    let channel = tls_channel(hub.addr, pki.path(), Some((&b.0, &b.1)))
        .await
        .unwrap();
    let mut lawyer = FilingServiceClient::new(channel);
    let doc = pdf(&"长".repeat(300_000));
    let h = header("spans-revocation", CASE, "答辩状", &[("a.pdf", &doc)]);
    let mut parts = messages(h, &[&doc], 256 << 10).into_iter();
    assert!(parts.len() > 3, "the upload needs several chunks");
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let upload = tokio::spawn(async move {
        lawyer
            .submit_filing(tokio_stream::wrappers::ReceiverStream::new(rx))
            .await
    });
    // The header and the first chunk go before the revocation, the rest after.
    for part in parts.by_ref().take(2) {
        tx.send(part).await.unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(1100)); // a later thisUpdate
    ecenter_pki::revoke(pki.path(), &b.0).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await; // past the CRL's reload
    for part in parts {
        tx.send(part).await.unwrap();
    }
    drop(tx);
    let refused = upload.await.unwrap().unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{refused:?}");
    assert!(
        refused.message().contains("revoked"),
        "{}",
        refused.message()
    );
    // Nothing was filed under it: the court sees no filing of that lawyer.
    let mut court = tls_client(hub.addr, pki.path(), "court-xiangyang-cms").await;
    let all = court
        .list_filings(pb::ListFilingsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(
        all.filings.iter().all(|f| !f.submitter.ends_with("0002")),
        "{:?}",
        all.filings
    );
    hub.stop().await;
}

/// Development mode: the caller names itself in one header, and a bad one is UNAUTHENTICATED
/// with an excerpt, never the header echoed whole.
#[tokio::test]
async fn calls_without_identity_are_unauthenticated() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let mut anonymous =
        ecenter_proto::v1::filing_service_client::FilingServiceClient::new(channel(hub.addr).await);
    let s = anonymous
        .get_filing(pb::GetFilingRequest {
            filing_id: "F1".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(s.code(), tonic::Code::Unauthenticated);
    assert!(s.message().contains("x-ecenter-identity"));
    let mut wrong = hub.client("urn:ecenter:judge:1").await;
    assert_status(
        wrong
            .get_filing(pb::GetFilingRequest {
                filing_id: "F1".into(),
            })
            .await,
        tonic::Code::Unauthenticated,
        "unknown role",
    );
    // Two identity headers: which one calls would depend on their order.
    let mut request = tonic::Request::new(pb::GetFilingRequest {
        filing_id: "F1".into(),
    });
    for who in [LAWYER_A, COURT] {
        request
            .metadata_mut()
            .append("x-ecenter-identity", who.parse().unwrap());
    }
    assert_status(
        anonymous.get_filing(request).await,
        tonic::Code::Unauthenticated,
        "more than once",
    );
    // An 8,000-character identity is quoted as an excerpt, not echoed whole.
    let long = hub
        .client(&format!("urn:ecenter:lawyer:{}", "x".repeat(8000)))
        .await
        .get_filing(pb::GetFilingRequest {
            filing_id: "F1".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(long.code(), tonic::Code::Unauthenticated);
    assert!(long.message().len() < 500, "{} bytes", long.message().len());
    hub.stop().await;
}
