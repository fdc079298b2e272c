//! Claims and awards written for these tests in the shapes civil judgments use.

use super::*;

fn claimed(text: &str) -> Amounts {
    civil_outcome(text).claimed.expect("a claim")
}

fn awarded(text: &str) -> Amounts {
    civil_outcome(text).awarded.expect("an award")
}

#[test]
fn a_claim_ends_where_its_reasons_begin() {
    let a = claimed(
        "原告王某向本院提出诉讼请求：1．判令被告路某给付借款本金7.7万元，利息从借贷日开始计算到实际\
         给付之日止；2．由被告承担本案诉讼费用。事实和理由：被告于2017年1月24日借款5万元，约定月利息２％。",
    );
    assert_eq!(a.principal_yuan, Some(77_000.0));
    assert_eq!(
        a.rate, None,
        "the rate is the loan's, told in the reasons, not claimed"
    );
    assert_eq!(a.interest_yuan, None);
    assert!(a.source.starts_with("诉讼请求"), "{}", a.source);
}

#[test]
fn principal_interest_fees_and_rate_are_told_apart() {
    let a = claimed(
        "原告诉称……请求法院判令：一、被告偿还借款本金100000元及利息（按月利率2%计算，自2016年1月1日起\
         暂计至2017年1月1日为24000元）；二、被告支付律师费5000元；三、被告乙对上述债务承担连带清偿责任；\
         四、本案诉讼费由被告承担。被告辩称……",
    );
    assert_eq!(a.principal_yuan, Some(100_000.0));
    assert_eq!(a.interest_yuan, Some(24_000.0));
    assert_eq!(a.penalty_yuan, Some(5_000.0));
    assert_eq!(a.total_yuan, None);
    assert_eq!(
        a.rate,
        Some(Rate::Fixed {
            per: Period::Month,
            percent: 2.0
        })
    );
}

#[test]
fn several_loans_are_summed_and_a_breakdown_is_not_counted_twice() {
    let a = claimed("诉讼请求：1、被告偿还借款5万元、借款27000元；2、诉讼费500元由被告负担。");
    assert_eq!(
        a.principal_yuan,
        Some(77_000.0),
        "the costs are not the debt"
    );
    let b = claimed(
        "诉讼请求：判令被告偿还借款本金7.7万元（其中5万元于2017年1月24日出借，27000元于同年3月17日出借）。",
    );
    assert_eq!(b.principal_yuan, Some(77_000.0));
}

#[test]
fn repaid_sums_and_bases_of_calculation_are_not_claimed() {
    let a =
        claimed("请求判令被告归还借款30000元（已还5000元），并以30000元为基数按年利率6%支付利息。");
    assert_eq!(a.principal_yuan, Some(30_000.0));
    assert_eq!(
        a.rate,
        Some(Rate::Fixed {
            per: Period::Year,
            percent: 6.0
        })
    );
}

#[test]
fn a_merged_sum_is_a_total_only_when_nothing_is_stated_apart() {
    let a = claimed("诉请：判令被告偿还借款本息共计12万元。");
    assert_eq!(a.total_yuan, Some(120_000.0));
    assert_eq!(a.principal_yuan, None);
    let b = claimed("诉请：判令被告偿还借款10万元、利息2万元，共计12万元。");
    assert_eq!(b.principal_yuan, Some(100_000.0));
    assert_eq!(b.interest_yuan, Some(20_000.0));
    assert_eq!(b.total_yuan, None);
}

#[test]
fn sums_in_chinese_numerals_and_with_separators() {
    assert_eq!(
        claimed("诉讼请求：被告偿还借款人民币壹拾万元整。").principal_yuan,
        Some(100_000.0)
    );
    assert_eq!(
        claimed("诉讼请求：被告偿还借款１０，５００元。").principal_yuan,
        Some(10_500.0)
    );
    assert_eq!(
        claimed("诉讼请求：被告偿还欠款七万元。").principal_yuan,
        Some(70_000.0)
    );
}

#[test]
fn joint_borrowers_owe_the_debt_itself() {
    let a = claimed("诉讼请求：判令被告甲、被告乙连带偿还借款50000元。");
    assert_eq!(a.principal_yuan, Some(50_000.0));
    let b = claimed("诉讼请求：判令被告甲偿还借款50000元，被告乙对此承担连带清偿责任。");
    assert_eq!(
        b.principal_yuan,
        Some(50_000.0),
        "the guarantor's share is the same debt"
    );
}

const AWARD: &str = "原告李某向本院提出诉讼请求：判令被告偿还借款100000元及利息。……本院认为……依照《中华人民\
    共和国民法典》第六百七十五条之规定，判决如下：一、被告张某于本判决生效之日起十日内偿还原告李某借款本金\
    80000元及利息（以80000元为基数，自2019年8月20日起按全国银行间同业拆借中心公布的一年期贷款市场报价利率\
    的四倍计算至实际清偿之日止）；二、被告王某对上述债务承担连带清偿责任；三、驳回原告李某的其他诉讼请求。\
    如果未按本判决指定的期间履行给付金钱义务，应当依照《中华人民共和国民事诉讼法》第二百六十条之规定，加倍\
    支付迟延履行期间的债务利息。案件受理费2300元，由被告张某负担。";

#[test]
fn the_award_is_read_after_the_decision_and_the_claim_before_it() {
    let o = civil_outcome(AWARD);
    let claim = o.claimed.expect("claim");
    assert_eq!(claim.principal_yuan, Some(100_000.0));
    let award = o.awarded.expect("award");
    assert_eq!(
        award.principal_yuan,
        Some(80_000.0),
        "not the base, not the fee"
    );
    assert_eq!(award.interest_yuan, None);
    assert_eq!(award.penalty_yuan, None);
    assert_eq!(award.rate, Some(Rate::Lpr { times: 4.0 }));
    assert!(award.source.starts_with("一、被告张某"), "{}", award.source);
}

#[test]
fn an_appeal_that_upholds_leaves_the_award_it_upholds() {
    let a = awarded(
        "上诉人张某因民间借贷纠纷一案……一审法院判决如下：一、张某于判决生效之日起十日内偿还李某借款\
         50000元及利息（按中国人民银行同期同类贷款利率的四倍计算）；二、驳回李某的其他诉讼请求。本院认为，\
         一审判决认定事实清楚，适用法律正确。判决如下：驳回上诉，维持原判。二审案件受理费1050元，由上诉人\
         负担。",
    );
    assert_eq!(a.principal_yuan, Some(50_000.0));
    assert_eq!(a.rate, Some(Rate::Benchmark { times: 4.0 }));
}

#[test]
fn rates_are_read_as_written() {
    let cases = [
        (
            "月息2分",
            Rate::Fixed {
                per: Period::Month,
                percent: 2.0,
            },
        ),
        (
            "月息1分5厘",
            Rate::Fixed {
                per: Period::Month,
                percent: 1.5,
            },
        ),
        (
            "月息二分",
            Rate::Fixed {
                per: Period::Month,
                percent: 2.0,
            },
        ),
        (
            "年息1分",
            Rate::Fixed {
                per: Period::Year,
                percent: 10.0,
            },
        ),
        (
            "年利率百分之六",
            Rate::Fixed {
                per: Period::Year,
                percent: 6.0,
            },
        ),
        (
            "按2%的月利率",
            Rate::Fixed {
                per: Period::Month,
                percent: 2.0,
            },
        ),
        (
            "日利率万分之五",
            Rate::Fixed {
                per: Period::Day,
                percent: 0.05,
            },
        ),
        (
            "月利率8‰",
            Rate::Fixed {
                per: Period::Month,
                percent: 0.8,
            },
        ),
        ("按中国人民银行同期贷款利率", Rate::Benchmark { times: 1.0 }),
        (
            "按一年期贷款市场报价利率（LPR）的4倍",
            Rate::Lpr { times: 4.0 },
        ),
    ];
    for (text, want) in cases {
        let got = rate::first(&crate::civil::ascii_numbers(text));
        assert_eq!(got, Some(want), "{text}");
    }
    assert_eq!(
        rate::first("于2015年3月6日借款20000元"),
        None,
        "a date is no rate"
    );
    let month = Rate::Fixed {
        per: Period::Month,
        percent: 2.0,
    };
    assert_eq!(month.yearly_percent(), Some(24.0));
    assert_eq!(month.to_string(), "月利率2%");
    assert_eq!(Rate::Lpr { times: 4.0 }.to_string(), "LPR的4倍");
}

#[test]
fn texts_without_a_claim_or_award_give_nothing() {
    assert!(
        civil_outcome("经审理查明，原告与被告系朋友关系，2015年被告向原告借款20000元。").is_empty()
    );
    assert!(civil_outcome("公诉机关指控，被告人张三盗窃财物价值5000元。").is_empty());
    assert!(civil_outcome("诉讼请求：判令被告履行合同。").is_empty());
}

#[test]
fn amounts_show_as_a_judge_reads_them() {
    let a = claimed(
        "诉讼请求：被告偿还借款本金10500.5元及利息3000元，按月利率2%计算，支付违约金1000元。",
    );
    assert_eq!(
        a.to_string(),
        "本金10500.50元，利息3000元，违约金等1000元，月利率2%"
    );
    let json = serde_json::to_value(&a).unwrap();
    assert_eq!(json["rate"]["kind"], "fixed");
    assert_eq!(json["rate"]["per"], "month");
    let back: Amounts = serde_json::from_value(json).unwrap();
    assert_eq!(back, a);
}

#[test]
fn an_amended_claim_replaces_what_it_restates() {
    let a = claimed(
        "原告诉讼请求：1、被告偿还借款136000元及利息；2、诉讼费由被告承担。庭审中，原告变更诉讼请求为：\
         被告偿还借款135000元及利息（按月利率1%计算）。被告辩称……",
    );
    assert_eq!(a.principal_yuan, Some(135_000.0));
    assert_eq!(
        a.rate,
        Some(Rate::Fixed {
            per: Period::Month,
            percent: 1.0
        })
    );
    let b =
        claimed("诉讼请求：被告偿还借款50000元及利息。庭审中原告变更利息请求为按年利率6%计算。");
    assert_eq!(
        b.principal_yuan,
        Some(50_000.0),
        "an amendment of the interest keeps the principal"
    );
}

#[test]
fn rates_an_outside_review_found_misread() {
    let fixed = |per, percent| Some(Rate::Fixed { per, percent });
    let cases = [
        (
            "按同期贷款市场报价利率的四倍",
            Some(Rate::Lpr { times: 4.0 }),
        ),
        (
            "按中国人民银行同期同类贷款基准利率上浮50%",
            Some(Rate::Benchmark { times: 1.5 }),
        ),
        ("月息一分五", fixed(Period::Month, 1.5)),
        ("年息一分五厘", fixed(Period::Year, 15.0)),
        ("按日息五厘", fixed(Period::Day, 0.05)),
        ("日息1分", fixed(Period::Day, 0.1)),
        (
            "自2019年1月1日按照24%的年利率计算",
            fixed(Period::Year, 24.0),
        ),
    ];
    for (text, want) in cases {
        let got = rate::first(&crate::civil::ascii_numbers(text));
        assert_eq!(
            got.map(|r| r.to_string()),
            want.map(|r| r.to_string()),
            "{text}"
        );
    }
}

#[test]
fn awards_an_outside_review_found_misread() {
    // An appeal that reverses and dismisses awards nothing, whatever the first instance gave.
    let reversed = "一审法院判决如下：一、张某偿还李某借款50000元及利息（按年利率24%计算）；二、驳回李某的其他诉讼\
        请求。本院认为，借贷关系不成立。判决如下：一、撤销某区人民法院（2019）某0102民初1234号民事判决；\
        二、驳回李某的全部诉讼请求。一审案件受理费1050元，由李某负担。";
    assert_eq!(civil_outcome(reversed).awarded, None);
    // A quoted decision ends where the appeal's own words begin.
    let upheld = "一审法院判决如下：一、张某偿还李某借款50000元；二、驳回李某的其他诉讼请求。本院二审期间，张某\
        提交证据证明其已于2018年5月1日通过银行转账偿还20000元。本院认为，……判决如下：驳回上诉，维持原判。\
        二审案件受理费1050元，由上诉人负担。";
    assert_eq!(awarded(upheld).principal_yuan, Some(50_000.0));
    // A guarantor's or spouse's liability for the same debt, however worded, is not counted again.
    for liability in ["连带偿还责任", "连带还款责任", "共同还款责任"] {
        let text = format!(
            "判决如下：一、张某偿还原告借款50000元；二、王某对上述借款50000元承担{liability}。"
        );
        assert_eq!(awarded(&text).principal_yuan, Some(50_000.0), "{liability}");
    }
    // A rate the court dismissed is not awarded.
    let dismissed =
        "判决如下：一、被告偿还原告借款50000元；二、驳回原告要求被告按月利率2%支付利息的诉讼请求。";
    assert_eq!(awarded(dismissed).rate, None);
    // Bases of calculation, breakdowns and amounts in words are not sums owed.
    for text in [
        "判决如下：被告偿还借款50000元及利息（分别以30000元、20000元为基数计算）。",
        "判决如下：被告偿还借款50000元及利息（以50000元作为计息基数）。",
        "判决如下：被告偿还借款50000元，并以本金50000元按年利率6%支付利息。",
        "判决如下：被告偿还借款50000元（大写：伍万元整）及利息。",
        "判决如下：被告偿还借款本金50000元（其中30000元于2018年出借；20000元于2019年出借）。",
    ] {
        let a = awarded(text);
        assert_eq!(
            (a.principal_yuan, a.interest_yuan),
            (Some(50_000.0), None),
            "{text}"
        );
    }
    let a = awarded("判决如下：被告支付原告律师费5000元、公证费1000元，偿还借款共计50000元。");
    assert_eq!(
        (a.principal_yuan, a.penalty_yuan, a.total_yuan),
        (Some(50_000.0), Some(6_000.0), None)
    );
}

#[test]
fn an_appellants_request_is_not_the_plaintiffs_claim() {
    let text = "上诉人张某上诉请求：撤销一审判决第一项，改判上诉人偿还借款30000元。被上诉人李某辩称，一审判决\
        正确。李某向一审法院起诉请求：1.判令张某偿还借款50000元；2.诉讼费由张某负担。";
    assert_eq!(claimed(text).principal_yuan, Some(50_000.0));
}
