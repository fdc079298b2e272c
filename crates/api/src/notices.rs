//! Notices of filing (NEF) as a lawyer manages them: the addresses they opted in to
//! (GetNoticeSettings, SetNoticeAddresses) and colleagues registered as co-counsel on a case
//! (RegisterCoCounsel). The notices themselves are made due by the filing's events in the store
//! and sent by the outbox; here only the choices are recorded, each as one event.

use crate::authz::{Operation, authorize};
use crate::error::{ApiError, invalid, store_status};
use ecenter_domain::effective_service::Channel;
use ecenter_domain::filing_notice::NoticeAddress;
use ecenter_domain::{CaseNumber, Event};
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

/// GetNoticeSettings: the caller's addresses.
pub(crate) async fn get_settings<S: EventStore>(
    store: &S,
    notices_sent: bool,
    request: Request<pb::GetNoticeSettingsRequest>,
) -> Result<Response<pb::NoticeSettings>, Status> {
    let identity = crate::identity::caller(&request)?;
    authorize(store, &identity, Operation::NoticeSettings, None, None).await?;
    let addresses = store
        .notice_addresses(&identity.to_string())
        .map_err(store_status)?;
    Ok(Response::new(pb::NoticeSettings {
        addresses: addresses.iter().map(to_pb).collect(),
        notices_sent,
        seq: 0,
    }))
}

/// SetNoticeAddresses: checks every address, then records `notice_addresses_set`.
pub(crate) async fn set_addresses<S: EventStore>(
    store: &S,
    notices_sent: bool,
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
    let event = Event::NoticeAddressesSet {
        identity: identity.to_string(),
        addresses: addresses.clone(),
    };
    let (appended, ()) = store
        .append(Box::new(move |_: &dyn ReadView| Ok((vec![event], ()))))
        .await
        .map_err(store_status)?;
    Ok(Response::new(pb::NoticeSettings {
        addresses: addresses.iter().map(to_pb).collect(),
        notices_sent,
        seq: appended.last().map_or(0, |a| a.seq),
    }))
}

/// RegisterCoCounsel: a lawyer with a filing in the case registers a colleague on it.
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
    let colleague = crate::identity::Identity::parse(r.identity.trim())
        .map_err(|e| invalid("identity", e.to_string()))?;
    if colleague.role != crate::identity::Role::Lawyer {
        return Err(invalid(
            "identity",
            format!("{colleague} is not a lawyer (urn:ecenter:lawyer:…) / 共同代理人须为律师"),
        ));
    }
    let me = identity.to_string();
    let filter = FilingFilter {
        case_number: Some(case.clone()),
        submitter: Some(me.clone()),
        ..FilingFilter::default()
    };
    let filed = store.list_filings(&filter, None, 1).map_err(store_status)?;
    if filed.filings.is_empty() {
        return Err(ApiError::failed_precondition(format!(
            "you have no filing in {case}: only a lawyer who has filed in a case may register co-counsel on it / 您在该案中没有提交记录，不能登记共同代理人"
        ))
        .into());
    }
    let event = Event::CoCounselRegistered {
        case_number: case.clone(),
        identity: colleague.to_string(),
        by: me,
    };
    let (appended, ()) = store
        .append(Box::new(move |_: &dyn ReadView| Ok((vec![event], ()))))
        .await
        .map_err(store_status)?;
    let co_counsel = store.co_counsel(&case).map_err(store_status)?;
    Ok(Response::new(pb::RegisterCoCounselResponse {
        case_number: case,
        co_counsel,
        seq: appended.last().map_or(0, |a| a.seq),
    }))
}
