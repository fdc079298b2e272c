//! The case index: a case queried by its own facts ranks first, deletion removes, a restart keeps
//! the results identical, and bad queries are refused with a reason.

use ecenter_similar::index::{CaseDoc, CaseIndex, IndexError, MAX_QUERY_CHARS, Weights};

fn cases() -> Vec<CaseDoc> {
    let doc = |id: &str, charge: &str, text: &str| CaseDoc {
        id: id.into(),
        charges: vec![charge.into()],
        text: text.into(),
        statutes: Vec::new(),
    };
    vec![
        doc(
            "c1",
            "危险驾驶罪",
            "被告人酒后驾驶小型轿车在道路上行驶，经检验血液中乙醇含量为195毫克每100毫升，属于醉酒驾驶机动车。",
        ),
        doc(
            "c2",
            "盗窃罪",
            "被告人趁被害人熟睡之际，窃取其放在床头的手机一部及现金二千元，经鉴定手机价值三千元。",
        ),
        doc(
            "c3",
            "信用卡诈骗罪",
            "被告人使用伪造的信用卡在自动取款机上取款五万元，并恶意透支信用卡经银行多次催收仍不归还。",
        ),
    ]
}

fn ids() -> Vec<String> {
    vec!["c1".into(), "c2".into(), "c3".into()]
}

fn best(index: &CaseIndex, text: &str) -> String {
    let scores = index
        .pool_scores(text, &ids(), &Weights::default())
        .unwrap();
    scores
        .into_iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap()
        .0
}

#[test]
fn a_case_queried_by_its_own_facts_ranks_first() {
    let charges = vec![
        "危险驾驶罪".to_string(),
        "盗窃罪".to_string(),
        "信用卡诈骗罪".to_string(),
    ];
    let index = CaseIndex::open(None, &charges).unwrap();
    index.add(&cases()).unwrap();
    for c in cases() {
        assert_eq!(best(&index, &c.text), c.id);
    }
    assert_eq!(best(&index, "醉酒驾驶机动车"), "c1");
    assert_eq!(
        index.charges_of("c3").unwrap(),
        vec!["信用卡诈骗罪".to_string()]
    );
}

#[test]
fn results_survive_a_restart_and_deleted_cases_disappear() {
    let dir = tempfile::tempdir().unwrap();
    let query = "被告人窃取手机和现金";
    let before = {
        let index = CaseIndex::open(Some(dir.path()), &[]).unwrap();
        index.add(&cases()).unwrap();
        index
            .pool_scores(query, &ids(), &Weights::default())
            .unwrap()
    };
    let index = CaseIndex::open(Some(dir.path()), &[]).unwrap();
    assert_eq!(index.len(), 3);
    assert_eq!(
        index
            .pool_scores(query, &ids(), &Weights::default())
            .unwrap(),
        before
    );
    index.remove("c2").unwrap();
    assert_eq!(index.len(), 2);
    assert_eq!(
        index
            .pool_scores(query, &ids(), &Weights::default())
            .unwrap()["c2"],
        0.0
    );
}

#[test]
fn empty_and_huge_queries_are_refused_with_a_reason() {
    let index = CaseIndex::open(None, &[]).unwrap();
    index.add(&cases()).unwrap();
    let empty = index
        .pool_scores("  ", &ids(), &Weights::default())
        .unwrap_err();
    assert!(
        matches!(&empty, IndexError::BadQuery(m) if m.contains("empty")),
        "{empty}"
    );
    let huge = "盗".repeat(MAX_QUERY_CHARS + 1);
    let err = index
        .pool_scores(&huge, &ids(), &Weights::default())
        .unwrap_err();
    assert!(err.to_string().contains("longer than"), "{err}");
}
