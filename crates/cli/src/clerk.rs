//! `clerk`: the clerks' audit tool. It verifies sealed PDFs and proofs of service offline — with no
//! hub, against the trust anchors the clerk names — walks the hash-chained event log (on a running
//! hub over mutual TLS, or offline on a copy of a data directory), and, on a running hub, shows
//! serve orders, lists dead letters and retries or resolves them.

use crate::log_audit::{LogWalk, Offline, walk_offline};
use crate::pad;
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use ecenter_client::beijing;
use ecenter_client::hub::{HubConfig, connect};
use ecenter_client::pem::{certificates, crls};

mod ofd;
mod review;
use ecenter_seal::{CheckStatus, Indication, TrustStores};
use std::path::{Path, PathBuf};

/// Audit tools for court clerks.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Verifies every signature of a PDF offline; exits 0 only when all of them pass.
    VerifyPdf {
        /// The PDF file.
        file: PathBuf,
        /// Trust anchor(s) for signers (PEM); nothing is trusted unless named here.
        #[arg(long, required = true)]
        trust: Vec<PathBuf>,
        /// Trust anchor(s) for timestamp authorities (PEM); defaults to the signers' anchors.
        #[arg(long)]
        tsa_trust: Vec<PathBuf>,
        /// Intermediate CA certificates (PEM) that may complete chains.
        #[arg(long)]
        intermediate: Vec<PathBuf>,
        /// CRLs (PEM) to check revocation against.
        #[arg(long)]
        crl: Vec<PathBuf>,
        /// Print JSON for scripts instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Verifies every seal of an OFD offline (GB/T 33190 §18: files changed, added or removed,
    /// the stamp, each SES_Signature); exits 0 only when it has seals and all of them pass.
    VerifyOfd {
        /// The OFD file.
        file: PathBuf,
        /// Trust anchor(s) for seal makers and signers (PEM, ECDSA or SM2); nothing is trusted
        /// unless named here.
        #[arg(long, required = true)]
        trust: Vec<PathBuf>,
        /// Trust anchor(s) for timestamp authorities (PEM); defaults to the signers' anchors.
        #[arg(long)]
        tsa_trust: Vec<PathBuf>,
        /// Intermediate CA certificates (PEM) that may complete chains.
        #[arg(long)]
        intermediate: Vec<PathBuf>,
        /// CRLs (PEM) to check revocation against.
        #[arg(long)]
        crl: Vec<PathBuf>,
        /// Print JSON for scripts instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Walks the event log from its first entry: names the first entry that does not verify, or
    /// prints the chain head to compare with one recorded elsewhere. Offline it also compares the
    /// log with its signed checkpoints and with `--expect`, on a private copy (the directory checked
    /// is never written to). Exit 1 when the log is broken, shorter or different.
    VerifyLog {
        /// A data directory no hub is serving (a copy, or a stopped hub's): checked offline.
        #[arg(long, conflicts_with = "hub")]
        data_dir: Option<PathBuf>,
        /// The hub's checkpoint public key (PEM); default: `checkpoints/key.pem` in the directory.
        #[arg(long, requires = "data_dir")]
        checkpoint_key: Option<PathBuf>,
        /// A witness directory holding copies of the checkpoints (repeatable).
        #[arg(long, requires = "data_dir")]
        witness: Vec<PathBuf>,
        /// A head recorded elsewhere, SEQ:HASH (a receipt's log entry, an e-mailed checkpoint).
        #[arg(long, requires = "data_dir")]
        expect: Option<String>,
        /// Trust anchor(s) (PEM) for the checkpoints' timestamps; without it they are not checked.
        #[arg(long, requires = "data_dir")]
        tsa_trust: Vec<PathBuf>,
        /// Intermediate CA certificates (PEM) for the timestamps' chains.
        #[arg(long, requires = "tsa_trust")]
        intermediate: Vec<PathBuf>,
        /// A running hub, e.g. 127.0.0.1:50051: its entries are read over mutual TLS.
        #[arg(long, requires_all = ["ca", "cert", "key"])]
        hub: Option<String>,
        /// The CA (PEM) the hub's certificate chains to.
        #[arg(long)]
        ca: Option<PathBuf>,
        /// The clerk's certificate (PEM).
        #[arg(long)]
        cert: Option<PathBuf>,
        /// The clerk's key (PEM).
        #[arg(long)]
        key: Option<PathBuf>,
        /// The name the hub's certificate is issued for.
        #[arg(long, default_value = "localhost")]
        server_name: String,
        /// Print JSON for scripts instead of words.
        #[arg(long)]
        json: bool,
    },
    /// Verifies a proof of service (电子送达凭证) offline: its detached CAdES signature, the
    /// signer's chain and the signature timestamp. Exit 0 only when it passes.
    VerifyProof {
        /// The proof document (JSON, as GetProof or `clerk proof` gives it).
        file: PathBuf,
        /// Its detached signature (DER).
        #[arg(long)]
        signature: PathBuf,
        /// Trust anchor(s) for the hub's signer (PEM); nothing is trusted unless named here.
        #[arg(long, required = true)]
        trust: Vec<PathBuf>,
        /// Trust anchor(s) for timestamp authorities (PEM); defaults to the signer's anchors.
        #[arg(long)]
        tsa_trust: Vec<PathBuf>,
        /// Intermediate CA certificates (PEM) that may complete chains.
        #[arg(long)]
        intermediate: Vec<PathBuf>,
        /// Print JSON for scripts instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Shows a serve order's recipients: state, channel, attempts, effective time and rule.
    Service {
        /// The order (O…).
        order_id: String,
        #[command(flatten)]
        hub: HubConfig,
        /// Print JSON for scripts instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Re-hashes every stored document the log names, on a running hub; each one missing or altered
    /// is listed (and recorded by the hub as a blob_corrupt event). Exit 1 when any is damaged.
    Scrub {
        #[command(flatten)]
        hub: HubConfig,
        /// Print JSON for scripts instead of words.
        #[arg(long)]
        json: bool,
    },
    /// Lists deliveries — every recipient of every serve order — filtered, newest orders first.
    Deliveries {
        /// Only this case (any spelling that parses).
        #[arg(long)]
        case: Option<String>,
        /// Part of the recipient's name.
        #[arg(long)]
        recipient: Option<String>,
        /// Only recipients with an address on this channel.
        #[arg(long, value_enum)]
        channel: Option<ChannelName>,
        /// sending, awaiting, effective or unserved.
        #[arg(long, value_parser = ["sending", "awaiting", "effective", "unserved"])]
        status: Option<String>,
        /// Orders from this day on (YYYY-MM-DD, Asia/Shanghai).
        #[arg(long)]
        from: Option<chrono::NaiveDate>,
        /// Orders up to and including this day (YYYY-MM-DD, Asia/Shanghai).
        #[arg(long)]
        to: Option<chrono::NaiveDate>,
        /// At most this many rows.
        #[arg(long, default_value_t = 200)]
        limit: u32,
        #[command(flatten)]
        hub: HubConfig,
        /// Print JSON for scripts instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Exports everything about a case — receipts, deliveries, proofs of service and the log
    /// entries that concern it — into a directory with a manifest signed by the clerk's key.
    Export {
        /// The case (any spelling that parses).
        #[arg(long)]
        case: String,
        /// The directory to create.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        hub: HubConfig,
    },
    /// Lists what waits for a clerk: final failures, and delivery reports set aside as unverified.
    DeadLetters {
        #[command(flatten)]
        hub: HubConfig,
        /// Print JSON for scripts instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Sends a dead-lettered notice again.
    Retry {
        /// The order (O…).
        order_id: String,
        /// The recipient (R1, ...).
        recipient_id: String,
        /// The channel that failed.
        #[arg(long, value_enum)]
        channel: ChannelName,
        #[command(flatten)]
        hub: HubConfig,
    },
    /// Closes a dead letter by hand, saying what was done instead.
    Resolve {
        /// The order (O…).
        order_id: String,
        /// The recipient (R1, ...).
        recipient_id: String,
        /// The channel that failed.
        #[arg(long, value_enum)]
        channel: ChannelName,
        /// What was done, e.g. 已改为邮寄送达.
        #[arg(long)]
        note: String,
        #[command(flatten)]
        hub: HubConfig,
    },
    /// Judges a delivery report the hub set aside (see `clerk dead-letters`): `accept` records it
    /// as evidence (the service and its proof follow; a proof already issued gets a new version),
    /// `reject` keeps it on record as rejected. A judgment is final.
    Report {
        /// accept or reject.
        #[arg(value_enum)]
        verdict: review::Verdict,
        /// The order (O…).
        order_id: String,
        /// The recipient (R1, ...).
        recipient_id: String,
        /// The report's INDEX, as `clerk dead-letters` lists it.
        index: u32,
        /// Why, e.g. 已向受送达人所在邮件服务商核实.
        #[arg(long)]
        note: String,
        #[command(flatten)]
        hub: HubConfig,
    },
    /// Saves a recipient's proof of service — `<out>/<order>-<recipient>.json` and `.p7s`, and with
    /// `--pdf` the printable copy sealed by the court, `.pdf` — then shows it, verified offline when
    /// trust anchors are given (the PDF: `clerk verify-pdf`).
    Proof {
        /// The order (O…).
        order_id: String,
        /// The recipient (R1, ...).
        recipient_id: String,
        /// Directory to write to.
        #[arg(long, default_value = ".")]
        out: PathBuf,
        /// Also save the printable PDF carrying the court's seal.
        #[arg(long)]
        pdf: bool,
        /// Verify the saved proof against these trust anchors (PEM), as `clerk verify-proof` does.
        #[arg(long)]
        trust: Vec<PathBuf>,
        /// Intermediate CA certificates (PEM) that may complete chains when verifying.
        #[arg(long)]
        intermediate: Vec<PathBuf>,
        #[command(flatten)]
        hub: HubConfig,
    },
}

/// A channel of a serve order's plan, as clerks name it.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ChannelName {
    /// E-mail.
    Email,
    /// SMS.
    Sms,
}

async fn walk_hub(hub: &HubConfig) -> Result<LogWalk> {
    use ecenter_proto::v1 as pb;
    let channel = connect(hub).await?;
    let mut log = pb::event_log_service_client::EventLogServiceClient::new(channel)
        .max_decoding_message_size(64 * 1024 * 1024);
    let mut walk = LogWalk {
        entries: 0,
        head_seq: 0,
        head_hash: "0".repeat(64),
        head_time: None,
        broken: None,
        checkpoint: None,
        checkpoint_problem: None,
        notes: Vec::new(),
    };
    let mut after = 0;
    loop {
        let page = log
            .list_entries(pb::ListEntriesRequest {
                after_seq: after,
                page_size: 1000,
            })
            .await
            .map_err(|s| anyhow::anyhow!("the hub refused ListEntries: {}", s.message()))?
            .into_inner();
        for e in &page.entries {
            let computed = hex::encode(ecenter_store::chain::sha256(e.detail_json.as_bytes()));
            let problem = if e.seq != walk.head_seq + 1 && !accepted_gap(e, walk.head_seq) {
                Some(format!(
                    "expected entry {} next: entries are missing",
                    walk.head_seq + 1
                ))
            } else if computed != e.hash {
                Some(format!(
                    "content hash is {computed} but the entry records {}: the entry was altered",
                    e.hash
                ))
            } else if e.prev_hash != walk.head_hash {
                Some(format!(
                    "it links to previous hash {} but entry {} has hash {}",
                    e.prev_hash, walk.head_seq, walk.head_hash
                ))
            } else {
                None
            };
            if let Some(reason) = problem {
                walk.broken = Some((e.seq, reason));
                return Ok(walk);
            }
            walk.entries += 1;
            walk.head_seq = e.seq;
            walk.head_hash = e.hash.clone();
            walk.head_time = e
                .recorded_at
                .as_ref()
                .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32));
        }
        if page.next_after_seq == 0 {
            return Ok(walk);
        }
        after = page.next_after_seq;
    }
}

/// A gap in the numbers is part of the chain only where a `log_loss_accepted` entry records
/// exactly the entries between the previous one and itself.
fn accepted_gap(e: &ecenter_proto::v1::FilingEvent, previous: u64) -> bool {
    let body: serde_json::Value = serde_json::from_str(&e.detail_json).unwrap_or_default();
    let event = &body["event"];
    e.kind == "log_loss_accepted"
        && event["first"].as_u64() == Some(previous + 1)
        && event["last"].as_u64().map(|l| l + 1) == Some(e.seq)
}

fn report_walk(walk: &LogWalk, json: bool) -> bool {
    let shanghai = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let time = walk.head_time.map(|t| {
        t.with_timezone(&shanghai)
            .format("%Y-%m-%d %H:%M:%S (Asia/Shanghai)")
            .to_string()
    });
    if json {
        println!(
            "{}",
            serde_json::json!({
                "ok": walk.broken.is_none() && walk.checkpoint_problem.is_none(),
                "entries_verified": walk.entries,
                "head": {"seq": walk.head_seq, "hash": walk.head_hash, "recorded_at": walk.head_time.map(|t| t.to_rfc3339())},
                "first_bad_entry": walk.broken.as_ref().map(|(seq, reason)| serde_json::json!({"seq": seq, "reason": reason})),
                "checkpoint": walk.checkpoint.as_ref().map(|c| serde_json::json!({"number": c.number, "seq": c.seq, "hash": c.hash, "signed_at": c.at.to_rfc3339(), "timestamped": c.timestamp.is_some()})),
                "checkpoint_problem": walk.checkpoint_problem,
                "notes": walk.notes,
            })
        );
    } else if let Some((seq, reason)) = &walk.broken {
        println!("the event log is BROKEN at entry {seq}: {reason}");
        println!("entries 1 to {} verify", walk.entries);
    } else {
        println!("the event log verifies: {} entries", walk.entries);
        println!("head: entry {} {}", walk.head_seq, walk.head_hash);
        if let Some(t) = time {
            println!("recorded {t}");
        }
        if let Some(c) = &walk.checkpoint {
            println!(
                "agrees with signed checkpoint {} (entry {}, signed {}{})",
                c.number,
                c.seq,
                c.at_beijing(),
                if c.timestamp.is_some() {
                    ", timestamped"
                } else {
                    ""
                }
            );
        }
    }
    if !json {
        if let Some(problem) = &walk.checkpoint_problem {
            println!("but it is NOT VOUCHED FOR: {problem}");
        }
        for note in &walk.notes {
            println!("note: {note}");
        }
    }
    walk.broken.is_none() && walk.checkpoint_problem.is_none()
}

/// Runs the command line; exits 1 on failure or when a PDF does not verify.
pub fn main() {
    match run(Args::parse()) {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("clerk: {e:#}");
            std::process::exit(2);
        }
    }
}

fn status_name(s: &CheckStatus) -> String {
    match s {
        CheckStatus::Passed => "PASSED".into(),
        CheckStatus::Failed(sub) => format!("FAILED ({sub})"),
        CheckStatus::NotApplicable => "n/a".into(),
    }
}

fn indication_name(i: Indication) -> &'static str {
    match i {
        Indication::Passed => "PASSED",
        Indication::Failed => "FAILED",
        Indication::Indeterminate => "INDETERMINATE",
    }
}

fn verify_pdf(file: &Path, trust: TrustStores, json: bool) -> Result<bool> {
    let pdf = std::fs::read(file).with_context(|| file.display().to_string())?;
    let report = ecenter_pdfseal::verify_pdf(&pdf, &trust, std::time::SystemTime::now())
        .with_context(|| file.display().to_string())?;
    let passed = report.indication == Indication::Passed;
    if json {
        let signatures: Vec<serde_json::Value> = report
            .signatures
            .iter()
            .map(|s| {
                serde_json::json!({
                    "field": s.field,
                    "byte_range": s.byte_range,
                    "signer": s.report.signer,
                    "indication": indication_name(s.report.indication),
                    "sub_indication": s.report.sub_indication.map(|x| x.as_str()),
                    "checks": checks_json(&s.report.checks),
                })
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
        print_checks(&s.report.checks);
    }
    Ok(passed)
}

/// A report's checks as a table for people: name, status, detail.
fn print_checks(checks: &[ecenter_seal::Check]) {
    let width = checks.iter().map(|c| c.name.len()).max().unwrap_or(0) + 2;
    for c in checks {
        println!(
            "  {}{}{}",
            pad(c.name, width),
            pad(&status_name(&c.status), 42),
            c.detail
        );
    }
}

/// A report's checks for `--json`.
fn checks_json(checks: &[ecenter_seal::Check]) -> Vec<serde_json::Value> {
    checks
        .iter()
        .map(|c| serde_json::json!({"name": c.name, "status": status_name(&c.status), "detail": c.detail}))
        .collect()
}

fn verify_proof(file: &Path, signature: &Path, trust: TrustStores, json: bool) -> Result<bool> {
    let document = std::fs::read(file).with_context(|| file.display().to_string())?;
    let cms = std::fs::read(signature).with_context(|| signature.display().to_string())?;
    let ecenter_seal::cades::DetachedReport { checks, signer, .. } =
        ecenter_seal::cades::verify_detached(&cms, &[&document], &trust, {
            let now = std::time::SystemTime::now();
            (now, now)
        });
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
        println!(
            "  送达生效：{} · {}",
            proof["effective"]["at"]["beijing"].as_str().unwrap_or(""),
            proof["effective"]["rule_text"].as_str().unwrap_or("")
        );
    }
    let width = checks.iter().map(|c| c.name.len()).max().unwrap_or(0) + 2;
    for c in &checks {
        println!(
            "  {}{}{}",
            pad(c.name, width),
            pad(&status_name(&c.status), 42),
            c.detail
        );
    }
    Ok(passed)
}

/// What a saved proof says, for people (unverified: pass `--trust` to verify it).
fn show_proof(file: &Path) -> Result<bool> {
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
    for c in proof["channels"].as_array().into_iter().flatten() {
        println!(
            "  {}{}{}",
            pad(&s(&c["channel"]), 10),
            pad(&s(&c["address"]), 28),
            c["sent_at"]["beijing"].as_str().unwrap_or(
                if c["maybe_sent"].as_bool() == Some(true) {
                    "未获确认（平台可能已收到）"
                } else {
                    "未发出"
                }
            )
        );
    }
    println!(
        "  送达生效：{} · {}",
        s(&proof["effective"]["at"]["beijing"]),
        s(&proof["effective"]["rule_text"])
    );
    println!("  (not verified: add --trust ROOT.pem to verify the signature offline)");
    Ok(true)
}

fn trust_stores(
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
    })
}

type ServiceClient =
    ecenter_proto::v1::service_of_process_client::ServiceOfProcessClient<tonic::transport::Channel>;

async fn service_client(hub: &HubConfig) -> Result<ServiceClient> {
    Ok(ServiceClient::new(connect(hub).await?).max_decoding_message_size(64 * 1024 * 1024))
}

fn refused(s: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("the hub refused: {}", s.message())
}

fn channel_text(c: i32) -> &'static str {
    use ecenter_proto::v1::ServiceChannel;
    match ServiceChannel::try_from(c) {
        Ok(ServiceChannel::Email) => "email",
        Ok(ServiceChannel::Sms) => "sms",
        _ => "",
    }
}

fn state_text(s: i32) -> &'static str {
    use ecenter_proto::v1::RecipientState;
    match RecipientState::try_from(s) {
        Ok(RecipientState::Sending) => "sending",
        Ok(RecipientState::Awaiting) => "awaiting",
        Ok(RecipientState::Effective) => "effective",
        Ok(RecipientState::Unserved) => "UNSERVED",
        _ => "",
    }
}

fn recipient_json(r: &ecenter_proto::v1::RecipientStatus) -> serde_json::Value {
    serde_json::json!({
        "order_id": r.order_id,
        "recipient_id": r.recipient_id,
        "name": r.name,
        "role": r.role,
        "state": state_text(r.state),
        "attempts": r.attempts.iter().map(|a| serde_json::json!({
            "channel": channel_text(a.channel), "address": a.address, "attempts": a.attempts,
            "resends_in_doubt": a.resends_in_doubt, "sent_at": beijing(a.sent_at.as_ref()),
            "gateway_id": a.gateway_id, "last_error": a.last_error, "closed": a.closed,
            "receipts": a.receipts.iter().map(|x| serde_json::json!({
                "part": x.part, "state": x.state, "at": beijing(x.at.as_ref()),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "effective": r.effective.as_ref().map(|e| serde_json::json!({
            "at": beijing(e.at.as_ref()), "rule": e.rule, "rule_text": e.rule_text, "presumed": e.presumed,
        })),
        "dead_letters": r.dead_letters.iter().map(|d| serde_json::json!({
            "channel": channel_text(d.channel), "reason": d.reason, "at": beijing(d.at.as_ref()),
        })).collect::<Vec<_>>(),
        "proofs": r.proofs,
        "unverified": review::json(r),
    })
}

async fn show_service(hub: &HubConfig, order_id: &str, json: bool) -> Result<bool> {
    use ecenter_proto::v1 as pb;
    let mut client = service_client(hub).await?;
    let mut recipients = Vec::new();
    let mut after = String::new();
    let first = loop {
        let page = client
            .get_order(pb::GetOrderRequest {
                order_id: order_id.into(),
                after_recipient_id: after.clone(),
                page_size: 1000,
            })
            .await
            .map_err(refused)?
            .into_inner();
        recipients.extend(page.recipients.iter().cloned());
        if page.next_after_recipient_id.is_empty() {
            break page;
        }
        after = page.next_after_recipient_id.clone();
    };
    if json {
        println!(
            "{}",
            serde_json::json!({
                "order_id": first.order_id,
                "case_number": first.case_number,
                "ordered_at": beijing(first.ordered_at.as_ref()),
                "documents": first.documents.iter().map(|d| serde_json::json!({"reference": d.reference, "name": d.name, "sha256": d.sha256})).collect::<Vec<_>>(),
                "recipients": recipients.iter().map(recipient_json).collect::<Vec<_>>(),
            })
        );
        return Ok(true);
    }
    println!(
        "{} · {} · {} recipient(s) · ordered {} (Asia/Shanghai)",
        first.order_id,
        first.case_number,
        first.recipient_count,
        beijing(first.ordered_at.as_ref())
    );
    println!(
        "{}{}{}{}{}{}RULE",
        pad("ID", 6),
        pad("NAME", 14),
        pad("STATE", 11),
        pad("CHANNEL", 8),
        pad("ATTEMPTS", 10),
        pad("EFFECTIVE (Asia/Shanghai)", 27),
    );
    for r in &recipients {
        let last = r.attempts.last();
        // Attempts per channel tried, e.g. "2+1" for two e-mail attempts then one SMS.
        let attempts = r
            .attempts
            .iter()
            .map(|a| a.attempts.to_string())
            .collect::<Vec<_>>()
            .join("+");
        println!(
            "{}{}{}{}{}{}{}",
            pad(&r.recipient_id, 6),
            pad(&r.name, 14),
            pad(state_text(r.state), 11),
            pad(last.map_or("", |a| channel_text(a.channel)), 8),
            pad(&attempts, 10),
            pad(
                &beijing(r.effective.as_ref().and_then(|e| e.at.as_ref())),
                27
            ),
            r.effective.as_ref().map_or("", |e| e.rule.as_str())
        );
    }
    Ok(true)
}

/// What `clerk deliveries` asks for.
struct DeliveryFilter {
    case: Option<String>,
    recipient: Option<String>,
    channel: Option<ChannelName>,
    status: Option<String>,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
    limit: u32,
}

/// Midnight of `day` in Asia/Shanghai.
fn shanghai_midnight(day: chrono::NaiveDate) -> prost_types::Timestamp {
    let shanghai = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let t = day
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_local_timezone(shanghai)
        .single()
        .expect("a fixed offset is unambiguous");
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    }
}

async fn list_deliveries(hub: &HubConfig, f: DeliveryFilter, json: bool) -> Result<bool> {
    use ecenter_proto::v1 as pb;
    let mut client = service_client(hub).await?;
    let answer = client
        .list_deliveries(pb::ListDeliveriesRequest {
            case_number: f.case.unwrap_or_default(),
            recipient_name: f.recipient.unwrap_or_default(),
            channel: match f.channel {
                None => 0,
                Some(ChannelName::Email) => pb::ServiceChannel::Email as i32,
                Some(ChannelName::Sms) => pb::ServiceChannel::Sms as i32,
            },
            state: match f.status.as_deref() {
                Some("sending") => pb::RecipientState::Sending as i32,
                Some("awaiting") => pb::RecipientState::Awaiting as i32,
                Some("effective") => pb::RecipientState::Effective as i32,
                Some("unserved") => pb::RecipientState::Unserved as i32,
                _ => 0,
            },
            ordered_from: f.from.map(shanghai_midnight),
            ordered_before: f.to.and_then(|d| d.succ_opt()).map(shanghai_midnight),
            limit: f.limit,
        })
        .await
        .map_err(refused)?
        .into_inner();
    if json {
        println!(
            "{}",
            serde_json::json!({
                "truncated": answer.truncated,
                "deliveries": answer.deliveries.iter().map(|d| {
                    let mut r = d.recipient.as_ref().map(recipient_json).unwrap_or_default();
                    r["case_number"] = serde_json::json!(d.case_number);
                    r["ordered_at"] = serde_json::json!(beijing(d.ordered_at.as_ref()));
                    r
                }).collect::<Vec<_>>(),
            })
        );
        return Ok(true);
    }
    if answer.deliveries.is_empty() {
        println!("no deliveries match");
        return Ok(true);
    }
    println!(
        "{}{}{}{}{}{}EFFECTIVE (Asia/Shanghai)",
        pad("ORDER", 15),
        pad("CASE", 24),
        pad("ID", 6),
        pad("NAME", 14),
        pad("CHANNEL", 8),
        pad("STATE", 11),
    );
    for d in &answer.deliveries {
        let Some(r) = &d.recipient else { continue };
        println!(
            "{}{}{}{}{}{}{}",
            pad(&d.order_id, 15),
            pad(&d.case_number, 24),
            pad(&r.recipient_id, 6),
            pad(&r.name, 14),
            pad(r.attempts.last().map_or("", |a| channel_text(a.channel)), 8),
            pad(state_text(r.state), 11),
            beijing(r.effective.as_ref().and_then(|e| e.at.as_ref()))
        );
    }
    if answer.truncated {
        println!("(more match: narrow the filters or raise --limit)");
    }
    Ok(true)
}

async fn list_dead_letters(hub: &HubConfig, json: bool) -> Result<bool> {
    use ecenter_proto::v1 as pb;
    let mut client = service_client(hub).await?;
    let list = client
        .list_dead_letters(pb::ListDeadLettersRequest { limit: 1000 })
        .await
        .map_err(refused)?
        .into_inner();
    if json {
        println!(
            "{}",
            serde_json::json!({
                "recipients": list.recipients.iter().map(recipient_json).collect::<Vec<_>>(),
                "replies": review::replies_json(&list.replies),
            })
        );
        return Ok(true);
    }
    review::print_replies(&list.replies);
    if list.recipients.is_empty() {
        println!("no dead letters and no reports to judge");
        return Ok(true);
    }
    println!(
        "{}{}{}{}{}REASON",
        pad("ORDER", 15),
        pad("ID", 6),
        pad("NAME", 14),
        pad("CHANNEL", 8),
        pad("AT (Asia/Shanghai)", 21),
    );
    for r in &list.recipients {
        for d in &r.dead_letters {
            println!(
                "{}{}{}{}{}{}",
                pad(&r.order_id, 15),
                pad(&r.recipient_id, 6),
                pad(&r.name, 14),
                pad(channel_text(d.channel), 8),
                pad(&beijing(d.at.as_ref()), 21),
                crate::printable(&d.reason)
            );
        }
    }
    review::print_pending(&list.recipients);
    Ok(true)
}

async fn dead_letter_action(
    hub: &HubConfig,
    order_id: String,
    recipient_id: String,
    channel: ChannelName,
    note: Option<String>,
) -> Result<bool> {
    use ecenter_proto::v1 as pb;
    let mut client = service_client(hub).await?;
    let action = pb::DeadLetterAction {
        order_id,
        recipient_id,
        channel: match channel {
            ChannelName::Email => pb::ServiceChannel::Email as i32,
            ChannelName::Sms => pb::ServiceChannel::Sms as i32,
        },
        note: note.clone().unwrap_or_default(),
    };
    let status = match note {
        Some(_) => client.resolve_dead_letter(action).await,
        None => client.retry_dead_letter(action).await,
    }
    .map_err(refused)?
    .into_inner();
    println!(
        "{} {} {}: {}",
        status.order_id,
        status.recipient_id,
        status.name,
        state_text(status.state)
    );
    Ok(true)
}

async fn save_proof(
    hub: &HubConfig,
    order_id: String,
    recipient_id: String,
    out: &Path,
    pdf: bool,
) -> Result<(PathBuf, PathBuf)> {
    use ecenter_proto::v1 as pb;
    let mut client = service_client(hub).await?;
    let which = pb::RecipientRef {
        order_id,
        recipient_id,
    };
    let proof = client
        .get_proof(which.clone())
        .await
        .map_err(refused)?
        .into_inner();
    let stem = out.join(format!("{}-{}", proof.order_id, proof.recipient_id));
    let (document, signature) = (stem.with_extension("json"), stem.with_extension("p7s"));
    std::fs::write(&document, &proof.document).with_context(|| document.display().to_string())?;
    std::fs::write(&signature, &proof.signature)
        .with_context(|| signature.display().to_string())?;
    println!("{}", document.display());
    println!("{}", signature.display());
    if pdf {
        let printable = client
            .get_proof_pdf(which)
            .await
            .map_err(refused)?
            .into_inner();
        let path = stem.with_extension("pdf");
        std::fs::write(&path, &printable.pdf).with_context(|| path.display().to_string())?;
        println!("{}", path.display());
    }
    Ok((document, signature))
}

/// Writes `data` under `dir` at `name` and notes it in the manifest's file list.
fn put(dir: &Path, name: &str, data: &[u8], files: &mut Vec<serde_json::Value>) -> Result<()> {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| parent.display().to_string())?;
    }
    std::fs::write(&path, data).with_context(|| path.display().to_string())?;
    files.push(serde_json::json!({
        "path": name,
        "size": data.len(),
        "sha256": hex::encode(ecenter_store::chain::sha256(data)),
    }));
    Ok(())
}

async fn export_case(hub: &HubConfig, case: &str, out: &Path) -> Result<bool> {
    use ecenter_proto::v1 as pb;
    let case = ecenter_domain::CaseNumber::parse(case)
        .map_err(|e| anyhow::anyhow!("--case: {e}"))?
        .normalized();
    if out.exists() && std::fs::read_dir(out)?.next().is_some() {
        anyhow::bail!("{} exists and is not empty", out.display());
    }
    let channel = connect(hub).await?;
    let mut filings_api = pb::filing_service_client::FilingServiceClient::new(channel.clone())
        .max_decoding_message_size(64 * 1024 * 1024);
    let mut service =
        ServiceClient::new(channel.clone()).max_decoding_message_size(64 * 1024 * 1024);
    let mut log = pb::event_log_service_client::EventLogServiceClient::new(channel)
        .max_decoding_message_size(64 * 1024 * 1024);
    let mut files = Vec::new();

    // Filings of the case and their receipts.
    let filings = crate::all_filings(
        &mut filings_api,
        pb::ListFilingsRequest {
            case_number: case.clone(),
            ..Default::default()
        },
    )
    .await
    .map_err(refused)?;
    for f in &filings {
        let r = filings_api
            .get_receipt(pb::GetReceiptRequest {
                filing_id: f.filing_id.clone(),
            })
            .await
            .map_err(refused)?
            .into_inner();
        let json = serde_json::json!({
            "filing_id": r.filing_id, "request_id": r.request_id, "submitter": r.submitter,
            "filing_kind": r.filing_kind, "received_at": r.received_at_local,
            "log_seq": r.log_seq, "log_hash": r.log_hash, "department": r.department,
            "documents": r.documents.iter().map(|d| serde_json::json!({
                "document_id": d.document_id, "name": d.name, "size": d.size, "sha256": d.sha256,
            })).collect::<Vec<_>>(),
        });
        put(
            out,
            &format!("receipts/{}.json", r.filing_id),
            &serde_json::to_vec_pretty(&json)?,
            &mut files,
        )?;
    }

    // Deliveries and the proofs of those served.
    let deliveries = service
        .list_deliveries(pb::ListDeliveriesRequest {
            case_number: case.clone(),
            limit: 2000,
            ..Default::default()
        })
        .await
        .map_err(refused)?
        .into_inner();
    let mut orders = std::collections::BTreeSet::new();
    let mut rows = Vec::new();
    for d in &deliveries.deliveries {
        orders.insert(d.order_id.clone());
        let Some(r) = &d.recipient else { continue };
        rows.push(recipient_json(r));
        if r.proofs > 0 {
            let proof = service
                .get_proof(pb::RecipientRef {
                    order_id: d.order_id.clone(),
                    recipient_id: r.recipient_id.clone(),
                })
                .await
                .map_err(refused)?
                .into_inner();
            let stem = format!("proofs/{}-{}", d.order_id, r.recipient_id);
            put(out, &format!("{stem}.json"), &proof.document, &mut files)?;
            put(out, &format!("{stem}.p7s"), &proof.signature, &mut files)?;
        }
    }
    put(
        out,
        "deliveries.json",
        &serde_json::to_vec_pretty(&rows)?,
        &mut files,
    )?;

    // The log entries about its filings and orders, exactly as hashed, and the head they lead to.
    let ids: Vec<String> = filings
        .iter()
        .map(|f| f.filing_id.clone())
        .chain(orders.iter().cloned())
        .collect();
    let mut events = String::new();
    let mut after = 0;
    loop {
        let page = log
            .list_entries(pb::ListEntriesRequest {
                after_seq: after,
                page_size: 1000,
            })
            .await
            .map_err(refused)?
            .into_inner();
        for e in &page.entries {
            if ids
                .iter()
                .any(|id| e.detail_json.contains(&format!("\"{id}\"")))
            {
                events.push_str(
                    &serde_json::json!({
                        "seq": e.seq, "hash": e.hash, "prev_hash": e.prev_hash, "kind": e.kind,
                        "body": e.detail_json,
                    })
                    .to_string(),
                );
                events.push('\n');
            }
        }
        if page.next_after_seq == 0 {
            break;
        }
        after = page.next_after_seq;
    }
    put(out, "events.jsonl", events.as_bytes(), &mut files)?;
    let head = log
        .get_chain_head(pb::GetChainHeadRequest {})
        .await
        .map_err(refused)?
        .into_inner();

    // The manifest, signed by the clerk's own key (detached CMS, verifiable with openssl).
    let cert_pem = std::fs::read(&hub.cert).with_context(|| hub.cert.display().to_string())?;
    let key_pem = std::fs::read(&hub.key).with_context(|| hub.key.display().to_string())?;
    let signer = ecenter_seal::KeyHolder::from_pem(&cert_pem, &key_pem)
        .map_err(|e| anyhow::anyhow!("{}: {e}", hub.cert.display()))?;
    let chain: Vec<Vec<u8>> = certificates(std::slice::from_ref(&hub.cert))?
        .into_iter()
        .skip(1)
        .collect();
    let shanghai = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let manifest = serde_json::json!({
        "case_number": case,
        "exported_at": chrono::Utc::now().with_timezone(&shanghai).to_rfc3339(),
        "hub": hub.hub,
        "chain_head": {"seq": head.seq, "hash": head.hash},
        "filings": filings.len(),
        "deliveries": rows.len(),
        "files": files,
    });
    let manifest = serde_json::to_vec_pretty(&manifest)?;
    let digest = ecenter_store::chain::sha256(&manifest);
    let signature = ecenter_seal::cades::sign_detached(
        &signer,
        &chain,
        &digest,
        None,
        std::time::SystemTime::now(),
    )
    .map_err(|e| anyhow::anyhow!("signing the manifest: {e}"))?;
    std::fs::write(out.join("manifest.json"), &manifest)?;
    std::fs::write(out.join("manifest.p7s"), &signature)?;
    println!(
        "{}: {} filing(s), {} deliveries, {} file(s); manifest.json signed in manifest.p7s",
        out.display(),
        filings.len(),
        rows.len(),
        files.len()
    );
    Ok(true)
}

fn block_on<T>(f: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(f)
}

fn run(args: Args) -> Result<bool> {
    match args.command {
        Command::VerifyProof {
            file,
            signature,
            trust,
            tsa_trust,
            intermediate,
            json,
        } => verify_proof(
            &file,
            &signature,
            trust_stores(&trust, &tsa_trust, &intermediate, &[])?,
            json,
        ),
        Command::Service {
            order_id,
            hub,
            json,
        } => block_on(show_service(&hub, &order_id, json)),
        Command::DeadLetters { hub, json } => block_on(list_dead_letters(&hub, json)),
        Command::Scrub { hub, json } => {
            block_on(async { crate::log_audit::scrub(connect(&hub).await?, json).await })
        }
        Command::Export { case, out, hub } => block_on(export_case(&hub, &case, &out)),
        Command::Deliveries {
            case,
            recipient,
            channel,
            status,
            from,
            to,
            limit,
            hub,
            json,
        } => block_on(list_deliveries(
            &hub,
            DeliveryFilter {
                case,
                recipient,
                channel,
                status,
                from,
                to,
                limit,
            },
            json,
        )),
        Command::Retry {
            order_id,
            recipient_id,
            channel,
            hub,
        } => block_on(dead_letter_action(
            &hub,
            order_id,
            recipient_id,
            channel,
            None,
        )),
        Command::Resolve {
            order_id,
            recipient_id,
            channel,
            note,
            hub,
        } => block_on(dead_letter_action(
            &hub,
            order_id,
            recipient_id,
            channel,
            Some(note),
        )),
        Command::Report {
            verdict,
            order_id,
            recipient_id,
            index,
            note,
            hub,
        } => block_on(review::judge(
            &hub,
            (order_id, recipient_id, index),
            verdict,
            note,
        )),
        Command::Proof {
            order_id,
            recipient_id,
            out,
            pdf,
            trust,
            intermediate,
            hub,
        } => {
            let (document, signature) =
                block_on(save_proof(&hub, order_id, recipient_id, &out, pdf))?;
            if trust.is_empty() {
                show_proof(&document)
            } else {
                verify_proof(
                    &document,
                    &signature,
                    trust_stores(&trust, &[], &intermediate, &[])?,
                    false,
                )
            }
        }
        Command::VerifyLog {
            data_dir,
            checkpoint_key,
            witness,
            expect,
            tsa_trust,
            intermediate,
            hub,
            ca,
            cert,
            key,
            server_name,
            json,
        } => {
            let walk = match (data_dir, hub) {
                (Some(data_dir), None) => walk_offline(&Offline {
                    data_dir,
                    checkpoint_key,
                    witnesses: witness,
                    expect,
                    tsa_trust: (tsa_trust, intermediate),
                })?,
                (None, Some(hub)) => {
                    let hub = HubConfig {
                        hub,
                        ca: ca.unwrap_or_default(),
                        cert: cert.unwrap_or_default(),
                        key: key.unwrap_or_default(),
                        server_name,
                    };
                    block_on(walk_hub(&hub))?
                }
                _ => anyhow::bail!(
                    "give --data-dir DIR (offline) or --hub ADDR with --ca, --cert and --key"
                ),
            };
            Ok(report_walk(&walk, json))
        }
        Command::VerifyPdf {
            file,
            trust,
            tsa_trust,
            intermediate,
            crl,
            json,
        } => verify_pdf(
            &file,
            trust_stores(&trust, &tsa_trust, &intermediate, &crl)?,
            json,
        ),
        Command::VerifyOfd {
            file,
            trust,
            tsa_trust,
            intermediate,
            crl,
            json,
        } => ofd::verify_ofd(
            &file,
            trust_stores(&trust, &tsa_trust, &intermediate, &crl)?,
            json,
        ),
    }
}
