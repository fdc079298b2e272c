//! The case index: a case queried by its own facts ranks first, deletion removes, a restart keeps
//! the results identical, and bad queries are refused with a reason.

use ecenter_similar::index::{
    CaseDoc, CaseIndex, Filter, IndexError, MAX_QUERY_CHARS, SearchRequest, Weights,
};

fn cases() -> Vec<CaseDoc> {
    let doc = |id: &str, charge: &str, text: &str| CaseDoc {
        id: id.into(),
        charges: vec![charge.into()],
        text: text.into(),
        ..Default::default()
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
    assert!(err.to_string().contains("at most 20000"), "{err}");
}

/// Cases with court, year and procedure, for the filters.
fn located_cases() -> Vec<CaseDoc> {
    let mut out = Vec::new();
    for (i, c) in cases().into_iter().enumerate() {
        for (court, year, procedure) in [
            ("鄂06", 2020 + i as u32, "first_instance"),
            ("鄂01", 2023 + i as u32, "second_instance"),
        ] {
            let mut d = c.clone();
            d.id = format!("{}-{court}", c.id);
            d.case_number = format!("（{year}）{court}刑初{}号", i + 1);
            d.court = court.into();
            d.year = Some(year);
            d.procedure = procedure.into();
            d.holding = "本院认为，被告人的行为构成犯罪。".into();
            d.full_text = format!("{}\n{}", d.text, d.holding);
            out.push(d);
        }
    }
    out
}

fn search(index: &CaseIndex, text: &str, filter: &Filter, exclude: Option<&str>) -> Vec<String> {
    let (charges, statutes) = index.legal_features(text);
    index
        .search(
            &SearchRequest {
                text,
                charges: &charges,
                statutes: &statutes,
                filter,
                k: 10,
                exclude,
            },
            &Weights::default(),
        )
        .unwrap()
        .into_iter()
        .map(|h| h.id)
        .collect()
}

#[test]
fn filters_hold_and_hits_explain_themselves() {
    let index = CaseIndex::open(None, &["盗窃罪".to_string()]).unwrap();
    index.add(&located_cases()).unwrap();
    let theft = "被告人窃取被害人的手机一部及现金，构成盗窃罪。";
    let all = search(&index, theft, &Filter::default(), None);
    assert_eq!(all.len(), 6);
    assert!(all[0].starts_with("c2-"), "{all:?}");

    let court = Filter {
        courts: vec!["鄂01".into()],
        ..Default::default()
    };
    let hits = search(&index, theft, &court, None);
    assert_eq!(hits.len(), 3);
    assert!(hits.iter().all(|h| h.ends_with("-鄂01")), "{hits:?}");

    let years = Filter {
        year_from: Some(2021),
        year_to: Some(2023),
        ..Default::default()
    };
    let mut hits = search(&index, theft, &years, None);
    hits.sort();
    // 鄂06: 2020, 2021, 2022; 鄂01: 2023, 2024, 2025.
    assert_eq!(hits, ["c1-鄂01", "c2-鄂06", "c3-鄂06"]);

    let appeal_theft = Filter {
        procedures: vec!["second_instance".into()],
        charges: vec!["盗窃罪".into()],
        ..Default::default()
    };
    assert_eq!(search(&index, theft, &appeal_theft, None), ["c2-鄂01"]);
    assert_eq!(
        search(&index, theft, &appeal_theft, Some("c2-鄂01")),
        Vec::<String>::new()
    );

    let (charges, statutes) = index.legal_features(theft);
    assert_eq!(charges, ["盗窃罪"]);
    let hit = &index
        .search(
            &SearchRequest {
                text: theft,
                charges: &charges,
                statutes: &statutes,
                filter: &Filter::default(),
                k: 1,
                exclude: None,
            },
            &Weights::default(),
        )
        .unwrap()[0];
    assert_eq!(hit.shared_charges, ["盗窃罪"]);
    let terms: Vec<&str> = hit.shared_terms.iter().map(|t| t.term.as_str()).collect();
    assert!(
        terms.contains(&"手机") && terms.contains(&"现金"),
        "{terms:?}"
    );
    assert!(
        hit.shared_terms
            .windows(2)
            .all(|w| w[0].weight >= w[1].weight)
    );
    assert!(hit.shared_terms.iter().all(|t| t.weight > 0.0));
    assert_eq!(hit.court, hit.id.rsplit('-').next().unwrap());
    assert!(hit.case_number.contains("刑初") && hit.year.is_some());
    assert!(hit.summary.starts_with("被告人趁被害人熟睡之际"));
}

#[test]
fn unknown_filter_values_and_empty_ranges_are_refused_by_name() {
    let index = CaseIndex::open(None, &["盗窃罪".to_string()]).unwrap();
    index.add(&located_cases()).unwrap();
    let refused = |filter: Filter| {
        let err = index
            .search(
                &SearchRequest {
                    text: "窃取手机",
                    charges: &[],
                    statutes: &[],
                    filter: &filter,
                    k: 10,
                    exclude: None,
                },
                &Weights::default(),
            )
            .unwrap_err();
        assert!(matches!(err, IndexError::BadQuery(_)));
        err.to_string()
    };
    let m = refused(Filter {
        courts: vec!["京73".into()],
        ..Default::default()
    });
    assert!(m.contains("unknown court 「京73」"), "{m}");
    let m = refused(Filter {
        charges: vec!["偷窃罪".into()],
        ..Default::default()
    });
    assert!(
        m.contains("unknown charge 「偷窃罪」") && m.contains("盗窃罪"),
        "{m}"
    );
    let m = refused(Filter {
        year_from: Some(2025),
        year_to: Some(2020),
        ..Default::default()
    });
    assert!(m.contains("2025–2020"), "{m}");
}

#[test]
fn the_log_position_and_whole_cases_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let cases = located_cases();
    {
        let index = CaseIndex::open(Some(dir.path()), &[]).unwrap();
        assert_eq!(index.applied_seq().unwrap(), 0);
        index.apply(&cases, &[], Some(41)).unwrap();
        index
            .apply(&[], &["c1-鄂06".to_string()], Some(42))
            .unwrap();
    }
    let index = CaseIndex::open(Some(dir.path()), &[]).unwrap();
    assert_eq!(index.applied_seq().unwrap(), 42);
    assert_eq!(index.len(), 5);
    assert_eq!(index.get("c1-鄂06").unwrap(), None);
    assert_eq!(index.get("c2-鄂01").unwrap().as_ref(), Some(&cases[3]));
    // Charge names learned from indexed cases are kept beside the index.
    assert!(index.known_charges().contains(&"信用卡诈骗罪".to_string()));
    index.clear().unwrap();
    assert!(index.is_empty());
    assert_eq!(index.applied_seq().unwrap(), 0);
}

/// A query's charges are the case's own: a defendant's record (曾因犯抢劫罪被判处…) and a denied
/// charge (不构成抢劫罪) name none, and an indictment's words count only when nothing else does
/// (outsider, session 46: a drunk-driving draft was compared with robbery sentences). A label a
/// court system gave that is no charge (有期徒刑) is never looked for in queries.
#[test]
fn a_querys_charges_are_its_own_not_a_record_a_denial_or_a_punishment() {
    let index = CaseIndex::open(
        None,
        &["抢劫罪".into(), "危险驾驶罪".into(), "盗窃罪".into()],
    )
    .unwrap();
    let odd = CaseDoc {
        id: "odd".into(),
        charges: vec!["有期徒刑".into()],
        text: "被告人犯盗窃罪，判处有期徒刑一年。".into(),
        ..Default::default()
    };
    index.apply(&[odd], &[], None).unwrap();
    let record = "被告人某某曾因犯抢劫罪于2015年被判处有期徒刑五年。2024年3月，被告人某某醉酒后驾驶\
                  机动车，其行为构成危险驾驶罪，建议判处有期徒刑五个月。";
    assert_eq!(index.legal_features(record).0, ["危险驾驶罪"]);
    let denied = "被告人的行为不构成抢劫罪，构成盗窃罪。";
    assert_eq!(index.legal_features(denied).0, ["盗窃罪"]);
    let indicted = "公诉机关指控被告人犯盗窃罪。";
    assert_eq!(index.legal_features(indicted).0, ["盗窃罪"]);
}
