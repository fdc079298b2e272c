//! The public similar-case benchmark beside the project (`../shared/data/lecardv2`, read in place,
//! never copied): shared by the tests that index real judgments (included by path where a test
//! does not use the rest of `common`).

/// `lecardv2/judgments.jsonl` (from `ECENTER_SHARED_DATA`, else `../shared/data` beside the
/// project): its path and its rows.
pub fn lecard_judgments() -> (String, Vec<serde_json::Value>) {
    let data = std::env::var("ECENTER_SHARED_DATA").unwrap_or_else(|_| {
        format!(
            "{}/../shared/data",
            std::env::var("CARGO_MANIFEST_DIR")
                .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
        )
    });
    let path = format!("{data}/lecardv2/judgments.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("{path}: {e} (../shared/data beside the project, or set ECENTER_SHARED_DATA)")
    });
    let rows = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (path, rows)
}
