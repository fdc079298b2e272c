//! `court serve`: orders sealed documents served electronically (ServiceOfProcess.ServeOrder)
//! from the same tool that sealed them. Each recipient is one `--to` with their addresses and
//! how the court came by each (it decides when service takes effect, art. 31 of the SPC Online
//! Litigation Rules); the plan is the channels in order, each with its deadline in hours. The
//! request id is derived from the whole order, so running the same command again returns the
//! same order instead of serving twice.

use ecenter_client::exit::{Exit, USAGE, refused};
use ecenter_client::hub::HubConfig;
use ecenter_client::tool;
use ecenter_proto::v1 as pb;

/// What to serve on whom, and how.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// The case number, e.g. （2026）鄂06民初777号.
    #[arg(long)]
    case: String,
    /// Sealed copies to serve, as F…/S1 (from `court seal`).
    #[arg(required = true)]
    documents: Vec<String>,
    /// A recipient: NAME,key=value,… with role=, email=, email-basis=, phone=, phone-basis=
    /// (confirmed | provided | discovered), consent= (what the consent to electronic service
    /// rests on; write its commas full-width，) and identity= (urn:ecenter:lawyer:…, optional).
    /// Repeat for more recipients.
    #[arg(long = "to", required = true, value_parser = parse_recipient)]
    recipients: Vec<pb::ServeRecipient>,
    /// The channels in order, each with its deadline in hours before the next is tried.
    #[arg(long, value_delimiter = ',', default_value = "email:72,sms:72", value_parser = parse_step)]
    plan: Vec<pb::PlanStep>,
    /// How long the recipients' links work, in hours from the order; at least the plan's
    /// deadlines added up (default: the hub's, 168, lengthened to the plan).
    #[arg(long)]
    link_hours: Option<u32>,
    /// The order's idempotency key (default: derived from the order itself, so the same
    /// command run again is the same order; give a new one to serve the same again on purpose).
    #[arg(long)]
    request_id: Option<String>,
    /// Print JSON for scripts.
    #[arg(long)]
    json: bool,
}

fn basis(value: &str) -> Result<pb::AddressBasis, String> {
    match value {
        "confirmed" => Ok(pb::AddressBasis::Confirmed),
        "provided" => Ok(pb::AddressBasis::Provided),
        "discovered" => Ok(pb::AddressBasis::Discovered),
        other => Err(format!(
            "「{other}」 is not a basis: confirmed (送达地址确认书), provided or discovered"
        )),
    }
}

/// Parses `NAME,key=value,…` into a recipient.
pub(crate) fn parse_recipient(spec: &str) -> Result<pb::ServeRecipient, String> {
    let mut parts = spec.split(',').map(str::trim);
    let name = parts.next().filter(|n| !n.is_empty() && !n.contains('='));
    let Some(name) = name else {
        return Err("start with the recipient's name, e.g. 张三,email=…".into());
    };
    let mut r = pb::ServeRecipient {
        name: name.to_string(),
        ..Default::default()
    };
    let mut seen = Vec::new();
    for part in parts {
        let Some((key, value)) = part.split_once('=') else {
            return Err(format!("「{part}」 is not key=value"));
        };
        let (key, value) = (key.trim(), value.trim().to_string());
        if seen.contains(&key) {
            return Err(format!("{key}= is given twice"));
        }
        seen.push(key);
        match key {
            "role" => r.role = value,
            "email" => r.email = value,
            "phone" => r.phone = value,
            "email-basis" => r.email_basis = basis(&value)? as i32,
            "phone-basis" => r.phone_basis = basis(&value)? as i32,
            "consent" => r.consent_basis = value,
            "identity" => r.identity = value,
            other => {
                return Err(format!(
                    "unknown key 「{other}」: use role, email, email-basis, phone, phone-basis, consent or identity"
                ));
            }
        }
    }
    Ok(r)
}

/// Parses `email:72` or `sms:48`.
fn parse_step(spec: &str) -> Result<pb::PlanStep, String> {
    let (channel, hours) = spec
        .split_once(':')
        .ok_or_else(|| format!("「{spec}」: give CHANNEL:HOURS, e.g. email:72"))?;
    let channel = match channel.trim() {
        "email" => pb::ServiceChannel::Email,
        "sms" => pb::ServiceChannel::Sms,
        other => return Err(format!("「{other}」 is not a channel: email or sms")),
    };
    let deadline_hours = hours
        .trim()
        .parse()
        .map_err(|_| format!("「{hours}」 is not a number of hours"))?;
    Ok(pb::PlanStep {
        channel: channel as i32,
        deadline_hours,
    })
}

/// The request id of an order: the same command gives the same id, so a rerun is a retry. The
/// case number is normalised first (by the caller, in the request sent too), so a rerun that
/// writes its brackets differently is the same order to the hub as well.
fn request_id(request: &pb::ServeOrderRequest) -> String {
    let bytes = prost::Message::encode_to_vec(request);
    let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
    format!("court-serve-{}", &hex::encode(digest.as_ref())[..24])
}

/// A refusal of a plan step names `--plan`: the default plan (e-mail, then SMS) asks for a
/// channel a hub without `[service.sms]` does not have.
fn with_plan_hint(Exit(code, why): Exit) -> Exit {
    if !why.to_string().contains("plan[") {
        return Exit(code, why);
    }
    Exit(
        code,
        anyhow::anyhow!(
            "{why:#}\n  --plan: give only the channels this hub offers, e.g. --plan email:72 (the \
             default is email:72,sms:72) / 请用 --plan 只列出本中心已配置的送达方式"
        ),
    )
}

/// Orders the service and prints the order id with each recipient's id.
pub(crate) async fn serve(p: &HubConfig, args: ServeArgs) -> Result<(), Exit> {
    if args.plan.is_empty() {
        return Err(Exit(
            USAGE,
            anyhow::anyhow!("--plan needs at least one step"),
        ));
    }
    // A number that does not parse goes as given: the hub names what is wrong with it.
    let case_number =
        ecenter_domain::CaseNumber::parse(&args.case).map_or(args.case, |c| c.normalized());
    let mut request = pb::ServeOrderRequest {
        request_id: String::new(),
        case_number,
        documents: args.documents,
        recipients: args.recipients,
        plan: args.plan,
        link_valid_hours: args.link_hours.unwrap_or(0),
    };
    request.request_id = match args.request_id {
        Some(id) => id,
        None => request_id(&request),
    };
    let order = pb::service_of_process_client::ServiceOfProcessClient::new(tool::channel(p).await?)
        .serve_order(request)
        .await
        .map_err(|status| with_plan_hint(refused(status)))?
        .into_inner();
    if args.json {
        let recipients: Vec<_> = order
            .recipients
            .iter()
            .map(|r| serde_json::json!({"recipient_id": r.recipient_id, "name": r.name}))
            .collect();
        let out = serde_json::json!({"order_id": order.order_id, "seq": order.seq, "recipients": recipients});
        println!("{out}");
        return Ok(());
    }
    println!(
        "service ordered 已发起电子送达: {} (log entry {})",
        order.order_id, order.seq
    );
    for r in &order.recipients {
        println!("  {}  {}", r.recipient_id, r.name);
    }
    println!("follow it with: clerk service {}", order.order_id);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recipient_spec_is_read_or_refused_with_why() {
        let r = parse_recipient(
            "王五, role=被告, email=wangwu@example.cn, email-basis=confirmed, consent=送达地址确认书（2026年11月2日）",
        )
        .unwrap();
        assert_eq!(r.name, "王五");
        assert_eq!(r.email, "wangwu@example.cn");
        assert_eq!(r.email_basis, pb::AddressBasis::Confirmed as i32);
        assert_eq!(r.consent_basis, "送达地址确认书（2026年11月2日）");
        for (bad, why) in [
            ("email=x@y.cn", "name"),
            ("王五,fax=1", "unknown key"),
            ("王五,email=a@b.cn,email=c@d.cn", "twice"),
            ("王五,email-basis=maybe", "not a basis"),
            ("王五,phone", "key=value"),
        ] {
            let e = parse_recipient(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn the_same_order_written_differently_has_the_same_request_id() {
        let order = |case: &str| pb::ServeOrderRequest {
            case_number: case.into(),
            documents: vec!["F000000000001/S1".into()],
            recipients: vec![parse_recipient("王五,email=w@example.cn").unwrap()],
            plan: vec![parse_step("email:72").unwrap()],
            ..Default::default()
        };
        let a = request_id(&order("（2026）鄂06民初777号"));
        assert_eq!(a, request_id(&order("（2026）鄂06民初777号")));
        assert_ne!(a, request_id(&order("（2026）鄂06民初778号")));
        assert!(parse_step("fax:1").is_err() && parse_step("email").is_err());
    }
}
