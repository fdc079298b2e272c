//! `CheckOutcome` (偏离度预警): where a proposed sentence lies among the sentences of the most similar
//! cases, with a warning outside the court's band; every check is an `outcome_checked` entry.

use super::{SimilarApi, filter_from_proto, hits_wanted};
use crate::authz::{Operation, authorize};
use crate::error::{ApiError, invalid, store_status};
use ecenter_domain::Event;
use ecenter_domain::similar::{ComparedOutcome, OutcomeCheck};
use ecenter_proto::v1 as pb;
use ecenter_similar::outcome::civil::{Amounts, CivilOutcome, Period, Rate};
use ecenter_similar::outcome::deviation::{Outside, Placement, place, scale};
use ecenter_similar::outcome::{
    Principal, Punishment, Role, Sentence, parse, states_a_range, term_text,
};
use ecenter_store::{EventStore, ReadView};
use serde::{Deserialize, Serialize};
use tonic::{Request, Response, Status};

/// Longest proposal read, in characters.
const MAX_PROPOSAL_CHARS: usize = 200;

/// Similar cases looked among when the caller does not say.
const DEFAULT_COMPARED: u32 = 30;

/// `[similar]`: the court's settings for similar cases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimilarConfig {
    /// Percentiles `[low, high]` of the similar cases' sentences between which a proposed outcome
    /// raises no warning (default `[10, 90]`: lighter than nine in ten, or heavier).
    pub deviation_band: [u8; 2],
}

impl Default for SimilarConfig {
    fn default() -> Self {
        SimilarConfig {
            deviation_band: [10, 90],
        }
    }
}

impl SimilarConfig {
    /// The band must be two percentiles, low below high, at most 100; the error names the setting.
    pub fn check(&self) -> Result<(), String> {
        let [low, high] = self.deviation_band;
        if low >= high || high > 100 {
            return Err(format!(
                "similar.deviation_band [{low}, {high}]: give two percentiles, low below high, at most 100 (e.g. [10, 90])"
            ));
        }
        Ok(())
    }

    pub(super) fn band(&self) -> (u8, u8) {
        (self.deviation_band[0], self.deviation_band[1])
    }
}

/// One sentence as the proto carries it (absent numbers as 0, see has_*).
/// A civil judgment's claim and award as the wire carries them (`None` when neither was read).
pub(super) fn civil_message(o: &CivilOutcome) -> Option<pb::CivilOutcome> {
    (!o.is_empty()).then(|| pb::CivilOutcome {
        claimed: o.claimed.as_ref().map(money_message),
        awarded: o.awarded.as_ref().map(money_message),
    })
}

fn money_message(a: &Amounts) -> pb::MoneyOutcome {
    pb::MoneyOutcome {
        principal_yuan: a.principal_yuan.unwrap_or(0.0),
        interest_yuan: a.interest_yuan.unwrap_or(0.0),
        total_yuan: a.total_yuan.unwrap_or(0.0),
        penalty_yuan: a.penalty_yuan.unwrap_or(0.0),
        rate: a.rate.map(|r| {
            let mut m = pb::InterestRate {
                text: r.to_string(),
                ..Default::default()
            };
            match r {
                Rate::Fixed { per, percent } => {
                    m.per = match per {
                        Period::Year => "year",
                        Period::Month => "month",
                        Period::Day => "day",
                    }
                    .into();
                    m.percent = percent;
                }
                Rate::Lpr { times } => (m.reference, m.times) = ("lpr".into(), times),
                Rate::Benchmark { times } => (m.reference, m.times) = ("benchmark".into(), times),
            }
            m
        }),
        source: a.source.clone(),
    }
}

pub(super) fn sentence_message(s: &Sentence) -> pb::SentenceOutcome {
    let mut m = punishment_message(&s.punishment);
    m.role = match s.role {
        Role::Judgment => "judgment",
        Role::Original => "original",
        Role::Prior => "prior",
        Role::Recommended => "recommended",
    }
    .to_string();
    m.defendant = s.defendant.clone().unwrap_or_default();
    m.charge = s.charge.clone().unwrap_or_default();
    m.source = s.source.trim().to_string();
    m
}

fn punishment_message(p: &Punishment) -> pb::SentenceOutcome {
    use ecenter_similar::outcome::{Confiscation, Deprivation};
    pb::SentenceOutcome {
        principal: p
            .principal
            .map(|k| k.name().to_string())
            .unwrap_or_default(),
        months: p.months.unwrap_or(0),
        has_suspension: p.suspension_months.is_some(),
        suspension_months: p.suspension_months.unwrap_or(0),
        has_fine: p.fine_yuan.is_some(),
        fine_yuan: p.fine_yuan.unwrap_or(0),
        confiscation: match p.confiscation {
            Some(Confiscation::All) => "all".to_string(),
            Some(Confiscation::Yuan(y)) => y.to_string(),
            None => String::new(),
        },
        deprivation: match p.deprivation {
            Some(Deprivation::Life) => "life".to_string(),
            Some(Deprivation::Months(m)) => m.to_string(),
            None => String::new(),
        },
        ..Default::default()
    }
}

/// The proposal read as a sentence, and as read (blanks typed inside taken out: 有期徒刑 三 年), or
/// INVALID_ARGUMENT saying how to write one.
fn proposal(text: &str) -> Result<(Punishment, String), Status> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Err(invalid(
            "proposed",
            "is empty: write the proposed sentence as a judgment does, e.g. 有期徒刑三年，罚金人民币二万元",
        ));
    }
    if compact.chars().count() > MAX_PROPOSAL_CHARS || ecenter_domain::text::has_hidden(&compact) {
        return Err(invalid(
            "proposed",
            format!(
                "write one sentence of at most {MAX_PROPOSAL_CHARS} characters, without control or invisible characters (such as U+202E or U+200B)"
            ),
        ));
    }
    let p = parse(&compact);
    if states_a_range(&compact) || scale(&p).is_none() {
        return Err(invalid(
            "proposed",
            unreadable_proposal(text.trim(), &compact),
        ));
    }
    // 有期徒刑一年；拘役三个月: two sentences, of which only the first would be placed.
    let principals = compact
        .split(['；', ';', '。'])
        .filter(|part| {
            parse(part)
                .principal
                .is_some_and(|k| k != Principal::FineOnly)
        })
        .count();
    if principals > 1 {
        return Err(invalid(
            "proposed",
            format!(
                "「{}」 states {principals} sentences; propose the one to be served (决定执行的刑罚只写一项)",
                ecenter_domain::text::quoted(text.trim(), 60)
            ),
        ));
    }
    lawful_term(&compact, &p)?;
    Ok((p, compact))
}

/// Why a proposal states no sentence to place, for what it looks like: a range, a civil
/// judgment's sums, or anything else.
fn unreadable_proposal(text: &str, compact: &str) -> String {
    let quoted = ecenter_domain::text::quoted(text, 60);
    let example = "write it as a judgment does, e.g. 有期徒刑三年，缓刑四年，罚金人民币二万元 or 拘役四个月 or 免予刑事处罚";
    if states_a_range(compact) {
        format!(
            "「{quoted}」 is a range, not a sentence (量刑幅度不是拟判刑罚): propose the one term you would impose; {example}"
        )
    } else if !compact.contains('刑')
        && ["判令", "偿还", "支付", "赔偿", "返还"]
            .iter()
            .any(|w| compact.contains(w))
    {
        format!(
            "「{quoted}」 is a civil judgment's order: CheckOutcome compares criminal sentences, not sums (民事判项不作量刑偏离比较); {example}"
        )
    } else {
        format!(
            "「{quoted}」 states no principal punishment with its term (未能读出主刑及刑期); {example}"
        )
    }
}

/// Refuses a term no court may impose (a typo such as 有期徒刑三百年 or 零个月, which would be
/// placed among the similar cases and logged as checked): 有期徒刑 6 months to 25 years, 拘役 1
/// month to 1 year, 管制 3 months to 3 years — the single terms of 刑法第三十八、四十二、四十五条 and
/// the ceilings of their 数罪并罚 (第六十九条).
fn lawful_term(text: &str, p: &Punishment) -> Result<(), Status> {
    let (Some(principal), Some(months)) = (p.principal, p.months) else {
        return Ok(());
    };
    let (name, range) = match principal {
        Principal::FixedTerm => ("有期徒刑", 6..=300),
        Principal::CriminalDetention => ("拘役", 1..=12),
        Principal::PublicSurveillance => ("管制", 3..=36),
        _ => return Ok(()),
    };
    if range.contains(&months) {
        return Ok(());
    }
    Err(invalid(
        "proposed",
        format!(
            "「{}」 is {months} months of {name}, outside what the law allows ({} to {} months, \
             刑法第三十八、四十二、四十五、六十九条); check the term / 刑期超出法定范围，请核对",
            ecenter_domain::text::quoted(text, 60),
            range.start(),
            range.end()
        ),
    ))
}

/// A place on the scale as a judge reads it (the median is always a sentence some case received).
fn scale_text(months: u32) -> String {
    match months {
        1001.. => "死刑".to_string(),
        1000 => "死刑缓期二年执行".to_string(),
        999 => "无期徒刑".to_string(),
        0 => "免予刑事处罚或单处罚金".to_string(),
        m => term_text(m),
    }
}

/// Fewer similar cases than this make no band: a proposal outside it is said as a caveat, not a
/// warning (outside tests, round 21b, 3: "100%" of one case is no 量刑偏离).
const FEWEST_FOR_A_WARNING: usize = 5;

/// The text for the judge, in Chinese, when the proposal lies outside the band, and whether it is
/// a warning: with fewer than [`FEWEST_FOR_A_WARNING`] cases compared it is a caveat that they
/// are too few. The share quoted is the one the band is judged on (ties counted half), so the
/// figure never looks inside the band it is said to leave (round 21b, 6).
fn warning_text(
    (proposed, principal): (&str, Option<Principal>),
    p: &Placement,
    charge: Option<&str>,
    band: (u8, u8),
) -> Option<(bool, String)> {
    let n = p.compared.len();
    // Said as counts: 轻于 is "lighter than", and a case sentenced the same is neither.
    let (side, count) = match p.outside(band)? {
        Outside::Lighter => ("轻于", p.heavier),
        Outside::Heavier => ("重于", p.lighter),
    };
    let same = n - p.lighter - p.heavier;
    let same = if same > 0 {
        format!("、与{same}件相同")
    } else {
        String::new()
    };
    let share = p.share().round();
    let spread = format!(
        "{}中位数{}，范围{}至{}{}",
        charge.unwrap_or("决定执行刑罚"),
        scale_text(p.median_months as u32),
        scale_text(p.range_months.0),
        scale_text(p.range_months.1),
        scale_note(principal, p),
    );
    if n < FEWEST_FOR_A_WARNING {
        return Some((
            false,
            format!(
                "可比类案仅{n}件（少于{FEWEST_FOR_A_WARNING}件），不足以判断量刑偏离：拟判刑罚（{proposed}）{side}其中{count}件{same}（{spread}），仅供参考。"
            ),
        ));
    }
    Some((
        true,
        format!(
            "拟判刑罚（{proposed}）{side}{n}件类案中的{count}件{same}（量刑百分位约{share}，同刑计半；{spread}），超出本院设定的第{}至第{}百分位区间，请注意量刑偏离。",
            band.0, band.1,
        ),
    ))
}

/// How punishments of other kinds were put on the one scale of months, when the comparison
/// holds one: the judge must see that 管制 counts at half (刑法第四十一条: a day held before
/// judgment counts as two of 管制) and a fine alone or an exemption as none — else 管制六个月 reads
/// as lighter than 有期徒刑四个月 for no stated reason (outside tests, round 21b, 7).
fn scale_note(proposed: Option<Principal>, p: &Placement) -> String {
    let principals: Vec<Principal> = (p.compared.iter())
        .filter_map(|c| c.sentence.punishment.principal)
        .chain(proposed)
        .collect();
    let mut notes = Vec::new();
    if principals.contains(&Principal::PublicSurveillance) {
        notes.push("管制按刑期的一半计（刑法第四十一条）");
    }
    let zero = [Principal::FineOnly, Principal::Exempt];
    if principals.iter().any(|x| zero.contains(x)) {
        notes.push("单处罚金、免予刑事处罚按零计");
    }
    if notes.is_empty() {
        String::new()
    } else {
        format!("；{}", notes.join("，"))
    }
}

/// The charge the caller names, if any, checked as FindSimilar's charge filter checks it: a
/// misspelt charge is named (INVALID_ARGUMENT), not answered "no comparable case".
fn given_charge<S>(api: &SimilarApi<S>, typed: &str) -> Result<Option<String>, Status> {
    let Some(charge) = Some(typed.trim().to_string()).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let one = ecenter_similar::index::Filter {
        charges: vec![charge.clone()],
        ..Default::default()
    };
    api.index
        .index()
        .check_filter(&one)
        .map_err(|e| invalid("charge", e.to_string()))?;
    Ok(Some(charge))
}

/// A CheckOutcome query as FindSimilar takes it.
fn similar_query(q: pb::check_outcome_request::Query) -> pb::find_similar_request::Query {
    use pb::check_outcome_request::Query as Check;
    use pb::find_similar_request::Query as Find;
    match q {
        Check::Text(t) => Find::Text(t),
        Check::FilingId(f) => Find::FilingId(f),
        Check::CaseId(c) => Find::CaseId(c),
    }
}

/// The charge the sentences are compared on: the one given, else the first the facts name.
/// Sentences for different crimes are not comparable — a theft's beside a homicide's says nothing
/// about either — so facts naming none, with none given, are refused (outside tests, round 21b, 4).
fn charge_compared(given: Option<String>, read: &[String]) -> Result<String, Status> {
    given.or_else(|| read.first().cloned()).ok_or_else(|| {
        ApiError::failed_precondition(
            "the facts name no charge, so the similar cases' sentences could be for any crime: name the charge compared on (charge) / 未能从案情中读出罪名，请在 charge 中写明比较的罪名（不同罪名的刑罚不作比较）",
        )
        .into()
    })
}

pub(super) async fn check_outcome<S: EventStore>(
    api: &SimilarApi<S>,
    request: Request<pb::CheckOutcomeRequest>,
) -> Result<Response<pb::CheckOutcomeResponse>, Status> {
    let identity = crate::identity::caller(&request)?;
    authorize(&*api.store, &identity, Operation::CheckOutcome, None, None).await?;
    let deadline = crate::parsing::deadline_of(request.metadata());
    let r = request.into_inner();
    let (proposed, as_read) = proposal(&r.proposed)?;
    let filter = filter_from_proto(r.filter)?;
    let k = hits_wanted(if r.top_k == 0 {
        DEFAULT_COMPARED
    } else {
        r.top_k
    })?;
    let query = r.query.map(similar_query);
    let given = given_charge(api, &r.charge)?;
    let query = api.resolve(query, &identity, deadline).await?;
    let described = query.described.clone();
    let (mut hits, charges, _) = api.search(query, filter, k).await?;
    // A filter lists cases that share nothing with the query (score 0): they are not similar.
    hits.retain(|h| h.score > 0.0);
    if hits.is_empty() {
        return Err(ApiError::failed_precondition(
            "no indexed case is similar to this one (没有找到类案): index judgments of its kind first, or widen the filter",
        )
        .into());
    }
    let charge = Some(charge_compared(given, &charges)?);
    let placement = place(&proposed, charge.as_deref(), &hits).ok_or_else(|| {
        ApiError::failed_precondition(format!(
            "none of the {} most similar cases states a sentence for {} (类案中没有可比的刑罚): index more judgments of the charge, or name the charge compared on{}",
            hits.len(),
            charge.as_deref().unwrap_or("the sentence to be served (决定执行)"),
            if charge.as_deref().is_some_and(|c| !c.ends_with('罪')) {
                "; a civil case's sums are not compared (民事案件不作量刑偏离比较)"
            } else {
                ""
            }
        ))
    })?;
    let said = warning_text(
        (&as_read, proposed.principal),
        &placement,
        charge.as_deref(),
        api.band,
    );
    let warning = said.as_ref().is_some_and(|(warning, _)| *warning);
    let check = OutcomeCheck {
        by: identity.to_string(),
        query: described,
        charge: charge.clone(),
        proposed: r.proposed.trim().to_string(),
        proposed_months: placement.proposed_months,
        compared: placement
            .compared
            .iter()
            .map(|c| ComparedOutcome {
                case_id: c.case_id.clone(),
                months: c.months,
                suspended: c.sentence.punishment.suspension_months.is_some(),
                fine_yuan: c.sentence.punishment.fine_yuan.filter(|&y| y > 0),
            })
            .collect(),
        percentile: placement.percentile,
        band: api.band,
        warning,
    };
    let (appended, ()) = api
        .store
        .append(Box::new(move |_: &dyn ReadView| {
            Ok((vec![Event::OutcomeChecked(check)], ()))
        }))
        .await
        .map_err(store_status)?;
    let log_seq = appended.last().map_or(0, |a| a.seq);
    tracing::info!(log_seq, by = %identity, percentile = placement.percentile, warning, "outcome checked");
    Ok(Response::new(response(
        &proposed, charge, &placement, api.band, said, log_seq,
    )))
}

fn response(
    proposed: &Punishment,
    charge: Option<String>,
    p: &Placement,
    band: (u8, u8),
    said: Option<(bool, String)>,
    log_seq: u64,
) -> pb::CheckOutcomeResponse {
    pb::CheckOutcomeResponse {
        proposed: Some(punishment_message(proposed)),
        charge: charge.unwrap_or_default(),
        proposed_months: p.proposed_months,
        compared: p
            .compared
            .iter()
            .map(|c| pb::ComparedCase {
                case_id: c.case_id.clone(),
                case_number: c.case_number.clone(),
                court: c.court.clone(),
                year: c.year.unwrap_or(0),
                score: c.score,
                sentence: Some(sentence_message(&c.sentence)),
                months: c.months,
            })
            .collect(),
        median_months: p.median_months,
        min_months: p.range_months.0,
        max_months: p.range_months.1,
        percentile: u32::from(p.percentile),
        median_fine_yuan: p.median_fine_yuan.unwrap_or(0.0),
        suspended: p.suspended as u32,
        band_low: u32::from(band.0),
        band_high: u32::from(band.1),
        warning: said.as_ref().is_some_and(|(warning, _)| *warning),
        warning_text: said.map(|(_, text)| text).unwrap_or_default(),
        log_seq,
        share: p.share(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Outsider, round 18: 有期徒刑 三 年 was refused for its spaces.
    #[test]
    fn spaces_typed_inside_a_proposal_are_no_part_of_it() {
        let (p, read) = proposal(" 有期徒刑 三 年，\t罚金人民币\n二万元 ").unwrap();
        assert_eq!((p.months, p.fine_yuan), (Some(36), Some(20_000)));
        assert_eq!(read, "有期徒刑三年，罚金人民币二万元");
    }

    /// Outsider, round 18b: 有期徒刑一年到二年 was read as one year; 以上…以下 was "no sentence".
    #[test]
    fn a_band_of_terms_is_refused_as_one() {
        for band in [
            "有期徒刑一年到二年",
            "有期徒刑一至二年",
            "拘役三至六个月",
            "有期徒刑一年以上三年以下",
            "三年以下有期徒刑",
        ] {
            let why = proposal(band).unwrap_err();
            assert!(
                why.message().contains("量刑幅度"),
                "{band}: {}",
                why.message()
            );
        }
        let two = proposal("有期徒刑一年；拘役三个月").unwrap_err();
        assert!(
            two.message().contains("states 2 sentences"),
            "{}",
            two.message()
        );
        let fined = proposal("有期徒刑一年；并处罚金人民币五千元").unwrap();
        assert_eq!(fined.0.fine_yuan, Some(5_000));
        let dated = "有期徒刑一年（刑期自2024年1月1日起至2024年12月31日止）";
        assert_eq!(proposal(dated).unwrap().0.months, Some(12));
    }
}
