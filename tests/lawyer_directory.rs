//! The court's directory of lawyers over real mTLS: a court system lists, changes and removes
//! lawyers, each change one `lawyer_recorded`/`lawyer_removed` entry of the log; bad entries are
//! refused naming the field with nothing recorded; the directory survives a restart (it is a
//! projection of the log).

mod common;

use common::*;
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::lawyer_directory_client::LawyerDirectoryClient;
use tonic::Code;
use tonic::transport::Channel;

const COURT: &str = "court-xiangyang-cms";
const LAWYER: &str = "lawyer-14201202010000001";
const ZHANG: &str = "urn:ecenter:lawyer:14201202010000001";
const LI: &str = "urn:ecenter:lawyer:14201202010000002";

fn entry(identity: &str, licence: &str) -> pb::Lawyer {
    pb::Lawyer {
        identity: identity.into(),
        name: "张明".into(),
        licence_number: licence.into(),
        law_firm: "湖北楚天律师事务所".into(),
        phone: "13800138000".into(),
        email: "zhang@chutian-law.cn".into(),
    }
}

async fn directory(
    hub: &TestHub,
    pki: &std::path::Path,
    stem: &str,
) -> LawyerDirectoryClient<Channel> {
    LawyerDirectoryClient::new(channel_as(hub.addr, pki, stem).await)
}

async fn set(
    c: &mut LawyerDirectoryClient<Channel>,
    l: pb::Lawyer,
) -> Result<pb::LawyerEntry, tonic::Status> {
    c.set_lawyer(pb::SetLawyerRequest { lawyer: Some(l) })
        .await
        .map(tonic::Response::into_inner)
}

/// The log's durable head, as the court reads it.
async fn head(hub: &TestHub, pki: &std::path::Path) -> u64 {
    let mut log = ecenter_proto::v1::event_log_service_client::EventLogServiceClient::new(
        channel_as(hub.addr, pki, COURT).await,
    );
    let head = log
        .get_chain_head(pb::GetChainHeadRequest {})
        .await
        .unwrap();
    head.into_inner().seq
}

/// The kinds of the log's entries after `after`.
async fn kinds_after(hub: &TestHub, pki: &std::path::Path, after: u64) -> Vec<String> {
    let mut log = ecenter_proto::v1::event_log_service_client::EventLogServiceClient::new(
        channel_as(hub.addr, pki, COURT).await,
    );
    let page = log
        .list_entries(pb::ListEntriesRequest {
            after_seq: after,
            page_size: 100,
        })
        .await
        .unwrap()
        .into_inner();
    page.entries.into_iter().map(|e| e.kind).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_court_keeps_its_directory_and_every_change_is_one_entry() {
    let (pki, _data, hub) = tls_world().await;
    let mut court = directory(&hub, pki.path(), COURT).await;
    let listed = set(&mut court, entry(ZHANG, "14201202010000001"))
        .await
        .unwrap();
    assert!(listed.changed && listed.seq > 0, "{listed:?}");
    let again = set(&mut court, entry(ZHANG, "14201202010000001"))
        .await
        .unwrap();
    assert_eq!(
        (again.changed, again.seq),
        (false, 0),
        "an unchanged entry records nothing"
    );
    let mut moved = entry(ZHANG, "14201202010000001");
    moved.law_firm = "湖北汉江律师事务所".into();
    let changed = set(&mut court, moved.clone()).await.unwrap();
    assert!(changed.changed && changed.seq > listed.seq);
    let recorded = kinds_after(&hub, pki.path(), listed.seq - 1).await;
    assert_eq!(recorded, ["lawyer_recorded", "lawyer_recorded"]);

    // The lawyer reads their own entry, not a colleague's.
    set(&mut court, entry(LI, "14201202010000002"))
        .await
        .unwrap();
    let mut zhang = directory(&hub, pki.path(), LAWYER).await;
    let own = zhang
        .get_lawyer(pb::GetLawyerRequest {
            identity: ZHANG.into(),
        })
        .await
        .unwrap();
    assert_eq!(own.into_inner(), moved);
    let other = zhang
        .get_lawyer(pb::GetLawyerRequest {
            identity: LI.into(),
        })
        .await
        .unwrap_err();
    assert_eq!(other.code(), Code::PermissionDenied, "{other:?}");
    // Nor does the refusal tell whether a colleague is listed, or an identity well-formed.
    for probe in ["urn:ecenter:lawyer:nobody", "urn:ecenter:clerk:c1", "张明"] {
        let request = pb::GetLawyerRequest {
            identity: probe.into(),
        };
        let refused = zhang.get_lawyer(request).await.unwrap_err();
        assert_eq!(
            refused.code(),
            Code::PermissionDenied,
            "{probe}: {refused:?}"
        );
    }
    // The same entry typed with spaces and full-width digits is no change.
    let mut padded = moved.clone();
    padded.name = format!(" {}\u{3000}", moved.name);
    padded.phone = "１３８００１３８０００".into();
    let same = set(&mut court, padded).await.unwrap();
    assert!(!same.changed, "{same:?}");
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removal_needs_a_reason_frees_the_number_and_survives_a_restart() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let data = tempfile::tempdir().unwrap();
    let hub = start_tls(data.path(), pki.path()).await;
    let mut court = directory(&hub, pki.path(), COURT).await;
    for (who, licence) in [(ZHANG, "14201202010000001"), (LI, "14201202010000002")] {
        set(&mut court, entry(who, licence)).await.unwrap();
    }
    let before = head(&hub, pki.path()).await;
    let no_reason = court
        .remove_lawyer(pb::RemoveLawyerRequest {
            identity: ZHANG.into(),
            reason: " ".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(no_reason.code(), Code::InvalidArgument);
    assert!(
        no_reason.message().contains("reason"),
        "{}",
        no_reason.message()
    );
    assert_eq!(
        head(&hub, pki.path()).await,
        before,
        "a refused removal records nothing"
    );
    let removed = court
        .remove_lawyer(pb::RemoveLawyerRequest {
            identity: ZHANG.into(),
            reason: "注销执业证".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        kinds_after(&hub, pki.path(), removed.seq - 1).await,
        ["lawyer_removed"]
    );
    let gone = court
        .get_lawyer(pb::GetLawyerRequest {
            identity: ZHANG.into(),
        })
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Code::NotFound, "{gone:?}");
    assert!(
        gone.message().contains("律师名录中没有该律师"),
        "{}",
        gone.message()
    );
    let twice = court
        .remove_lawyer(pb::RemoveLawyerRequest {
            identity: ZHANG.into(),
            reason: "重复".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::NotFound);
    let reuse = entry("urn:ecenter:lawyer:wang", "14201202010000001");
    assert!(
        set(&mut court, reuse).await.unwrap().changed,
        "a removed lawyer's number is free"
    );

    // The directory is the log's projection: a restart shows the same.
    hub.stop().await;
    let hub = start_tls(data.path(), pki.path()).await;
    let mut court = directory(&hub, pki.path(), COURT).await;
    let page = court
        .list_lawyers(pb::ListLawyersRequest::default())
        .await
        .unwrap()
        .into_inner();
    let names: Vec<_> = page.lawyers.iter().map(|l| l.identity.as_str()).collect();
    assert_eq!(names, [LI, "urn:ecenter:lawyer:wang"]);
    hub.stop().await;
}

/// Entries each wrong in one way, with the code and the words the refusal must carry.
fn bad_entries() -> Vec<(pb::Lawyer, Code, Vec<&'static str>)> {
    let mut bad_phone = entry(LI, "14201202010000002");
    bad_phone.phone = "0710-3456789".into();
    let mut court_identity = entry("urn:ecenter:court:xiangyang", "14201201010000003");
    court_identity.name = "法院".into();
    let mut short_licence = entry(LI, "1420120101");
    short_licence.email = "li-at-hanjiang".into();
    vec![
        (
            bad_phone,
            Code::InvalidArgument,
            vec!["lawyer.phone", "11位手机号码"],
        ),
        (
            court_identity,
            Code::InvalidArgument,
            vec!["lawyer.identity", "须为律师身份"],
        ),
        (
            short_licence,
            Code::InvalidArgument,
            vec!["lawyer.licence_number", "lawyer.email"],
        ),
        (
            entry("urn:ecenter:lawyer:wang", "14201202010000001"),
            Code::AlreadyExists,
            vec![ZHANG, "已登记在其他律师名下"],
        ),
        (
            entry(LI, "14201201019999999"),
            Code::InvalidArgument,
            vec!["lawyer.licence_number", "不一致"],
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_entries_are_refused_naming_the_field_and_nothing_is_recorded() {
    let (pki, _data, hub) = tls_world().await;
    let mut court = directory(&hub, pki.path(), COURT).await;
    set(&mut court, entry(ZHANG, "14201202010000001"))
        .await
        .unwrap();
    let before = head(&hub, pki.path()).await;
    let cases = bad_entries();
    for (bad, code, words) in cases {
        let refused = set(&mut court, bad.clone()).await.unwrap_err();
        assert_eq!(refused.code(), code, "{bad:?}: {refused:?}");
        for word in words {
            assert!(
                refused.message().contains(word),
                "{word} missing: {}",
                refused.message()
            );
        }
    }
    let missing = court
        .set_lawyer(pb::SetLawyerRequest { lawyer: None })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::InvalidArgument);
    assert_eq!(
        head(&hub, pki.path()).await,
        before,
        "refusals record nothing"
    );
    // Not hex, or the hex of no lawyer's identity ("zzz", which sorts past every entry).
    for bad in ["zz", "7a7a7a"] {
        let token = court
            .list_lawyers(pb::ListLawyersRequest {
                page_size: 1,
                page_token: bad.into(),
            })
            .await
            .unwrap_err();
        assert_eq!(token.code(), Code::InvalidArgument, "{bad}");
    }
    // A lawyer may not list the directory or change it: each refusal audited.
    let mut zhang = directory(&hub, pki.path(), LAWYER).await;
    let listing = zhang
        .list_lawyers(pb::ListLawyersRequest::default())
        .await
        .unwrap_err();
    assert_eq!(listing.code(), Code::PermissionDenied);
    let own = set(&mut zhang, entry(ZHANG, "14201201010000009"))
        .await
        .unwrap_err();
    assert_eq!(own.code(), Code::PermissionDenied);
    assert_eq!(
        kinds_after(&hub, pki.path(), before).await,
        ["access_denied", "access_denied"]
    );
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_pages_by_identity() {
    let (pki, _data, hub) = tls_world().await;
    let mut court = directory(&hub, pki.path(), COURT).await;
    // Ids that are prefixes of one another, and a count that is an exact multiple of the page.
    let ids = ["1", "10", "100", "2"];
    for (i, id) in ids.iter().enumerate() {
        let l = entry(
            &format!("urn:ecenter:lawyer:{id}"),
            &format!("1420120101000000{i}"),
        );
        set(&mut court, l).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        pages += 1;
        let page = court
            .list_lawyers(pb::ListLawyersRequest {
                page_size: 2,
                page_token: token,
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.lawyers.len() <= 2);
        seen.extend(page.lawyers.into_iter().map(|l| l.identity));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let expected: Vec<_> = ids
        .iter()
        .map(|id| format!("urn:ecenter:lawyer:{id}"))
        .collect();
    assert_eq!(seen, expected);
    assert_eq!(
        pages, 2,
        "four entries are two pages of two, no empty third"
    );
    hub.stop().await;
}

/// An independent court system: Python grpcio (stubs from the .proto) keeps the directory over
/// mTLS, reads our refusal, and a Rust lawyer client reads the entry it made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_grpcio_court_system_keeps_the_directory() {
    let (pki, _data, hub) = tls_world().await;
    let root = env!("CARGO_MANIFEST_DIR");
    let run = || {
        std::process::Command::new("python3")
            .arg(format!("{root}/tests/python/lawyer_directory.py"))
            .args(["--addr", &hub.addr.to_string(), "--proto-dir"])
            .arg(format!("{root}/proto"))
            .arg("--pki")
            .arg(pki.path())
            .output()
            .expect("python3 runs")
    };
    let out = tokio::task::block_in_place(run);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(answer["changed"], true);
    assert_eq!(answer["name"], "欧阳娜娜");
    assert_eq!(answer["listed"], serde_json::json!([LI]));
    assert_eq!(answer["refusal"]["code"], "INVALID_ARGUMENT");
    let message = answer["refusal"]["message"].as_str().unwrap();
    assert!(
        message.contains("lawyer.phone") && message.contains("11位手机号码"),
        "{message}"
    );
    let mut li = directory(&hub, pki.path(), "lawyer-14201202010000002").await;
    let own = li
        .get_lawyer(pb::GetLawyerRequest {
            identity: LI.into(),
        })
        .await
        .unwrap();
    assert_eq!(own.into_inner().law_firm, "湖北汉江律师事务所");
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_no_sign_in_code_of_this_hub_could_reach_is_refused() {
    // A hub that sends e-mail (no SMTPUTF8) and no SMS (outside tests, round 13, F2).
    let w = common::service::world(common::smtp::free_port(), 5).await;
    let mut court = directory(&w.hub, w.pki.path(), COURT).await;
    let before = head(&w.hub, w.pki.path()).await;
    let mut phone_only = entry(ZHANG, "14201202010000001");
    phone_only.email = String::new();
    let mut idn_mailbox = entry(ZHANG, "14201202010000001");
    idn_mailbox.email = "周@例子.中国".into();
    for (lawyer, says) in [(phone_only, "[service.sms]"), (idn_mailbox, "SMTPUTF8")] {
        let refused = set(&mut court, lawyer).await.unwrap_err();
        assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
        let message = refused.message();
        assert!(
            message.contains("lawyer.phone, lawyer.email")
                && message.contains(says)
                && message.contains("登记的联系方式均无法接收本院的登录验证码"),
            "{message}"
        );
    }
    assert_eq!(head(&w.hub, w.pki.path()).await, before, "nothing recorded");
    // The e-mail alone reaches the lawyer; so does a phone beside it, for a later SMS channel.
    let mut email_only = entry(ZHANG, "14201202010000001");
    email_only.phone = String::new();
    assert!(set(&mut court, email_only).await.unwrap().changed);
    assert!(
        set(&mut court, entry(ZHANG, "14201202010000001"))
            .await
            .unwrap()
            .changed
    );
    w.hub.stop().await;
}
