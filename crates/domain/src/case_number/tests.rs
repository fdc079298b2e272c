use super::*;

/// Chinese for a person: CJK words and no Latin letters.
fn plain_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
        && !text.chars().any(|c| c.is_ascii_alphabetic())
}

#[test]
fn every_reason_a_case_number_is_refused_has_its_own_chinese() {
    let refused = [
        "",
        "2026鄂06民初1号",
        "(26)鄂06民初1号",
        "(1900)鄂06民初1号",
        "(2026鄂06民初1号",
        "(2026〕鄂06民初1号",
        "(2026)鄂12345民初1号",
        "(2026)鄂1民初1号",
        "(2026)X06民初1号",
        "(2026)鄂06号",
        "(2026)鄂06民初民初民初民1号",
        "(2026)鄂06民初1234567890号",
        "(2026)鄂06民初号",
        "(2026)鄂06民初0号",
        "(2026)鄂06民初1",
        "(2026)鄂06民初1号了",
    ];
    let mut reasons = std::collections::BTreeMap::new();
    for text in refused {
        let e = CaseNumber::parse(text).unwrap_err();
        assert!(plain_chinese(&e.reason_zh), "{text}: {}", e.reason_zh);
        assert_eq!(
            e.in_chinese(),
            format!(
                "案号「{text}」格式有误，{}；正确格式如「（2026）鄂06民初123号」",
                e.reason_zh
            )
        );
        assert!(
            reasons.insert(e.reason.clone(), e.reason_zh).is_none(),
            "{text}: {}",
            e.reason
        );
    }
    let distinct_zh: std::collections::BTreeSet<_> = reasons.values().collect();
    assert_eq!(
        distinct_zh.len(),
        refused.len(),
        "two reasons share Chinese words"
    );
}

#[test]
fn an_invisible_character_is_named_and_written_out_not_echoed() {
    // Outside tests, round 13, F7: "the case sequence number is missing", with the U+202E
    // itself in the message, reversing what followed it.
    for (text, named) in [
        ("（2026）鄂06民初\u{202e}321号", "U+202E"),
        ("（2026）鄂06民初321号\u{200b}", "U+200B"),
    ] {
        let e = CaseNumber::parse(text).unwrap_err();
        assert!(e.reason.contains(named), "{}", e.reason);
        assert!(e.to_string().contains(&format!("[{named}]")), "{e}");
        assert!(!e.to_string().chars().any(crate::text::hidden), "{e}");
        assert!(e.in_chinese().contains("不可见字符"), "{}", e.in_chinese());
    }
}

#[test]
fn a_year_of_many_digits_is_refused_not_overflowed() {
    // Found by fuzz/case_number: twenty digits overflowed the year (a panic in debug builds).
    let err = CaseNumber::parse("（55555555555555555555）鄂06民初1号").unwrap_err();
    assert_eq!(err.reason, "the year must have four digits");
}

#[test]
fn parses_full_width_and_ascii_brackets_alike() {
    let a = CaseNumber::parse("（2026）鄂06民初123号").unwrap();
    let b = CaseNumber::parse("(2026)鄂06民初123号").unwrap();
    assert_eq!(a, b);
    assert_eq!(a.year, 2026);
    assert_eq!(a.court_code, "鄂06");
    assert_eq!(a.case_type, "民初");
    assert_eq!(a.sequence, 123);
    assert_eq!(a.normalized(), "（2026）鄂06民初123号");
    assert_eq!(a.category(), CaseCategory::Civil);
}

#[test]
fn parses_other_court_levels_and_types() {
    let spc = CaseNumber::parse("（2025）最高法民终45号").unwrap();
    assert_eq!(spc.court_code, "最高法");
    assert_eq!(spc.case_type, "民终");
    let basic = CaseNumber::parse(" 〔2024〕京0105刑初９号 ").unwrap();
    assert_eq!(basic.court_code, "京0105");
    assert_eq!(basic.sequence, 9);
    assert_eq!(basic.category(), CaseCategory::Criminal);
    let high = CaseNumber::parse("（2026）鄂执12号").unwrap();
    assert_eq!(high.court_code, "鄂");
    assert_eq!(high.category(), CaseCategory::Enforcement);
    let ip = CaseNumber::parse("（2026）京73知民初1号").unwrap();
    assert_eq!(ip.category(), CaseCategory::IntellectualProperty);
}

#[test]
fn refuses_malformed_numbers_with_a_reason() {
    for (bad, why) in [
        ("", "empty"),
        ("2026鄂06民初123号", "brackets"),
        ("（26）鄂06民初123号", "four digits"),
        ("（2026鄂06民初123号", "closing bracket"),
        ("（2026）X06民初123号", "province"),
        ("（2026）鄂6民初123号", "0, 2 or 4 digits"),
        ("（2026）鄂06123号", "case type"),
        ("（2026）鄂06民初号", "sequence number is missing"),
        ("（2026）鄂06民初0号", "zero"),
        ("（2026）鄂06民初123", "号"),
        ("（2026）鄂06民初123号之一", "after 号"),
    ] {
        let err = CaseNumber::parse(bad).unwrap_err();
        assert!(err.reason.contains(why), "{bad}: {}", err.reason);
    }
}

#[test]
fn case_types_are_classed_as_the_spc_standard_groups_them() {
    let category = |n: &str| CaseNumber::parse(n).unwrap().category();
    for (number, expected) in [
        ("（2026）鄂06行保1号", CaseCategory::Preservation),
        ("（2026）鄂06行保复1号", CaseCategory::Preservation),
        ("（2026）鄂06财保3号", CaseCategory::Preservation),
        ("（2026）鄂06法赔1号", CaseCategory::StateCompensation),
        ("（2026）鄂委赔2号", CaseCategory::StateCompensation),
        ("（2026）鄂06行赔初4号", CaseCategory::StateCompensation),
        ("（2026）鄂06清申1号", CaseCategory::Bankruptcy),
        ("（2026）鄂清终1号", CaseCategory::Bankruptcy),
        ("（2026）鄂06破1号", CaseCategory::Bankruptcy),
        ("（2026）鄂06司救民1号", CaseCategory::JudicialAid),
        ("（2026）鄂06认港1号", CaseCategory::JudicialAssistance),
        ("（2026）鄂06司惩1号", CaseCategory::JudicialSanction),
        ("（2026）鄂06民辖终1号", CaseCategory::Civil),
        ("（2026）鄂06刑医解1号", CaseCategory::Criminal),
        (
            "（2026）最高法知行终1号",
            CaseCategory::IntellectualProperty,
        ),
    ] {
        assert_eq!(category(number), expected, "{number}");
    }
    let procedure = |n: &str| CaseNumber::parse(n).unwrap().procedure();
    assert_eq!(procedure("（2026）鄂06破申1号"), Procedure::Other);
    assert_eq!(procedure("（2026）鄂06清终1号"), Procedure::SecondInstance);
    // Codes outside the table are accepted, as other.
    assert_eq!(category("（2024）浙02民诉前调595号"), CaseCategory::Civil);
    assert_eq!(category("（2022）最高法商初7号"), CaseCategory::Civil);
    assert_eq!(category("（2026）鄂06某新1号"), CaseCategory::Other);
    assert_eq!(case_type_category("知刑初"), None);
}

#[test]
fn brackets_around_the_year_must_pair() {
    for bad in [
        "（2026〕鄂06民初1号",
        "〔2026）鄂06民初1号",
        "[2026）鄂06民初1号",
    ] {
        let err = CaseNumber::parse(bad).unwrap_err();
        assert!(err.reason.contains("do not match"), "{bad}: {}", err.reason);
    }
    for good in [
        "（2026)鄂06民初1号",
        "(2026）鄂06民初1号",
        "〔2026〕鄂06民初1号",
        "[2026]鄂06民初1号",
    ] {
        assert!(CaseNumber::parse(good).is_ok(), "{good}");
    }
}

/// Each way people write one number is that number (outside tests, round 14, F1, F2, F5):
/// the brackets input methods offer, 第 or 字第 before the sequence, traditional characters.
#[test]
fn one_number_however_it_is_written() {
    let same = |a: &str, b: &str| {
        let (a, b) = (CaseNumber::parse(a).unwrap(), CaseNumber::parse(b).unwrap());
        assert_eq!(a.normalized(), b.normalized());
    };
    for written in [
        "【2026】鄂06民初1号",
        "﹝2026﹞鄂06民初1号",
        "（2026）鄂06民初第1号",
        "（2026）鄂06民初字第0001号",
        "〔2026〕鄂06民初 第 1 号",
    ] {
        same(written, "（2026）鄂06民初1号");
    }
    same("（2026）鄂06執816号", "（2026）鄂06执816号");
    same("（2026）鄂06民終1号", "（2026）鄂06民终1号");
    same("（2026）鄂06刑監3号", "（2026）鄂06刑监3号");
    // The whole number in traditional characters (round 14b, F11).
    same("（2026）粵03民終7號", "（2026）粤03民终7号");
    let final_appeal = CaseNumber::parse("（2026）鄂06民終1号").unwrap();
    assert_eq!(final_appeal.category(), CaseCategory::Civil);
    // Different numbers stay different; 第 alone is no case type.
    let civil = CaseNumber::parse("（2026）鄂06民初1号")
        .unwrap()
        .normalized();
    assert_ne!(
        CaseNumber::parse("（2026）鄂06民终第1号")
            .unwrap()
            .normalized(),
        civil
    );
    assert!(CaseNumber::parse("（2026）鄂06第1号").is_err());
    assert!(CaseNumber::parse("【2026〕鄂06民初1号").is_err());
}

/// Parts an earlier build recorded as typed read as the one case's parts, wherever they are
/// taken from the log: a 第 before the number, traditional characters.
#[test]
fn parts_recorded_as_typed_read_as_the_cases_parts() {
    let case = CaseNumber::parse("（2026）粤06执1号").unwrap();
    let recorded = |court: &str, kind: &str| CaseNumber {
        year: 2026,
        court_code: court.to_string(),
        case_type: kind.to_string(),
        sequence: 1,
    };
    for old in [
        recorded("粵06", "執"),
        recorded("粤06", "执第"),
        recorded("粵06", "執字第"),
    ] {
        assert_eq!(old.canonical(), case, "{old:?}");
        assert_eq!(old.normalized(), "（2026）粤06执1号");
    }
    assert_eq!(
        CaseNumber::canonical_text("（2026）粵06執字第1號"),
        "（2026）粤06执1号"
    );
    assert_eq!(CaseNumber::canonical_text("not a number"), "not a number");
    // Parts that no longer parse are kept, not lost.
    let odd = recorded("粤06", "");
    assert_eq!(odd.canonical(), odd);
}

proptest::proptest! {
    #[test]
    fn normalized_form_parses_back_to_the_same_parts(
        year in 1949u16..=2100,
        province in 0usize..33,
        digits in proptest::sample::select(vec![0usize, 2, 4]),
        num in 0u32..10000,
        case_type in proptest::sample::select(vec!["民初", "民终", "刑初", "行终", "执", "执异", "知民初"]),
        sequence in 1u32..1_000_000,
    ) {
        let mut court_code: String = PROVINCES.chars().nth(province).unwrap().to_string();
        let n = format!("{:04}", num % 10000);
        court_code.push_str(&n[..digits]);
        let parts = CaseNumber { year, court_code, case_type: case_type.to_string(), sequence };
        proptest::prop_assert_eq!(CaseNumber::parse(&parts.normalized()).unwrap(), parts);
    }

    #[test]
    fn never_panics_on_arbitrary_text(s in "\\PC{0,40}") {
        let _ = CaseNumber::parse(&s);
    }
}

#[test]
fn procedure_follows_the_case_type() {
    let p = |n: &str| CaseNumber::parse(n).unwrap().procedure();
    assert_eq!(p("（2026）鄂06民初123号"), Procedure::FirstInstance);
    assert_eq!(p("（2025）鄂06刑终8号"), Procedure::SecondInstance);
    assert_eq!(p("（2024）最高法民申77号"), Procedure::Retrial);
    assert_eq!(p("（2023）鄂06执恢3号"), Procedure::Enforcement);
    assert_eq!(Procedure::from_name("retrial"), Some(Procedure::Retrial));
    assert_eq!(Procedure::from_name("appeal"), None);
}

#[test]
fn a_refusal_quotes_an_excerpt_of_a_long_case_number() {
    let pasted = format!("（2026）鄂06民初{}号", "一".repeat(2000));
    let e = CaseNumber::parse(&pasted).unwrap_err();
    assert_eq!(e.input.chars().count(), 41, "{}", e.input);
    assert!(e.input.ends_with('…'));
    assert!(e.in_chinese().chars().count() < 200);
}
