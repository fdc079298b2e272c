//! `court lawyer`: the court's directory of lawyers (律师名录, LawyerDirectory) for a court without a
//! case-management system: list a lawyer or change their entry, show (with where their sign-in
//! codes stand), list all, lift a stop on their sign-in codes, remove. Only
//! listed lawyers can sign in to the lawyers' portal, and their sign-in codes go to the phone and
//! e-mail given here; every change is one entry of the hub's log.

use ecenter_client::exit::{Exit, refused};
use ecenter_client::hub::HubConfig;
use ecenter_client::table::Table;
use ecenter_client::tool;
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::lawyer_directory_client::LawyerDirectoryClient;

/// What to do with the directory.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum LawyerCommand {
    /// Lists a lawyer, or replaces their entry (give every field).
    Set(SetArgs),
    /// One lawyer's entry.
    Show {
        /// The lawyer's identity, urn:ecenter:lawyer:….
        identity: String,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Every listed lawyer, by identity.
    List {
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Lifts the stop on a lawyer's portal sign-in codes (too many wrong codes, or too many codes
    /// in an hour — anyone who knows the 执业证号 can cause one), once you have checked who is
    /// asking; the lawyer's counts start afresh. Recorded with the reason.
    LiftStop {
        /// The lawyer's identity, urn:ecenter:lawyer:….
        identity: String,
        /// Why (recorded in the log), e.g. 律师来电，已核实身份.
        #[arg(long)]
        reason: String,
    },
    /// Takes a lawyer off the directory: they can no longer sign in to the portal.
    Remove {
        /// The lawyer's identity, urn:ecenter:lawyer:….
        identity: String,
        /// Why (recorded in the log), e.g. 注销执业证.
        #[arg(long)]
        reason: String,
    },
}

/// A lawyer's whole entry; at least one of `--phone` and `--email`, where sign-in codes go.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("address").required(true).multiple(true).args(["phone", "email"])))]
pub(crate) struct SetArgs {
    /// The lawyer's identity, as in their client certificate (urn:ecenter:lawyer:…).
    identity: String,
    /// 姓名, as on the practising certificate.
    #[arg(long)]
    name: String,
    /// 执业证号, 17 digits.
    #[arg(long)]
    licence: String,
    /// 执业机构: the law firm.
    #[arg(long)]
    firm: String,
    /// Mobile number for sign-in codes by SMS (11 digits).
    #[arg(long)]
    phone: Option<String>,
    /// E-mail address for sign-in codes by e-mail.
    #[arg(long)]
    email: Option<String>,
}

/// Runs one `court lawyer` command.
pub(crate) async fn lawyer(p: &HubConfig, command: LawyerCommand) -> Result<(), Exit> {
    let mut c = LawyerDirectoryClient::new(tool::channel(p).await?);
    match command {
        LawyerCommand::Set(a) => {
            let lawyer = pb::Lawyer {
                identity: a.identity,
                name: a.name,
                licence_number: a.licence,
                law_firm: a.firm,
                phone: a.phone.unwrap_or_default(),
                email: a.email.unwrap_or_default(),
            };
            let request = pb::SetLawyerRequest {
                lawyer: Some(lawyer),
            };
            let entry = c.set_lawyer(request).await.map_err(refused)?.into_inner();
            let l = entry.lawyer.unwrap_or_default();
            if entry.changed {
                println!("listed 已登记: {} (log entry {})", l.identity, entry.seq);
            } else {
                println!("unchanged 未变更: {} is listed exactly so", l.identity);
            }
            print_entry(&l);
        }
        LawyerCommand::Show { identity, json } => {
            let request = pb::GetLawyerRequest { identity };
            let l = c.get_lawyer(request.clone()).await.map_err(refused)?;
            let state = c.get_sign_in_state(request).await.map_err(refused)?;
            let (l, state) = (l.into_inner(), state.into_inner());
            if json {
                let mut out = lawyer_json(&l);
                out["sign_in"] = state_json(&state);
                println!("{out}");
            } else {
                print_entry(&l);
                print_state(&state);
            }
        }
        LawyerCommand::LiftStop { identity, reason } => {
            let request = pb::LiftSignInStopRequest { identity, reason };
            let state = c.lift_sign_in_stop(request).await.map_err(refused)?;
            let state = state.into_inner();
            if state.seq == 0 {
                println!(
                    "nothing to lift 无需解除: {} has no codes or wrong codes counted",
                    state.identity
                );
            } else {
                println!(
                    "lifted 已解除验证码暂停: {} (log entry {})",
                    state.identity, state.seq
                );
            }
        }
        LawyerCommand::List { json } => list(&mut c, json).await?,
        LawyerCommand::Remove { identity, reason } => {
            let request = pb::RemoveLawyerRequest {
                identity: identity.clone(),
                reason,
            };
            let entry = c
                .remove_lawyer(request)
                .await
                .map_err(refused)?
                .into_inner();
            println!("removed 已移出名录: {identity} (log entry {})", entry.seq);
        }
    }
    Ok(())
}

async fn list(
    c: &mut LawyerDirectoryClient<ecenter_client::hub::HubChannel>,
    json: bool,
) -> Result<(), Exit> {
    let mut all = Vec::new();
    let mut page_token = String::new();
    loop {
        let request = pb::ListLawyersRequest {
            page_size: 500,
            page_token,
        };
        let page = c.list_lawyers(request).await.map_err(refused)?.into_inner();
        all.extend(page.lawyers);
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    if json {
        let rows: Vec<_> = all.iter().map(lawyer_json).collect();
        println!("{}", serde_json::Value::Array(rows));
        return Ok(());
    }
    if all.is_empty() {
        println!("no lawyers listed / 律师名录为空");
        return Ok(());
    }
    // Both places a sign-in code can go: a court without SMS relies on the e-mail column.
    let mut table = Table::new([
        "IDENTITY",
        "NAME 姓名",
        "LICENCE 执业证号",
        "FIRM 执业机构",
        "PHONE 手机",
        "E-MAIL 电子邮箱",
    ]);
    for l in &all {
        table.row([
            &l.identity,
            &l.name,
            &l.licence_number,
            &l.law_firm,
            &l.phone,
            &l.email,
        ]);
    }
    table.print();
    Ok(())
}

fn print_entry(l: &pb::Lawyer) {
    println!(
        "  {} · 执业证号 {} · {}",
        l.name, l.licence_number, l.law_firm
    );
    println!(
        "  sign-in codes to 验证码发送至: {}",
        ecenter_client::words::code_addresses(l)
    );
}

/// The sign-in codes' standing for people: a stop with its end in Beijing time, and the counts.
fn print_state(s: &pb::SignInState) {
    if s.stopped {
        println!(
            "  sign-in codes STOPPED 验证码已暂停发送 until 至 {} (Beijing time): {}",
            ecenter_client::beijing(s.stopped_until.as_ref()),
            s.stop_words
        );
        println!(
            "    lift 解除: court lawyer lift-stop {} --reason …",
            s.identity
        );
    }
    println!(
        "  sign-in 登录验证码: {} sent this hour 近一小时已发送 (limit 5) · {} wrong today 近 24 小时错误 (limit 10)",
        s.codes_this_hour, s.wrong_codes_today
    );
}

fn state_json(s: &pb::SignInState) -> serde_json::Value {
    serde_json::json!({
        "stopped": s.stopped,
        "stopped_until": s.stopped.then(|| ecenter_client::beijing_rfc3339(s.stopped_until.as_ref())),
        "stop_words": s.stop_words,
        "codes_this_hour": s.codes_this_hour,
        "wrong_codes_today": s.wrong_codes_today,
    })
}

fn lawyer_json(l: &pb::Lawyer) -> serde_json::Value {
    serde_json::json!({
        "identity": l.identity, "name": l.name, "licence_number": l.licence_number,
        "law_firm": l.law_firm, "phone": l.phone, "email": l.email,
    })
}
