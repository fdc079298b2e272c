//! Where a proposed outcome lies among the outcomes of similar cases (偏离度预警): each similar case
//! counts once, by its sentence for the charge on one scale of months, and the proposal gets its
//! percentile among them.

use super::{Principal, Punishment, Sentence};
use crate::index::Hit;

/// 无期徒刑 on the scale: above every fixed term (at most 25 years, 刑法第六十九条).
pub const LIFE_MONTHS: u32 = 999;

/// One similar case as compared: its sentence for the charge and the words that gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct Compared {
    /// The hit.
    pub case_id: String,
    /// 案号, court and year, to show.
    pub case_number: String,
    /// Court.
    pub court: String,
    /// Year of judgment.
    pub year: Option<u32>,
    /// The hit's similarity score.
    pub score: f32,
    /// The sentence compared with (for several defendants, the middle one).
    pub sentence: Sentence,
    /// Its place on the scale, in months ([`scale`]).
    pub months: u32,
}

/// The comparison: the cases, the spread of their sentences and the proposal's place.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// The cases compared with, best hit first.
    pub compared: Vec<Compared>,
    /// The proposal on the scale.
    pub proposed_months: u32,
    /// The median of the compared sentences, in months: for an even count the lower of the middle
    /// two, so that it is always a sentence some case received (never halfway between 15 years and
    /// 无期徒刑).
    pub median_months: f64,
    /// The lightest and heaviest compared sentences, in months.
    pub range_months: (u32, u32),
    /// The share of compared cases sentenced lighter than the proposal, ties counted half, 0–100,
    /// rounded to show; [`Placement::outside`] judges the band on the exact share.
    pub percentile: u8,
    /// How many compared cases were sentenced lighter than the proposal.
    pub lighter: usize,
    /// How many were sentenced heavier.
    pub heavier: usize,
    /// The median fine (罚金) of the compared cases that state one, in yuan: for an even count
    /// the lower of the middle two, a fine some case received, as for the sentences.
    pub median_fine_yuan: Option<f64>,
    /// How many compared cases were suspended (缓刑).
    pub suspended: usize,
}

/// Which side of the court's band a proposal falls on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outside {
    /// Below the band's low percentile: lighter than most similar cases.
    Lighter,
    /// Above its high percentile: heavier than most.
    Heavier,
}

impl Placement {
    /// The share of compared cases sentenced lighter, ties counted half, 0–100, unrounded.
    pub fn share(&self) -> f64 {
        let n = self.compared.len() as f64;
        let ties = n - self.lighter as f64 - self.heavier as f64;
        (self.lighter as f64 + ties / 2.0) * 100.0 / n
    }

    /// Where the proposal falls against the band `(low, high)` of percentiles, judged on the
    /// exact share — (lighter + ties / 2) / cases — not on the rounded [`Placement::percentile`],
    /// so that 9.6 % is below a band starting at 10; `None` inside it.
    pub fn outside(&self, (low, high): (u8, u8)) -> Option<Outside> {
        let n = self.compared.len() as u64;
        let ties = n - self.lighter as u64 - self.heavier as u64;
        // The share times 200n, in integers: 200·lighter + 100·ties against 2n·bound.
        let share = 200 * self.lighter as u64 + 100 * ties;
        if share < 2 * n * u64::from(low) {
            Some(Outside::Lighter)
        } else if share > 2 * n * u64::from(high) {
            Some(Outside::Heavier)
        } else {
            None
        }
    }
}

/// A punishment on one scale of months: 有期徒刑 and 拘役 as imposed, 管制 at half (刑法第四十一条),
/// 免予刑事处罚 and 单处罚金 as 0, 无期徒刑 [`LIFE_MONTHS`] and 死刑 above it; `None` when the
/// punishment names no principal or no term.
pub fn scale(p: &Punishment) -> Option<u32> {
    match p.principal? {
        Principal::FixedTerm | Principal::CriminalDetention => p.months,
        Principal::PublicSurveillance => p.months.map(|m| m / 2),
        Principal::Exempt | Principal::FineOnly => Some(0),
        Principal::Life => Some(LIFE_MONTHS),
        Principal::DeathSuspended => Some(LIFE_MONTHS + 1),
        Principal::Death => Some(LIFE_MONTHS + 2),
    }
}

/// The sentence of a hit to compare with: its defendants' sentences for `charge` (for `None`, the
/// sentence each serves: 决定执行 where given, else their only one), the middle one by the scale.
pub fn comparable(hit: &Hit, charge: Option<&str>) -> Option<Compared> {
    let mut candidates: Vec<(u32, &Sentence)> = hit
        .outcome
        .iter()
        .filter(|s| match charge {
            Some(c) => s.charge.as_deref() == Some(c),
            None => served(hit, s),
        })
        .filter_map(|s| scale(&s.punishment).map(|m| (m, s)))
        .collect();
    candidates.sort_by_key(|&(m, _)| m);
    let (months, sentence) = *candidates.get(candidates.len().checked_sub(1)? / 2)?;
    Some(Compared {
        case_id: hit.id.clone(),
        case_number: hit.case_number.clone(),
        court: hit.court.clone(),
        year: hit.year,
        score: hit.score,
        sentence: sentence.clone(),
        months,
    })
}

/// The sentence a defendant serves: the combined one, or their only one when there is none.
fn served(hit: &Hit, s: &Sentence) -> bool {
    let of_defendant = |x: &&Sentence| x.defendant == s.defendant;
    s.charge.is_none()
        || (!hit
            .outcome
            .iter()
            .filter(of_defendant)
            .any(|x| x.charge.is_none())
            && hit.outcome.iter().filter(of_defendant).count() == 1)
}

/// Places `proposed` among the hits' sentences for `charge`; `None` when no hit has one.
pub fn place(proposed: &Punishment, charge: Option<&str>, hits: &[Hit]) -> Option<Placement> {
    let at = scale(proposed)?;
    let compared: Vec<Compared> = hits.iter().filter_map(|h| comparable(h, charge)).collect();
    if compared.is_empty() {
        return None;
    }
    let mut months: Vec<u32> = compared.iter().map(|c| c.months).collect();
    months.sort_unstable();
    let n = months.len();
    let median_months = f64::from(months[(n - 1) / 2]);
    let lighter = months.iter().filter(|&&m| m < at).count();
    let heavier = months.iter().filter(|&&m| m > at).count();
    let equal = n - lighter - heavier;
    let percentile = ((lighter as f64 + equal as f64 / 2.0) * 100.0 / n as f64).round() as u8;
    let mut fines: Vec<u64> = compared
        .iter()
        .filter_map(|c| c.sentence.punishment.fine_yuan.filter(|&y| y > 0))
        .collect();
    fines.sort_unstable();
    let median_fine_yuan = fines
        .get(fines.len().wrapping_sub(1) / 2)
        .map(|&y| y as f64);
    let suspended = compared
        .iter()
        .filter(|c| c.sentence.punishment.suspension_months.is_some())
        .count();
    Some(Placement {
        proposed_months: at,
        median_months,
        range_months: (months[0], months[n - 1]),
        percentile,
        lighter,
        heavier,
        median_fine_yuan,
        suspended,
        compared,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{Role, parse};

    fn hit(id: &str, sentences: &[(&str, Option<&str>, &str)]) -> Hit {
        Hit {
            id: id.to_string(),
            score: 1.0,
            text_score: 1.0,
            shared_charges: vec![],
            shared_statutes: vec![],
            shared_terms: vec![],
            shared_elements: vec![],
            case_number: String::new(),
            court: String::new(),
            year: None,
            date: None,
            procedure: String::new(),
            summary: String::new(),
            outcome: sentences
                .iter()
                .map(|&(defendant, charge, words)| Sentence {
                    role: Role::Judgment,
                    defendant: Some(defendant.to_string()),
                    charge: charge.map(str::to_string),
                    punishment: parse(words),
                    source: words.to_string(),
                })
                .collect(),
            civil_outcome: Default::default(),
        }
    }

    #[test]
    fn the_scale_orders_every_kind_of_sentence() {
        let months = |w: &str| scale(&parse(w));
        assert_eq!(months("有期徒刑三年"), Some(36));
        assert_eq!(months("拘役四个月"), Some(4));
        assert_eq!(months("管制一年"), Some(6));
        assert_eq!(months("免予刑事处罚"), Some(0));
        assert_eq!(months("罚金人民币五千元"), Some(0));
        assert!(months("无期徒刑") < months("死刑，缓期二年执行"));
        assert!(months("有期徒刑二十五年") < months("无期徒刑"));
        assert_eq!(months("并处罚金"), None);
    }

    #[test]
    fn each_case_counts_once_and_the_proposal_gets_its_percentile() {
        let hits = vec![
            hit("a", &[("甲", Some("盗窃罪"), "有期徒刑一年")]),
            // Three defendants: the middle one stands for the case.
            hit(
                "b",
                &[
                    ("乙", Some("盗窃罪"), "有期徒刑三年"),
                    ("丙", Some("盗窃罪"), "有期徒刑二年"),
                    ("丁", Some("盗窃罪"), "拘役六个月"),
                ],
            ),
            hit("c", &[("戊", Some("诈骗罪"), "有期徒刑十年")]),
            hit(
                "d",
                &[(
                    "己",
                    Some("盗窃罪"),
                    "有期徒刑二年，缓刑三年，并处罚金人民币一万元",
                )],
            ),
        ];
        let p = place(&parse("有期徒刑二年"), Some("盗窃罪"), &hits).unwrap();
        let ids: Vec<&str> = p.compared.iter().map(|c| c.case_id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "d"], "the fraud case is not compared");
        assert_eq!(p.compared[1].sentence.defendant.as_deref(), Some("丙"));
        assert_eq!((p.median_months, p.range_months), (24.0, (12, 24)));
        // One lighter, two the same: (1 + 2/2) / 3.
        assert_eq!(p.percentile, 67);
        assert_eq!(p.suspended, 1);
        assert_eq!(p.median_fine_yuan, Some(10_000.0));
        assert_eq!(
            place(&parse("有期徒刑十年"), Some("盗窃罪"), &hits)
                .unwrap()
                .percentile,
            100
        );
        assert_eq!(
            place(&parse("拘役一个月"), Some("盗窃罪"), &hits)
                .unwrap()
                .percentile,
            0
        );
        assert!(place(&parse("有期徒刑二年"), Some("抢劫罪"), &hits).is_none());
    }

    /// Outsider, round 18: 9.6 % was shown as 10 and given no warning under a band of [10, 90];
    /// the median fine of 5000 and 6000 was 5500, which no case received.
    #[test]
    fn the_band_is_judged_on_the_exact_share_and_the_median_fine_is_a_real_one() {
        let mut terms: Vec<String> = (1..=25).map(|m| format!("拘役{m}个月")).collect();
        terms.push("有期徒刑十年".to_string());
        let hits: Vec<Hit> = terms
            .iter()
            .enumerate()
            .map(|(i, w)| hit(&i.to_string(), &[("甲", Some("盗窃罪"), w.as_str())]))
            .collect();
        // Two lighter, one the same, of 26: (2 + 0.5) / 26 = 9.6 %.
        let p = place(&parse("拘役三个月"), Some("盗窃罪"), &hits).unwrap();
        assert_eq!((p.percentile, p.lighter, p.heavier), (10, 2, 23));
        assert_eq!(p.outside((10, 90)), Some(Outside::Lighter));
        assert_eq!(p.outside((9, 90)), None);
        assert!((p.share() - 2.5 * 100.0 / 26.0).abs() < 1e-9);
        // 23.5 / 26 = 90.4 %.
        let p = place(&parse("拘役二十四个月"), Some("盗窃罪"), &hits).unwrap();
        assert_eq!(p.percentile, 90);
        assert_eq!(p.outside((10, 90)), Some(Outside::Heavier));
        let fined = vec![
            hit(
                "a",
                &[("甲", Some("盗窃罪"), "拘役一个月，并处罚金人民币五千元")],
            ),
            hit(
                "b",
                &[("乙", Some("盗窃罪"), "拘役二个月，并处罚金人民币六千元")],
            ),
        ];
        let p = place(&parse("拘役一个月"), Some("盗窃罪"), &fined).unwrap();
        assert_eq!(p.median_fine_yuan, Some(5_000.0));
        assert_eq!(p.outside((0, 100)), None);
    }

    #[test]
    fn without_a_charge_the_sentence_served_is_compared() {
        let hits = vec![hit(
            "a",
            &[
                ("甲", Some("盗窃罪"), "有期徒刑一年"),
                ("甲", Some("诈骗罪"), "有期徒刑二年"),
                ("甲", None, "有期徒刑二年六个月"),
            ],
        )];
        let p = place(&parse("有期徒刑二年六个月"), None, &hits).unwrap();
        assert_eq!(p.compared[0].months, 30);
    }
}
