//! Sealed PDFs checked by independent validators: pyHanko (`pyhanko sign validate` with our root as
//! the trust anchor) and poppler's `pdfsig` accept what we seal, and both reject it once a byte of
//! the signed range changes.

mod common;

use common::pdf::{der_of, holder, nss_trusting, pdfsig, pyhanko, seal_with, trust};
use common::{assert_status, channel_as, court_with_seal, file_documents, tls_client, tls_world};
use ecenter_pdfseal::{Placement, SignatureInfo, seal_pdf};
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::seal_service_client::SealServiceClient;
use std::path::Path;
use std::process::Command;
use std::time::SystemTime;
use tonic::Code;

/// A well-formed PDF of `pages` pages with a line of text on each.
fn pdf_of(pages: usize) -> Vec<u8> {
    ecenter_pdfseal::sample_pdf(pages, 0)
}

fn sealed(pki: &Path, pages: usize) -> Vec<u8> {
    seal_with(pki, &pdf_of(pages), &Placement::default())
}

#[test]
fn pyhanko_and_pdfsig_accept_a_sealed_pdf_and_reject_it_once_changed() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let original = pdf_of(10);
    let bytes = sealed(pki.path(), 10);
    assert!(
        bytes.starts_with(&original),
        "an incremental update keeps the original bytes"
    );
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("判决书-sealed.pdf");
    std::fs::write(&good, &bytes).unwrap();

    let (ok, report) = pyhanko(pki.path(), &good);
    assert!(ok, "{report}");
    for line in [
        "The signer's certificate is trusted.",
        "The signature is cryptographically sound.",
        "The TSA certificate is trusted.",
        "The signature covers the entire file.",
        "The signature is judged VALID.",
    ] {
        assert!(report.contains(line), "{line:?} missing from {report}");
    }

    let nss_dir = tempfile::tempdir().unwrap();
    let nss = nss_trusting(pki.path(), nss_dir.path());
    let report = pdfsig(&nss, &good);
    assert!(report.contains("Signature is Valid"), "{report}");
    assert!(report.contains("ETSI.CAdES.detached"), "{report}");
    assert!(report.contains("Total document signed"), "{report}");
    assert!(report.contains("Certificate is Trusted"), "{report}");

    // One byte of page text changed inside the signed range: both validators refuse.
    let mut tampered = bytes.clone();
    let at = tampered
        .windows(b"Judgment page 3".len())
        .position(|w| w == b"Judgment page 3")
        .unwrap();
    tampered[at] = b'j';
    let bad = dir.path().join("tampered.pdf");
    std::fs::write(&bad, &tampered).unwrap();
    let (ok, report) = pyhanko(pki.path(), &bad);
    assert!(!ok, "pyHanko accepted a changed PDF: {report}");
    let report = pdfsig(&nss, &bad);
    assert!(!report.contains("Signature is Valid"), "{report}");
    assert!(
        report.contains("Signature is Invalid") || report.contains("Digest Mismatch"),
        "{report}"
    );
}

#[test]
fn pages_that_do_not_exist_encrypted_and_broken_pdfs_are_refused_with_a_reason() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let signer = holder(pki.path(), "seal");
    let seal = |pdf: &[u8], page: Option<u32>| {
        seal_pdf(
            pdf,
            &ecenter_pdfseal::Sealer {
                signer: &signer,
                chain: &[],
                tsa: None,
            },
            SystemTime::now(),
            &Placement {
                page,
                ..Default::default()
            },
            &SignatureInfo::default(),
        )
    };
    let err = seal(&pdf_of(3), Some(4)).unwrap_err();
    assert!(
        matches!(err, ecenter_pdfseal::PdfSealError::BadRequest(_)),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("page 4 does not exist: the PDF has 3 pages"),
        "{err}"
    );
    // An unreadable file says so, instead of "cannot be sealed".
    let err = seal(b"%PDF-1.7\nnot really a pdf", None).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("the file is not a PDF that can be read"),
        "{err}"
    );
    // The first page can be chosen, and sealing twice keeps both signatures' bytes.
    let once = seal(&pdf_of(3), Some(1)).unwrap();
    let twice = seal(&once, None).unwrap();
    assert!(twice.starts_with(&once));
    assert_eq!(
        twice
            .windows(b"/ETSI.CAdES.detached".len())
            .filter(|w| w == b"/ETSI.CAdES.detached")
            .count(),
        2
    );
}

/// The seal client of the hub's tests, connected as a court, clerk or lawyer.
type Seals = SealServiceClient<tonic::transport::Channel>;

/// The target naming `document_id` of the filing `filing_id`.
fn stored_pdf(filing_id: &str, document_id: &str) -> pb::seal_pdf_request::Target {
    pb::seal_pdf_request::Target::Stored(pb::DocumentRef {
        filing_id: filing_id.into(),
        document_id: document_id.into(),
    })
}

/// Checks that the sealed copy shows the registry's picture and pyHanko and pdfsig accept it.
fn validators_accept_the_stored_copy(pki: &Path, judgment: &[u8], bytes: &[u8]) {
    // The seal shown is the registry's picture (an image with its transparency), not a drawing.
    let update = &bytes[judgment.len()..];
    let has = |needle: &[u8]| update.windows(needle.len()).any(|w| w == needle);
    assert!(
        has(b"/Image") && has(b"/SMask") && has(b"/Seal Do"),
        "no seal picture in the update"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("S1.pdf");
    std::fs::write(&file, bytes).unwrap();
    let (ok, report) = pyhanko(pki, &file);
    assert!(
        ok && report.contains("The signature is judged VALID."),
        "{report}"
    );
    let nss_dir = tempfile::tempdir().unwrap();
    let report = pdfsig(&nss_trusting(pki, nss_dir.path()), &file);
    assert!(
        report.contains("Signature is Valid") && report.contains("Certificate is Trusted"),
        "{report}"
    );
}

/// Checks that the hub's verifier passes S1 as the clerk, with long-term data and the registry.
async fn hub_verifier_passes_the_stored_copy(hub: &common::TestHub, pki: &Path, filing_id: &str) {
    let mut clerk_seals = SealServiceClient::new(channel_as(hub.addr, pki, "clerk-c0001").await);
    let verified = clerk_seals
        .verify_pdf(pb::VerifyPdfRequest {
            document: Some(pb::verify_pdf_request::Document::Stored(pb::DocumentRef {
                filing_id: filing_id.to_string(),
                document_id: "S1".into(),
            })),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        verified.indication,
        pb::Indication::Passed as i32,
        "{verified:?}"
    );
    // PAdES B-LTA: the seal, then a document timestamp over it and its validation data.
    assert_eq!(verified.signatures.len(), 2);
    assert_eq!(verified.signatures[0].field, "ecenterSeal1");
    assert_eq!(verified.signatures[1].field, "ecenterArchive1");
    let checks = &verified.signatures[0].report.as_ref().unwrap().checks;
    let dss = verified.signatures[1]
        .report
        .as_ref()
        .unwrap()
        .checks
        .iter()
        .find(|c| c.name == "long_term_validation_data")
        .unwrap();
    assert_eq!(
        dss.status, "PASSED",
        "the hub embeds its chains (PAdES-B-LT): {dss:?}"
    );
    // The signature names the registry's seal; the seal is checked and the registry consulted.
    let named = checks.iter().find(|c| c.name == "seal").unwrap();
    assert!(named.detail.contains("4206-SSFW-01"), "{named:?}");
    for name in [
        "seal_maker_signature",
        "seal_maker_role",
        "signer_listed_in_seal",
        "registry",
    ] {
        let c = checks.iter().find(|c| c.name == name).unwrap();
        assert_eq!(c.status, "PASSED", "{c:?}");
    }
}

/// Checks that the hub's verifier (as a lawyer) fails changed bytes and refuses a non-PDF.
async fn hub_verifier_fails_changed_bytes(lawyer_seals: &mut Seals, bytes: &[u8], docx: &[u8]) {
    let mut changed = bytes.to_vec();
    let at = changed
        .windows(15)
        .position(|w| w == b"Judgment page 2")
        .unwrap();
    changed[at] = b'j';
    let verified = lawyer_seals
        .verify_pdf(pb::VerifyPdfRequest {
            document: Some(pb::verify_pdf_request::Document::Content(changed)),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(verified.indication, pb::Indication::Failed as i32);
    assert!(verified.note.is_empty(), "{verified:?}");
    let report = verified.signatures[0].report.as_ref().unwrap();
    assert_eq!(report.sub_indication, "HASH_FAILURE");
    // An unsigned PDF: INDETERMINATE, and said why (outside tests, round 22b, F11).
    let unsigned = lawyer_seals
        .verify_pdf(pb::VerifyPdfRequest {
            document: Some(pb::verify_pdf_request::Document::Content(pdf_of(1))),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(unsigned.indication, pb::Indication::Indeterminate as i32);
    assert!(
        unsigned.note.contains("carries no signature"),
        "{unsigned:?}"
    );
    assert_status(
        lawyer_seals
            .verify_pdf(pb::VerifyPdfRequest {
                document: Some(pb::verify_pdf_request::Document::Content(docx.to_vec())),
            })
            .await,
        Code::InvalidArgument,
        "not a PDF",
    );
}

/// Checks that each kind of bad SealPdf request is refused with its reason.
async fn sealing_refusals_give_their_reasons(
    court: &mut Seals,
    lawyer_seals: &mut Seals,
    filing_id: &str,
) {
    let stored = |document_id: &str| Some(stored_pdf(filing_id, document_id));
    let request = |target, page| pb::SealPdfRequest {
        seal_id: "4206-SSFW-01".into(),
        target,
        page,
        ..Default::default()
    };
    assert_status(
        court.seal_pdf(request(stored("D2"), 0)).await,
        Code::InvalidArgument,
        "only PDF documents can be sealed in place",
    );
    // A filed PDF no reader can open: the request is right, the stored document stands in the
    // way (outside tests, round 21, F3: it was called the caller's invalid argument).
    let broken = court.seal_pdf(request(stored("D3"), 0)).await;
    assert_status(broken, Code::FailedPrecondition, "target: ");
    let verified = court
        .verify_pdf(pb::VerifyPdfRequest {
            document: Some(pb::verify_pdf_request::Document::Stored(pb::DocumentRef {
                filing_id: filing_id.to_string(),
                document_id: "D3".into(),
            })),
        })
        .await;
    assert_status(verified, Code::FailedPrecondition, "document: ");
    assert_status(
        court.seal_pdf(request(stored("D1"), 9)).await,
        Code::InvalidArgument,
        "page 9 does not exist: the PDF has 3 pages",
    );
    assert_status(
        court.seal_pdf(request(stored("S1"), 0)).await,
        Code::InvalidArgument,
        "seal an original document",
    );
    assert_status(
        court.seal_pdf(request(None, 0)).await,
        Code::InvalidArgument,
        "give a stored document",
    );
    let mut unknown = request(stored("D1"), 0);
    unknown.seal_id = "NO-SUCH-SEAL".into();
    assert_status(
        court.seal_pdf(unknown).await,
        Code::NotFound,
        "NO-SUCH-SEAL",
    );
    assert_status(
        lawyer_seals.seal_pdf(request(stored("D1"), 0)).await,
        Code::PermissionDenied,
        "SealPdf",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_court_seals_a_filed_pdf_over_grpc_and_validators_accept_the_stored_copy() {
    let (pki, _data, hub) = tls_world().await;
    let mut court = court_with_seal(hub.addr, pki.path()).await;

    // A lawyer files a 3-page PDF and a DOCX; the court seals the PDF on its first page.
    let judgment = pdf_of(3);
    let docx = common::docx();
    let mut lawyer = tls_client(hub.addr, pki.path(), "lawyer-14201202010000001").await;
    let filing_id = file_documents(
        &mut lawyer,
        "req-pdfseal-1",
        "证据材料",
        &[
            ("判决书.pdf", &judgment),
            ("说明.docx", &docx),
            ("扫描件.pdf", b"%PDF-1.7\n% the scanner stopped here\n"),
        ],
    )
    .await;
    let sealed = court
        .seal_pdf(pb::SealPdfRequest {
            seal_id: "4206-SSFW-01".into(),
            target: Some(stored_pdf(&filing_id, "D1")),
            page: 1,
            position: None,
            reason: "电子送达".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(sealed.document_id, "S1");
    assert!(sealed.timestamped);
    assert!(sealed.sealed_pdf.is_empty());

    // The sealed copy is a document of the filing: the clerk downloads it and both validators accept it.
    let mut clerk = tls_client(hub.addr, pki.path(), "clerk-c0001").await;
    let bytes = common::download(&mut clerk, &filing_id, "S1")
        .await
        .unwrap();
    assert_eq!(common::sha256_hex(&bytes), sealed.sha256);
    assert!(bytes.starts_with(&judgment));
    validators_accept_the_stored_copy(pki.path(), &judgment, &bytes);

    // The hub's own verifier agrees: on the stored copy (as the clerk) and on bytes (as a lawyer).
    hub_verifier_passes_the_stored_copy(&hub, pki.path(), &filing_id).await;
    let mut lawyer_seals =
        SealServiceClient::new(channel_as(hub.addr, pki.path(), "lawyer-14201202010000001").await);
    hub_verifier_fails_changed_bytes(&mut lawyer_seals, &bytes, &docx).await;

    // Bytes sent now come back sealed.
    let from_bytes = court
        .seal_pdf(pb::SealPdfRequest {
            seal_id: "4206-SSFW-01".into(),
            target: Some(pb::seal_pdf_request::Target::Content(pdf_of(1))),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(from_bytes.document_id.is_empty());
    assert!(from_bytes.sealed_pdf.starts_with(&pdf_of(1)));

    // Refusals, each with its reason.
    sealing_refusals_give_their_reasons(&mut court, &mut lawyer_seals, &filing_id).await;
}

/// The signature's `/ByteRange [...]` rewritten by `change`, padded to the same length.
fn with_range(pdf: &[u8], change: impl Fn([i64; 4]) -> [i64; 4]) -> Vec<u8> {
    let key = b"/ByteRange";
    let name = pdf.windows(key.len()).rposition(|w| w == key).unwrap();
    let at = name + pdf[name..].iter().position(|b| *b == b'[').unwrap();
    let end = at + pdf[at..].iter().position(|b| *b == b']').unwrap() + 1;
    let numbers: Vec<i64> = std::str::from_utf8(&pdf[at + 1..end - 1])
        .unwrap()
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    // The sealer pads the range with spaces to its placeholder's width: that room may be used.
    let end = end + pdf[end..].iter().take_while(|b| **b == b' ').count();
    let new = change(numbers.try_into().unwrap());
    let text = format!("[{} {} {} {}]", new[0], new[1], new[2], new[3]);
    let padded = format!("{text:<width$}", width = end - at);
    assert_eq!(padded.len(), end - at, "the new range must fit in place");
    let mut out = pdf.to_vec();
    out[at..end].copy_from_slice(padded.as_bytes());
    out
}

fn failed(report: &ecenter_pdfseal::PdfReport, signature: usize) -> Vec<(&'static str, String)> {
    report.signatures[signature]
        .report
        .checks
        .iter()
        .filter_map(|c| match c.status {
            ecenter_seal::CheckStatus::Failed(s) => Some((c.name, format!("{s}: {}", c.detail))),
            _ => None,
        })
        .collect()
}

/// Checks that a good seal passes every check, with its long-term validation data.
fn a_good_seal_passes_every_check(good: &[u8], trust: &ecenter_seal::TrustStores, now: SystemTime) {
    use ecenter_pdfseal::verify_pdf;
    use ecenter_seal::Indication;
    let report = verify_pdf(good, trust, now).unwrap();
    assert_eq!(report.indication, Indication::Passed, "{report:?}");
    assert_eq!(report.signatures.len(), 1);
    let names: Vec<&str> = report.signatures[0]
        .report
        .checks
        .iter()
        .map(|c| c.name)
        .collect();
    for name in [
        "byte_range",
        "message_digest",
        "signature",
        "timestamp",
        "signer_chain",
        "modifications",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    assert_eq!(report.signatures[0].field, "ecenterSeal1");
    let dss = report.signatures[0]
        .report
        .checks
        .iter()
        .find(|c| c.name == "long_term_validation_data")
        .unwrap();
    assert_eq!(dss.status, ecenter_seal::CheckStatus::Passed);
    assert!(
        dss.detail.contains("5 certificate(s) and 1 CRL(s)"),
        "{}",
        dss.detail
    );
    assert!(
        report.signatures[0]
            .report
            .signer
            .as_deref()
            .unwrap()
            .contains("诉讼服务专用章")
    );
}

/// Checks that an incremental update changing page 1 after sealing fails here and in pdfsig.
fn an_update_after_sealing_is_caught(
    pki: &Path,
    good: &[u8],
    trust: &ecenter_seal::TrustStores,
    now: SystemTime,
) {
    use ecenter_pdfseal::verify_pdf;
    use ecenter_seal::Indication;
    let mut update = lopdf::IncrementalDocument::load_from(good).unwrap();
    let page_one = update.get_prev_documents().get_pages()[&1];
    let content_id = update
        .get_prev_documents()
        .get_dictionary(page_one)
        .unwrap()
        .get(b"Contents")
        .unwrap()
        .as_reference()
        .unwrap();
    update.opt_clone_object_to_new_document(content_id).unwrap();
    let forged = b"BT /F1 12 Tf 72 720 Td (Judgment: the claim is DISMISSED) Tj ET".to_vec();
    update
        .new_document
        .get_object_mut(content_id)
        .unwrap()
        .as_stream_mut()
        .unwrap()
        .set_content(forged);
    let mut shadowed = Vec::new();
    update.save_to(&mut shadowed).unwrap();
    assert!(shadowed.starts_with(good));
    let report = verify_pdf(&shadowed, trust, now).unwrap();
    assert_ne!(report.indication, Indication::Passed);
    let why = failed(&report, 0);
    assert!(
        why.iter().any(|(name, detail)| *name == "modifications"
            && detail.contains("changed after this signature")),
        "{why:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shadowed.pdf");
    std::fs::write(&file, &shadowed).unwrap();
    let nss_dir = tempfile::tempdir().unwrap();
    let nss = nss_trusting(pki, nss_dir.path());
    assert!(pdfsig(&nss, &file).contains("Not total document signed"));
}

/// Checks that a byte range stopping short of the end, or overlapping ranges, fail.
fn forged_byte_ranges_are_caught(good: &[u8], trust: &ecenter_seal::TrustStores, now: SystemTime) {
    use ecenter_pdfseal::verify_pdf;
    use ecenter_seal::Indication;
    // A byte range that stops short of the end of the file.
    let short = with_range(good, |[a, b, c, d]| [a, b, c, d - 10]);
    let report = verify_pdf(&short, trust, now).unwrap();
    assert_ne!(report.indication, Indication::Passed);
    let why = failed(&report, 0);
    assert!(
        why.iter().any(|(name, _)| *name == "modifications"),
        "{why:?}"
    );

    // Overlapping byte ranges.
    let overlapping = with_range(good, |[a, _, c, d]| [a, c + 10, c, d]);
    let report = verify_pdf(&overlapping, trust, now).unwrap();
    assert_eq!(report.indication, Indication::Failed);
    let why = failed(&report, 0);
    assert!(
        why.iter().any(|(_, detail)| detail.contains("overlap")),
        "{why:?}"
    );
}

#[test]
fn our_verifier_agrees_with_the_validators_and_refuses_each_attack() {
    use ecenter_pdfseal::verify_pdf;
    use ecenter_seal::{Indication, SubIndication};
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let trust = trust(pki.path());
    let now = SystemTime::now();
    let good = sealed(pki.path(), 3);

    a_good_seal_passes_every_check(&good, &trust, now);

    // A byte changed inside the signed range (what pyHanko and pdfsig refuse above).
    let mut changed = good.clone();
    let at = changed
        .windows(15)
        .position(|w| w == b"Judgment page 2")
        .unwrap();
    changed[at] = b'j';
    let report = verify_pdf(&changed, &trust, now).unwrap();
    assert_eq!(report.indication, Indication::Failed);
    assert_eq!(
        report.signatures[0].report.sub_indication,
        Some(SubIndication::HashFailure)
    );

    // An incremental update appended after sealing that changes the text shown on page 1.
    an_update_after_sealing_is_caught(pki.path(), &good, &trust, now);

    forged_byte_ranges_are_caught(&good, &trust, now);

    // A second signature by a key that does not chain to our anchors.
    let rogue = tempfile::tempdir().unwrap();
    ecenter_pki::init(rogue.path(), false).unwrap();
    let twice = seal_pdf(
        &good,
        &ecenter_pdfseal::Sealer {
            signer: &holder(rogue.path(), "seal"),
            chain: &[der_of(&rogue.path().join("seal-ca.pem"))],
            tsa: None,
        },
        now,
        &Placement::default(),
        &SignatureInfo::default(),
    )
    .unwrap();
    let report = verify_pdf(&twice, &trust, now).unwrap();
    assert_eq!(report.signatures.len(), 2);
    assert_eq!(
        report.signatures[0].report.indication,
        Indication::Passed,
        "the court's own seal stays valid"
    );
    assert_eq!(
        report.signatures[1].report.sub_indication,
        Some(SubIndication::NoCertificateChainFound)
    );
    assert_ne!(report.indication, Indication::Passed);
}

/// Checks that `clerk verify-pdf` trusts no root unless named and fails `good` under another root.
fn clerk_trusts_only_the_root_it_is_given(good: &Path) {
    // Nothing is trusted unless named: without --trust clap refuses, naming the flag.
    let out = Command::new(env!("CARGO_BIN_EXE_clerk"))
        .arg("verify-pdf")
        .arg(good)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--trust"));
    // With another root, the same PDF does not verify.
    let other = tempfile::tempdir().unwrap();
    ecenter_pki::init(other.path(), false).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_clerk"))
        .arg("verify-pdf")
        .arg(good)
        .arg("--trust")
        .arg(other.path().join("root-ca.pem"))
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["indication"], "INDETERMINATE");
    let chain = json["signatures"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "signer_chain")
        .unwrap()
        .clone();
    assert_eq!(
        chain["status"], "FAILED (NO_CERTIFICATE_CHAIN_FOUND)",
        "{chain}"
    );
}

#[test]
fn clerk_verifies_a_sealed_pdf_offline_and_exits_non_zero_when_it_does_not_verify() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("送达文书.pdf");
    let bytes = sealed(pki.path(), 2);
    std::fs::write(&good, &bytes).unwrap();
    let mut changed = bytes.clone();
    let at = changed
        .windows(15)
        .position(|w| w == b"Judgment page 2")
        .unwrap();
    changed[at] = b'j';
    let bad = dir.path().join("changed.pdf");
    std::fs::write(&bad, &changed).unwrap();
    let clerk = |file: &Path, extra: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_clerk"));
        c.arg("verify-pdf").arg(file);
        for (flag, stem) in [
            ("--trust", "root-ca"),
            ("--intermediate", "seal-ca"),
            ("--intermediate", "tsa-ca"),
        ] {
            c.arg(flag).arg(pki.path().join(format!("{stem}.pem")));
        }
        c.args(extra).output().unwrap()
    };

    let out = clerk(&good, &["--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["indication"], "PASSED");
    assert_eq!(json["signatures"][0]["field"], "ecenterSeal1");
    // When it was signed, as its timestamp proves: Beijing time (round 22b, F9).
    let first = &json["signatures"][0];
    assert!(
        first["signing_time"].as_str().unwrap().ends_with("+08:00"),
        "{first}"
    );
    assert_eq!(
        first["signing_time_proven_by"],
        "RFC 3161 signature timestamp"
    );
    let table = clerk(&good, &[]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.status.success() && text.contains("PASSED") && text.contains("诉讼服务专用章"),
        "{text}"
    );
    assert!(
        text.contains("signed at 20") && text.contains("(Beijing time)"),
        "{text}"
    );

    let out = clerk(&bad, &["--json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["indication"], "FAILED");
    assert_eq!(json["signatures"][0]["sub_indication"], "HASH_FAILURE");

    // Cut in half (a download that stopped): no signature is left to find, and clerk says the
    // file looks cut short rather than merely unsigned; a whole unsigned PDF is only unsigned.
    let cut = dir.path().join("cut.pdf");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let unsigned = dir.path().join("unsigned.pdf");
    std::fs::write(&unsigned, ecenter_pdfseal::sample_pdf(1, 0)).unwrap();
    for (file, damaged) in [(&cut, true), (&unsigned, false)] {
        let out = clerk(file, &[]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert!(text.contains("no signature"), "{text}");
        assert_eq!(text.contains("cut short"), damaged, "{text}");
    }

    clerk_trusts_only_the_root_it_is_given(&good);
}
