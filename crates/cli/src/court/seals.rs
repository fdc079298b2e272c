//! `court seals`: the court's seal registry (印章管理, SealService) for a court without a
//! case-management system — make a seal (CreateSeal: the hub's seal maker signs a GB/T 38540
//! SESeal binding the name, the picture and the hub's signing certificate), list them, revoke
//! one. `court seal F… D1 --seal ID` and the `[service] proof_seal_id` / `[receipts] seal_id`
//! settings name a seal made here; until one is made, nothing can be sealed (outside tests,
//! round 20, M3). Every change is one entry of the hub's log.

use ecenter_client::exit::{Exit, refused};
use ecenter_client::hub::HubConfig;
use ecenter_client::table::Table;
use ecenter_client::tool;
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::seal_service_client::SealServiceClient;
use std::path::PathBuf;

/// What to do with the registry.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum SealsCommand {
    /// Makes a seal: the hub's seal maker signs it for the hub's signing certificate.
    Create(CreateArgs),
    /// Every seal of the registry, revoked ones too.
    List {
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Revokes a seal: nothing is sealed with it again; what it sealed still verifies as sealed
    /// before the revocation. Recorded with the reason.
    Revoke {
        /// The seal's id (印章编码).
        seal_id: String,
        /// Why (recorded in the log), e.g. 印章更换.
        #[arg(long)]
        reason: String,
    },
}

/// A new seal.
#[derive(Debug, clap::Args)]
pub(crate) struct CreateArgs {
    /// 印章编码: 1 to 32 characters of A-Z a-z 0-9 . _ -, e.g. 4206-SSFW-09.
    seal_id: String,
    /// 印章名称, e.g. 襄阳市中级人民法院诉讼服务专用章.
    #[arg(long)]
    name: String,
    /// The seal's picture, a PNG of at most 256 KiB.
    #[arg(long)]
    picture: PathBuf,
    /// Validity in days from now, 1 to 3650 (default: the hub's, 365).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=3650))]
    days: Option<u32>,
    /// An SM2/SM3 (国密) seal instead of ECDSA P-256; needs [seals.sm2] on the hub, and is applied
    /// with ApplySeal (PDF seals are ECDSA).
    #[arg(long)]
    sm2: bool,
    /// Print JSON for scripts.
    #[arg(long)]
    json: bool,
}

/// Runs one `court seals` command.
pub(crate) async fn seals(p: &HubConfig, command: SealsCommand) -> Result<(), Exit> {
    let mut c = SealServiceClient::new(tool::channel(p).await?);
    match command {
        SealsCommand::Create(a) => {
            let picture_png = std::fs::read(&a.picture)
                .map_err(|e| Exit(2, anyhow::anyhow!("--picture {}: {e}", a.picture.display())))?;
            if !picture_png.starts_with(b"\x89PNG\r\n\x1a\n") {
                return Err(Exit(
                    2,
                    anyhow::anyhow!("--picture {}: not a PNG", a.picture.display()),
                ));
            }
            let algorithm = if a.sm2 {
                pb::SealAlgorithm::Sm2Sm3
            } else {
                pb::SealAlgorithm::EcdsaP256Sha256
            };
            let request = pb::CreateSealRequest {
                seal_id: a.seal_id,
                name: a.name,
                picture_png,
                valid_days: a.days.unwrap_or(0),
                algorithm: algorithm as i32,
            };
            let seal = c.create_seal(request).await.map_err(refused)?.into_inner();
            print_seals(&[seal], a.json);
        }
        SealsCommand::List { json } => {
            let list = c
                .list_seals(pb::ListSealsRequest {})
                .await
                .map_err(refused)?;
            print_seals(&list.into_inner().seals, json);
        }
        SealsCommand::Revoke { seal_id, reason } => {
            let request = pb::RevokeSealRequest { seal_id, reason };
            let seal = c.revoke_seal(request).await.map_err(refused)?.into_inner();
            print_seals(&[seal], false);
        }
    }
    Ok(())
}

/// The seals as a table (times in Beijing time), or one JSON array.
fn print_seals(seals: &[pb::Seal], json: bool) {
    if json {
        let rows: Vec<serde_json::Value> = (seals.iter()).map(seal_json).collect();
        println!("{}", serde_json::Value::Array(rows));
        return;
    }
    let mut table = Table::new([
        "SEAL 印章编码",
        "NAME 名称",
        "VALID TO 有效期至",
        "STATE 状态",
        "SIGNER",
    ]);
    for s in seals {
        let state = if s.revoked {
            format!("revoked 已注销：{}", s.revoke_reason)
        } else {
            "in use 有效".to_string()
        };
        table.row([
            s.seal_id.as_str(),
            &s.name,
            &ecenter_client::beijing(s.valid_to.as_ref()),
            &state,
            &s.signer,
        ]);
    }
    table.print();
}

fn seal_json(s: &pb::Seal) -> serde_json::Value {
    let algorithm = pb::SealAlgorithm::try_from(s.algorithm).unwrap_or_default();
    serde_json::json!({
        "seal_id": s.seal_id, "name": s.name, "signer": s.signer,
        "valid_from": ecenter_client::beijing_rfc3339(s.valid_from.as_ref()),
        "valid_to": ecenter_client::beijing_rfc3339(s.valid_to.as_ref()),
        "revoked": s.revoked, "revoke_reason": s.revoke_reason,
        "created_by": s.created_by,
        "created_at": ecenter_client::beijing_rfc3339(s.created_at.as_ref()),
        "der_sha256": s.der_sha256, "algorithm": algorithm.as_str_name(),
    })
}
