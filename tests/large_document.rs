//! A 100 MiB document streamed in 1 MiB chunks, without raising message limits, arrives intact.

mod common;

use common::*;

fn big_pdf(len: usize) -> Vec<u8> {
    let mut doc = b"%PDF-1.7\n%".to_vec();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    while doc.len() < len - 6 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        doc.extend_from_slice(&x.to_le_bytes());
    }
    doc.truncate(len - 6);
    doc.extend_from_slice(b"%%EOF\n");
    doc
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mib_document_streams_in_and_out_with_its_hash_verified() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let mut lawyer = hub.client(LAWYER_A).await;
    let doc = big_pdf(100 * 1024 * 1024);
    let h = header(
        "req-large-0001",
        CASE,
        "证据材料",
        &[("庭审录像截图汇编.pdf", &doc)],
    );
    let receipt = submit_messages(&mut lawyer, messages(h, &[&doc], 1024 * 1024))
        .await
        .unwrap()
        .receipt
        .unwrap();
    assert_eq!(receipt.documents[0].size, doc.len() as u64);
    assert_eq!(receipt.documents[0].sha256, sha256_hex(&doc));
    let back = download(&mut lawyer, &receipt.filing_id, "D1")
        .await
        .unwrap();
    assert_eq!(back.len(), doc.len());
    assert_eq!(sha256_hex(&back), sha256_hex(&doc));
    hub.stop().await;
}
