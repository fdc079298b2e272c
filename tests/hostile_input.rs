//! Documents built to hurt the parser (tests/python/hostile.py writes them byte by byte, outside
//! ecenter) get an answer that names the budget they hit, through a real hub over mutual TLS:
//! page trees that loop, a content stream that inflates to 200 MiB, object streams holding
//! 300,000 objects, packages whose parts inflate to 60 MiB, a 100,000-character element name.
//! Every call must answer (a hang fails the test through its guard), and the hub must still
//! seal an ordinary document afterwards.

mod common;

use common::*;
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::seal_service_client::SealServiceClient;
use ecenter_proto::v1::similar_case_service_client::SimilarCaseServiceClient;
use pb::find_similar_request::Query;
use std::time::Duration;
use tonic::Code;

const LAWYER: &str = "lawyer-14201202010000001";
const COURT: &str = "court-xiangyang-cms";

/// `hostile.py KIND [SIZE]`'s document.
fn hostile(kind: &str, size: Option<u64>) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("doc");
    let size = size.map(|s| s.to_string());
    let mut args = vec![kind, common::pdf::path(&out)];
    args.extend(size.as_deref());
    common::pdf::python_tool("hostile.py", &args);
    std::fs::read(&out).unwrap()
}

/// The call's answer, or a failure if the hub gives none within two minutes (a hang).
async fn answered<T>(what: &str, call: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(120), call)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer (the hub hangs on it)"))
}

fn refused<T: std::fmt::Debug>(
    result: Result<tonic::Response<T>, tonic::Status>,
    code: Code,
    needle: &str,
) -> tonic::Status {
    let status = assert_status(result.map(tonic::Response::into_inner), code, needle);
    assert!(
        status.message().chars().count() < 1_000,
        "a message sized for people, not {} characters",
        status.message().chars().count()
    );
    status
}

fn seal_request(pdf: Vec<u8>) -> pb::SealPdfRequest {
    pb::SealPdfRequest {
        seal_id: "4206-SSFW-01".into(),
        target: Some(pb::seal_pdf_request::Target::Content(pdf)),
        ..Default::default()
    }
}

fn verify_request(pdf: Vec<u8>) -> pb::VerifyPdfRequest {
    pb::VerifyPdfRequest {
        document: Some(pb::verify_pdf_request::Document::Content(pdf)),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_trees_that_loop_are_refused_not_walked_forever() {
    let (pki, _data, hub) = tls_world().await;
    let mut court = court_with_seal(hub.addr, pki.path()).await;
    for (kind, says) in [
        ("parent-self", "/Parent chain returns to itself"),
        ("parent-pair", "/Parent chain returns to itself"),
        ("kids-loop", "the page tree loops"),
    ] {
        let pdf = hostile(kind, None);
        let sealed = answered(kind, court.seal_pdf(seal_request(pdf.clone()))).await;
        refused(sealed, Code::InvalidArgument, says);
        let verified = answered(kind, court.verify_pdf(verify_request(pdf))).await;
        if kind == "kids-loop" {
            refused(verified, Code::InvalidArgument, says);
        }
    }
    // The hub is not left busy: an ordinary PDF is sealed at once.
    let normal = hostile("normal-pdf", Some(2));
    answered("normal", court.seal_pdf(seal_request(normal)))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inflation_and_object_floods_are_refused_naming_the_budget() {
    let (pki, _data, hub) = tls_world().await;
    let mut court = court_with_seal(hub.addr, pki.path()).await;

    // 300,000 objects in object streams (the default budget is 200,000), as lawyer and court.
    let flood = hostile("objstm-flood", Some(300_000));
    let mut lawyer = SealServiceClient::new(channel_as(hub.addr, pki.path(), LAWYER).await);
    let as_lawyer = answered("flood", lawyer.verify_pdf(verify_request(flood.clone()))).await;
    refused(
        as_lawyer,
        Code::InvalidArgument,
        "[parsing] objects = 200000",
    );
    let sealed = answered("flood", court.seal_pdf(seal_request(flood))).await;
    refused(sealed, Code::InvalidArgument, "[parsing] objects");

    // A nested array 100,000 deep is damage the parser stops at, not a stack overflow.
    let deep = hostile("deep-array", None);
    let verified = answered("deep", court.verify_pdf(verify_request(deep))).await;
    refused(verified, Code::InvalidArgument, "document");

    // A filing whose PDF page inflates to 200 MiB: the court's search by that filing is refused,
    // naming the per-stream budget; the filing itself is kept.
    let bomb = hostile("content-bomb", Some(4));
    let mut filer = tls_client(hub.addr, pki.path(), LAWYER).await;
    let filing_id = file_documents(
        &mut filer,
        "req-hostile-1",
        "证据材料",
        &[("证据.pdf", &bomb)],
    )
    .await;
    let mut similar = SimilarCaseServiceClient::new(channel_as(hub.addr, pki.path(), COURT).await);
    let by_filing = pb::FindSimilarRequest {
        query: Some(Query::FilingId(filing_id.clone())),
        ..Default::default()
    };
    let found = answered("content bomb", similar.find_similar(by_filing)).await;
    let status = refused(found, Code::FailedPrecondition, "[parsing] stream_bytes");
    assert!(status.message().contains(&filing_id), "{status:?}");
    let kept = download(&mut filer, &filing_id, "D1").await.unwrap();
    assert_eq!(kept, bomb);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn package_bombs_are_read_only_as_far_as_the_query_needs() {
    let (pki, _data, hub) = tls_world().await;
    let mut filer = tls_client(hub.addr, pki.path(), LAWYER).await;
    let mut similar = SimilarCaseServiceClient::new(channel_as(hub.addr, pki.path(), COURT).await);
    let by = |filing_id: String| pb::FindSimilarRequest {
        query: Some(Query::FilingId(filing_id)),
        ..Default::default()
    };

    // 16 OFD pages of 60 MiB each: no longer filed at all — an OFD the hub could neither seal
    // nor check is refused when it arrives (round 21, F1) — and 16 DOCX of 64 MiB each in one
    // filing: the query needs 20,000 characters, which the first part has.
    let ofd = hostile("ofd-bomb", None);
    let bomb = submit(
        &mut filer,
        "req-hostile-2",
        CASE,
        "证据材料",
        &[("判决.ofd", &ofd)],
    )
    .await
    .unwrap_err();
    assert_eq!(bomb.code(), Code::InvalidArgument, "{bomb:?}");
    assert!(
        bomb.message()
            .contains("[parsing] document_bytes = 67108864"),
        "{bomb:?}"
    );
    let docx = hostile("docx-bomb", None);
    let many: Vec<(String, &[u8])> = (0..16)
        .map(|i| (format!("材料{i}.docx"), &docx[..]))
        .collect();
    let many: Vec<(&str, &[u8])> = many.iter().map(|(n, d)| (n.as_str(), *d)).collect();
    let docx_filing = file_documents(&mut filer, "req-hostile-3", "证据材料", &many).await;
    let found = answered("docx bombs", similar.find_similar(by(docx_filing)))
        .await
        .unwrap();
    assert!(found.into_inner().query_truncated);

    // An OFD with a 100,000-character element name: refused when filed now (round 21, F1), in a
    // message grpc can carry — not the name quoted whole.
    let long = hostile("ofd-long-tag", None);
    let refused_long = submit(
        &mut filer,
        "req-hostile-4",
        CASE,
        "证据材料",
        &[("长.ofd", &long)],
    )
    .await
    .unwrap_err();
    assert_eq!(
        refused_long.code(),
        Code::InvalidArgument,
        "{refused_long:?}"
    );
    assert!(
        refused_long.message().len() < 4096,
        "{}",
        refused_long.message().len()
    );
    assert!(
        refused_long
            .message()
            .contains("cannot read as one document")
    );
}

/// Found by an outside tester after the first budgets landed: values that each cost lopdf a
/// hundred bytes, font maps decoded once per name, encrypted files read without the load
/// filter, and a zip directory read whole before its size was checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amplification_through_values_fonts_encryption_and_zip_directories_is_refused() {
    let (pki, _data, hub) = tls_world().await;
    let mut court = court_with_seal(hub.addr, pki.path()).await;

    // A 16 KB file whose object stream holds one array of 7.8 million zeros.
    let flat = hostile("flat-array", None);
    let verified = answered("flat array", court.verify_pdf(verify_request(flat))).await;
    refused(
        verified,
        Code::InvalidArgument,
        "[parsing] values = 1000000",
    );

    // An encrypted PDF (qpdf, RC4 with an empty user password): refused before lopdf reads it.
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.pdf");
    let locked = dir.path().join("locked.pdf");
    std::fs::write(&plain, hostile("normal-pdf", Some(1))).unwrap();
    let qpdf = std::process::Command::new("qpdf")
        .args(["--allow-weak-crypto", "--encrypt", "", "owner", "40", "--"])
        .arg(&plain)
        .arg(&locked)
        .status()
        .expect("qpdf is installed by scripts/test");
    assert!(qpdf.success());
    let encrypted = std::fs::read(&locked).unwrap();
    let verified = answered("encrypted", court.verify_pdf(verify_request(encrypted))).await;
    refused(verified, Code::InvalidArgument, "encrypted");

    // Page content of bare operands: FindSimilar by the filing stops at the values. One 15 MiB
    // font map used under 2,000 names is read once (one decoder per font object), so the filing
    // is answered: the amplification is gone, not only bounded.
    let mut filer = tls_client(hub.addr, pki.path(), LAWYER).await;
    let mut similar = SimilarCaseServiceClient::new(channel_as(hub.addr, pki.path(), COURT).await);
    for (n, kind) in ["operand-flood", "font-names"].into_iter().enumerate() {
        let doc = hostile(kind, None);
        let request_id = format!("req-hostile-values-{n}");
        let filing_id =
            file_documents(&mut filer, &request_id, "证据材料", &[("证据.pdf", &doc)]).await;
        let by_filing = pb::FindSimilarRequest {
            query: Some(Query::FilingId(filing_id)),
            ..Default::default()
        };
        let found = answered(kind, similar.find_similar(by_filing)).await;
        if kind == "operand-flood" {
            refused(found, Code::FailedPrecondition, "[parsing] values");
        } else {
            let answer = found.expect("the font map is read once and the filing answered");
            assert!(!answer.into_inner().query_truncated);
        }
    }

    // A package whose directory lists 300,000 entries is refused at filing, before it is read.
    let zip = hostile("zip-directory", None);
    let header = header(
        "req-hostile-zip",
        "（2026）鄂06民初123号",
        "证据材料",
        &[("判决.ofd", &zip)],
    );
    let messages = messages(header, &[&zip], 1 << 20);
    let submitted = filer.submit_filing(tokio_stream::iter(messages)).await;
    let status = submitted.expect_err("a 300,000-part package is refused");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(status.message().contains("300000 parts"), "{status:?}");
    assert!(status.message().contains("[parsing] objects"), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_package_size_filing_allows_is_the_configured_one() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let data = tempfile::tempdir().unwrap();
    let hub = start_tls_with(data.path(), pki.path(), |c| c.parsing.objects = 1).await;
    let mut filer = tls_client(hub.addr, pki.path(), LAWYER).await;
    let docx = hostile("normal-docx", None);
    let header = header(
        "req-parts-1",
        "（2026）鄂06民初123号",
        "证据材料",
        &[("起诉状.docx", &docx)],
    );
    let messages = messages(header, &[&docx], 1 << 20);
    let status = filer
        .submit_filing(tokio_stream::iter(messages))
        .await
        .expect_err("two parts are over a limit of one");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(status.message().contains("at most 1 parts"), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_never_quotes_a_character_a_reader_cannot_see() {
    // Outside tests, round 13b, F1: ids, departments and addresses came back raw in refusals.
    let (pki, _data, hub) = tls_world().await;
    let mut court = tls_client(hub.addr, pki.path(), "court-xiangyang-cms").await;
    for (id, shown) in [
        ("F0000000000\u{202e}11", "F0000000000[U+202E]11"),
        ("F00000000001\u{7}", "F00000000001[U+0007]"),
    ] {
        let refused = court
            .get_filing(pb::GetFilingRequest {
                filing_id: id.into(),
            })
            .await
            .unwrap_err();
        let message = refused.message();
        assert!(message.contains(shown), "{message:?}");
        assert!(
            !message.chars().any(ecenter_domain::text::hidden),
            "{message:?}"
        );
    }
    let refused = court
        .list_department_queue(pb::ListDepartmentQueueRequest {
            department: "立案\u{202e}庭".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(refused.message().contains("立案[U+202E]庭"), "{refused:?}");
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ofd_is_read_at_filing_under_the_configured_parse_limits() {
    // Filing read OFDs under fixed limits of its own while sealing and checking read them under
    // `[parsing]`: a court that lowered a limit accepted OFDs it would later refuse to seal.
    use tonic_types::StatusExt;
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let ofd = ofd();
    for (setting, limit) in [("depth", 3), ("document_bytes", 300)] {
        let data = tempfile::tempdir().unwrap();
        let hub = start_tls_with(data.path(), pki.path(), |c| match setting {
            "depth" => c.parsing.depth = limit,
            _ => c.parsing.document_bytes = u64::from(limit),
        })
        .await;
        let mut filer = tls_client(hub.addr, pki.path(), LAWYER).await;
        let refused = submit(
            &mut filer,
            "req-limits-1",
            CASE,
            "证据材料",
            &[("判决.ofd", &ofd)],
        )
        .await
        .unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
        let named = format!("[parsing] {setting} = {limit}");
        assert!(refused.message().contains(&named), "{refused:?}");
        assert!(refused.message().contains("判决.ofd"), "{refused:?}");
        let details = refused.get_error_details();
        let zh = &details.localized_message().expect("Chinese").message;
        assert!(
            zh.contains("超出本院可读取的限度") && zh.contains(&named),
            "{zh}"
        );
        hub.stop().await;
    }
    // The same OFD under the default limits is filed.
    let data = tempfile::tempdir().unwrap();
    let hub = start_tls_with(data.path(), pki.path(), |_| {}).await;
    let mut filer = tls_client(hub.addr, pki.path(), LAWYER).await;
    submit(
        &mut filer,
        "req-limits-2",
        CASE,
        "证据材料",
        &[("判决.ofd", &ofd)],
    )
    .await
    .expect("filed under the default limits");
    hub.stop().await;
}
