//! `clerk verify-export`: checks a case's evidence as `clerk export` wrote it, offline, so a court
//! receiving the directory can rely on it without the hub.
//!
//! What is checked, each a line of the report (exit 0 only when none fails):
//! - `manifest_signature`: `manifest.p7s` is a detached CMS signature over `manifest.json` whose
//!   signer's login certificate (clientAuth) chains to `--trust` (the clerk who exported it is
//!   named);
//! - `files`: every file the manifest lists is there with its size and SHA-256, and no other file
//!   is (a file added to the directory is no part of the signed evidence);
//! - `log_entries`: each line of `events.jsonl` hashes to its `hash`, names its own `seq` and
//!   `prev_hash`, and links to the entry before it where the two are consecutive;
//! - `proof …`: each proof of service verifies (`clerk verify-proof`'s checks, against `--trust`);
//! - `report …`: each report copy is named by its own SHA-256;
//! - `bound_to_log`: each proof file is the version the log's `proof_issued` entries name for its
//!   order and recipient (newest as `ORDER-R1.json`, earlier as `.vN.json`), none is missing, each
//!   report copy belongs to the recipient whose log entries name it, and every copy a log entry or
//!   a proof names is there (`export_binding.rs`).

use super::*;
use ecenter_seal::{Check, SubIndication};
use serde_json::Value;

// `clerk verify-export`: the export to check and the anchors to check it against.
#[derive(Debug, clap::Args)]
pub(super) struct VerifyExportArgs {
    /// The directory `clerk export --out` wrote.
    dir: PathBuf,
    /// Trust anchor(s) (PEM or DER): the court's root, which certifies the clerks and the hub's signer.
    #[arg(long, required = true)]
    trust: Vec<PathBuf>,
    /// Intermediate CA certificates (PEM or DER) that may complete chains, besides those the signatures
    /// carry.
    #[arg(long)]
    intermediate: Vec<PathBuf>,
    /// Pass proofs without a signature timestamp (the proofs of a hub without a TSA).
    #[arg(long)]
    allow_no_timestamp: bool,
    /// One JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

/// Runs `clerk verify-export`; `Ok(true)` when every check passed.
pub(super) fn run_verify_export(a: VerifyExportArgs) -> Result<bool> {
    let trust = trust_stores(&a.trust, &[], &a.intermediate, &[])?;
    let manifest_path = a.dir.join("manifest.json");
    let manifest_bytes =
        std::fs::read(&manifest_path).with_context(|| manifest_path.display().to_string())?;
    // A manifest altered into something that is not JSON is evidence that does not verify (exit
    // 1, like any other alteration), not a usage error (outside tests, round 20, m4).
    let (manifest, readable) = match serde_json::from_slice::<Value>(&manifest_bytes) {
        Ok(m) => (m, None),
        Err(e) => (
            Value::Null,
            Some(failed(
                "manifest",
                format!("manifest.json is not JSON: {e}"),
            )),
        ),
    };
    let mut checks = vec![manifest_signature(&a.dir, &manifest_bytes, &trust)?];
    checks.extend(readable);
    let listed = listed_files(&manifest);
    checks.push(files_check(&a.dir, &listed)?);
    checks.push(log_check(&a.dir));
    checks.extend(proof_checks(&a.dir, &listed, &trust, a.allow_no_timestamp));
    checks.extend(report_checks(&a.dir, &listed));
    checks.push(super::export_binding::binding_check(&a.dir, &listed));
    let passed = checks
        .iter()
        .all(|c| !matches!(c.status, CheckStatus::Failed(_)));
    print_report(&a.dir, &manifest, &checks, passed, a.json);
    Ok(passed)
}

/// The manifest's detached signature, its signer chained to the trust anchors.
fn manifest_signature(dir: &Path, manifest: &[u8], trust: &TrustStores) -> Result<Check> {
    let p7s = dir.join("manifest.p7s");
    let cms = std::fs::read(&p7s).with_context(|| p7s.display().to_string())?;
    let now = std::time::SystemTime::now();
    // A clerk signs the manifest with the login certificate that names them (clientAuth), so its
    // chain is checked for that purpose, not for signing documents.
    let report = ecenter_seal::cades::verify_detached_for(
        &cms,
        &[manifest],
        trust,
        (now, now),
        ecenter_seal::cades::CLIENT_AUTH_EKU,
    );
    let failed = report
        .checks
        .iter()
        .find(|c| matches!(c.status, CheckStatus::Failed(_)));
    Ok(match failed {
        Some(c) => Check {
            name: "manifest_signature",
            status: c.status.clone(),
            detail: format!("{}: {}", c.name, c.detail),
        },
        None => Check {
            name: "manifest_signature",
            status: CheckStatus::Passed,
            detail: format!(
                "signed by {} with the clerk's login certificate",
                report.signer.as_deref().unwrap_or("an unnamed signer")
            ),
        },
    })
}

/// The files the manifest lists: path, size and SHA-256.
fn listed_files(manifest: &Value) -> Vec<(String, u64, String)> {
    (manifest["files"].as_array().into_iter().flatten())
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default().to_string(),
                f["size"].as_u64().unwrap_or(u64::MAX),
                f["sha256"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn failed(name: &'static str, detail: String) -> Check {
    ecenter_seal::check(name, Err((SubIndication::HashFailure, detail)))
}

fn passed(name: &'static str, detail: String) -> Check {
    ecenter_seal::check(name, Ok(detail))
}

/// Every listed file is there as listed, and nothing else is in the directory.
fn files_check(dir: &Path, listed: &[(String, u64, String)]) -> Result<Check> {
    let mut problems = Vec::new();
    for (i, (path, size, sha256)) in listed.iter().enumerate() {
        if listed[..i].iter().any(|(p, _, _)| p == path) {
            problems.push(format!("the manifest lists {path} twice"));
            continue;
        }
        if path.is_empty() || path.split('/').any(|p| matches!(p, "" | "." | "..")) {
            problems.push(format!(
                "the manifest lists 「{path}」, which is no file of the export"
            ));
            continue;
        }
        if std::fs::symlink_metadata(dir.join(path)).is_ok_and(|m| m.file_type().is_symlink()) {
            problems.push(format!("{path}: a symbolic link, not a file of the export"));
            continue;
        }
        match std::fs::read(dir.join(path)) {
            Err(e) => problems.push(format!("{path}: {e}")),
            Ok(data) if data.len() as u64 != *size => problems.push(format!(
                "{path}: {} bytes, the manifest says {size}",
                data.len()
            )),
            Ok(data) if hex::encode(ecenter_store::chain::sha256(&data)) != *sha256 => {
                problems.push(format!("{path}: its SHA-256 is not the manifest's"));
            }
            Ok(_) => {}
        }
    }
    for extra in unlisted(dir, listed)? {
        problems.push(format!(
            "{extra}: in the directory but not in the signed manifest"
        ));
    }
    Ok(if problems.is_empty() {
        passed(
            "files",
            format!("{} file(s) as the manifest lists them", listed.len()),
        )
    } else {
        failed("files", problems.join("; "))
    })
}

/// Files under `dir` the manifest does not list (the manifest and its signature aside).
fn unlisted(dir: &Path, listed: &[(String, u64, String)]) -> Result<Vec<String>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        let mut empty = true;
        for entry in std::fs::read_dir(&d).with_context(|| d.display().to_string())? {
            let path = entry?.path();
            empty = false;
            if std::fs::symlink_metadata(&path)?.is_dir() {
                pending.push(path);
                continue;
            }
            let name = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .to_string_lossy()
                .to_string();
            let known = matches!(name.as_str(), "manifest.json" | "manifest.p7s")
                || listed.iter().any(|(p, _, _)| *p == name);
            if !known {
                found.push(name);
            }
        }
        if empty && d != dir {
            found.push(format!("{}/", d.strip_prefix(dir).unwrap_or(&d).display()));
        }
    }
    found.sort();
    Ok(found)
}

/// Each log entry of `events.jsonl` against its own hash, and consecutive ones against each other.
fn log_check(dir: &Path) -> Check {
    let Ok(text) = std::fs::read_to_string(dir.join("events.jsonl")) else {
        return failed("log_entries", "events.jsonl is missing or not UTF-8".into());
    };
    let mut problems = Vec::new();
    let mut before: Option<(u64, String)> = None;
    let mut count = 0;
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        count += 1;
        match entry_problem(line, before.as_ref()) {
            Ok(entry) => before = Some(entry),
            Err(why) => problems.push(format!("line {}: {why}", n + 1)),
        }
    }
    if problems.is_empty() {
        passed(
            "log_entries",
            format!("{count} entr(ies), each hashing to its hash"),
        )
    } else {
        failed("log_entries", problems.join("; "))
    }
}

/// One exported entry checked: its body hashes to `hash` and names `seq` and `prev_hash`; when it
/// follows `before` directly, it links to it. Returns its seq and hash.
fn entry_problem(line: &str, before: Option<&(u64, String)>) -> Result<(u64, String), String> {
    let e: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let (seq, hash, prev) = (
        e["seq"].as_u64(),
        e["hash"].as_str(),
        e["prev_hash"].as_str(),
    );
    let (Some(seq), Some(hash), Some(prev), Some(body)) = (seq, hash, prev, e["body"].as_str())
    else {
        return Err("an entry needs seq, hash, prev_hash and body".into());
    };
    if hex::encode(ecenter_store::chain::sha256(body.as_bytes())) != hash {
        return Err(format!("entry {seq}: its body does not hash to {hash}"));
    }
    let parsed: Value = serde_json::from_str(body).map_err(|e| format!("entry {seq}: {e}"))?;
    if parsed["seq"].as_u64() != Some(seq) || parsed["prev"].as_str() != Some(prev) {
        return Err(format!(
            "entry {seq}: its body names another seq or previous hash"
        ));
    }
    match before {
        Some((s, h)) if s + 1 == seq && h != prev => Err(format!(
            "entry {seq} links to {prev}, but entry {s} before it has hash {h}"
        )),
        _ => Ok((seq, hash.to_string())),
    }
}

/// Each listed proof (`proofs/*.json` with its `.p7s`) verified as `clerk verify-proof` does.
fn proof_checks(
    dir: &Path,
    listed: &[(String, u64, String)],
    trust: &TrustStores,
    allow_no_timestamp: bool,
) -> Vec<Check> {
    let proofs = listed
        .iter()
        .filter(|(p, _, _)| p.starts_with("proofs/") && p.ends_with(".json"));
    proofs
        .map(|(path, _, _)| {
            let document = std::fs::read(dir.join(path)).unwrap_or_default();
            let cms = std::fs::read(dir.join(path.replace(".json", ".p7s"))).unwrap_or_default();
            let now = std::time::SystemTime::now();
            let mut checks =
                ecenter_seal::cades::verify_detached(&cms, &[&document], trust, (now, now)).checks;
            timestamp_required(&mut checks, untimestamped(allow_no_timestamp));
            let bad = checks
                .iter()
                .find(|c| matches!(c.status, CheckStatus::Failed(_)));
            Check {
                name: "proof",
                status: bad.map_or(CheckStatus::Passed, |c| c.status.clone()),
                detail: match bad {
                    Some(c) => format!("{path}: {}: {}", c.name, c.detail),
                    None => format!("{path}: signature, chain and timestamp verified"),
                },
            }
        })
        .collect()
}

/// Each report copy (`reports/<order>-<recipient>/<sha256>.eml`) is named by its own digest.
fn report_checks(dir: &Path, listed: &[(String, u64, String)]) -> Vec<Check> {
    let reports = listed.iter().filter(|(p, _, _)| p.starts_with("reports/"));
    reports
        .map(|(path, _, _)| {
            let named = path
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .trim_end_matches(".eml");
            let data = std::fs::read(dir.join(path)).unwrap_or_default();
            let actual = hex::encode(ecenter_store::chain::sha256(&data));
            if actual == named {
                passed("report", format!("{path}: the copy the hub kept"))
            } else {
                failed(
                    "report",
                    format!("{path}: its SHA-256 is {actual}, not its name"),
                )
            }
        })
        .collect()
}

/// The report, as a table or one JSON object.
fn print_report(dir: &Path, manifest: &Value, checks: &[Check], passed: bool, json: bool) {
    let indication = if passed { "PASSED" } else { "FAILED" };
    if json {
        let checks: Vec<Value> = (checks.iter())
            .map(|c| serde_json::json!({"name": c.name, "status": status_name(&c.status), "detail": c.detail}))
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "dir": dir.display().to_string(), "indication": indication,
                "case_number": manifest["case_number"], "exported_at": manifest["exported_at"],
                "checks": checks,
            })
        );
        return;
    }
    println!("{}: {indication}", dir.display());
    // People read Beijing time as the other clerk tables show it; the manifest keeps the instant.
    let exported = manifest["exported_at"].as_str().unwrap_or("");
    let exported = chrono::DateTime::parse_from_rfc3339(exported)
        .map_or(exported.to_string(), |t| {
            ecenter_domain::time::beijing_time(t.with_timezone(&chrono::Utc))
        });
    println!(
        "  {} · exported {exported}",
        manifest["case_number"].as_str().unwrap_or(""),
    );
    let mut table = Table::headless().indented("  ");
    for c in checks {
        table.row([
            c.name,
            &status_name(&c.status),
            &crate::printable(&c.detail),
        ]);
    }
    table.print();
}
