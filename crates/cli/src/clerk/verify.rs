//! `clerk verify-pdf`, `verify-proof` and `proof`: sealed PDFs and proofs of service judged
//! offline against the trust anchors the clerk names, as tables for people or JSON.

use super::*;
use ecenter_domain::service::PROOF_TITLE;

pub(super) fn status_name(s: &CheckStatus) -> String {
    match s {
        CheckStatus::Passed => "PASSED".into(),
        CheckStatus::Failed(sub) => format!("FAILED ({sub})"),
        CheckStatus::NotApplicable => "n/a".into(),
    }
}

pub(super) fn indication_name(i: Indication) -> &'static str {
    match i {
        Indication::Passed => "PASSED",
        Indication::Failed => "FAILED",
        Indication::Indeterminate => "INDETERMINATE",
    }
}

pub(super) fn verify_pdf(file: &Path, trust: TrustStores, json: bool) -> Result<bool> {
    let pdf = std::fs::read(file).with_context(|| file.display().to_string())?;
    let report = ecenter_pdfseal::verify_pdf(&pdf, &trust, std::time::SystemTime::now())
        .with_context(|| file.display().to_string())?;
    let passed = report.indication == Indication::Passed;
    if json {
        let signatures: Vec<serde_json::Value> = report
            .signatures
            .iter()
            .map(|s| {
                report_json(
                    serde_json::json!({"field": s.field, "byte_range": s.byte_range}),
                    &s.report,
                )
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "file": file.display().to_string(),
                "indication": indication_name(report.indication),
                "signatures": signatures,
            })
        );
        return Ok(passed);
    }
    println!(
        "{}: {} ({} signature{})",
        file.display(),
        indication_name(report.indication),
        report.signatures.len(),
        if report.signatures.len() == 1 {
            ""
        } else {
            "s"
        }
    );
    if report.signatures.is_empty() {
        println!("  the PDF carries no signature");
    }
    if !ends_with_eof_marker(&pdf) {
        println!(
            "  the file does not end with %%EOF (ISO 32000-1 §7.5.5): it looks cut short or damaged — ask for it again"
        );
    }
    for (i, s) in report.signatures.iter().enumerate() {
        println!(
            "\n#{} {} — {} — signer: {}",
            i + 1,
            if s.field.is_empty() {
                "(no field)"
            } else {
                &s.field
            },
            indication_name(s.report.indication),
            s.report.signer.as_deref().unwrap_or("unknown")
        );
        println!("  {}", signing_time_said(&s.report));
        print_checks(&s.report.checks);
    }
    Ok(passed)
}

/// When the signature was made, as a valid RFC 3161 timestamp proves it; `None` without one
/// (the report's own time is then the time of checking, which proves nothing of the signing).
fn proven_signing_time(report: &ecenter_seal::ValidationReport) -> Option<prost_types::Timestamp> {
    let stamped = report
        .check("timestamp")
        .is_some_and(|c| c.status == CheckStatus::Passed);
    stamped
        .then_some(report.signing_time?)
        .map(prost_types::Timestamp::from)
}

/// The signing time for people: the central fact of a signature for a court (outside tests,
/// round 22b, F9: the reports never said it).
fn signing_time_said(report: &ecenter_seal::ValidationReport) -> String {
    match proven_signing_time(report) {
        Some(t) => format!(
            "signed at {} (Beijing time), as its RFC 3161 timestamp proves / 签署时间",
            ecenter_client::beijing(Some(&t))
        ),
        None => "when it was signed is not proven: it carries no valid signature timestamp / 签署时间未经时间戳证明".into(),
    }
}

/// A report's checks as a table for people: name, status, detail.
pub(super) fn print_checks(checks: &[ecenter_seal::Check]) {
    let mut table = Table::headless().indented("  ");
    for c in checks {
        table.row([c.name, &status_name(&c.status), &c.detail]);
    }
    table.print();
}

/// A signature's or seal's report for scripts: `named` (what names the signature or seal) with
/// its signer, indication, sub-indication and checks.
pub(super) fn report_json(
    mut named: serde_json::Value,
    report: &ecenter_seal::ValidationReport,
) -> serde_json::Value {
    named["signer"] = serde_json::json!(report.signer);
    named["indication"] = serde_json::json!(indication_name(report.indication));
    named["sub_indication"] = serde_json::json!(
        report
            .sub_indication
            .map(ecenter_seal::SubIndication::as_str)
    );
    let signed_at = proven_signing_time(report);
    named["signing_time"] = serde_json::json!(ecenter_client::beijing_rfc3339(signed_at.as_ref()));
    named["signing_time_proven_by"] =
        serde_json::json!(signed_at.map(|_| "RFC 3161 signature timestamp"));
    named["checks"] = serde_json::json!(checks_json(&report.checks));
    named
}

/// A report's checks for `--json`.
pub(super) fn checks_json(checks: &[ecenter_seal::Check]) -> Vec<serde_json::Value> {
    checks
        .iter()
        .map(|c| serde_json::json!({"name": c.name, "status": status_name(&c.status), "detail": c.detail}))
        .collect()
}

/// A saved proof of service to verify offline: the JSON, its detached signature, and the hub's
/// proof signer (`[seals] signer_cert`, DER certificates: several across a renewal).
pub(super) struct SavedProof<'a> {
    pub file: &'a Path,
    pub signature: &'a Path,
    pub signers: Vec<Vec<u8>>,
    /// A proof without a signature timestamp passes (`--allow-no-timestamp`: a hub without a
    /// TSA issues such proofs); otherwise it fails.
    pub untimestamped: Untimestamped,
}

/// What a proof without a signature timestamp is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Untimestamped {
    /// Failed: its time of issue would rest on the signer's word alone, and a key that leaked
    /// later could sign a back-dated proof.
    Refused,
    /// Passed, saying so (the proofs of a hub without a TSA).
    Allowed,
}

/// Fails a `timestamp` check that found no timestamp, unless `untimestamped` allows it.
pub(super) fn timestamp_required(checks: &mut [ecenter_seal::Check], untimestamped: Untimestamped) {
    let missing = checks
        .iter_mut()
        .find(|c| c.name == "timestamp" && matches!(c.status, CheckStatus::NotApplicable));
    if let (Some(c), Untimestamped::Refused) = (missing, untimestamped) {
        c.status = CheckStatus::Failed(ecenter_seal::SubIndication::SigConstraintsFailure);
        c.detail = "no signature timestamp (RFC 3161): the time of issue rests on the signer's \
                    word alone, and a hub with a TSA timestamps every proof; give \
                    --allow-no-timestamp for the proofs of a hub without one"
            .into();
    }
}

pub(super) fn verify_proof(saved: &SavedProof, trust: TrustStores, json: bool) -> Result<bool> {
    let SavedProof {
        file,
        signature,
        signers,
        untimestamped,
    } = saved;
    let document = std::fs::read(file).with_context(|| file.display().to_string())?;
    let cms = std::fs::read(signature).with_context(|| signature.display().to_string())?;
    let ecenter_seal::cades::DetachedReport {
        mut checks,
        signer,
        certificate,
        ..
    } = ecenter_seal::cades::verify_detached(&cms, &[&document], &trust, {
        let now = std::time::SystemTime::now();
        (now, now)
    });
    if let Some(cert) = certificate {
        checks.push(ecenter_seal::check(
            "proof_signer",
            ecenter_seal::roles::pinned_signer(&cert, signers),
        ));
    }
    checks.push(proof_content_check(&document));
    timestamp_required(&mut checks, *untimestamped);
    let passed = !checks.is_empty()
        && checks
            .iter()
            .all(|c| !matches!(c.status, CheckStatus::Failed(_)));
    let proof: serde_json::Value = serde_json::from_slice(&document).unwrap_or_default();
    if json {
        println!(
            "{}",
            serde_json::json!({
                "file": file.display().to_string(),
                "indication": if passed { "PASSED" } else { "FAILED" },
                "signer": signer,
                "case_number": proof["case_number"],
                "recipient": proof["recipient"]["name"],
                "effective": proof["effective"],
                "checks": checks.iter().map(|c| serde_json::json!({
                    "name": c.name, "status": status_name(&c.status), "detail": c.detail,
                })).collect::<Vec<_>>(),
            })
        );
        return Ok(passed);
    }
    println!(
        "{}: {}",
        file.display(),
        if passed { "PASSED" } else { "FAILED" }
    );
    println!("  signer: {}", signer.as_deref().unwrap_or("unknown"));
    if let Some(case) = proof["case_number"].as_str() {
        println!(
            "  {} · {}（{}）",
            case,
            proof["recipient"]["name"].as_str().unwrap_or(""),
            proof["recipient"]["role"].as_str().unwrap_or("")
        );
        println!("  {}", effective_line(&proof));
    }
    let mut table = Table::headless().indented("  ");
    for c in &checks {
        table.row([c.name, &status_name(&c.status), &c.detail]);
    }
    table.print();
    Ok(passed)
}

/// Whether a PDF ends as every complete PDF (and every incremental update) does: `%%EOF`, then at
/// most an end of line and padding.
fn ends_with_eof_marker(pdf: &[u8]) -> bool {
    let end = pdf
        .iter()
        .rposition(|b| !b.is_ascii_whitespace() && *b != 0);
    end.is_some_and(|e| pdf[..=e].ends_with(b"%%EOF"))
}

/// Whether the signed file is a proof of service at all: a signature under the court's root over
/// other bytes (a seal's, a clerk's export) proves nothing about service, however well it verifies.
/// A proof is UTF-8 JSON titled 电子送达凭证 that names its version, case, order and recipient.
fn proof_content_check(document: &[u8]) -> ecenter_seal::Check {
    let proof = serde_json::from_slice::<serde_json::Value>(document);
    let missing = match &proof {
        Err(e) => Some(format!("it is not JSON ({e})")),
        Ok(p) if p["title"] != PROOF_TITLE => Some(format!("its title is not {PROOF_TITLE}")),
        Ok(p) => ["version", "case_number", "order_id", "recipient"]
            .into_iter()
            .find(|k| p[*k].is_null())
            .map(|k| format!("it names no {k}")),
    };
    let (status, detail) = match missing {
        None => (
            CheckStatus::Passed,
            format!("a proof of service ({PROOF_TITLE}) as the hub issues one"),
        ),
        Some(why) => (
            CheckStatus::Failed(ecenter_seal::SubIndication::FormatFailure),
            format!("the signed file is not a proof of service: {why}"),
        ),
    };
    ecenter_seal::Check {
        name: "proof_content",
        status,
        detail,
    }
}

/// What a saved proof says, for people (unverified: pass `--trust` to verify it).
pub(super) fn show_proof(file: &Path) -> Result<bool> {
    let document = std::fs::read(file).with_context(|| file.display().to_string())?;
    let proof: serde_json::Value = serde_json::from_slice(&document)
        .with_context(|| format!("{} is not a proof of service", file.display()))?;
    let s = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
    println!(
        "{} 第{}版 · {} · {}（{}）",
        s(&proof["title"]),
        proof["version"],
        s(&proof["case_number"]),
        s(&proof["recipient"]["name"]),
        s(&proof["recipient"]["role"])
    );
    let mut table = Table::headless().indented("  ");
    for c in proof["channels"].as_array().into_iter().flatten() {
        let unsent = if c["maybe_sent"].as_bool() == Some(true) {
            "未获确认（平台可能已收到）"
        } else {
            "未发出"
        };
        table.row([
            s(&c["channel"]),
            s(&c["address"]),
            c["sent_at"]["beijing"]
                .as_str()
                .unwrap_or(unsent)
                .to_string(),
        ]);
    }
    table.print();
    println!("  {}", effective_line(&proof));
    println!("  (not verified: add --trust ROOT.pem to verify the signature offline)");
    Ok(true)
}

/// What a proof says of the service: when and by which rule it took effect, or — a version issued
/// because service no longer stands — that it did not, and which versions it withdraws.
fn effective_line(proof: &serde_json::Value) -> String {
    let effective = &proof["effective"];
    if effective.is_null() {
        let versions: Vec<String> = (proof["withdraws"]["versions"].as_array().into_iter())
            .flatten()
            .map(ToString::to_string)
            .collect();
        if versions.is_empty() {
            return "送达未生效".into();
        }
        return format!(
            "送达未生效：本版撤回第 {} 版所载的送达生效",
            versions.join("、")
        );
    }
    format!(
        "送达生效：{} · {}",
        effective["at"]["beijing"].as_str().unwrap_or(""),
        effective["rule_text"].as_str().unwrap_or("")
    )
}

pub(super) fn trust_stores(
    trust: &[PathBuf],
    tsa_trust: &[PathBuf],
    intermediate: &[PathBuf],
    crl: &[PathBuf],
) -> Result<TrustStores> {
    let signers = certificates(trust)?;
    let tsas = if tsa_trust.is_empty() {
        signers.clone()
    } else {
        certificates(tsa_trust)?
    };
    Ok(TrustStores {
        seal_makers: signers.clone(),
        signers,
        intermediates: certificates(intermediate)?,
        crls: crls(crl)?,
        tsas,
        maker_role: None,
        maker_role_waived: false,
    })
}

/// Who may make the seals a clerk verifies (GB/T 38540 制章者), when not makers the court's own
/// PKI certified with ecenter's maker role: another platform's seal-making CA.
#[derive(Debug, clap::Args)]
pub(super) struct SealMakers {
    /// Trust anchor(s) for seal makers only (PEM or DER), e.g. another platform's seal-making CA;
    /// defaults to --trust.
    #[arg(long)]
    maker_trust: Vec<PathBuf>,
    /// The role a seal maker's certificate must carry, as extended key usage or certificate policy
    /// (an OID, as the hub's `[seals] maker_role`; default ecenter's 1.3.6.1.4.1.59648.1.2), or
    /// `none` for makers whose certificates carry no role: then only --maker-trust says who may
    /// make seals, and a maker that also chains to --trust fails.
    #[arg(long, value_name = "OID|none", requires_if("none", "maker_trust"))]
    maker_role: Option<String>,
}

impl SealMakers {
    /// `trust` with these makers' anchors and role; an OID that does not parse names the flag.
    pub(super) fn apply(&self, mut trust: TrustStores) -> Result<TrustStores> {
        if !self.maker_trust.is_empty() {
            trust.seal_makers = certificates(&self.maker_trust)?;
        }
        match self.maker_role.as_deref() {
            None => {}
            Some("none") => trust.maker_role_waived = true,
            Some(oid) => {
                let role = der::asn1::ObjectIdentifier::new(oid).map_err(|e| {
                    anyhow::anyhow!(
                        "--maker-role {oid:?}: not an object identifier like 1.3.6.1.4.1.59648.1.2, nor `none` ({e})"
                    )
                })?;
                trust.maker_role = Some(role);
            }
        }
        Ok(trust)
    }
}
