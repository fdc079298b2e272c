//! SimilarCaseService over real gRPC for civil judgments: the cause of action (案由) read from the
//! judgment, ranking on the claim, and what was claimed and awarded carried with each hit.

mod common;

use common::similar::{by_text, dev_client, judgment, judgments};
use common::*;
use ecenter_proto::v1 as pb;

/// A civil judgment: its cause of action (案由) is read from "…纠纷一案" when the court system
/// sends none.
fn civil(id: &str, full: &str) -> pb::IndexCaseRequest {
    pb::IndexCaseRequest {
        case: Some(pb::IndexedCase {
            case_id: id.into(),
            court: "鄂06".into(),
            year: 2021,
            procedure: pb::Procedure::FirstInstance as i32,
            full_text: full.into(),
            ..Default::default()
        }),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn civil_judgments_are_labelled_by_cause_of_action_and_ranked_on_their_claim() {
    let data = tempfile::tempdir().unwrap();
    let hub = TestHub::start(data.path()).await;
    let mut c = dev_client(&hub).await;
    let cases = [
        (
            "L1",
            "原告王某与被告李某民间借贷纠纷一案。原告诉称，被告向原告借款并出具借条，约定还款期限，\
             到期后被告未归还借款，原告多次催要未果。借款1000000元，原告通过银行转账交付。",
        ),
        (
            "L2",
            "原告赵某与被告钱某民间借贷纠纷一案。被告因经营需要向原告借钱20000元，案外人提供担保，\
             原告以现金方式给付，被告写下欠条。",
        ),
        (
            "S1",
            "原告某商贸有限公司与被告孙某买卖合同纠纷一案。被告向原告购买货物，出具欠条，约定还款期限，\
             到期后被告未归还货款，原告多次催要未果。",
        ),
    ];
    for (id, text) in cases {
        let r = c.index_case(civil(id, text)).await.unwrap().into_inner();
        let expected = if id == "S1" {
            "买卖合同纠纷"
        } else {
            "民间借贷纠纷"
        };
        assert_eq!(r.charges, vec![expected.to_string()], "{id}");
    }
    let query = "民间借贷纠纷。原告诉称，被告向原告借款25000元并出具借条，约定还款期限，到期后被告未归还\
                 借款，原告多次催要未果。案外人提供担保，现金交付。";
    let answer = c
        .find_similar(by_text(query, None))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.query_charges, vec!["民间借贷纠纷".to_string()]);
    let ids: Vec<&str> = answer.hits.iter().map(|h| h.case_id.as_str()).collect();
    // The same cause of action first; within it, the loan that shares the guarantee, the cash and
    // the size of the principal, although the other shares more words.
    assert_eq!(ids, ["L2", "L1", "S1"], "{answer:?}");
    assert_eq!(
        answer.hits[0].shared_charges,
        vec!["民间借贷纠纷".to_string()]
    );
    assert!(answer.hits[2].shared_charges.is_empty());
    // Why: the elements it shares with the query; a case of another cause gets none.
    for element in ["担保", "现金交付", "借条欠条"] {
        assert!(
            answer.hits[0].shared_elements.iter().any(|e| e == element),
            "{element} in {:?}",
            answer.hits[0].shared_elements
        );
    }
    assert!(
        !answer.hits[0]
            .shared_elements
            .iter()
            .any(|e| e == "转账交付")
    );
    assert!(answer.hits[2].shared_elements.is_empty(), "{answer:?}");
    assert!(
        answer.hits[1].text_score > answer.hits[0].text_score,
        "{answer:?}"
    );
    hub.stop().await;
}

/// A civil judgment's claim and award travel with its hit: the sums, the rate as written and the
/// words read; a criminal judgment carries none.
#[tokio::test]
async fn civil_hits_carry_what_was_claimed_and_awarded() {
    let data = tempfile::tempdir().unwrap();
    let hub = TestHub::start(data.path()).await;
    let mut c = dev_client(&hub).await;
    let written = "原告周某与被告吴某民间借贷纠纷一案。原告向本院提出诉讼请求：1．判令被告偿还借款本金\
        120000元及利息（按月利率2%计算）；2．判令被告支付律师费6000元；3．本案诉讼费由被告负担。事实和理由：\
        被告于2019年3月向原告借款120000元，出具借条。本院认为，双方借贷关系合法有效。判决如下：一、被告吴某于\
        本判决生效之日起十日内偿还原告周某借款本金120000元及利息（以120000元为基数，按一年期贷款市场报价利率\
        的四倍计算至实际清偿之日止）；二、驳回原告周某的其他诉讼请求。案件受理费2700元，由被告吴某负担。";
    let mut bad = civil("C1", written);
    bad.case.as_mut().unwrap().judgment_date = "2021-02-30".into();
    let refused = c.index_case(bad).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert!(
        refused.message().contains("case.judgment_date"),
        "{refused:?}"
    );
    let mut dated = civil("C1", written);
    dated.case.as_mut().unwrap().judgment_date = "2021-07-09".into();
    c.index_case(dated).await.unwrap();
    let answer = c
        .find_similar(by_text(
            "被告向原告借款并出具借条，到期未还，请求偿还借款本金及利息。",
            None,
        ))
        .await
        .unwrap()
        .into_inner();
    let hit = &answer.hits[0];
    assert_eq!(hit.case_id, "C1");
    assert_eq!(
        hit.judgment_date, "2021-07-09",
        "the date the court system gave"
    );
    let civil = hit.civil_outcome.as_ref().expect("a civil outcome");
    let claimed = civil.claimed.as_ref().expect("the claim");
    assert_eq!(claimed.principal_yuan, 120_000.0);
    assert_eq!(
        claimed.penalty_yuan, 6_000.0,
        "律师费; the court's fee is not counted"
    );
    let rate = claimed.rate.as_ref().expect("the claimed rate");
    assert_eq!((rate.per.as_str(), rate.percent), ("month", 2.0));
    assert_eq!(rate.text, "月利率2%");
    let awarded = civil.awarded.as_ref().expect("the award");
    assert_eq!(awarded.principal_yuan, 120_000.0);
    assert_eq!(awarded.penalty_yuan, 0.0, "the 律师费 was not awarded");
    let rate = awarded.rate.as_ref().expect("the awarded rate");
    assert_eq!((rate.reference.as_str(), rate.times), ("lpr", 4.0));
    assert!(
        awarded.source.starts_with("一、被告吴某"),
        "{}",
        awarded.source
    );

    let (id, facts, full) = &judgments()[0];
    c.index_case(judgment(0, &(id.clone(), facts.clone(), full.clone())))
        .await
        .unwrap();
    let answer = c
        .find_similar(by_text(facts, None))
        .await
        .unwrap()
        .into_inner();
    let criminal = answer.hits.iter().find(|h| &h.case_id == id).unwrap();
    assert!(criminal.civil_outcome.is_none(), "{criminal:?}");
    hub.stop().await;
}
