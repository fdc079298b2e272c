//! The court-code table judged by case numbers courts actually printed: every 案号 in the public
//! LeCaRD and LeCaRDv2 judgments (read from ../shared/data, not copied), numbered under the 2016
//! rules. A table that only knew the codes its authors thought of would fail here.

use ecenter_domain::CaseNumber;
use ecenter_domain::court_code::{CourtCodeCheck, court_code};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn shared_data() -> PathBuf {
    std::env::var_os("ECENTER_SHARED_DATA").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
        PathBuf::from,
    )
}

/// Every text between an opening bracket and the next 号 that parses as a case number of 2016 or
/// later (the year 法〔2015〕137号 took effect).
fn case_numbers(text: &str) -> Vec<CaseNumber> {
    let mut found = Vec::new();
    for (start, _) in text.match_indices(['（', '(']) {
        let rest = &text[start..];
        let Some(end) = rest.char_indices().take(24).find(|(_, c)| *c == '号') else {
            continue;
        };
        match CaseNumber::parse(&rest[..end.0 + '号'.len_utf8()]) {
            Ok(case) if case.year >= 2016 => found.push(case),
            _ => {}
        }
    }
    found
}

#[test]
fn court_codes_printed_on_real_judgments_are_in_the_table() {
    let mut codes = BTreeSet::new();
    for file in [
        "lecard/candidates.jsonl",
        "lecard/queries.jsonl",
        "lecardv2/judgments.jsonl",
    ] {
        let path = shared_data().join(file);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (../shared/data beside the project, or set ECENTER_SHARED_DATA)",
                path.display()
            )
        });
        codes.extend(case_numbers(&text).into_iter().map(|c| c.court_code));
    }
    let unknown: Vec<&String> = codes.iter().filter(|c| court_code(c).is_none()).collect();
    assert!(
        codes.len() >= 100,
        "only {} distinct court codes found",
        codes.len()
    );
    // A few specialised courts (forest-district courts such as 吉75xx) and divisions created after
    // the table's last GB/T 2260 revision are expected to be missing; they are flagged, not refused.
    assert!(
        unknown.len() * 20 <= codes.len(),
        "{} of {} court codes unknown: {unknown:?}",
        unknown.len(),
        codes.len()
    );
}

#[test]
fn a_case_number_of_a_real_court_is_not_flagged() {
    let case = CaseNumber::parse("（2019）云01刑终123号").unwrap();
    assert!(
        matches!(case.court_code_check(), CourtCodeCheck::Known(e) if e.stands_for == "云南省昆明市")
    );
    assert!(case.court_code_flag().is_none());
}
