//! `clerk verify-ofd`: the seals of an OFD judged offline, as a table for people or JSON.

use super::verify::{indication_name, print_checks, report_json};
use anyhow::{Context, Result};
use ecenter_seal::{Indication, TrustStores, Verifier};
use std::path::Path;

/// Prints the verdict on every seal of `file`; true when it has seals and all pass.
pub(super) fn verify_ofd(file: &Path, trust: TrustStores, json: bool) -> Result<bool> {
    let ofd = std::fs::read(file).with_context(|| file.display().to_string())?;
    let verifier = Verifier::new(trust);
    let seals = match ecenter_ofdseal::verify_ofd(&ofd, &verifier, std::time::SystemTime::now()) {
        Ok(seals) => seals,
        // A package no verifier can judge (two archives in one file, entries sharing a name,
        // XML that does not parse) is not valid: exit 1 with why, as for a failed seal.
        Err(why) => return Ok(refused(file, &why, json)),
    };
    let passed = !seals.is_empty()
        && seals
            .iter()
            .all(|s| s.report.indication == Indication::Passed);
    if json {
        let list: Vec<serde_json::Value> = seals
            .iter()
            .map(|s| {
                let named = serde_json::json!({
                    "id": s.id,
                    "signature": s.signature_path,
                    "page": s.page,
                    "boundary_mm": s.boundary,
                    "seal": s.report.seal_name,
                });
                report_json(named, &s.report)
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({"file": file.display().to_string(), "passed": passed, "seals": list})
        );
        return Ok(passed);
    }
    println!(
        "{}: {} ({} seal{})",
        file.display(),
        if passed {
            "PASSED"
        } else if seals.is_empty() {
            "NO SEAL"
        } else {
            "NOT PASSED"
        },
        seals.len(),
        if seals.len() == 1 { "" } else { "s" }
    );
    for s in &seals {
        println!(
            "\n#{} {} — {} — seal: {} — signer: {} — page {}",
            s.id,
            s.signature_path,
            indication_name(s.report.indication),
            s.report.seal_name.as_deref().unwrap_or("unknown"),
            s.report.signer.as_deref().unwrap_or("unknown"),
            s.page.map_or("?".to_string(), |p| p.to_string()),
        );
        print_checks(&s.report.checks);
    }
    Ok(passed)
}

/// Says the OFD was refused before any seal could be judged; always false (not valid).
fn refused(file: &Path, why: &ecenter_ofdseal::OfdError, json: bool) -> bool {
    if json {
        println!(
            "{}",
            serde_json::json!({"file": file.display().to_string(), "passed": false, "seals": [], "refused": why.to_string()})
        );
    } else {
        println!(
            "{}: NOT PASSED — refused before any seal was judged",
            file.display()
        );
        println!("  {why}");
    }
    false
}
