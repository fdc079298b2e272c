//! The court's filing policy (as CM/ECF's GetPolicy): which kinds of filing it takes, which of them
//! may open a new case (网上立案), the limits on documents, and the fees it charges. Lawyers' tools
//! read it before they send anything; SubmitFiling checks every header against it.

use crate::error::FieldViolation;
use crate::submission::Limits;
use serde::{Deserialize, Serialize};

/// One kind of filing the court takes, e.g. `COMPLAINT` / 起诉状.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilingKind {
    /// A stable code for scripts: `A-Z`, `0-9` and `_`, e.g. `COMPLAINT`.
    pub code: String,
    /// The name lawyers and judges use, e.g. 起诉状. Recorded on the filing.
    pub name: String,
    /// Whether a filing of this kind may come without a case number, opening a new case
    /// (起诉状, 强制执行申请书, …). Other kinds belong to a case already docketed.
    #[serde(default)]
    pub starts_case: bool,
}

/// A fee the court charges for a kind of filing (《诉讼费用交纳办法》).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fee {
    /// The code of the filing kind it applies to.
    pub filing_kind: String,
    /// What is charged and how it is computed, e.g. 案件受理费，按诉讼请求金额分段累计计算.
    pub description: String,
    /// A fixed amount in fen (1/100 yuan); 0 when it is computed from the claim.
    #[serde(default)]
    pub amount_fen: u64,
}

/// What a court accepts: filing kinds, document limits and fees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourtPolicy {
    /// The court's name, e.g. 湖北省襄阳市中级人民法院; empty when not configured.
    pub court: String,
    /// Size and count limits of one filing.
    pub limits: Limits,
    /// The kinds of filing taken, in the order lawyers are shown them.
    pub filing_kinds: Vec<FilingKind>,
    /// Fees, where the court charges them.
    pub fees: Vec<Fee>,
    /// The court codes (法院代字, 法〔2015〕137号) whose case numbers this hub takes, each also
    /// covering the codes that begin with it: `鄂06` takes 鄂06 and the basic courts of its city
    /// (鄂0602, …), `鄂` a whole province. Empty: any court's (the hub cannot tell its own).
    pub court_codes: Vec<String>,
}

impl Default for CourtPolicy {
    /// The default limits and [`default_filing_kinds`], no fees.
    fn default() -> Self {
        CourtPolicy {
            court: String::new(),
            limits: Limits::default(),
            filing_kinds: default_filing_kinds(),
            fees: Vec::new(),
            court_codes: Vec::new(),
        }
    }
}

/// The kinds of filing most courts take from lawyers, with the ones that may open a case.
pub fn default_filing_kinds() -> Vec<FilingKind> {
    let kind = |code: &str, name: &str, starts_case: bool| FilingKind {
        code: code.into(),
        name: name.into(),
        starts_case,
    };
    vec![
        kind("COMPLAINT", "起诉状", true),
        kind("COUNTERCLAIM", "反诉状", false),
        kind("ANSWER", "答辩状", false),
        kind("APPEAL", "上诉状", false),
        kind("EVIDENCE", "证据材料", false),
        kind("REPRESENTATION", "代理词", false),
        kind("AUTHORIZATION", "授权委托书", false),
        kind("IDENTITY", "身份证明材料", false),
        kind("APPLICATION", "申请书", true),
        kind("ENFORCEMENT", "强制执行申请书", true),
        kind("RETRIAL", "再审申请书", true),
        kind("CORRECTION", "补正材料", false),
        kind("OTHER", "其他材料", false),
    ]
}

/// Why a configured policy cannot be used; names the setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// No filing kind at all: nothing could be filed.
    #[error(
        "policy.filing_kinds is empty: list at least one kind, e.g. code = \"COMPLAINT\", name = \"起诉状\""
    )]
    NoKinds,
    /// A code that is not `A-Z 0-9 _`, or a name that is empty or too long.
    #[error("policy.filing_kinds[{index}]: {reason}")]
    BadKind {
        /// Position in the list.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// Two kinds share a code or a name.
    #[error("policy.filing_kinds: 「{0}」 appears twice")]
    Duplicate(String),
    /// A fee names a kind the policy does not list.
    #[error("policy.fees[{index}].filing_kind 「{code}」 is not a code of policy.filing_kinds")]
    FeeForUnknownKind {
        /// Position in the list.
        index: usize,
        /// The code given.
        code: String,
    },
}

impl CourtPolicy {
    /// Whether this hub takes case numbers of court code `code` ([`CourtPolicy::court_codes`]).
    pub fn takes_court(&self, code: &str) -> bool {
        self.court_codes.is_empty()
            || self
                .court_codes
                .iter()
                .any(|c| code.starts_with(c.as_str()))
    }

    /// Checks the configured lists: at least one kind, codes of `A-Z 0-9 _`, names of 1 to 32
    /// printable characters, no code or name twice, fees only for listed kinds.
    pub fn check(&self) -> Result<(), PolicyError> {
        if self.filing_kinds.is_empty() {
            return Err(PolicyError::NoKinds);
        }
        let mut seen = std::collections::HashSet::new();
        for (index, k) in self.filing_kinds.iter().enumerate() {
            let bad = |reason: &str| PolicyError::BadKind {
                index,
                reason: reason.into(),
            };
            let code_ok = !k.code.is_empty()
                && k.code.len() <= 32
                && k.code
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
            if !code_ok {
                return Err(bad("code must be 1 to 32 of A-Z, 0-9 and _"));
            }
            let n = k.name.trim();
            if n.is_empty() || n.chars().count() > 32 || crate::text::has_hidden(n) {
                return Err(bad("name must be 1 to 32 printable characters"));
            }
            for key in [k.code.clone(), n.to_string()] {
                if !seen.insert(key.clone()) {
                    return Err(PolicyError::Duplicate(key));
                }
            }
        }
        for (index, fee) in self.fees.iter().enumerate() {
            if !self.filing_kinds.iter().any(|k| k.code == fee.filing_kind) {
                return Err(PolicyError::FeeForUnknownKind {
                    index,
                    code: fee.filing_kind.clone(),
                });
            }
        }
        Ok(())
    }

    /// The kind a caller means: its name (起诉状) or its code (`COMPLAINT`, any case), trimmed.
    pub fn kind(&self, given: &str) -> Option<&FilingKind> {
        let given = given.trim();
        self.filing_kinds
            .iter()
            .find(|k| k.name == given || k.code.eq_ignore_ascii_case(given))
    }

    /// The kinds as people read them: `起诉状 (COMPLAINT), 答辩状 (ANSWER), …`.
    pub fn kinds_list(&self) -> String {
        self.filing_kinds
            .iter()
            .map(|k| format!("{} ({})", k.name, k.code))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The kinds' Chinese names, as a form lists them: 起诉状、答辩状、….
    pub fn kind_names_zh(&self) -> String {
        self.filing_kinds
            .iter()
            .map(|k| k.name.as_str())
            .collect::<Vec<_>>()
            .join("、")
    }

    /// Checks a submission's filing kind against the policy and returns the kind it names.
    /// `new_case` is a filing without a case number that corrects nothing: only a kind that
    /// [starts a case](FilingKind::starts_case) may open one.
    pub fn check_kind(&self, given: &str, new_case: bool) -> Result<&FilingKind, FieldViolation> {
        let field = "header.filing_kind";
        let given = given.trim();
        if given.is_empty() {
            return Err(FieldViolation::new(
                field,
                format!("say what is filed: one of {}", self.kinds_list()),
            )
            .zh(format!("请选择材料类型：{}", self.kind_names_zh())));
        }
        let Some(kind) = self.kind(given) else {
            let shown: String = given.chars().take(32).collect();
            return Err(FieldViolation::new(
                field,
                format!(
                    "「{shown}」 is not a kind of filing this court takes; use one of {}",
                    self.kinds_list()
                ),
            )
            .zh(format!(
                "本院网上立案不接收「{shown}」类材料；请从以下类型中选择：{}",
                self.kind_names_zh()
            )));
        };
        if new_case && !kind.starts_case {
            let starters: Vec<&str> = self
                .filing_kinds
                .iter()
                .filter(|k| k.starts_case)
                .map(|k| k.name.as_str())
                .collect();
            return Err(FieldViolation::new(
                field,
                format!(
                    "a {} belongs to a case already docketed: give its case number; a new case \
                     (网上立案) starts with {}",
                    kind.name,
                    starters.join(", ")
                ),
            )
            .zh(format!(
                "{}须提交到已立案的案件，请填写案号；网上立案请提交{}",
                kind.name,
                starters.join("、")
            )));
        }
        Ok(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_is_named_by_its_chinese_name_or_its_code() {
        let p = CourtPolicy::default();
        p.check().unwrap();
        assert_eq!(p.check_kind("起诉状", true).unwrap().code, "COMPLAINT");
        assert_eq!(p.check_kind(" complaint ", true).unwrap().name, "起诉状");
        assert_eq!(p.check_kind("答辩状", false).unwrap().code, "ANSWER");
    }

    #[test]
    fn a_refused_kind_is_explained_in_chinese_with_the_kinds_to_choose() {
        let p = CourtPolicy::default();
        let zh = |given: &str, new_case: bool| p.check_kind(given, new_case).unwrap_err().zh;
        assert_eq!(
            zh("  ", false).unwrap(),
            format!("请选择材料类型：{}", p.kind_names_zh())
        );
        assert!(
            p.kind_names_zh().starts_with("起诉状、"),
            "{}",
            p.kind_names_zh()
        );
        assert_eq!(
            zh("律师函", false).unwrap(),
            format!(
                "本院网上立案不接收「律师函」类材料；请从以下类型中选择：{}",
                p.kind_names_zh()
            )
        );
        let evidence = zh("证据材料", true).unwrap();
        assert!(
            evidence.starts_with("证据材料须提交到已立案的案件，请填写案号；网上立案请提交起诉状"),
            "{evidence}"
        );
        assert!(!evidence.contains(", "), "Chinese enumeration: {evidence}");
    }

    #[test]
    fn free_text_is_refused_with_the_list_of_kinds() {
        let p = CourtPolicy::default();
        let no = p.check_kind("complaint letter", false).unwrap_err();
        assert_eq!(no.field, "header.filing_kind");
        assert!(no.description.contains("起诉状 (COMPLAINT)"), "{no:?}");
        let empty = p.check_kind("  ", false).unwrap_err();
        assert!(empty.description.contains("say what is filed"), "{empty:?}");
        // The caller's text is quoted short, whatever its length.
        let long = p.check_kind(&"状".repeat(10_000), false).unwrap_err();
        assert!(long.description.chars().count() < 600, "{long:?}");
    }

    #[test]
    fn only_a_kind_that_starts_a_case_may_come_without_a_case_number() {
        let p = CourtPolicy::default();
        let no = p.check_kind("答辩状", true).unwrap_err();
        assert!(
            no.description.contains("give its case number") && no.description.contains("起诉状"),
            "{no:?}"
        );
        assert!(p.check_kind("强制执行申请书", true).is_ok());
    }

    #[test]
    fn a_configured_policy_with_a_bad_or_repeated_kind_is_named() {
        let mut p = CourtPolicy::default();
        p.filing_kinds.push(FilingKind {
            code: "ANSWER".into(),
            name: "答辩意见".into(),
            starts_case: false,
        });
        assert_eq!(p.check(), Err(PolicyError::Duplicate("ANSWER".into())));
        p.filing_kinds.pop();
        p.filing_kinds[0].code = "complaint".into();
        assert!(matches!(
            p.check(),
            Err(PolicyError::BadKind { index: 0, .. })
        ));
        p.filing_kinds[0].code = "COMPLAINT".into();
        p.fees.push(Fee {
            filing_kind: "APPEAL2".into(),
            description: "上诉案件受理费".into(),
            amount_fen: 0,
        });
        let e = p.check().unwrap_err();
        assert!(e.to_string().contains("policy.fees[0].filing_kind"), "{e}");
        p.filing_kinds.clear();
        assert_eq!(p.check(), Err(PolicyError::NoKinds));
    }
}
