//! `clerk export`: everything the hub holds about one case (filings, events, documents, serve
//! orders, proofs) written to a directory with a manifest of SHA-256 digests.

use super::*;
use ecenter_proto::v1 as pb;

/// Writes `data` under `dir` at `name` and notes it in the manifest's file list.
pub(super) fn put(
    dir: &Path,
    name: &str,
    data: &[u8],
    files: &mut Vec<serde_json::Value>,
) -> Result<()> {
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

/// The filing client `clerk export` lists the case's filings and their receipts with.
type FilingClient = pb::filing_service_client::FilingServiceClient<ecenter_client::hub::HubChannel>;

/// The certificate and key an export's manifest is signed with: `--sign-cert`/`--sign-key`,
/// else the login's own.
pub(crate) struct Signer {
    cert: PathBuf,
    key: PathBuf,
    /// Whether they are the login's (`--cert`/`--key`), for the message when they are missing.
    login: bool,
}

impl Signer {
    /// The pair given, or the login's.
    pub(crate) fn of(hub: &HubConfig, given: Option<(PathBuf, PathBuf)>) -> Signer {
        match given {
            Some((cert, key)) => Signer {
                cert,
                key,
                login: false,
            },
            None => Signer {
                cert: hub.cert.clone(),
                key: hub.key.clone(),
                login: true,
            },
        }
    }

    /// Refuses, before anything is written, a signer that is missing or unreadable.
    fn check(&self) -> Result<()> {
        let names = if self.login {
            ["--cert", "--key"]
        } else {
            ["--sign-cert", "--sign-key"]
        };
        if self.login && self.cert.as_os_str().is_empty() {
            anyhow::bail!(
                "an export's manifest is signed with the clerk's own certificate and key, and a                  development-mode login has none: give --sign-cert and --sign-key (the clerk's                  certificate and key PEM files) / 请用 --sign-cert 与 --sign-key 指定书记员的证书和私钥"
            );
        }
        for (setting, path) in names.iter().zip([&self.cert, &self.key]) {
            std::fs::metadata(path).with_context(|| format!("{setting} {}", path.display()))?;
        }
        Ok(())
    }
}

pub(super) async fn export_case(
    hub: &HubConfig,
    case: &str,
    out: &Path,
    signer: &Signer,
) -> Result<bool> {
    let case = ecenter_domain::CaseNumber::parse(case)
        .map_err(|e| anyhow::anyhow!("--case: {e}"))?
        .normalized();
    if out.exists() && std::fs::read_dir(out)?.next().is_some() {
        anyhow::bail!("{} exists and is not empty", out.display());
    }
    // Checked before anything is written: an export nobody signed is no evidence.
    signer.check()?;
    let channel = connect(hub).await?;
    let mut filings_api =
        FilingClient::new(channel.clone()).max_decoding_message_size(64 * 1024 * 1024);
    let mut service =
        ServiceClient::new(channel.clone()).max_decoding_message_size(64 * 1024 * 1024);
    let mut log = LogClient::new(channel).max_decoding_message_size(64 * 1024 * 1024);
    let mut files = Vec::new();

    let existed = out.exists();
    let filings = export_receipts(&mut filings_api, &case, out, &mut files).await?;
    let (orders, rows) = export_deliveries(&mut service, &case, out, &mut files).await?;
    if filings.is_empty() && rows.is_empty() {
        // A mistyped case number must not give a signed, valid-looking empty bundle (outside
        // tests, round 20, m5): what this run wrote is taken back.
        let _ = std::fs::remove_dir_all(out);
        if existed {
            let _ = std::fs::create_dir(out);
        }
        let e = anyhow::anyhow!(
            "the hub holds no filing and no serve order of case {case}: nothing exported, nothing \
             written — check the case number / 该案号下没有任何材料或送达"
        );
        return Err(ecenter_client::exit::Exit(ecenter_client::exit::REFUSED, e).into_error());
    }

    // The log entries about its filings and orders, exactly as hashed, and the head they lead to.
    let ids: Vec<String> = filings
        .iter()
        .map(|f| f.filing_id.clone())
        .chain(orders.iter().cloned())
        .collect();
    let events = case_events(&mut log, &ids).await?;
    put(out, "events.jsonl", events.as_bytes(), &mut files)?;
    let head = log
        .get_chain_head(pb::GetChainHeadRequest {})
        .await
        .map_err(refused)?
        .into_inner();

    // The manifest, signed by the clerk's own key (detached CMS, verifiable with openssl).
    let shanghai = ecenter_domain::time::shanghai_offset();
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
    let signature = sign_manifest(signer, &manifest)?;
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

/// Writes the receipt of every filing of the case (normalized case number `case`) under
/// `receipts/`, and returns the filings.
async fn export_receipts(
    filings_api: &mut FilingClient,
    case: &str,
    out: &Path,
    files: &mut Vec<serde_json::Value>,
) -> Result<Vec<pb::Filing>> {
    // Filings of the case and their receipts.
    let filings = crate::all_filings(
        filings_api,
        pb::ListFilingsRequest {
            case_number: case.to_string(),
            ..Default::default()
        },
    )
    .await
    .map_err(refused)?;
    for f in &filings {
        let r = filings_api
            .get_receipt(pb::GetReceiptRequest {
                filing_id: f.filing_id.clone(),
                pdf: false,
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
            files,
        )?;
    }
    Ok(filings)
}

/// Writes `deliveries.json` (every recipient of every serve order of the case) and the proofs of
/// service (电子送达凭证, JSON and CAdES signature) of those served; returns the order ids and
/// the rows written.
async fn export_deliveries(
    service: &mut ServiceClient,
    case: &str,
    out: &Path,
    files: &mut Vec<serde_json::Value>,
) -> Result<(std::collections::BTreeSet<String>, Vec<serde_json::Value>)> {
    // Deliveries and the proofs of those served.
    // Every page: a case's evidence is never cut at one page's limit.
    let asked = pb::ListDeliveriesRequest {
        case_number: case.to_string(),
        limit: 2000,
        ..Default::default()
    };
    let deliveries = super::service::every_delivery(service, asked).await?;
    let mut orders = std::collections::BTreeSet::new();
    let mut rows = Vec::new();
    for d in &deliveries.deliveries {
        orders.insert(d.order_id.clone());
        let Some(r) = &d.recipient else { continue };
        rows.push(recipient_json(r));
        export_proofs(service, (&d.order_id, r), out, files).await?;
        export_reports(service, (&d.order_id, r), out, files).await?;
    }
    put(
        out,
        "deliveries.json",
        &serde_json::to_vec_pretty(&rows)?,
        files,
    )?;
    Ok((orders, rows))
}

/// Writes every version of a recipient's proof of service: the newest as
/// `proofs/<order>-<recipient>.json` (with `.p7s`), each earlier one as `….v<N>.json`. A version
/// later withdrawn or superseded is still what the court was handed then (round 15, F5).
async fn export_proofs(
    service: &mut ServiceClient,
    (order_id, r): (&str, &pb::RecipientStatus),
    out: &Path,
    files: &mut Vec<serde_json::Value>,
) -> Result<()> {
    for version in (1..=r.proofs).rev() {
        let proof = service
            .get_proof(pb::ProofRequest {
                order_id: order_id.to_string(),
                recipient_id: r.recipient_id.clone(),
                version,
            })
            .await
            .map_err(refused)?
            .into_inner();
        let newest = if version == r.proofs {
            String::new()
        } else {
            format!(".v{version}")
        };
        let stem = format!("proofs/{order_id}-{}{newest}", r.recipient_id);
        put(out, &format!("{stem}.json"), &proof.document, files)?;
        put(out, &format!("{stem}.p7s"), &proof.signature, files)?;
    }
    Ok(())
}

/// Writes the copy the hub keeps of every delivery report about a recipient, as
/// `reports/<order>-<recipient>/<kept_sha256>.eml`: the evidence behind each reach or bounce a
/// proof states, and the reports set aside for the clerks (round 15, F7).
async fn export_reports(
    service: &mut ServiceClient,
    (order_id, r): (&str, &pb::RecipientStatus),
    out: &Path,
    files: &mut Vec<serde_json::Value>,
) -> Result<()> {
    for k in &r.reports {
        // The digest names a file: nothing but one is taken from the hub's answer.
        if k.kept_sha256.len() != 64 || !k.kept_sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            anyhow::bail!(
                "the hub lists a report of {order_id} {} under 「{}」, which is no SHA-256",
                r.recipient_id,
                k.kept_sha256
            );
        }
        let copy = service
            .get_delivery_report(pb::DeliveryReportRequest {
                order_id: order_id.to_string(),
                recipient_id: r.recipient_id.clone(),
                kept_sha256: k.kept_sha256.clone(),
            })
            .await
            .map_err(refused)?
            .into_inner();
        let path = format!(
            "reports/{order_id}-{}/{}.eml",
            r.recipient_id, k.kept_sha256
        );
        put(out, &path, &copy.message, files)?;
    }
    Ok(())
}

/// Reads the whole event log and keeps, as JSON Lines, the entries that name one of `ids` (the
/// case's filings and serve orders), exactly as hashed so the chain can be rechecked.
async fn case_events(log: &mut LogClient, ids: &[String]) -> Result<String> {
    let mut events = String::new();
    each_log_entry(log, |e| {
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
        ControlFlow::Continue(())
    })
    .await
    .map_err(refused)?;
    Ok(events)
}

/// Signs the export's manifest with the clerk's own certificate and key (a detached CAdES/CMS
/// signature over its SHA-256, verifiable with openssl).
fn sign_manifest(by: &Signer, manifest: &[u8]) -> Result<Vec<u8>> {
    let cert_pem = std::fs::read(&by.cert).with_context(|| by.cert.display().to_string())?;
    let key_pem = std::fs::read(&by.key).with_context(|| by.key.display().to_string())?;
    let signer = ecenter_seal::KeyHolder::from_pem(&cert_pem, &key_pem)
        .map_err(|e| anyhow::anyhow!("{}: {e}", by.cert.display()))?;
    let chain: Vec<Vec<u8>> = certificates(std::slice::from_ref(&by.cert))?
        .into_iter()
        .skip(1)
        .collect();
    let digest = ecenter_store::chain::sha256(manifest);
    ecenter_seal::cades::sign_detached(&signer, &chain, &digest, None, std::time::SystemTime::now())
        .map_err(|e| anyhow::anyhow!("signing the manifest: {e}"))
}
