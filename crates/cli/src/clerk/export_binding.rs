//! The proofs and report copies of an export bound to its log entries: a clerk who re-signs a
//! manifest can leave files out or rename them, but not make the hub's own records agree.
//!
//! From `events.jsonl` (each entry already checked against its hash): every `proof_issued` entry
//! names an order, a recipient, a version and the SHA-256 of the proof document; every
//! `delivery_reported` and `report_set_aside` entry that kept a copy names its SHA-256. The export
//! must hold, for each recipient, every version under its name (the newest as
//! `proofs/ORDER-R1.json`, each earlier as `….vN.json`) with those bytes, and every copy under
//! `reports/ORDER-R1/`; and nothing under `proofs/` or `reports/` the entries do not name. The
//! copies each proof itself names (`delivery_reports`, `reviewed_reports`) must be there too, so a
//! report left out together with its entry is still missed when a signed proof lists it.

use super::*;
use ecenter_domain::Event;
use ecenter_domain::service::RecipientEvent;
use ecenter_seal::{Check, SubIndication};
use std::collections::{BTreeMap, BTreeSet};

/// What the log entries name for one recipient (`ORDER-R1`).
#[derive(Default)]
struct Named {
    /// Version → SHA-256 of the proof document.
    proofs: BTreeMap<u32, String>,
    /// SHA-256 of each report copy kept.
    reports: BTreeSet<String>,
}

/// The `bound_to_log` check of an export in `dir` listing `listed`.
pub(super) fn binding_check(dir: &Path, listed: &[(String, u64, String)]) -> Check {
    let named = match named_by_log(dir) {
        Ok(named) => named,
        Err(why) => return failed(why),
    };
    let mut problems = Vec::new();
    let files: BTreeMap<&str, &str> = (listed.iter())
        .map(|(p, _, sha)| (p.as_str(), sha.as_str()))
        .collect();
    for (who, n) in &named {
        expected_files(who, n, &files, &mut problems);
        for sha in copies_proofs_name(dir, who, n) {
            if !files.contains_key(format!("reports/{who}/{sha}.eml").as_str()) {
                problems.push(format!(
                    "a proof of {who} names report copy {sha}, which the export lacks"
                ));
            }
        }
    }
    for path in files.keys() {
        if (path.starts_with("proofs/") || path.starts_with("reports/")) && !expected(path, &named)
        {
            problems.push(format!("{path}: no log entry of the export names it here"));
        }
    }
    if problems.is_empty() {
        let versions: usize = named.values().map(|n| n.proofs.len()).sum();
        let reports: usize = named.values().map(|n| n.reports.len()).sum();
        let detail = format!(
            "{versions} proof version(s) and {reports} report copy(ies), each where the log entries name it"
        );
        ecenter_seal::check("bound_to_log", Ok(detail))
    } else {
        failed(problems.join("; "))
    }
}

fn failed(detail: String) -> Check {
    ecenter_seal::check("bound_to_log", Err((SubIndication::HashFailure, detail)))
}

/// What the exported log entries name, per recipient (`ORDER-R1`).
fn named_by_log(dir: &Path) -> Result<BTreeMap<String, Named>, String> {
    let text = std::fs::read_to_string(dir.join("events.jsonl"))
        .map_err(|e| format!("events.jsonl: {e}"))?;
    let mut named: BTreeMap<String, Named> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let entry: serde_json::Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
        let Some(body) = entry["body"].as_str() else {
            continue;
        };
        let Ok(body) = serde_json::from_str::<ecenter_store::chain::EntryBody>(body) else {
            return Err(format!(
                "entry {}: not an entry this clerk reads",
                entry["seq"]
            ));
        };
        let Event::Service {
            order_id,
            recipient_id,
            event,
        } = body.event
        else {
            continue;
        };
        let n = named
            .entry(format!("{order_id}-{recipient_id}"))
            .or_default();
        match event {
            RecipientEvent::ProofIssued(p) => {
                n.proofs.insert(p.version, p.document_sha256);
            }
            RecipientEvent::DeliveryReported {
                source: Some(s), ..
            } => {
                n.reports.insert(s.kept_sha256);
            }
            RecipientEvent::ReportSetAside(u) => {
                n.reports.extend(u.source.map(|s| s.kept_sha256));
            }
            RecipientEvent::ReadReported {
                source: Some(s), ..
            } => {
                n.reports.insert(s.kept_sha256);
            }
            _ => {}
        }
    }
    Ok(named)
}

/// The files one recipient's entries call for, checked against those listed.
fn expected_files(who: &str, n: &Named, files: &BTreeMap<&str, &str>, problems: &mut Vec<String>) {
    let newest = n.proofs.keys().max().copied();
    for (version, sha) in &n.proofs {
        let path = proof_path(who, *version, newest);
        match files.get(path.as_str()) {
            None => problems.push(format!(
                "{path}: proof version {version} of {who}, named in the log, is missing"
            )),
            Some(listed) if listed != sha => problems.push(format!(
                "{path}: not proof version {version} of {who} as the log names it (SHA-256 {sha})"
            )),
            Some(_) => {}
        }
    }
    for sha in &n.reports {
        let path = format!("reports/{who}/{sha}.eml");
        if !files.contains_key(path.as_str()) {
            problems.push(format!(
                "{path}: a report copy of {who}, named in the log, is missing"
            ));
        }
    }
}

/// Where version `version` of `who`'s proof lies in an export whose newest is `newest`.
fn proof_path(who: &str, version: u32, newest: Option<u32>) -> String {
    if Some(version) == newest {
        format!("proofs/{who}.json")
    } else {
        format!("proofs/{who}.v{version}.json")
    }
}

/// Whether `path` (under `proofs/` or `reports/`) is a file the entries call for.
fn expected(path: &str, named: &BTreeMap<String, Named>) -> bool {
    named.iter().any(|(who, n)| {
        let newest = n.proofs.keys().max().copied();
        let proof = n.proofs.keys().any(|v| {
            let json = proof_path(who, *v, newest);
            path == json || path == json.replace(".json", ".p7s")
        });
        proof
            || n.reports
                .iter()
                .any(|sha| path == format!("reports/{who}/{sha}.eml"))
    })
}

/// The report copies `who`'s proofs in the export name (`delivery_reports`, `reviewed_reports`).
fn copies_proofs_name(dir: &Path, who: &str, n: &Named) -> BTreeSet<String> {
    let newest = n.proofs.keys().max().copied();
    let mut named = BTreeSet::new();
    for version in n.proofs.keys() {
        let Ok(bytes) = std::fs::read(dir.join(proof_path(who, *version, newest))) else {
            continue;
        };
        let proof: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        for list in ["delivery_reports", "reviewed_reports"] {
            for r in proof[list].as_array().into_iter().flatten() {
                named.extend(r["kept_sha256"].as_str().map(str::to_string));
            }
        }
    }
    named
}
