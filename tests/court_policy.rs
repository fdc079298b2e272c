//! The court's filing policy (GetPolicy) over mutual TLS: a lawyer reads the kinds of filing the
//! court takes, its limits and fees; SubmitFiling refuses a kind the court does not list (free
//! text such as "complaint letter") and a new case opened by a kind that cannot open one, storing
//! nothing; a kind given by its code is recorded by its name. A court that lists its court codes
//! refuses another court's case numbers (but answers a retry of one filed before it listed them);
//! no court takes a later year's.

mod common;

use common::*;
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::filing_service_client::FilingServiceClient;
use tonic::transport::Channel;
use tonic_types::StatusExt;

const LAWYER: &str = "lawyer-14201202010000001";

async fn file(
    c: &mut FilingServiceClient<Channel>,
    request_id: &str,
    case: &str,
    kind: &str,
) -> Result<pb::SubmitFilingResponse, tonic::Status> {
    let doc = pdf(request_id);
    let mut h = header(request_id, case, kind, &[("a.pdf", &doc)]);
    // One title whatever the kind is called, so only the kind's spelling differs between calls.
    h.title = "诉讼材料".into();
    c.submit_filing(tokio_stream::iter(messages(h, &[&doc], 64 * 1024)))
        .await
        .map(tonic::Response::into_inner)
}

fn fields(status: &tonic::Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

async fn filings_of(c: &mut FilingServiceClient<Channel>) -> usize {
    c.list_filings(pb::ListFilingsRequest {
        submitter: LAWYER_A.into(),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner()
    .filings
    .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lawyer_reads_the_policy_and_a_kind_outside_it_is_refused_with_nothing_stored() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let data = tempfile::tempdir().unwrap();
    let hub = start_tls_with(data.path(), pki.path(), |c| {
        c.limits.max_documents = 7;
        c.policy.fees.push(ecenter_domain::policy::Fee {
            filing_kind: "APPEAL".into(),
            description: "上诉案件受理费，按一审诉讼请求金额计算".into(),
            amount_fen: 0,
        });
    })
    .await;
    let mut lawyer = tls_client(hub.addr, pki.path(), LAWYER).await;
    let policy = lawyer
        .get_policy(pb::GetPolicyRequest {})
        .await
        .unwrap()
        .into_inner();
    let complaint = &policy.filing_kinds[0];
    assert_eq!(
        (complaint.code.as_str(), complaint.name.as_str()),
        ("COMPLAINT", "起诉状")
    );
    assert!(complaint.starts_case);
    let answer = policy
        .filing_kinds
        .iter()
        .find(|k| k.code == "ANSWER")
        .unwrap();
    assert!(!answer.starts_case, "{answer:?}");
    assert_eq!(policy.max_documents, 7);
    assert_eq!(policy.max_document_bytes, 100 * 1024 * 1024);
    assert!(
        policy.media_types.iter().any(|m| m == "application/ofd"),
        "{policy:?}"
    );
    assert_eq!(policy.fees[0].filing_kind, "APPEAL");

    // Free text is not a kind: refused, naming the field and the kinds to choose from.
    let refused = file(&mut lawyer, "req-policy-0001", CASE, "complaint letter").await;
    let status = assert_status(refused, tonic::Code::InvalidArgument, "起诉状 (COMPLAINT)");
    assert_eq!(fields(&status), vec!["header.filing_kind"]);
    // An answer cannot open a new case.
    let refused = file(&mut lawyer, "req-policy-0002", "", "答辩状").await;
    assert_status(
        refused,
        tonic::Code::InvalidArgument,
        "give its case number",
    );
    assert_eq!(filings_of(&mut lawyer).await, 0, "nothing was recorded");

    // A code names the kind; the filing records its name.
    let ok = file(&mut lawyer, "req-policy-0003", CASE, "evidence")
        .await
        .unwrap();
    assert_eq!(ok.receipt.unwrap().filing_kind, "证据材料");
    let new_case = file(&mut lawyer, "req-policy-0004", "", "COMPLAINT")
        .await
        .unwrap();
    let receipt = new_case.receipt.unwrap();
    assert!(receipt.case_number.is_none(), "{receipt:?}");
    assert_eq!(receipt.filing_kind, "起诉状");
    // The same submission with the kind by name is the same filing (idempotent on the name).
    let again = file(&mut lawyer, "req-policy-0004", "", "起诉状")
        .await
        .unwrap();
    assert!(again.replayed);
    // A court system and a clerk read the same policy.
    for stem in ["court-xiangyang-cms", "clerk-c0001"] {
        let mut other = tls_client(hub.addr, pki.path(), stem).await;
        let theirs = other.get_policy(pb::GetPolicyRequest {}).await.unwrap();
        assert_eq!(theirs.into_inner(), policy);
    }
    hub.stop().await;
}

#[tokio::test]
async fn a_policy_without_kinds_or_with_a_fee_for_an_unknown_kind_stops_the_hub_naming_the_setting()
{
    let data = tempfile::tempdir().unwrap();
    let config = ecenter_server::Config {
        dev_mode: true,
        data_dir: data.path().to_path_buf(),
        policy: ecenter_server::config::PolicyConfig {
            filing_kinds: Vec::new(),
            ..Default::default()
        },
        ..ecenter_server::Config::default()
    };
    let Err(e) = ecenter_server::Hub::open(config, "127.0.0.1:0".parse().unwrap()) else {
        panic!("a hub with no filing kinds opened");
    };
    assert!(e.to_string().contains("policy.filing_kinds"), "{e}");
    let mut fee_for_nothing = ecenter_server::config::PolicyConfig::default();
    fee_for_nothing.fees.push(ecenter_domain::policy::Fee {
        filing_kind: "LETTER".into(),
        description: "来信费".into(),
        amount_fen: 100,
    });
    let config = ecenter_server::Config {
        dev_mode: true,
        data_dir: data.path().to_path_buf(),
        policy: fee_for_nothing,
        ..ecenter_server::Config::default()
    };
    let Err(e) = ecenter_server::Hub::open(config, "127.0.0.1:0".parse().unwrap()) else {
        panic!("a hub with a fee for an unknown kind opened");
    };
    assert!(e.to_string().contains("policy.fees[0].filing_kind"), "{e}");
}

/// A court that lists its court codes (`[policy] court_codes`) takes only its own case numbers:
/// another court's, or a later year's, is INVALID_ARGUMENT naming the case number, and nothing
/// is stored; its own and its city's basic courts' are filed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_number_of_another_court_or_a_later_year_is_refused_with_nothing_stored() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let data = tempfile::tempdir().unwrap();
    let hub = start_tls_with(data.path(), pki.path(), |c| {
        c.policy.court_codes = vec!["鄂06".into()];
    })
    .await;
    let mut lawyer = tls_client(hub.addr, pki.path(), LAWYER).await;
    let policy = lawyer.get_policy(pb::GetPolicyRequest {}).await.unwrap();
    assert_eq!(policy.into_inner().court_codes, ["鄂06"]);
    let this_year = chrono::Utc::now()
        .with_timezone(&ecenter_domain::time::shanghai_offset())
        .format("%Y")
        .to_string();
    let next_year = this_year.parse::<u32>().unwrap() + 1;
    let later = format!("（{next_year}）鄂06民初1号");
    for (id, case, words) in [
        (
            "case-beijing",
            "（2026）京01民初1号",
            "not one of this court's",
        ),
        ("case-later", later.as_str(), "later than this year"),
    ] {
        let refused = file(&mut lawyer, id, case, "答辩状").await.unwrap_err();
        assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{refused:?}");
        assert_eq!(fields(&refused), ["header.case_number"], "{refused:?}");
        assert!(refused.message().contains(words), "{refused:?}");
    }
    assert_eq!(
        filings_of(&mut lawyer).await,
        0,
        "a refused filing was stored"
    );
    for (id, case) in [
        ("case-own", format!("（{this_year}）鄂06民初1号")),
        ("case-basic", format!("（{this_year}）鄂0602民初1号")),
    ] {
        file(&mut lawyer, id, &case, "答辩状").await.unwrap();
    }
    hub.stop().await;
}

/// A filing made before the court listed its court codes is still answered with its receipt
/// when retried after (the retry is recognised before the policy is asked); a new filing of that
/// case number is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_the_court_listed_its_codes_is_the_same_filing() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let data = tempfile::tempdir().unwrap();
    let beijing = "（2026）京01民初1号";
    let hub = start_tls_with(data.path(), pki.path(), |_| {}).await;
    let mut lawyer = tls_client(hub.addr, pki.path(), LAWYER).await;
    let first = file(&mut lawyer, "req-codes-0001", beijing, "答辩状")
        .await
        .unwrap();
    hub.stop().await;
    let hub = start_tls_with(data.path(), pki.path(), |c| {
        c.policy.court_codes = vec!["鄂06".into()];
    })
    .await;
    let mut lawyer = tls_client(hub.addr, pki.path(), LAWYER).await;
    let again = file(&mut lawyer, "req-codes-0001", beijing, "答辩状")
        .await
        .unwrap();
    assert!(again.replayed, "{again:?}");
    let (first, again) = (first.receipt.unwrap(), again.receipt.unwrap());
    assert_eq!(
        (again.filing_id, again.log_seq),
        (first.filing_id, first.log_seq)
    );
    let refused = file(&mut lawyer, "req-codes-0002", beijing, "答辩状")
        .await
        .unwrap_err();
    assert_eq!(fields(&refused), ["header.case_number"], "{refused:?}");
    hub.stop().await;
}

/// A hub on `data` whose kinds are the defaults changed by `change`.
async fn hub_with_kinds(
    data: &std::path::Path,
    pki: &std::path::Path,
    change: impl FnOnce(&mut Vec<ecenter_domain::policy::FilingKind>) + Send + 'static,
) -> TestHub {
    start_tls_with(data, pki, move |c| change(&mut c.policy.filing_kinds)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_the_court_renamed_or_removed_the_kind_is_the_same_filing() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let data = tempfile::tempdir().unwrap();
    let hub = hub_with_kinds(data.path(), pki.path(), |_| {}).await;
    let mut lawyer = tls_client(hub.addr, pki.path(), LAWYER).await;
    let first = file(&mut lawyer, "req-rename-0001", CASE, "EVIDENCE")
        .await
        .unwrap();
    let filing_id = first.receipt.unwrap().filing_id;
    hub.stop().await;
    // 证据材料 is now called 证据 (the code stays): the retry by code is the same filing.
    let hub = hub_with_kinds(data.path(), pki.path(), |kinds| {
        kinds
            .iter_mut()
            .find(|k| k.code == "EVIDENCE")
            .unwrap()
            .name = "证据".into();
    })
    .await;
    let mut lawyer = tls_client(hub.addr, pki.path(), LAWYER).await;
    let again = file(&mut lawyer, "req-rename-0001", CASE, "EVIDENCE")
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.receipt.unwrap().filing_id, filing_id);
    hub.stop().await;
    // Removed altogether: still the same filing, while a new one of that kind is refused.
    let hub = hub_with_kinds(data.path(), pki.path(), |kinds| {
        kinds.retain(|k| k.code != "EVIDENCE");
    })
    .await;
    let mut lawyer = tls_client(hub.addr, pki.path(), LAWYER).await;
    let again = file(&mut lawyer, "req-rename-0001", CASE, "EVIDENCE")
        .await
        .unwrap();
    assert!(again.replayed);
    let refused = file(&mut lawyer, "req-rename-0002", CASE, "EVIDENCE").await;
    assert_status(
        refused,
        tonic::Code::InvalidArgument,
        "not a kind of filing",
    );
    hub.stop().await;
}
