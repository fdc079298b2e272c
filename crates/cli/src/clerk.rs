//! `clerk`: the clerks' audit tool. It verifies sealed PDFs and proofs of service offline — with no
//! hub, against the trust anchors the clerk names — walks the hash-chained event log (on a running
//! hub over mutual TLS, or offline on a copy of a data directory), and, on a running hub, shows
//! serve orders, lists dead letters and retries or resolves them.

use crate::log_audit::{LogWalk, Offline, walk_offline};
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use ecenter_client::hub::{HubConfig, connect};
use ecenter_client::profile::HubArgs;
use ecenter_client::table::Table;
use ecenter_client::{beijing, beijing_rfc3339};
use ecenter_seal::trust_files::{certificates, crls};

mod export;
mod export_binding;
mod filings;
mod login;
mod ofd;
mod reply;
mod review;
mod scrub_postgres;
mod service;
mod verify;
mod verify_export;
mod walk_report;
use ecenter_seal::{CheckStatus, Indication, TrustStores};
use export::*;
use service::*;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use verify::*;
use walk_report::report_walk;

/// Audit tools for court clerks (书记员审计工具).
#[derive(Debug, Parser)]
#[command(
    name = "clerk",
    version,
    after_help = "Exit codes: 0 done and valid, 1 not valid or refused by the hub, 2 usage, configuration or a local file, 3 hub unreachable (retry), 4 certificate problem, 5 output could not be written."
)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Saves the hub's address and the clerk's certificate, after checking the hub accepts them;
    /// then the commands that talk to the hub need no --hub, --ca, --cert or --key.
    Login(login::ClerkLogin),
    /// The filings on record, filtered by case, submitter, department or state, oldest first.
    Filings(filings::FilingsArgs),
    /// Verifies every signature of a PDF offline; exits 0 only when all of them pass.
    VerifyPdf(VerifyPdfArgs),
    /// Verifies every seal of an OFD offline (GB/T 33190 §18: files changed, added or removed,
    /// the stamp, each SES_Signature); exits 0 only when it has seals and all of them pass.
    VerifyOfd(VerifyOfdArgs),
    /// Walks the event log from its first entry: names the first entry that does not verify, or
    /// prints the chain head to compare with one recorded elsewhere. Offline it also compares the
    /// log with its signed checkpoints and with `--expect`, on a private copy (the directory checked
    /// is never written to). Exit 1 when the log is broken, shorter or different.
    VerifyLog(VerifyLogArgs),
    /// Verifies a proof of service (电子送达凭证) offline: its detached CAdES signature, the
    /// signer's chain and the signature timestamp. Exit 0 only when it passes.
    VerifyProof(VerifyProofArgs),
    /// Verifies a case's evidence as `clerk export` wrote it, offline: the manifest's signature,
    /// every file against it, the log entries' hashes, each proof and each report copy. Exit 0
    /// only when all pass.
    VerifyExport(verify_export::VerifyExportArgs),
    /// Shows a serve order's recipients: state, channel, attempts, effective time and rule.
    Service {
        /// The order (O…).
        order_id: String,
        #[command(flatten)]
        hub: HubArgs,
        /// Print JSON for scripts instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Re-hashes every stored document the log names, on a running hub; each one missing or altered
    /// is listed (and recorded by the hub as a blob_corrupt event). With --postgres, the documents
    /// of record in PostgreSQL instead, read directly. Exit 1 when any is damaged.
    Scrub {
        #[command(flatten)]
        hub: HubArgs,
        /// The log of several hubs in PostgreSQL (a libpq URL; the password from PGPASSWORD).
        #[arg(long, conflicts_with = "hub")]
        postgres: Option<String>,
        /// PEM file of the CA of the database's certificate, with --postgres.
        #[arg(long, requires = "postgres")]
        postgres_ca: Option<PathBuf>,
        /// Print JSON for scripts instead of words.
        #[arg(long)]
        json: bool,
    },
    /// Lists deliveries — every recipient of every serve order — filtered, newest orders first.
    Deliveries(DeliveriesArgs),
    /// Exports everything about a case — receipts, deliveries, proofs of service and the log
    /// entries that concern it — into a directory with a manifest signed by the clerk's key.
    Export {
        /// The case (any spelling that parses).
        #[arg(long)]
        case: String,
        /// The directory to create.
        #[arg(long)]
        out: PathBuf,
        /// The certificate the manifest is signed with (default: the login's, --cert); needed
        /// with a development-mode login, which has none.
        #[arg(long, requires = "sign_key", value_name = "PEM")]
        sign_cert: Option<PathBuf>,
        /// Its private key (default: the login's, --key).
        #[arg(long, requires = "sign_cert", value_name = "PEM")]
        sign_key: Option<PathBuf>,
        #[command(flatten)]
        hub: HubArgs,
    },
    /// The similar cases the hub pushed per case (类案推送, ListPushedCases); with --case, each
    /// pushed judgment and why.
    Pushed {
        #[command(flatten)]
        args: crate::pushes::PushedArgs,
        #[command(flatten)]
        hub: HubArgs,
    },
    /// Lists what waits for a clerk: final failures, and delivery reports set aside as unverified.
    DeadLetters {
        #[command(flatten)]
        hub: HubArgs,
        /// Print JSON for scripts instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Sends a dead-lettered notice again.
    Retry(RetryArgs),
    /// Closes a dead letter by hand, saying what was done instead.
    Resolve(ResolveArgs),
    /// Judges a delivery report the hub set aside (see `clerk dead-letters`): `accept` records it
    /// as evidence (the service and its proof follow; a proof already issued gets a new version),
    /// `reject` keeps it on record as rejected. A judgment is final.
    Report(ReportArgs),
    /// Judges a handset's reply: `disallow` one that counted but was not the recipient's (a wrong
    /// number), `attribute` one no single open service could claim to a service, or `dismiss` it.
    Reply(reply::ReplyArgs),
    /// Saves a recipient's proof of service — `<out>/<order>-<recipient>.json` and `.p7s`, and with
    /// `--pdf` the printable copy sealed by the court, `.pdf` — then shows it, verified offline when
    /// trust anchors are given (the PDF: `clerk verify-pdf`).
    Proof(ProofArgs),
}

// What an offline verification builds chains with besides the signers' trust anchors.
#[derive(Debug, clap::Args)]
struct ChainMaterial {
    /// Trust anchor(s) for timestamp authorities (PEM or DER); defaults to the signers' anchors.
    #[arg(long)]
    tsa_trust: Vec<PathBuf>,
    /// Intermediate CA certificates (PEM or DER) that may complete chains.
    #[arg(long)]
    intermediate: Vec<PathBuf>,
    /// CRLs (PEM or DER) to check revocation against.
    #[arg(long)]
    crl: Vec<PathBuf>,
}

impl ChainMaterial {
    /// The trust stores for `trust` (signers and seal makers) with this material.
    fn stores(&self, trust: &[PathBuf]) -> Result<TrustStores> {
        trust_stores(trust, &self.tsa_trust, &self.intermediate, &self.crl)
    }
}

// `clerk verify-pdf`: a PDF and the anchors its PAdES signatures are checked against.
#[derive(Debug, clap::Args)]
struct VerifyPdfArgs {
    /// The PDF file.
    file: PathBuf,
    /// Trust anchor(s) for signers (PEM or DER); nothing is trusted unless named here.
    #[arg(long, required = true)]
    trust: Vec<PathBuf>,
    #[command(flatten)]
    chain: ChainMaterial,
    #[command(flatten)]
    makers: verify::SealMakers,
    /// Print JSON for scripts instead of a table.
    #[arg(long)]
    json: bool,
}

// `clerk verify-ofd`: an OFD and the anchors its seals (SES_Signature) are checked against.
#[derive(Debug, clap::Args)]
struct VerifyOfdArgs {
    /// The OFD file.
    file: PathBuf,
    /// Trust anchor(s) for seal makers and signers (PEM, ECDSA or SM2); nothing is trusted
    /// unless named here.
    #[arg(long, required = true)]
    trust: Vec<PathBuf>,
    #[command(flatten)]
    chain: ChainMaterial,
    #[command(flatten)]
    makers: verify::SealMakers,
    /// Print JSON for scripts instead of a table.
    #[arg(long)]
    json: bool,
}

// `clerk verify-log`: the event log to walk, offline (a data directory) or on a running hub.
#[derive(Debug, clap::Args)]
struct VerifyLogArgs {
    /// A data directory no hub is serving (a copy, or a stopped hub's): checked offline.
    #[arg(long, conflicts_with = "hub")]
    data_dir: Option<PathBuf>,
    /// The hub's checkpoint public key (PEM); default: `checkpoints/key.pem` in the directory.
    /// With --postgres, repeatable: the signing instances' keys, pinned — every published
    /// checkpoint must be signed by one of them, whatever the database's own key table says.
    #[arg(long, conflicts_with = "hub")]
    checkpoint_key: Vec<PathBuf>,
    /// A witness directory holding copies of the checkpoints (repeatable).
    #[arg(long, requires = "data_dir")]
    witness: Vec<PathBuf>,
    /// A head recorded elsewhere, SEQ:HASH (a receipt's log entry, an e-mailed checkpoint).
    #[arg(long, conflicts_with = "hub")]
    expect: Option<String>,
    /// Trust anchor(s) (PEM or DER) for the checkpoints' timestamps; without it they are not checked.
    #[arg(long, requires = "data_dir")]
    tsa_trust: Vec<PathBuf>,
    /// Intermediate CA certificates (PEM or DER) for the timestamps' chains.
    #[arg(long, requires = "tsa_trust")]
    intermediate: Vec<PathBuf>,
    /// Fail when a checkpoint carries no timestamp (a hub with a TSA; one re-signed with the
    /// hub's key would show none), rather than count it in a note.
    #[arg(long, requires = "tsa_trust")]
    require_timestamps: bool,
    /// A running hub, e.g. 127.0.0.1:50051: its entries are read over mutual TLS.
    #[arg(long, requires_all = ["ca", "cert", "key"], conflicts_with = "postgres")]
    hub: Option<String>,
    /// The log of several hubs in PostgreSQL (a libpq URL): read directly, nothing written.
    #[arg(long, conflicts_with = "data_dir")]
    postgres: Option<String>,
    /// PEM file of the CA of the database's certificate, with --postgres.
    #[arg(long, requires = "postgres")]
    postgres_ca: Option<PathBuf>,
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
}

// `clerk verify-proof`: a proof of service (电子送达凭证), its CAdES signature and the anchors.
#[derive(Debug, clap::Args)]
struct VerifyProofArgs {
    /// The proof document (JSON, as GetProof or `clerk proof` gives it).
    file: PathBuf,
    /// Its detached signature (DER).
    #[arg(long)]
    signature: PathBuf,
    /// Trust anchor(s) for the hub's signer (PEM or DER); nothing is trusted unless named here.
    #[arg(long, required = true)]
    trust: Vec<PathBuf>,
    /// The hub's proof signer: its `[seals] signer_cert` (PEM or DER), as the court publishes it;
    /// repeatable across a renewal. Any other key under the same root signs no proof.
    #[arg(long, required = true)]
    signer: Vec<PathBuf>,
    /// Trust anchor(s) for timestamp authorities (PEM or DER); defaults to the signer's anchors.
    #[arg(long)]
    tsa_trust: Vec<PathBuf>,
    /// Intermediate CA certificates (PEM or DER) that may complete chains, besides those the signature
    /// carries.
    #[arg(long)]
    intermediate: Vec<PathBuf>,
    /// Pass a proof without a signature timestamp (the proofs of a hub without a TSA, whose
    /// time of issue is the hub's own word); without this flag such a proof fails.
    #[arg(long)]
    allow_no_timestamp: bool,
    /// Print JSON for scripts instead of a table.
    #[arg(long)]
    json: bool,
}

// `clerk deliveries`: the filter of the deliveries to list.
#[derive(Debug, clap::Args)]
struct DeliveriesArgs {
    #[command(flatten)]
    filter: DeliveryFilter,
    #[command(flatten)]
    hub: HubArgs,
    /// Print JSON for scripts instead of a table.
    #[arg(long)]
    json: bool,
}

// `clerk retry`: the dead letter to send again.
#[derive(Debug, clap::Args)]
struct RetryArgs {
    #[command(flatten)]
    letter: DeadLetter,
    /// Why it goes again, for the proof, e.g. 受送达人来电称邮箱已恢复 (optional).
    #[arg(long)]
    note: Option<String>,
    #[command(flatten)]
    hub: HubArgs,
}

// `clerk resolve`: the dead letter to close by hand, and what was done instead.
#[derive(Debug, clap::Args)]
struct ResolveArgs {
    #[command(flatten)]
    letter: DeadLetter,
    /// What was done, e.g. 已改为邮寄送达.
    #[arg(long)]
    note: String,
    #[command(flatten)]
    hub: HubArgs,
}

// `clerk report`: the judgment on one delivery report set aside.
#[derive(Debug, clap::Args)]
struct ReportArgs {
    /// accept or reject.
    #[arg(value_enum)]
    verdict: review::Verdict,
    #[command(flatten)]
    report: review::RecipientItem,
    /// Why, e.g. 已向受送达人所在邮件服务商核实.
    #[arg(long)]
    note: String,
    #[command(flatten)]
    hub: HubArgs,
}

// `clerk proof`: the proof of service to save, and the anchors to verify it against.
#[derive(Debug, clap::Args)]
struct ProofArgs {
    /// The order (O…).
    order_id: String,
    /// The recipient (R1, ...).
    recipient_id: String,
    /// Directory to write to.
    #[arg(long, default_value = ".")]
    out: PathBuf,
    /// An earlier version of the proof (1, 2, ...), saved as `<order>-<recipient>.v<N>.json`;
    /// without it (or 0) the newest, as `<order>-<recipient>.json`. Every version stays evidence.
    #[arg(long, value_name = "N")]
    version: Option<u32>,
    /// Also save the printable PDF carrying the court's seal.
    #[arg(long)]
    pdf: bool,
    /// Verify the saved proof against these trust anchors (PEM or DER), as `clerk verify-proof` does.
    #[arg(long, requires = "signer")]
    trust: Vec<PathBuf>,
    /// With --trust: the hub's proof signer (`[seals] signer_cert`, PEM or DER), as `clerk verify-proof`
    /// takes it.
    #[arg(long, requires = "trust")]
    signer: Vec<PathBuf>,
    /// Intermediate CA certificates (PEM or DER) that may complete chains when verifying, besides those
    /// the signature carries.
    #[arg(long)]
    intermediate: Vec<PathBuf>,
    /// With --trust: pass a proof without a signature timestamp, as `clerk verify-proof` does.
    #[arg(long, requires = "trust")]
    allow_no_timestamp: bool,
    #[command(flatten)]
    hub: HubArgs,
}

/// A channel of a serve order's plan, as clerks name it.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ChannelName {
    /// E-mail.
    Email,
    /// SMS.
    Sms,
}

/// The hub's event log, as `clerk verify-log` and `clerk export` read it.
type LogClient = ecenter_proto::v1::event_log_service_client::EventLogServiceClient<
    ecenter_client::hub::HubChannel,
>;

/// Reads the hub's log from its first entry, a page at a time, showing `visit` each entry until it
/// breaks or the log ends.
async fn each_log_entry(
    log: &mut LogClient,
    mut visit: impl FnMut(&ecenter_proto::v1::FilingEvent) -> ControlFlow<()>,
) -> Result<(), tonic::Status> {
    let mut after = 0;
    loop {
        let page = log
            .list_entries(ecenter_proto::v1::ListEntriesRequest {
                after_seq: after,
                page_size: 1000,
            })
            .await?
            .into_inner();
        for e in &page.entries {
            if visit(e).is_break() {
                return Ok(());
            }
        }
        if page.next_after_seq == 0 {
            return Ok(());
        }
        after = page.next_after_seq;
    }
}

async fn walk_hub(hub: &HubConfig) -> Result<LogWalk> {
    let channel = connect(hub).await?;
    let mut log = LogClient::new(channel).max_decoding_message_size(64 * 1024 * 1024);
    let mut walk = crate::log_audit::verified(ecenter_store::ChainHead::empty());
    each_log_entry(&mut log, |e| {
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
            return ControlFlow::Break(());
        }
        walk.entries += 1;
        walk.head_seq = e.seq;
        walk.head_hash = e.hash.clone();
        walk.head_time = e
            .recorded_at
            .as_ref()
            .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32));
        ControlFlow::Continue(())
    })
    .await
    .map_err(|s| anyhow::anyhow!("the hub refused ListEntries: {}", s.message()))?;
    Ok(walk)
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

/// Runs the command line; exits 1 on failure or when a PDF does not verify.
pub fn main() {
    match run(ecenter_client::exit::parse_args::<Args>("clerk")) {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            let code = ecenter_client::exit::exit_code_of(&e);
            ecenter_client::exit::fail("clerk", &format!("{e:#}"), code);
        }
    }
}

fn block_on<T>(f: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(f)
}

fn run(args: Args) -> Result<bool> {
    match args.command {
        Command::VerifyProof(a) => run_verify_proof(a),
        Command::VerifyExport(a) => verify_export::run_verify_export(a),
        Command::Service {
            order_id,
            hub,
            json,
        } => block_on(show_service(&hub.resolve("clerk")?, &order_id, json)),
        Command::DeadLetters { hub, json } => {
            block_on(list_dead_letters(&hub.resolve("clerk")?, json))
        }
        Command::Scrub {
            postgres: Some(url),
            postgres_ca,
            json,
            ..
        } => scrub_postgres::run(url, postgres_ca, json),
        Command::Scrub { hub, json, .. } => {
            let hub = hub.resolve("clerk")?;
            block_on(async { crate::log_audit::scrub(connect(&hub).await?, json).await })
        }
        Command::Export {
            case,
            out,
            sign_cert,
            sign_key,
            hub,
        } => {
            let hub = hub.resolve("clerk")?;
            let signer = export::Signer::of(&hub, sign_cert.zip(sign_key));
            block_on(export_case(&hub, &case, &out, &signer))
        }
        Command::Pushed { args, hub } => {
            let hub = hub.resolve("clerk")?;
            block_on(async {
                let cases = crate::pushes::fetch(connect(&hub).await?, args.case.as_deref())
                    .await
                    .map_err(refused)?;
                crate::pushes::show(&cases, &args);
                Ok(true)
            })
        }
        Command::Login(a) => block_on(login::login(a)),
        Command::Filings(a) => block_on(filings::list_filings(a)),
        Command::Deliveries(a) => run_deliveries(a),
        Command::Retry(a) => run_retry(a),
        Command::Resolve(a) => run_resolve(a),
        Command::Report(a) => run_report(a),
        Command::Reply(a) => block_on(reply::run(a)),
        Command::Proof(a) => run_proof(a),
        Command::VerifyLog(a) => run_verify_log(a),
        Command::VerifyPdf(a) => run_verify_pdf(a),
        Command::VerifyOfd(a) => run_verify_ofd(a),
    }
}

/// `clerk verify-proof`: checks a proof of service's (电子送达凭证) detached CAdES signature
/// offline against the anchors the clerk names.
fn run_verify_proof(a: VerifyProofArgs) -> Result<bool> {
    let VerifyProofArgs {
        file,
        signature,
        trust,
        signer,
        tsa_trust,
        intermediate,
        allow_no_timestamp,
        json,
    } = a;
    let saved = SavedProof {
        file: &file,
        signature: &signature,
        signers: certificates(&signer)?,
        untimestamped: untimestamped(allow_no_timestamp),
    };
    verify_proof(
        &saved,
        trust_stores(&trust, &tsa_trust, &intermediate, &[])?,
        json,
    )
}

/// What `--allow-no-timestamp` says of a proof without a signature timestamp.
fn untimestamped(allowed: bool) -> Untimestamped {
    if allowed {
        Untimestamped::Allowed
    } else {
        Untimestamped::Refused
    }
}

/// `clerk deliveries`: lists the recipients of the serve orders that pass the clerk's filter
/// (case number, recipient, channel, status, dates).
fn run_deliveries(a: DeliveriesArgs) -> Result<bool> {
    let DeliveriesArgs { filter, hub, json } = a;
    block_on(list_deliveries(&hub.resolve("clerk")?, filter, json))
}

/// `clerk retry`: asks the hub to send a dead-lettered service notice again.
fn run_retry(a: RetryArgs) -> Result<bool> {
    let RetryArgs { letter, note, hub } = a;
    block_on(dead_letter_action(
        &hub.resolve("clerk")?,
        letter,
        Act::Retry(note.unwrap_or_default()),
    ))
}

/// `clerk resolve`: closes a dead letter by hand with the clerk's note of what was done
/// instead (e.g. 已改为邮寄送达).
fn run_resolve(a: ResolveArgs) -> Result<bool> {
    let ResolveArgs { letter, note, hub } = a;
    block_on(dead_letter_action(
        &hub.resolve("clerk")?,
        letter,
        Act::Resolve(note),
    ))
}

/// `clerk report`: records the clerk's final judgment (accept or reject) on a delivery report
/// the hub set aside as unverified.
fn run_report(a: ReportArgs) -> Result<bool> {
    let ReportArgs {
        verdict,
        report,
        note,
        hub,
    } = a;
    block_on(review::judge(&hub.resolve("clerk")?, report, verdict, note))
}

/// `clerk proof`: saves a recipient's proof of service (and, if asked, the sealed PDF), then
/// shows it, verifying its CAdES signature offline when trust anchors are given.
fn run_proof(a: ProofArgs) -> Result<bool> {
    let ProofArgs {
        order_id,
        recipient_id,
        out,
        version,
        pdf,
        trust,
        signer,
        intermediate,
        allow_no_timestamp,
        hub,
    } = a;
    let which = ecenter_proto::v1::ProofRequest {
        order_id,
        recipient_id,
        version: version.unwrap_or(0),
    };
    let (document, signature) = block_on(save_proof(&hub.resolve("clerk")?, which, &out, pdf))?;
    if trust.is_empty() {
        show_proof(&document)
    } else {
        let saved = SavedProof {
            file: &document,
            signature: &signature,
            signers: certificates(&signer)?,
            untimestamped: untimestamped(allow_no_timestamp),
        };
        verify_proof(
            &saved,
            trust_stores(&trust, &[], &intermediate, &[])?,
            false,
        )
    }
}

/// `clerk verify-log`: walks the hash-chained event log offline (a data directory, with its
/// checkpoints and witnesses) or on a running hub over mutual TLS, and reports the head.
fn run_verify_log(a: VerifyLogArgs) -> Result<bool> {
    let VerifyLogArgs {
        data_dir,
        checkpoint_key,
        witness,
        expect,
        tsa_trust,
        intermediate,
        require_timestamps,
        hub,
        ca,
        cert,
        key,
        server_name,
        postgres,
        postgres_ca,
        json,
    } = a;
    if let Some(url) = postgres {
        let config = ecenter_store::PostgresConfig {
            ca_file: postgres_ca,
            ..ecenter_store::PostgresConfig::at(url)
        };
        return Ok(report_walk(
            &crate::log_audit::walk_postgres(&config, &checkpoint_key, expect.as_deref())?,
            json,
        ));
    }
    if expect.is_some() && data_dir.is_none() {
        anyhow::bail!(
            "--expect compares a data directory's log (--data-dir) or the one in PostgreSQL \
             (--postgres) with a head recorded elsewhere"
        );
    }
    let checkpoint_key = match (checkpoint_key.as_slice(), &data_dir) {
        ([], _) => None,
        ([one], Some(_)) => Some(one.clone()),
        (_, None) => anyhow::bail!(
            "--checkpoint-key checks a data directory's checkpoints (--data-dir) or the published \
             ones (--postgres); a running hub's are checked with its own key"
        ),
        (_, Some(_)) => anyhow::bail!(
            "--checkpoint-key: give one key with --data-dir (the hub's checkpoints/key.pem); \
             several are for --postgres, where several instances sign"
        ),
    };
    let walk = match (data_dir, hub) {
        (Some(data_dir), None) => walk_offline(&Offline {
            data_dir,
            checkpoint_key,
            witnesses: witness,
            expect,
            tsa_trust: (tsa_trust, intermediate),
            require_timestamps,
        })?,
        (None, Some(hub)) => {
            let hub = HubConfig {
                hub,
                ca: ca.unwrap_or_default(),
                cert: cert.unwrap_or_default(),
                key: key.unwrap_or_default(),
                server_name,
                dev_as: None,
            };
            block_on(walk_hub(&hub))?
        }
        // Neither: the hub of the saved login (`clerk login`), if there is one.
        (None, None) => match HubArgs::default().resolve("clerk") {
            Ok(hub) => block_on(walk_hub(&hub))?,
            Err(_) => anyhow::bail!(
                "give --data-dir DIR (offline), or --hub ADDR with --ca, --cert and --key, or run `clerk login` first"
            ),
        },
        _ => {
            anyhow::bail!("give --data-dir DIR (offline) or --hub ADDR with --ca, --cert and --key")
        }
    };
    Ok(report_walk(&walk, json))
}

/// `clerk verify-pdf`: verifies every PAdES signature of a PDF offline, with revocation
/// checked against the given CRLs.
fn run_verify_pdf(a: VerifyPdfArgs) -> Result<bool> {
    let VerifyPdfArgs {
        file,
        trust,
        chain,
        makers,
        json,
    } = a;
    verify_pdf(&file, makers.apply(chain.stores(&trust)?)?, json)
}

/// `clerk verify-ofd`: verifies every seal (SES_Signature) of an OFD offline, with revocation
/// checked against the given CRLs.
fn run_verify_ofd(a: VerifyOfdArgs) -> Result<bool> {
    let VerifyOfdArgs {
        file,
        trust,
        chain,
        makers,
        json,
    } = a;
    ofd::verify_ofd(&file, makers.apply(chain.stores(&trust)?)?, json)
}

/// clap's own checks (unique argument and group names, valid `requires`), which otherwise panic
/// only when the command is run.
#[test]
fn the_command_line_is_consistent() {
    <Args as clap::CommandFactory>::command().debug_assert();
}
