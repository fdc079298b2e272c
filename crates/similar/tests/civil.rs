//! Civil cases in the index: a loan dispute is ranked by the elements of its claim (guarantee,
//! how the money was handed over, principal) as well as its words, its cause of action is an
//! exact-match label, and an index of another format is refused with what to do.

use ecenter_similar::index::{CaseDoc, CaseIndex, Filter, IndexError, SearchRequest, Weights};

fn loan(id: &str, text: &str) -> CaseDoc {
    CaseDoc {
        id: id.into(),
        text: text.into(),
        ..Default::default()
    }
}

/// Two candidates that share most words with the query; only `guaranteed` shares its guarantee,
/// its cash delivery and the size of its principal.
fn loans() -> Vec<CaseDoc> {
    vec![
        loan(
            "worded",
            "原告诉称，被告向原告借款并出具借条，约定还款期限，到期后被告未归还借款，原告多次催要未果，\
             请求判令被告归还借款本金。借款1000000元，原告通过银行转账交付。",
        ),
        loan(
            "guaranteed",
            "被告因经营需要向原告借钱20000元，案外人提供担保，原告以现金方式给付，被告写下欠条。",
        ),
        loan(
            "other",
            "原告与被告系朋友关系，被告以购房为由向原告借款，原告通过微信转账交付，被告至今未还。",
        ),
    ]
}

const QUERY: &str = "原告诉称，被告向原告借款25000元并出具借条，约定还款期限，到期后被告未归还借款，原告多次\
                     催要未果，请求判令被告归还借款本金。案外人提供担保，现金交付。";

/// The top `k` hits of `text` with `charges`, as (id, fused score).
fn scored(
    index: &CaseIndex,
    text: &str,
    charges: &[String],
    weights: &Weights,
) -> Vec<(String, f32)> {
    let request = SearchRequest {
        text,
        charges,
        statutes: &[],
        filter: &Filter::default(),
        k: 4,
        exclude: None,
    };
    let hits = index.search(&request, weights).unwrap();
    hits.into_iter().map(|h| (h.id, h.score)).collect()
}

fn ranking(index: &CaseIndex, weights: &Weights) -> Vec<String> {
    scored(index, QUERY, &[], weights)
        .into_iter()
        .map(|(id, _)| id)
        .collect()
}

/// The default weights without the civil elements.
fn words_only() -> Weights {
    Weights {
        elements: [0.0; ecenter_similar::civil::FEATURES],
        ..Weights::default()
    }
}

#[test]
fn a_loan_dispute_is_ranked_by_its_claim_elements_as_well_as_its_words() {
    let index = CaseIndex::open(None, &[]).unwrap();
    index.add(&loans()).unwrap();
    // On words alone the longer, more worded case wins; the elements put the guaranteed,
    // cash-delivered loan of a like amount first.
    assert_eq!(ranking(&index, &words_only())[0], "worded");
    assert_eq!(ranking(&index, &Weights::default())[0], "guaranteed");
}

#[test]
fn a_criminal_query_is_not_ranked_on_civil_elements() {
    let index = CaseIndex::open(None, &[]).unwrap();
    index.add(&loans()).unwrap();
    let fraud = ["诈骗罪".to_string()];
    assert_eq!(
        scored(&index, QUERY, &fraud, &Weights::default()),
        scored(&index, QUERY, &fraud, &words_only())
    );
}

#[test]
fn a_judgment_is_labelled_with_the_cause_of_action_it_states() {
    let index = CaseIndex::open(None, &[]).unwrap();
    let text =
        "原告王某与被告李某、张某民间借贷纠纷一案，本院于2021年3月2日立案后，依法适用简易程序。";
    let (labels, _) = index.judgment_features(text);
    assert_eq!(labels, vec!["民间借贷纠纷"]);
    // A criminal judgment recounting a suit without naming its parties (outsider, round 18b).
    let recounting = "甲在与乙的房屋买卖合同纠纷一案中拒不执行判决。判决如下：被告人甲犯拒不执行判决、裁定罪，判处有期徒刑一年。";
    let (labels, _) = index.judgment_features(recounting);
    assert_eq!(labels, vec!["拒不执行判决、裁定罪"]);
    // A query naming its cause of action is compared on it like on a charge.
    let (named, _) = index.legal_features("关于金融借款合同纠纷的类似案例");
    assert!(named.contains(&"金融借款合同纠纷".to_string()), "{named:?}");
}

#[test]
fn an_index_of_another_format_is_refused_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = CaseIndex::open(Some(dir.path()), &[]).unwrap();
        index.add(&loans()).unwrap();
    }
    std::fs::write(dir.path().join("format.txt"), "1").unwrap();
    let err = CaseIndex::open(Some(dir.path()), &[]).err().unwrap();
    assert!(matches!(err, IndexError::Outdated { ref found, .. } if found == "1"));
    assert!(
        err.to_string().contains("import the judgments again"),
        "{err}"
    );
    // An index written before formats were recorded has no format file: refused alike.
    std::fs::remove_file(dir.path().join("format.txt")).unwrap();
    assert!(matches!(
        CaseIndex::open(Some(dir.path()), &[]),
        Err(IndexError::Outdated { .. })
    ));
    // A new directory gets the current format.
    let fresh = tempfile::tempdir().unwrap();
    CaseIndex::open(Some(fresh.path()), &[]).unwrap();
    let recorded = std::fs::read_to_string(fresh.path().join("format.txt")).unwrap();
    assert_eq!(recorded, ecenter_similar::index::FORMAT);
}

#[test]
fn facts_of_a_crime_naming_no_charge_are_not_ranked_on_civil_elements() {
    let index = CaseIndex::open(None, &[]).unwrap();
    let mut docs = loans();
    docs.push(CaseDoc {
        id: "theft".into(),
        charges: vec!["盗窃罪".into()],
        text: "被告人趁被害人不备，窃取其放在抽屉内的现金20000元，后被公安机关抓获。".into(),
        ..Default::default()
    });
    index.add(&docs).unwrap();
    let theft = "被告人窃取被害人放在抽屉内的现金25000元，另有保证人证明其案发时不在场。";
    let with_elements = scored(&index, theft, &[], &Weights::default());
    assert_eq!(with_elements, scored(&index, theft, &[], &words_only()));
    assert_eq!(with_elements[0].0, "theft");
}
