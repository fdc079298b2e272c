//! 转: which department queue a filing goes to. Rules come from configuration; first match wins.

use crate::case_number::CaseNumber;
use serde::{Deserialize, Serialize};

/// One routing rule; every field that is set must match, unset fields match anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RoutingRule {
    /// The department queue to route to, e.g. `民事审判第一庭`.
    pub department: String,
    /// Case category (`civil`, `criminal`, ...) of the filing's case number.
    #[serde(default)]
    pub case_category: Option<String>,
    /// Prefix of the case type, e.g. `民` or `民终`.
    #[serde(default)]
    pub case_type_prefix: Option<String>,
    /// Exact court code, e.g. `鄂06`.
    #[serde(default)]
    pub court_code: Option<String>,
    /// Exact filing kind, e.g. `起诉状`.
    #[serde(default)]
    pub filing_kind: Option<String>,
    /// Matches only filings without a case number (new cases), when true.
    #[serde(default)]
    pub new_case: Option<bool>,
}

/// The result of routing: recorded as an event, so a route can be explained later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Department queue.
    pub department: String,
    /// Index of the rule that matched; `None` means the default department.
    pub rule: Option<usize>,
}

/// An ordered rule list with a default department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingTable {
    /// Rules, tried in order.
    #[serde(default)]
    pub rules: Vec<RoutingRule>,
    /// Where filings go that no rule matches.
    pub default_department: String,
}

impl Default for RoutingTable {
    /// A typical intermediate court: new cases to 立案庭, then by case category.
    fn default() -> Self {
        let rule = |department: &str, category: &str| RoutingRule {
            department: department.into(),
            case_category: Some(category.into()),
            ..RoutingRule::default()
        };
        RoutingTable {
            rules: vec![
                RoutingRule {
                    department: "立案庭".into(),
                    new_case: Some(true),
                    ..RoutingRule::default()
                },
                rule("刑事审判庭", "criminal"),
                rule("民事审判庭", "civil"),
                rule("行政审判庭", "administrative"),
                rule("执行局", "enforcement"),
                rule("知识产权审判庭", "intellectual_property"),
            ],
            default_department: "立案庭".into(),
        }
    }
}

impl RoutingTable {
    /// Picks the department for a filing.
    pub fn route(&self, case: Option<&CaseNumber>, filing_kind: &str) -> Route {
        for (i, rule) in self.rules.iter().enumerate() {
            if Self::matches(rule, case, filing_kind) {
                return Route {
                    department: rule.department.clone(),
                    rule: Some(i),
                };
            }
        }
        Route {
            department: self.default_department.clone(),
            rule: None,
        }
    }

    /// Names of every department a filing can reach, for validating queue requests.
    pub fn departments(&self) -> Vec<String> {
        let mut all: Vec<String> = self.rules.iter().map(|r| r.department.clone()).collect();
        all.push(self.default_department.clone());
        all.sort();
        all.dedup();
        all
    }

    fn matches(rule: &RoutingRule, case: Option<&CaseNumber>, filing_kind: &str) -> bool {
        if rule
            .new_case
            .is_some_and(|new_case| new_case != case.is_none())
        {
            return false;
        }
        if rule.filing_kind.as_ref().is_some_and(|k| k != filing_kind) {
            return false;
        }
        let needs_case = rule.case_category.is_some()
            || rule.case_type_prefix.is_some()
            || rule.court_code.is_some();
        if !needs_case {
            return true;
        }
        let Some(case) = case else { return false };
        rule.case_category
            .as_ref()
            .is_none_or(|c| c == case.category().as_str())
            && rule
                .case_type_prefix
                .as_ref()
                .is_none_or(|p| case.case_type.starts_with(p.as_str()))
            && rule
                .court_code
                .as_ref()
                .is_none_or(|c| c == &case.court_code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_table_routes_by_category_and_new_cases_to_the_filing_division() {
        let table = RoutingTable::default();
        let civil = CaseNumber::parse("（2026）鄂06民初123号").unwrap();
        let criminal = CaseNumber::parse("（2026）鄂06刑初5号").unwrap();
        assert_eq!(table.route(Some(&civil), "答辩状").department, "民事审判庭");
        assert_eq!(
            table.route(Some(&criminal), "辩护词").department,
            "刑事审判庭"
        );
        assert_eq!(
            table.route(None, "起诉状"),
            Route {
                department: "立案庭".into(),
                rule: Some(0)
            }
        );
        let other = CaseNumber::parse("（2026）鄂06司救民1号").unwrap();
        assert_eq!(
            table.route(Some(&other), "申请书"),
            Route {
                department: "立案庭".into(),
                rule: None
            }
        );
    }

    #[test]
    fn first_matching_rule_wins_and_all_set_fields_must_match() {
        let table = RoutingTable {
            rules: vec![
                RoutingRule {
                    department: "民一庭".into(),
                    case_type_prefix: Some("民终".into()),
                    court_code: Some("鄂06".into()),
                    ..Default::default()
                },
                RoutingRule {
                    department: "民二庭".into(),
                    case_category: Some("civil".into()),
                    ..Default::default()
                },
                RoutingRule {
                    department: "证据室".into(),
                    filing_kind: Some("证据材料".into()),
                    ..Default::default()
                },
            ],
            default_department: "立案庭".into(),
        };
        let appeal = CaseNumber::parse("（2026）鄂06民终7号").unwrap();
        let other_court = CaseNumber::parse("（2026）鄂05民终7号").unwrap();
        assert_eq!(table.route(Some(&appeal), "上诉状").department, "民一庭");
        assert_eq!(
            table.route(Some(&other_court), "上诉状").department,
            "民二庭"
        );
        assert_eq!(table.route(None, "证据材料").department, "证据室");
        assert_eq!(table.route(None, "起诉状").department, "立案庭");
    }
}
