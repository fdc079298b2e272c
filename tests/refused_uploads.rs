//! Refused or abandoned uploads leave no bytes: after each kind of refusal the blob store holds
//! exactly the files it held before (a document another filing already holds stays), and bytes an
//! earlier run left without a log entry naming them are removed at the next start.

mod common;

use common::*;
use std::path::Path;
use tonic::Code;

/// Every file under the data directory's blob store (placed and temporary).
fn blob_files(data: &Path) -> Vec<String> {
    files_under(&data.join("blobs"))
        .iter()
        .map(|p| p.strip_prefix(data).unwrap().display().to_string())
        .collect()
}

/// Checks that a wrong announced SHA-256 or a wrong media type leaves the blob store as `before`.
async fn wrong_digest_or_media_type_leave_no_bytes(
    lawyer: &mut Client,
    data: &Path,
    before: &[String],
) {
    // The announced SHA-256 is wrong.
    let doc = pdf("wrong sha");
    let mut h = header("wrong-sha", CASE, "答辩状", &[("a.pdf", &doc)]);
    h.documents[0].sha256 = "ab".repeat(32);
    let r = submit_messages(lawyer, messages(h, &[&doc], 1 << 20)).await;
    assert_status(r, Code::InvalidArgument, "SHA-256");
    assert_eq!(blob_files(data), before, "wrong SHA-256");

    // A Windows program named .pdf, and a ZIP that is no DOCX or OFD.
    let exe = [b"MZ\x90\x00".as_slice(), &[0u8; 200]].concat();
    let r = submit(lawyer, "exe-as-pdf", CASE, "答辩状", &[("a.pdf", &exe)]).await;
    assert_status(r, Code::InvalidArgument, "judged by its content");
    let zip = zip_with(&[("readme.txt", b"not a document")]);
    let r = submit(lawyer, "zip-as-pdf", CASE, "答辩状", &[("b.pdf", &zip)]).await;
    assert_status(r, Code::InvalidArgument, "judged by its content");
    assert_eq!(blob_files(data), before, "wrong media type");

    // Encrypted by qpdf: with only an owner password (any reader opens it), and with a user
    // password. The hub could never read or seal either, so neither is filed.
    let owner_only: &[&str] = &["", "owner", "128", "--use-aes=y"];
    for (n, args) in [owner_only, &["user", "owner", "256"]].iter().enumerate() {
        let locked = qpdf_encrypted(&pdf("加密的答辩状"), args);
        let r = submit(
            lawyer,
            &format!("encrypted-{n}"),
            CASE,
            "答辩状",
            &[("e.pdf", &locked)],
        )
        .await;
        assert_status(r, Code::InvalidArgument, "encrypted PDF");
    }
    assert_eq!(blob_files(data), before, "encrypted PDF");
}

/// `pdf` encrypted by qpdf with `[user password, owner password, key length, options…]`.
fn qpdf_encrypted(pdf: &[u8], args: &[&str]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let (plain, locked) = (dir.path().join("plain.pdf"), dir.path().join("locked.pdf"));
    std::fs::write(&plain, pdf).unwrap();
    let status = std::process::Command::new("qpdf")
        .arg("--encrypt")
        .args(args)
        .arg("--")
        .args([&plain, &locked])
        .status()
        .expect("qpdf is installed by scripts/test");
    assert!(status.success(), "qpdf --encrypt {args:?}");
    std::fs::read(locked).unwrap()
}

/// Checks that documents cut short or too long leave the blob store as `before` (`kept` stays).
async fn cut_short_or_too_long_leave_no_bytes(
    lawyer: &mut Client,
    data: &Path,
    before: &[String],
    kept: &[u8],
) {
    let second = pdf("second");
    let h = header(
        "cut-short",
        CASE,
        "答辩状",
        &[("kept.pdf", kept), ("b.pdf", &second)],
    );
    let r = submit_messages(lawyer, messages(h, &[kept, &second[..10]], 1 << 20)).await;
    assert_status(r, Code::InvalidArgument, "truncated");
    let fresh = pdf("fresh first");
    let h = header(
        "too-long-2",
        CASE,
        "答辩状",
        &[("f.pdf", &fresh), ("b.pdf", &second[..10])],
    );
    let r = submit_messages(lawyer, messages(h, &[&fresh, &second], 1 << 20)).await;
    assert_status(r, Code::InvalidArgument, "more bytes");
    assert_eq!(blob_files(data), before, "documents cut short or too long");
}

/// Checks that submissions refused by the log's decision leave the blob store as `before`.
async fn refused_by_the_decision_leave_no_bytes(
    lawyer: &mut Client,
    data: &Path,
    before: &[String],
) {
    let other = pdf("other content");
    let r = submit(lawyer, "accepted-1", CASE, "证据材料", &[("o.pdf", &other)]).await;
    assert_status(r, Code::AlreadyExists, "accepted-1");
    // A correction of a filing that was never returned: refused after the documents were placed.
    let mut h = header("bad-correction", CASE, "补正材料", &[("c.pdf", &other)]);
    h.corrects_filing_id = "F000000000001".into();
    let r = submit_messages(lawyer, messages(h, &[&other], 1 << 20)).await;
    assert_status(r, Code::InvalidArgument, "returned for correction");
    assert_eq!(blob_files(data), before, "refused by the decision");
}

/// Checks that an upload whose client goes away midway leaves the blob store as `before`.
async fn abandoned_upload_leaves_no_bytes(lawyer: &Client, data: &Path, before: &[String]) {
    let big = vec![b'%'; 3 << 20];
    let h = header("abandoned", CASE, "答辩状", &[("big.pdf", &big)]);
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let mut msgs = messages(h, &[&big], 1 << 20).into_iter();
    tx.send(msgs.next().unwrap()).await.unwrap();
    tx.send(msgs.next().unwrap()).await.unwrap();
    let call = {
        let mut c = lawyer.clone();
        tokio::spawn(async move {
            c.submit_filing(tokio_stream::wrappers::ReceiverStream::new(rx))
                .await
        })
    };
    // The hub has begun the document's file; then the client vanishes mid-stream.
    let tmp = data.join("blobs/tmp");
    common::service::until(60, "the document to begin", || async {
        assert!(
            !call.is_finished(),
            "the upload ended before its document began"
        );
        std::fs::read_dir(&tmp)
            .is_ok_and(|mut d| d.next().is_some())
            .then_some(())
    })
    .await;
    call.abort();
    drop(tx);
    // The hub notices the reset in its own time; a minute is far more than any machine needs.
    common::service::until(60, "the abandoned upload's bytes to go", || async {
        (blob_files(data) == before).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_refused_upload_leaves_the_blob_store_as_it_was() {
    let data = tempfile::tempdir().unwrap();
    let hub = TestHub::start(data.path()).await;
    let mut lawyer = hub.client(LAWYER_A).await;
    let kept = pdf("已收下的证据");
    submit(
        &mut lawyer,
        "accepted-1",
        CASE,
        "证据材料",
        &[("kept.pdf", &kept)],
    )
    .await
    .unwrap();
    let before = blob_files(data.path());
    assert_eq!(before.len(), 1, "{before:?}");

    wrong_digest_or_media_type_leave_no_bytes(&mut lawyer, data.path(), &before).await;

    // The first document complete and good, the second cut short; then one with more bytes than
    // announced. The kept document is among them: it must stay.
    cut_short_or_too_long_leave_no_bytes(&mut lawyer, data.path(), &before, &kept).await;

    // Every document checked and placed, then refused by the log's decision: the request id was
    // used before with other content.
    refused_by_the_decision_leave_no_bytes(&mut lawyer, data.path(), &before).await;

    // A client that goes away mid-upload.
    abandoned_upload_leaves_no_bytes(&lawyer, data.path(), &before).await;

    // The same content filed again and accepted is still one file.
    submit(
        &mut lawyer,
        "accepted-2",
        CASE,
        "证据材料",
        &[("again.pdf", &kept)],
    )
    .await
    .unwrap();
    assert_eq!(blob_files(data.path()), before);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_an_earlier_run_left_without_a_log_entry_are_removed_at_the_next_start() {
    let data = tempfile::tempdir().unwrap();
    file_and_stop(data.path(), "kept-filing", 1).await;
    let before = blob_files(data.path());
    // What a crash between placing a document and recording its filing leaves.
    let stray = b"%PDF-1.7 placed, never recorded".to_vec();
    let sha = sha256_hex(&stray);
    let dir = data.path().join("blobs/sha256").join(&sha[..2]);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(&sha), &stray).unwrap();
    assert_eq!(blob_files(data.path()).len(), before.len() + 1);

    let hub = TestHub::start(data.path()).await;
    assert_eq!(
        blob_files(data.path()),
        before,
        "the stray blob was removed, the filed one kept"
    );
    let mut lawyer = hub.client(LAWYER_A).await;
    let filings = list_all(&mut lawyer, Default::default()).await;
    let got = download(&mut lawyer, &filings[0].filing_id, "D1")
        .await
        .unwrap();
    assert_eq!(got, pdf("kept-filing 0"));
    hub.stop().await;
}
