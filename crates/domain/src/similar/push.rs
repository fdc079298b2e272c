//! 类案推送 that pushes: the similar cases the hub delivers to a case's judge when the case moves
//! (a filing of it is docketed), recorded as events so the court can later show what its judge was
//! given and why, and the case's choice not to be pushed any.
//!
//! A push is computed by the hub after the docketing it answers and recorded only when it differs
//! from the case's previous push (other cases, or the same cases in another order): a judge is told
//! when the picture changed, not each time a filing arrives.

use crate::case_number::CaseNumber;
use crate::filing::LogPosition;
use serde::{Deserialize, Serialize};

/// One similar case as pushed, with what makes it similar in words a judge reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushedCase {
    /// The indexed case's id.
    pub case_id: String,
    /// Its case number (案号), as indexed.
    pub case_number: String,
    /// The court that decided it.
    pub court: String,
    /// The year of its judgment, if known.
    pub year: Option<u32>,
    /// The date of its judgment (裁判日期), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judgment_date: Option<chrono::NaiveDate>,
    /// Its score in thousandths (the log holds no floating point: an entry reads back equal).
    pub score_milli: u64,
    /// Charges (罪名) or causes of action (案由) it shares with the case.
    pub shared_charges: Vec<String>,
    /// Statutes (法条) it shares.
    pub shared_statutes: Vec<String>,
    /// Elements of a civil dispute (要素) it shares.
    pub shared_elements: Vec<String>,
    /// The facts' words that weighed most in both, most weight first.
    pub shared_terms: Vec<String>,
    /// The amount of money at stake in the case and in the judgment (yuan: the sum lent, else the
    /// largest sum of at least 100 yuan), when both name one within a factor of two of each other.
    pub amounts_yuan: Option<(u64, u64)>,
    /// Why it is pushed, one reason per line, in Chinese (同罪名或案由：…, 同法条：…, 同要素：…,
    /// 涉案金额相近：…, 共同事实用语：…).
    pub reasons: Vec<String>,
}

impl PushedCase {
    /// Fills [`PushedCase::reasons`] from what the case shares with the judgment.
    pub fn explain(&mut self) {
        let mut reasons = Vec::new();
        let joined = |v: &[String]| v.join("、");
        if !self.shared_charges.is_empty() {
            reasons.push(format!("同罪名或案由：{}", joined(&self.shared_charges)));
        }
        if !self.shared_statutes.is_empty() {
            reasons.push(format!("同法条：{}", joined(&self.shared_statutes)));
        }
        if !self.shared_elements.is_empty() {
            reasons.push(format!("同要素：{}", joined(&self.shared_elements)));
        }
        if let Some((case, judgment)) = self.amounts_yuan {
            reasons.push(format!("涉案金额相近：本案{case}元，该案{judgment}元"));
        }
        if !self.shared_terms.is_empty() {
            reasons.push(format!("共同事实用语：{}", joined(&self.shared_terms)));
        }
        if reasons.is_empty() {
            reasons.push("事实描述相近".to_string());
        }
        self.reasons = reasons;
    }
}

/// The similar cases pushed for a case after one of its filings was docketed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimilarCasesPushed {
    /// The case (案号).
    pub case_number: CaseNumber,
    /// The filing whose docketing moved the case.
    pub filing_id: String,
    /// The department that filing was routed to: its watchers receive the push.
    pub department: String,
    /// The log entry of that docketing.
    pub docketed_seq: u64,
    /// When that entry was recorded (the push's latency is measured from it).
    pub docketed_at: chrono::DateTime<chrono::Utc>,
    /// The case's docketed filings whose documents made the query, in the order read.
    pub filings: Vec<String>,
    /// Lowercase hex SHA-256 of the query text (the documents' text is in the blob store).
    pub query_sha256: String,
    /// Charges read from the case's documents.
    pub query_charges: Vec<String>,
    /// Statutes read from the case's documents.
    pub query_statutes: Vec<String>,
    /// How far in the log the similar-case index stood when searched.
    pub index_seq: u64,
    /// The similar cases, most similar first.
    pub hits: Vec<PushedCase>,
}

/// Why a docketing that brought no readable document is not pushed.
pub const NOTHING_NEW_READ: &str = "nothing new read: the same filings as the case's latest push (a picture or a rejected document adds no text)";

/// Whether two pushes read the same filings, in whatever order (the docketed one is read first).
pub fn same_filings(a: &[String], b: &[String]) -> bool {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_unstable();
    b.sort_unstable();
    a == b
}

impl SimilarCasesPushed {
    /// Why this push tells a judge nothing `previous` did not, or `None`: the same filings read (a
    /// photo or a rejected document docketed since adds nothing, and a judgment indexed meanwhile
    /// is no news of this case), or the same cases in the same order.
    pub fn adds_nothing_to(&self, previous: &SimilarCasesPushed) -> Option<&'static str> {
        if same_filings(&self.filings, &previous.filings) {
            Some(NOTHING_NEW_READ)
        } else if self.repeats(previous) {
            Some("the same cases as the case's latest push")
        } else {
            None
        }
    }

    /// The same cases in the same order as `previous`.
    pub fn repeats(&self, previous: &SimilarCasesPushed) -> bool {
        self.hits.len() == previous.hits.len()
            && self
                .hits
                .iter()
                .zip(&previous.hits)
                .all(|(a, b)| a.case_id == b.case_id)
    }
}

/// A court system turned the push of similar cases for a case off or on again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CasePushSet {
    /// The case.
    pub case_number: CaseNumber,
    /// Who.
    pub by: String,
    /// Pushes continue (`true`) or stop (`false`).
    pub enabled: bool,
    /// Why, as recorded.
    pub reason: String,
}

/// A push as the read model keeps it, with its entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedPush {
    /// The push.
    pub push: SimilarCasesPushed,
    /// Its entry.
    pub at: LogPosition,
}

/// What the hub knows of a case's pushes: the latest, how many, and whether it opted out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CasePushes {
    /// The case, normalised.
    pub case_number: String,
    /// The latest push recorded.
    pub latest: Option<RecordedPush>,
    /// Pushes recorded for the case.
    pub pushes: u32,
    /// Set when the case opted out: who and why, with the entry.
    pub opted_out: Option<(CasePushSet, LogPosition)>,
    /// The entry of the case's last opt-out or opt-in (0: none): a docketing before it is not
    /// pushed later, and a reader waits for it to be durable.
    #[serde(default)]
    pub last_set_seq: u64,
}

impl CasePushes {
    /// The read model after `event` (an event about another case, or none, leaves it as it was).
    pub fn apply(mut self, push: &PushEvent<'_>, at: &LogPosition) -> CasePushes {
        match push {
            PushEvent::Pushed(p) => {
                self.pushes += 1;
                self.latest = Some(RecordedPush {
                    push: (*p).clone(),
                    at: at.clone(),
                });
            }
            PushEvent::Set(s) => {
                self.last_set_seq = at.seq;
                self.opted_out = (!s.enabled).then(|| ((*s).clone(), at.clone()));
            }
        }
        self
    }

    /// Nothing known of `case_number` yet.
    pub fn empty(case_number: &str) -> CasePushes {
        CasePushes {
            case_number: case_number.to_string(),
            latest: None,
            pushes: 0,
            opted_out: None,
            last_set_seq: 0,
        }
    }
}

/// The events that change a case's pushes.
pub enum PushEvent<'a> {
    /// A push recorded.
    Pushed(&'a SimilarCasesPushed),
    /// An opt-out or opt-in.
    Set(&'a CasePushSet),
}

impl<'a> PushEvent<'a> {
    /// The push event `event` is, with its case normalised; `None` for every other event.
    pub fn of(event: &'a crate::Event) -> Option<(String, PushEvent<'a>)> {
        match event {
            crate::Event::SimilarCasesPushed(p) => {
                Some((p.case_number.normalized(), PushEvent::Pushed(p)))
            }
            crate::Event::CasePushSet(s) => Some((s.case_number.normalized(), PushEvent::Set(s))),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(id: &str, charges: &[&str], terms: &[&str]) -> PushedCase {
        let mut c = PushedCase {
            case_id: id.into(),
            case_number: String::new(),
            court: String::new(),
            year: None,
            judgment_date: None,
            score_milli: 1000,
            shared_charges: charges.iter().map(ToString::to_string).collect(),
            shared_statutes: Vec::new(),
            shared_elements: Vec::new(),
            shared_terms: terms.iter().map(ToString::to_string).collect(),
            amounts_yuan: None,
            reasons: Vec::new(),
        };
        c.explain();
        c
    }

    fn push(seq: u64, ids: &[&str]) -> SimilarCasesPushed {
        SimilarCasesPushed {
            case_number: CaseNumber::parse("（2026）鄂06刑初31号").unwrap(),
            filing_id: "F1".into(),
            department: "刑事审判庭".into(),
            docketed_seq: seq,
            docketed_at: chrono::Utc::now(),
            filings: vec!["F1".into()],
            query_sha256: String::new(),
            query_charges: Vec::new(),
            query_statutes: Vec::new(),
            index_seq: 0,
            hits: ids.iter().map(|id| case(id, &[], &[])).collect(),
        }
    }

    fn at(seq: u64) -> LogPosition {
        LogPosition {
            seq,
            hash: String::new(),
            recorded_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn reasons_name_what_is_shared_in_chinese() {
        let c = case("J1", &["盗窃罪", "抢夺罪"], &["电动车", "撬锁"]);
        assert_eq!(
            c.reasons,
            ["同罪名或案由：盗窃罪、抢夺罪", "共同事实用语：电动车、撬锁"]
        );
        assert_eq!(case("J2", &[], &[]).reasons, ["事实描述相近"]);
        let mut lent = case("J3", &[], &["借条"]);
        lent.amounts_yuan = Some((50_000, 60_000));
        lent.explain();
        assert_eq!(
            lent.reasons,
            [
                "涉案金额相近：本案50000元，该案60000元",
                "共同事实用语：借条"
            ]
        );
    }

    #[test]
    fn a_push_repeats_only_the_same_cases_in_the_same_order() {
        let first = push(5, &["J1", "J2"]);
        assert!(push(9, &["J1", "J2"]).repeats(&first));
        assert!(!push(9, &["J2", "J1"]).repeats(&first));
        assert!(!push(9, &["J1", "J2", "J3"]).repeats(&first));
        assert!(!push(9, &["J1"]).repeats(&first));
    }

    #[test]
    fn the_read_model_keeps_the_latest_push_a_count_and_the_opt_out() {
        let p1 = push(5, &["J1"]);
        let p2 = push(9, &["J2"]);
        let key = p1.case_number.normalized();
        let mut model = CasePushes::empty(&key);
        model = model.apply(&PushEvent::Pushed(&p1), &at(6));
        model = model.apply(&PushEvent::Pushed(&p2), &at(10));
        assert_eq!(model.pushes, 2);
        assert_eq!(model.latest.as_ref().unwrap().push.docketed_seq, 9);
        let mut off = CasePushSet {
            case_number: p1.case_number.clone(),
            by: "urn:ecenter:court:cms".into(),
            enabled: false,
            reason: "不需要".into(),
        };
        model = model.apply(&PushEvent::Set(&off), &at(11));
        assert_eq!(model.opted_out.as_ref().unwrap().1.seq, 11);
        off.enabled = true;
        model = model.apply(&PushEvent::Set(&off), &at(12));
        assert!(model.opted_out.is_none());
        assert_eq!(model.last_set_seq, 12);
        assert_eq!(model.pushes, 2, "opting out and in records no push");
    }
}
