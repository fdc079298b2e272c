//! `efile notices`: notices of filing (as CM/ECF's NEF). A lawyer opts in to e-mail or SMS
//! notices at addresses of their choosing (`notices set`), sees them (`notices show`), stops them
//! (`notices off`), and registers a colleague as co-counsel on a case in which the court has
//! accepted a filing of theirs (`notices co-counsel`), who then gets the notices of their later
//! filings in it.

use super::{Profile, connect};
use ecenter_client::exit::{Exit, USAGE, refused};
use ecenter_proto::v1 as pb;

/// What to do with notices of filing.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum NoticesCommand {
    /// The addresses you get notices at.
    Show {
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Replaces your addresses (at most 5 in all): notices go to each when a filing of yours is
    /// received, accepted, returned, rejected or docketed.
    Set {
        /// An e-mail address (repeat for more).
        #[arg(long)]
        email: Vec<String>,
        /// An 11-digit mainland mobile number for SMS (repeat for more).
        #[arg(long)]
        sms: Vec<String>,
    },
    /// Stops all notices (removes every address).
    Off,
    /// Registers a colleague as co-counsel on a case in which the court accepted a filing of
    /// yours: they get the notices of your later filings in it too.
    CoCounsel {
        /// The case number, e.g. （2026）鄂06民初777号.
        #[arg(long)]
        case: String,
        /// The colleague, urn:ecenter:lawyer:….
        identity: String,
        /// Remove the colleague instead.
        #[arg(long)]
        remove: bool,
    },
}

/// Runs `efile notices …`.
pub(crate) async fn notices(profile: &Profile, command: NoticesCommand) -> Result<(), Exit> {
    if let NoticesCommand::Set { email, sms } = &command
        && email.is_empty()
        && sms.is_empty()
    {
        return Err(Exit(
            USAGE,
            anyhow::anyhow!(
                "give --email or --sms (or `efile notices off` to stop notices) / 请给出邮箱或手机号"
            ),
        ));
    }
    let mut hub = connect(profile).await?;
    let settings = match command {
        NoticesCommand::Show { json } => {
            let s = hub
                .get_notice_settings(pb::GetNoticeSettingsRequest {})
                .await
                .map_err(refused)?
                .into_inner();
            show(&s, json);
            return Ok(());
        }
        NoticesCommand::Set { email, sms } => {
            let address = |channel: pb::NoticeChannel, a: String| pb::NoticeAddress {
                channel: channel as i32,
                address: a,
            };
            let addresses = email
                .into_iter()
                .map(|a| address(pb::NoticeChannel::Email, a))
                .chain(sms.into_iter().map(|a| address(pb::NoticeChannel::Sms, a)))
                .collect();
            set(&mut hub, addresses).await?
        }
        NoticesCommand::Off => set(&mut hub, Vec::new()).await?,
        NoticesCommand::CoCounsel {
            case,
            identity,
            remove,
        } => {
            let r = hub
                .register_co_counsel(pb::RegisterCoCounselRequest {
                    case_number: case,
                    identity,
                    remove,
                })
                .await
                .map_err(refused)?
                .into_inner();
            let list = if r.co_counsel.is_empty() {
                "none 无".to_string()
            } else {
                r.co_counsel.join(", ")
            };
            println!(
                "your co-counsel on {} 您的共同代理人: {list}",
                r.case_number
            );
            return Ok(());
        }
    };
    show(&settings, false);
    Ok(())
}

async fn set(
    hub: &mut super::Hub,
    addresses: Vec<pb::NoticeAddress>,
) -> Result<pb::NoticeSettings, Exit> {
    Ok(hub
        .set_notice_addresses(pb::SetNoticeAddressesRequest { addresses })
        .await
        .map_err(refused)?
        .into_inner())
}

fn channel_name(c: i32) -> &'static str {
    match pb::NoticeChannel::try_from(c) {
        Ok(pb::NoticeChannel::Email) => "email",
        Ok(pb::NoticeChannel::Sms) => "sms",
        _ => "unknown",
    }
}

fn show(s: &pb::NoticeSettings, json: bool) {
    if json {
        let addresses: Vec<_> = s
            .addresses
            .iter()
            .map(|a| serde_json::json!({"channel": channel_name(a.channel), "address": a.address}))
            .collect();
        let out = serde_json::json!({
            "addresses": addresses,
            "notices_sent": s.notices_sent,
            "channels": {"email": s.email_channel, "sms": s.sms_channel},
        });
        println!("{out}");
        return;
    }
    if s.addresses.is_empty() {
        println!(
            "no notices of filing: none opted in / 未登记通知地址（efile notices set --email …）"
        );
    }
    for a in &s.addresses {
        println!("{:<6}{}", channel_name(a.channel), a.address);
    }
    if !s.notices_sent {
        println!(
            "note: this hub sends no notices (it has no outbox configured) / 注意：本平台未配置通知发送"
        );
    }
}
