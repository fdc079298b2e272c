//! Notices of filing (NEF) as a lawyer manages them: the addresses they opted in to
//! (GetNoticeSettings, SetNoticeAddresses) and colleagues registered as co-counsel on a case
//! (RegisterCoCounsel). The notices themselves are made due by the filing's events in the store
//! and sent by the outbox; here only the choices are recorded, each as one event.

use crate::authz::{Operation, authorize};
use crate::error::{ApiError, invalid, store_status};
use ecenter_domain::effective_service::Channel;
use ecenter_domain::filing_notice::NoticeAddress;
use ecenter_domain::{CaseNumber, Event, FilingState};
use ecenter_proto::v1 as pb;
use ecenter_store::{EventStore, FilingFilter, ReadView};
use tonic::{Request, Response, Status};

fn to_pb(a: &NoticeAddress) -> pb::NoticeAddress {
    let channel = match a.channel {
        Channel::Email => pb::NoticeChannel::Email,
        Channel::Sms => pb::NoticeChannel::Sms,
    };
    pb::NoticeAddress {
        channel: channel as i32,
        address: a.address.clone(),
    }
}

fn from_pb(i: usize, a: pb::NoticeAddress) -> Result<NoticeAddress, Status> {
    let channel = match pb::NoticeChannel::try_from(a.channel) {
        Ok(pb::NoticeChannel::Email) => Channel::Email,
        Ok(pb::NoticeChannel::Sms) => Channel::Sms,
        _ => {
            return Err(invalid(
                &format!("addresses[{i}].channel"),
                "choose NOTICE_CHANNEL_EMAIL or NOTICE_CHANNEL_SMS",
            ));
        }
    };
    Ok(NoticeAddress {
        channel,
        address: a.address.trim().to_string(),
    })
}

/// Which channels notices of filing go by on this hub (from `[service]`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoticeChannels {
    /// `[service.smtp]` is configured.
    pub email: bool,
    /// `[service.sms]` is configured.
    pub sms: bool,
    /// The relay takes internationalised mailboxes (`[service.smtp] smtputf8`).
    pub smtputf8: bool,
}

fn settings(addresses: &[NoticeAddress], channels: NoticeChannels, seq: u64) -> pb::NoticeSettings {
    pb::NoticeSettings {
        addresses: addresses.iter().map(to_pb).collect(),
        notices_sent: channels.email || channels.sms,
        seq,
        email_channel: channels.email,
        sms_channel: channels.sms,
    }
}

/// Refuses an address this hub could never send to: a channel it lacks, or a mailbox the relay
/// would not take.
fn check_sendable(addresses: &[NoticeAddress], channels: NoticeChannels) -> Result<(), Status> {
    for (i, a) in addresses.iter().enumerate() {
        match a.channel {
            Channel::Email if !channels.email => {
                return Err(ApiError::failed_precondition(format!(
                    "addresses[{i}]: this hub sends no e-mail notices ([service.smtp] is not configured) / 本平台不发送邮件通知"
                ))
                .into());
            }
            Channel::Sms if !channels.sms => {
                return Err(ApiError::failed_precondition(format!(
                    "addresses[{i}]: this hub sends no SMS notices ([service.sms] is not configured) / 本平台不发送短信通知"
                ))
                .into());
            }
            Channel::Email => {
                let field = format!("addresses[{i}]");
                crate::error::sendable_email(&field, &a.address, channels.smtputf8)?;
            }
            Channel::Sms => {}
        }
    }
    Ok(())
}

/// GetNoticeSettings: the caller's addresses.
pub(crate) async fn get_settings<S: EventStore>(
    store: &S,
    channels: NoticeChannels,
    request: Request<pb::GetNoticeSettingsRequest>,
) -> Result<Response<pb::NoticeSettings>, Status> {
    let identity = crate::identity::caller(&request)?;
    authorize(store, &identity, Operation::NoticeSettings, None, None).await?;
    let addresses = store
        .notice_addresses(&identity.to_string())
        .map_err(store_status)?;
    Ok(Response::new(settings(&addresses, channels, 0)))
}

/// SetNoticeAddresses: checks every address, then records `notice_addresses_set`.
pub(crate) async fn set_addresses<S: EventStore>(
    store: &S,
    channels: NoticeChannels,
    request: Request<pb::SetNoticeAddressesRequest>,
) -> Result<Response<pb::NoticeSettings>, Status> {
    let identity = crate::identity::caller(&request)?;
    authorize(store, &identity, Operation::NoticeSettings, None, None).await?;
    let addresses = request
        .into_inner()
        .addresses
        .into_iter()
        .enumerate()
        .map(|(i, a)| from_pb(i, a))
        .collect::<Result<Vec<_>, _>>()?;
    NoticeAddress::check_all(&addresses).map_err(|e| Status::from(ApiError::Domain(e)))?;
    check_sendable(&addresses, channels)?;
    let event = Event::NoticeAddressesSet {
        identity: identity.to_string(),
        addresses: addresses.clone(),
    };
    let (appended, ()) = store
        .append(Box::new(move |_: &dyn ReadView| Ok((vec![event], ()))))
        .await
        .map_err(store_status)?;
    let seq = appended.last().map_or(0, |a| a.seq);
    Ok(Response::new(settings(&addresses, channels, seq)))
}

/// Most co-counsel one lawyer may register on one case.
const MAX_CO_COUNSEL: usize = 10;

/// Why a co-counsel change was refused under the writer.
enum CoCounselRefusal {
    /// Removing someone not registered.
    NotRegistered,
    /// Registering beyond [`MAX_CO_COUNSEL`].
    Full,
}

/// RegisterCoCounsel: a lawyer with an accepted filing in the case registers (or removes) a
/// colleague, who then hears of that lawyer's filings in the case.
pub(crate) async fn register_co_counsel<S: EventStore>(
    store: &S,
    request: Request<pb::RegisterCoCounselRequest>,
) -> Result<Response<pb::RegisterCoCounselResponse>, Status> {
    let identity = crate::identity::caller(&request)?;
    authorize(store, &identity, Operation::RegisterCoCounsel, None, None).await?;
    let r = request.into_inner();
    let case = CaseNumber::parse(&r.case_number)
        .map_err(|e| invalid("case_number", e.to_string()))?
        .normalized();
    let colleague = crate::lawyers::lawyer_identity("identity", &r.identity)?;
    let me = identity.to_string();
    if colleague == me {
        return Err(invalid(
            "identity",
            "you hear of your own filings already; name a colleague / 请填写其他律师",
        ));
    }
    check_accepted_filing(store, &case, &me)?;
    let (c, by, remove) = (case.clone(), me.clone(), r.remove);
    // Decided under the writer, so two calls at once cannot pass the cap together.
    let (appended, refusal) = store
        .append(Box::new(move |view: &dyn ReadView| {
            let current = view.co_counsel(&c, &by)?;
            let registered = current.contains(&colleague);
            let event = match (remove, registered) {
                (true, false) => return Ok((Vec::new(), Some(CoCounselRefusal::NotRegistered))),
                (false, true) => return Ok((Vec::new(), None)),
                (false, false) if current.len() >= MAX_CO_COUNSEL => {
                    return Ok((Vec::new(), Some(CoCounselRefusal::Full)));
                }
                (true, true) => Event::CoCounselRemoved {
                    case_number: c,
                    identity: colleague,
                    by,
                },
                (false, false) => Event::CoCounselRegistered {
                    case_number: c,
                    identity: colleague,
                    by,
                },
            };
            Ok((vec![event], None))
        }))
        .await
        .map_err(store_status)?;
    if let Some(refusal) = refusal {
        let message = match refusal {
            CoCounselRefusal::NotRegistered => format!(
                "{} is not your co-counsel on {case} / 该律师不是您在本案登记的共同代理人",
                r.identity.trim()
            ),
            CoCounselRefusal::Full => format!(
                "you have {MAX_CO_COUNSEL} co-counsel on {case} already; remove one first / 共同代理人已达上限"
            ),
        };
        return Err(ApiError::failed_precondition(message).into());
    }
    let co_counsel = store.co_counsel(&case, &me).map_err(store_status)?;
    Ok(Response::new(pb::RegisterCoCounselResponse {
        case_number: case,
        co_counsel,
        seq: appended.last().map_or(0, |a| a.seq),
    }))
}

/// Refuses a lawyer the court has not yet accepted as filing in `case`: any lawyer may file, but
/// only one whose filing the court accepted is known to be in the case.
fn check_accepted_filing<S: EventStore>(store: &S, case: &str, me: &str) -> Result<(), Status> {
    let accepted = [
        FilingState::Accepted,
        FilingState::PartiallyAccepted,
        FilingState::Docketed,
    ];
    for state in accepted {
        let filter = FilingFilter {
            case_number: Some(case.to_string()),
            submitter: Some(me.to_string()),
            state: Some(state),
            ..FilingFilter::default()
        };
        if !store
            .list_filings(&filter, None, 1)
            .map_err(store_status)?
            .filings
            .is_empty()
        {
            return Ok(());
        }
    }
    Err(ApiError::failed_precondition(format!(
        "you have no filing the court accepted in {case}: co-counsel can be registered once it has / 您在该案中尚无被法院接收的提交，暂不能登记共同代理人"
    ))
    .into())
}
