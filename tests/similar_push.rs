//! 类案推送 that pushes, over real gRPC (mutual TLS): docketing a filing makes the hub push the cases
//! most similar to the case's docketed documents — recorded as `similar_cases_pushed`, delivered by
//! WatchEvents of the filing's department, listed by ListPushedCases and the court and clerk tools —
//! with why each case is similar; rejected documents are not read; a push that would repeat the
//! previous one is not recorded; a case can opt out; a restarted hub resumes where it stood.

mod common;

use common::*;
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::filing_service_client::FilingServiceClient;
use ecenter_proto::v1::similar_case_service_client::SimilarCaseServiceClient;
use std::time::{Duration, Instant};
use tokio_stream::StreamExt;
use tonic::Code;
use tonic::transport::Channel;

const COURT_STEM: &str = "court-xiangyang-cms";
const LAWYER_STEM: &str = "lawyer-14201202010000001";
const CASE_A: &str = "（2026）鄂06刑初31号";
const CASE_B: &str = "（2026）鄂06刑初32号";

const THEFT: &str = "被告人趁被害人不备，在小区地下车库内撬开电动车锁，窃取电动自行车一辆，经鉴定价值人民币3200元，后将赃车销赃。";
const DRIVING: &str = "被告人酒后驾驶小型轿车在城区道路行驶，被交警查获，经检验其血液中乙醇含量为每百毫升一百八十毫克，属醉酒驾驶机动车。";
const FRAUD: &str =
    "被告人冒充电商平台客服拨打电话，虚构退款理赔事由，诱骗被害人扫码转账，骗取人民币四万余元。";

/// Nine judgments, three of each kind: id, facts, charge, statute.
fn judgments() -> Vec<(String, &'static str, &'static str, &'static str)> {
    let kinds = [
        (THEFT, "盗窃罪", "第二百六十四条"),
        (DRIVING, "危险驾驶罪", "第一百三十三条之一"),
        (FRAUD, "诈骗罪", "第二百六十六条"),
    ];
    let mut all = Vec::new();
    for (k, (facts, charge, statute)) in kinds.into_iter().enumerate() {
        for i in 0..3 {
            all.push((format!("J{k}{i}"), facts, charge, statute));
        }
    }
    all
}

fn index_request(
    id: &str,
    facts: &str,
    charge: &str,
    statute: &str,
    n: usize,
) -> pb::IndexCaseRequest {
    // Each judgment closes with its date in Chinese numerals: 二〇二一年六月{n+1}日.
    let day = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"][n % 10];
    let full = format!(
        "某某区人民法院刑事判决书（2021）鄂0602刑初{n}号。经审理查明：{facts}本院认为，被告人的行为已构成{charge}。\
         依照《中华人民共和国刑法》{statute}之规定，判决如下：被告人犯{charge}，判处有期徒刑{}个月。\n审判长　张明\n\
         二〇二一年六月{day}日\n书记员　李华",
        6 + n
    );
    pb::IndexCaseRequest {
        case: Some(pb::IndexedCase {
            case_id: id.into(),
            case_number: format!("（2021）鄂0602刑初{n}号"),
            court: "鄂0602".into(),
            year: 2021,
            procedure: pb::Procedure::FirstInstance as i32,
            facts: facts.into(),
            full_text: full,
            ..Default::default()
        }),
    }
}

/// A filed document: the facts and the charge the filer names.
fn filed(facts: &str, charge: &str) -> Vec<u8> {
    docx_with(&format!(
        "{facts}被告人的行为已构成{charge}，请求依法追究其刑事责任。"
    ))
}

fn docx_with(text: &str) -> Vec<u8> {
    let body = format!(
        r#"<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"#
    );
    docx_of(body.as_bytes())
}

/// Files `docs` as one filing, reviews it (each document accepted or rejected as `accept` says) and
/// dockets it in `case` (given for a new case, empty for one already docketed); returns the filing
/// id and its department.
async fn file_and_docket(
    lawyer: &mut FilingServiceClient<Channel>,
    court: &mut FilingServiceClient<Channel>,
    filing: (&str, &str, &str),
    docs: &[(&str, &[u8], bool)],
    new_case: &str,
) -> (String, String) {
    let (request_id, case_number, kind) = filing;
    let named: Vec<(&str, &[u8])> = docs.iter().map(|(n, d, _)| (*n, *d)).collect();
    let bodies: Vec<&[u8]> = docs.iter().map(|(_, d, _)| *d).collect();
    let h = header(request_id, case_number, kind, &named);
    let receipt = lawyer
        .submit_filing(tokio_stream::iter(messages(h, &bodies, 64 * 1024)))
        .await
        .unwrap()
        .into_inner()
        .receipt
        .unwrap();
    let filing_id = receipt.filing_id;
    court
        .start_review(pb::StartReviewRequest {
            filing_id: filing_id.clone(),
        })
        .await
        .unwrap();
    let decisions = docs
        .iter()
        .enumerate()
        .map(|(i, (_, _, accept))| pb::DocumentDecision {
            document_id: format!("D{}", i + 1),
            decision: if *accept {
                pb::ReviewDecision::Accept
            } else {
                pb::ReviewDecision::Reject
            } as i32,
            reason: if *accept {
                String::new()
            } else {
                "与本案无关".into()
            },
        })
        .collect();
    court
        .review_filing(pb::ReviewFilingRequest {
            filing_id: filing_id.clone(),
            decisions,
            comment: String::new(),
        })
        .await
        .unwrap();
    let docketed = court
        .docket_filing(pb::DocketFilingRequest {
            filing_id: filing_id.clone(),
            case_number: new_case.into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(docketed.state(), pb::FilingState::Docketed);
    (filing_id, docketed.department)
}

type Similar = SimilarCaseServiceClient<Channel>;

/// The case's pushes once `pushes` are recorded (the push follows the docketing, off the request).
async fn pushes_reach(similar: &mut Similar, case: &str, pushes: u32) -> pb::CasePushes {
    let give_up = Instant::now() + Duration::from_secs(60);
    loop {
        let found = similar
            .list_pushed_cases(pb::ListPushedCasesRequest {
                case_number: case.into(),
                ..Default::default()
            })
            .await;
        match found {
            Ok(r) if r.get_ref().cases[0].pushes >= pushes => {
                return r.into_inner().cases.remove(0);
            }
            Ok(_) => {}
            Err(s) if s.code() == Code::NotFound => {}
            Err(s) => panic!("ListPushedCases: {s}"),
        }
        assert!(
            Instant::now() < give_up,
            "{case} never reached {pushes} pushes"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn ids(push: &pb::CasePush) -> Vec<&str> {
    push.hits.iter().map(|h| h.case_id.as_str()).collect()
}

fn assert_refused<T: std::fmt::Debug>(r: Result<T, tonic::Status>, code: Code, says: &str) {
    let s = r.expect_err("refused");
    assert_eq!(s.code(), code, "{}", s.message());
    assert!(
        s.message().contains(says),
        "{says:?} not in {:?}",
        s.message()
    );
}

/// The court system, a lawyer and the similar-case service of one hub.
struct Clients {
    similar: Similar,
    lawyer: FilingServiceClient<Channel>,
    court: FilingServiceClient<Channel>,
}

impl Clients {
    async fn of(hub: &TestHub, pki: &std::path::Path) -> Clients {
        Clients {
            similar: SimilarCaseServiceClient::new(channel_as(hub.addr, pki, COURT_STEM).await),
            lawyer: tls_client(hub.addr, pki, LAWYER_STEM).await,
            court: tls_client(hub.addr, pki, COURT_STEM).await,
        }
    }

    async fn docket(
        &mut self,
        filing: (&str, &str, &str),
        docs: &[(&str, &[u8], bool)],
        new_case: &str,
    ) -> (String, String) {
        file_and_docket(&mut self.lawyer, &mut self.court, filing, docs, new_case).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docketing_pushes_similar_cases_once_per_change_and_a_case_can_opt_out() {
    let (pki, data, hub) = tls_world().await;
    let mut c = Clients::of(&hub, pki.path()).await;
    for (n, (id, facts, charge, statute)) in judgments().iter().enumerate() {
        c.similar
            .index_case(index_request(id, facts, charge, statute, n + 1))
            .await
            .unwrap();
    }
    let push1 = a_complaint_is_pushed_its_similar_cases(&mut c, &hub, pki.path()).await;
    let push2 = accepted_evidence_changes_the_push(&mut c, &push1).await;
    a_push_that_would_repeat_is_not_recorded(&mut c, &push2).await;
    opting_out_stops_the_pushes(&mut c).await;
    refusals(&mut c.similar).await;
    an_opt_out_needs_a_known_case(&mut c).await;
    tools_show_the_pushes(&hub, pki.path(), &push2).await;

    // A restarted hub made to answer every docketing again (its position put back to the start)
    // records none twice — not even CASE_A's docketing while it was opted out, though it has opted
    // in since — and pushes the next docketing.
    hub.stop().await;
    std::fs::write(data.path().join("similar-push.seq"), "0\n").unwrap();
    let hub = start_tls(data.path(), pki.path()).await;
    let mut c = Clients::of(&hub, pki.path()).await;
    let theft = filed(THEFT, "盗窃罪");
    c.docket(
        ("req-push-7", CASE_B, "证据材料"),
        &[("盗窃.docx", &theft, true)],
        "",
    )
    .await;
    let b = pushes_reach(&mut c.similar, CASE_B, 3).await;
    assert_eq!(b.pushes, 3);
    let a = pushes_reach(&mut c.similar, CASE_A, 2).await;
    assert_eq!(a.pushes, 2);
    hub.stop().await;
}

/// A complaint of theft: the theft judgments come first, each saying why; the entry is in the log
/// and reaches the department's watchers.
async fn a_complaint_is_pushed_its_similar_cases(
    c: &mut Clients,
    hub: &TestHub,
    pki: &std::path::Path,
) -> pb::CasePush {
    let theft = filed(THEFT, "盗窃罪");
    let (f1, department) = c
        .docket(
            ("req-push-1", "", "起诉状"),
            &[("起诉状.docx", &theft, true)],
            CASE_A,
        )
        .await;
    let first = pushes_reach(&mut c.similar, CASE_A, 1).await;
    let push1 = first.latest.clone().unwrap();
    assert_eq!(push1.filing_id, f1);
    assert_eq!(push1.department, department);
    assert_eq!(push1.filings, std::slice::from_ref(&f1));
    assert!(
        ids(&push1)[..3].iter().all(|id| id.starts_with("J0")),
        "{:?}",
        ids(&push1)
    );
    let best = &push1.hits[0];
    assert!(best.shared_charges.contains(&"盗窃罪".to_string()));
    assert!(
        best.reasons
            .iter()
            .any(|r| r.starts_with("同罪名或案由：") && r.contains("盗窃罪"))
    );
    assert!(best.reasons.iter().any(|r| r.starts_with("共同事实用语：")));
    assert!(
        best.reasons
            .contains(&"涉案金额相近：本案3200元，该案3200元".to_string())
    );
    assert_eq!(
        (best.case_amount_yuan, best.judgment_amount_yuan),
        (3200, 3200)
    );
    assert!(
        best.case_number.starts_with("（2021）鄂0602刑初")
            && best.court == "鄂0602"
            && best.year == 2021
    );
    // The judgment's date, read from its closing: 刑初{n}号 was decided on 6 June + n.
    let n: u32 = best.case_number["（2021）鄂0602刑初".len()..]
        .trim_end_matches('号')
        .parse()
        .unwrap();
    assert_eq!(best.judgment_date, format!("2021-06-{:02}", n % 10 + 1));
    assert_eq!(push1.query_charges, ["盗窃罪"]);

    // The docketing entry it answers, and the push's own entry, as a clerk reads the log.
    let mut log = pb::event_log_service_client::EventLogServiceClient::new(
        channel_as(hub.addr, pki, "clerk-c0001").await,
    );
    let entries = all_entries(&mut log).await;
    let docketed = entries
        .iter()
        .find(|e| e.kind == "docketed" && e.filing_id == f1)
        .unwrap();
    assert_eq!(push1.docketed_seq, docketed.seq);
    let pushed = entries.iter().find(|e| e.seq == push1.log_seq).unwrap();
    assert_eq!(pushed.kind, "similar_cases_pushed");
    let body: serde_json::Value = serde_json::from_str(&pushed.detail_json).unwrap();
    assert_eq!(body["event"]["docketed_seq"], docketed.seq);
    assert_eq!(body["event"]["hits"][0]["case_id"], best.case_id.as_str());

    // The department's watchers receive it with the filing that moved the case.
    let mut watch = watch_department(&mut c.court, &department).await;
    let seen = loop {
        let e = watch.next().await.unwrap().unwrap();
        if e.kind == "similar_cases_pushed" {
            break e;
        }
    };
    assert_eq!(
        (seen.seq, seen.filing_id.as_str()),
        (push1.log_seq, f1.as_str())
    );
    assert_eq!(seen.state_after(), pb::FilingState::Unspecified);
    push1
}

/// Evidence of drunk driving accepted, of fraud rejected: the push changes, and the rejected
/// document is not read.
async fn accepted_evidence_changes_the_push(c: &mut Clients, push1: &pb::CasePush) -> pb::CasePush {
    let driving = filed(DRIVING, "危险驾驶罪");
    let fraud = filed(FRAUD, "诈骗罪");
    let (f2, _) = c
        .docket(
            ("req-push-2", CASE_A, "证据材料"),
            &[("酒驾.docx", &driving, true), ("诈骗.docx", &fraud, false)],
            "",
        )
        .await;
    let second = pushes_reach(&mut c.similar, CASE_A, 2).await;
    let push2 = second.latest.clone().unwrap();
    assert_eq!(
        push2.filings,
        [f2, push1.filing_id.clone()],
        "the filing docketed is read first"
    );
    assert!(push2.query_charges.contains(&"危险驾驶罪".to_string()));
    assert!(
        !push2.query_charges.contains(&"诈骗罪".to_string()),
        "{:?}",
        push2.query_charges
    );
    assert!(ids(&push2).iter().any(|id| id.starts_with("J1")));
    assert_ne!(ids(push1), ids(&push2));
    push2
}

/// A photo adds no text: nothing new is read, and no push is recorded — though a judgment indexed
/// meanwhile would change the cases found (outsider, round 18: a push was recorded then). A new
/// case's push, later in the log, shows the photo's docketing was answered.
async fn a_push_that_would_repeat_is_not_recorded(c: &mut Clients, push2: &pb::CasePush) {
    let (id, facts, charge, statute) = &judgments()[3];
    let mut newer = index_request(&format!("{id}-new"), facts, charge, statute, 10);
    newer.case.as_mut().unwrap().full_text.push_str("驾驶");
    c.similar.index_case(newer).await.unwrap();
    let photo = png();
    c.docket(
        ("req-push-3", CASE_A, "证据材料"),
        &[("照片.png", &photo, true)],
        "",
    )
    .await;
    let fraud_complaint = filed(FRAUD, "诈骗罪");
    c.docket(
        ("req-push-4", "", "起诉状"),
        &[("起诉状.docx", &fraud_complaint, true)],
        CASE_B,
    )
    .await;
    let b = pushes_reach(&mut c.similar, CASE_B, 1).await;
    assert!(ids(b.latest.as_ref().unwrap())[0].starts_with("J2"));
    let a = pushes_reach(&mut c.similar, CASE_A, 2).await;
    assert_eq!((a.pushes, a.latest.unwrap().log_seq), (2, push2.log_seq));
    let withdrawn = pb::RemoveCaseRequest {
        case_id: format!("{id}-new"),
        reason: "测试后撤下".into(),
    };
    c.similar.remove_case(withdrawn).await.unwrap();
}

/// CASE_A opts out: its next docketing pushes nothing, while CASE_B's does.
async fn opting_out_stops_the_pushes(c: &mut Clients) {
    let off = pb::SetCasePushRequest {
        case_number: CASE_A.into(),
        enabled: false,
        reason: "合议庭已自行检索类案".into(),
    };
    let stopped = c
        .similar
        .set_case_push(off.clone())
        .await
        .unwrap()
        .into_inner();
    assert!(stopped.log_seq > 0);
    let again = c.similar.set_case_push(off).await.unwrap().into_inner();
    assert_eq!(again.log_seq, 0, "already stopped: nothing recorded");
    let fraud = filed(FRAUD, "诈骗罪");
    c.docket(
        ("req-push-5", CASE_A, "答辩状"),
        &[("答辩状.docx", &fraud, true)],
        "",
    )
    .await;
    let driving = filed(DRIVING, "危险驾驶罪");
    c.docket(
        ("req-push-6", CASE_B, "证据材料"),
        &[("酒驾.docx", &driving, true)],
        "",
    )
    .await;
    pushes_reach(&mut c.similar, CASE_B, 2).await;
    let a = pushes_reach(&mut c.similar, CASE_A, 2).await;
    assert_eq!(a.pushes, 2);
    assert!(a.opted_out);
    assert_eq!(a.opted_out_reason, "合议庭已自行检索类案");
    assert!(
        a.opted_out_by
            .contains(COURT_STEM.trim_start_matches("court-"))
    );
}

/// A case the hub holds no filing of cannot opt out (a mistyped 案号 is not kept for good); a
/// filed case can, and once it resumed with nothing pushed it has nothing to list.
async fn an_opt_out_needs_a_known_case(c: &mut Clients) {
    const CASE_C: &str = "（2026）鄂06刑初77号";
    let set = |case: &str, enabled: bool| pb::SetCasePushRequest {
        case_number: case.into(),
        enabled,
        reason: "合议庭决定".into(),
    };
    let list = || pb::ListPushedCasesRequest {
        case_number: CASE_C.into(),
        ..Default::default()
    };
    let never_filed = c.similar.set_case_push(set(CASE_C, false)).await;
    assert_refused(never_filed, Code::NotFound, "no filing of");
    let h = header("req-push-c", CASE_C, "答辩状", &[("a.pdf", &pdf("答辩"))]);
    let msgs = messages(h, &[&pdf("答辩")], 64 * 1024);
    c.lawyer
        .submit_filing(tokio_stream::iter(msgs))
        .await
        .unwrap();
    let off = c.similar.set_case_push(set(CASE_C, false)).await.unwrap();
    assert!(off.into_inner().log_seq > 0);
    let listed = c.similar.list_pushed_cases(list()).await.unwrap();
    assert!(listed.into_inner().cases[0].opted_out);
    let on = c.similar.set_case_push(set(CASE_C, true)).await.unwrap();
    assert!(on.into_inner().log_seq > 0);
    let nothing = c.similar.list_pushed_cases(list()).await;
    assert_refused(nothing, Code::NotFound, "no similar cases were pushed");
}

async fn refusals(similar: &mut Similar) {
    let list = |case: &str| pb::ListPushedCasesRequest {
        case_number: case.into(),
        ..Default::default()
    };
    assert_refused(
        similar.list_pushed_cases(list("刑初31号")).await,
        Code::InvalidArgument,
        "case_number",
    );
    assert_refused(
        similar
            .list_pushed_cases(list("（2026）鄂06刑初99号"))
            .await,
        Code::NotFound,
        "docketed",
    );
    let limit = pb::ListPushedCasesRequest {
        limit: 501,
        ..Default::default()
    };
    assert_refused(
        similar.list_pushed_cases(limit).await,
        Code::InvalidArgument,
        "at most 500",
    );
    let no_reason = pb::SetCasePushRequest {
        case_number: CASE_B.into(),
        enabled: false,
        reason: "  ".into(),
    };
    assert_refused(
        similar.set_case_push(no_reason).await,
        Code::InvalidArgument,
        "reason",
    );
    // One case per page: the second page follows the first.
    let page = similar
        .list_pushed_cases(pb::ListPushedCasesRequest {
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.cases.len(), 1);
    let next = similar
        .list_pushed_cases(pb::ListPushedCasesRequest {
            after: page.next_after.clone(),
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(next.cases.len(), 1);
    assert_ne!(next.cases[0].case_number, page.cases[0].case_number);
    assert!(next.next_after.is_empty());
    // A place this list never gave is refused, not read as the first page again (round 13, F3).
    let spaced = format!(" {}", page.next_after);
    for after in ["garbage", spaced.as_str(), "（2026）鄂06刑初999号"] {
        let asked = pb::ListPushedCasesRequest {
            after: after.into(),
            limit: 1,
            ..Default::default()
        };
        assert_refused(
            similar.list_pushed_cases(asked).await,
            Code::InvalidArgument,
            "after",
        );
    }
}

/// `court pushed` and `clerk pushed`, run as processes.
async fn tools_show_the_pushes(hub: &TestHub, pki: &std::path::Path, push2: &pb::CasePush) {
    let court = common::court::Court::new();
    let login = court.login(hub.addr, pki, COURT_STEM);
    assert!(
        login.status.success(),
        "{}",
        String::from_utf8_lossy(&login.stderr)
    );
    let table = court.run(&["pushed"]);
    assert!(
        table.status.success(),
        "{}",
        String::from_utf8_lossy(&table.stderr)
    );
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains(CASE_A) && text.contains(CASE_B) && text.contains("已停止"),
        "{text}"
    );
    let one = court.run(&["pushed", "--case", CASE_A]);
    let text = String::from_utf8_lossy(&one.stdout);
    assert!(
        text.contains("同罪名或案由：") && text.contains(&push2.filing_id),
        "{text}"
    );
    let usage = court.run(&["push", "--case", CASE_B, "--reason", "试"]);
    assert_eq!(usage.status.code(), Some(2), "neither --on nor --off");
    // Typed another way, the case is named as the hub spells it (outsider, round 18).
    let typed = "( 2026 ) 鄂06刑初３１号";
    let on = court.run(&["push", "--case", typed, "--on", "--reason", "恢复推送"]);
    assert!(
        on.status.success(),
        "{}",
        String::from_utf8_lossy(&on.stderr)
    );
    let said = String::from_utf8_lossy(&on.stdout);
    assert!(
        said.starts_with(CASE_A) && said.contains("已恢复"),
        "{said}"
    );

    let clients = pki.join("clients");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_clerk"))
        .args(["pushed", "--json", "--hub", &hub.addr.to_string(), "--ca"])
        .arg(pki.join("root-ca.pem"))
        .arg("--cert")
        .arg(clients.join("clerk-c0001.pem"))
        .arg("--key")
        .arg(clients.join("clerk-c0001.key"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cases: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let a = cases
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["case_number"] == CASE_A)
        .unwrap();
    assert_eq!(a["opted_out"], false, "resumed by the court tool");
    assert_eq!(a["latest"]["log_seq"], push2.log_seq);
    assert_eq!(
        a["latest"]["hits"][0]["case_id"],
        push2.hits[0].case_id.as_str()
    );
    a_withdrawn_judgment_is_marked_in_the_push(hub, pki, &court, push2).await;
}

/// Outside tests, round 21b, 2: a judgment removed from the index stayed in the pushed list as if
/// it could be relied on. The push is shown as recorded, the judgment marked 已撤回.
async fn a_withdrawn_judgment_is_marked_in_the_push(
    hub: &TestHub,
    pki: &std::path::Path,
    court: &common::court::Court,
    push2: &pb::CasePush,
) {
    let mut similar = SimilarCaseServiceClient::new(channel_as(hub.addr, pki, COURT_STEM).await);
    let removed = push2.hits[0].case_id.clone();
    let withdraw = pb::RemoveCaseRequest {
        case_id: removed.clone(),
        reason: "该判决已被再审改判".into(),
    };
    similar.remove_case(withdraw).await.unwrap();
    let asked = pb::ListPushedCasesRequest {
        case_number: CASE_A.into(),
        ..Default::default()
    };
    let listed = similar.list_pushed_cases(asked).await.unwrap().into_inner();
    let hits = &listed.cases[0].latest.as_ref().unwrap().hits;
    assert_eq!(hits[0].case_id, removed, "shown as pushed");
    assert!(hits[0].withdrawn);
    assert!(hits[1..].iter().all(|h| !h.withdrawn), "{hits:?}");
    let one = court.run(&["pushed", "--case", CASE_A]);
    let text = String::from_utf8_lossy(&one.stdout);
    let first = text
        .lines()
        .find(|l| l.trim_start().starts_with("1. "))
        .unwrap();
    assert!(first.contains("已撤回"), "{text}");
}
