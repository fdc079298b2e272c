//! LawyerDirectory: the court's directory of lawyers (律师名录), kept by court systems over gRPC.
//! Each change is one event decided under the writer, so two calls at once cannot list one
//! practising certificate number for two lawyers. The lawyers' portal signs in only lawyers listed
//! here and sends their one-time codes to the phone and e-mail listed here.

use crate::authz::{Operation, authorize};
use crate::error::{ApiError, invalid, store_status};
use crate::filing::page_size;
use crate::identity::{Identity, Role, caller};
use crate::notices::NoticeChannels;
use ecenter_domain::Event;
use ecenter_domain::lawyer::Lawyer;
use ecenter_domain::portal::{History, Limits};
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::lawyer_directory_server::LawyerDirectory;
use ecenter_store::{EventStore, ReadView};
use std::sync::Arc;
use tonic::{Request, Response, Status};

/// Longest reason for a removal, in characters.
const MAX_REASON_CHARS: usize = 200;

/// The LawyerDirectory service over a store.
pub struct LawyerApi<S> {
    store: Arc<S>,
    channels: NoticeChannels,
}

impl<S> LawyerApi<S> {
    /// The service over `store`, on a hub that sends no codes (every entry is taken as given).
    pub fn new(store: Arc<S>) -> Self {
        LawyerApi {
            store,
            channels: NoticeChannels::default(),
        }
    }

    /// The channels this hub sends the portal's sign-in codes by (`[service.smtp]`,
    /// `[service.sms]`): an entry none of whose addresses they reach is refused.
    pub fn with_channels(mut self, channels: NoticeChannels) -> Self {
        self.channels = channels;
        self
    }
}

/// Refuses (FAILED_PRECONDITION) an entry no sign-in code of this hub could reach: a phone only
/// where the hub sends no SMS, an e-mail only where it sends no e-mail or its relay would not take
/// the address (a non-ASCII mailbox name without SMTPUTF8). Such a lawyer would be listed and
/// locked out of the portal without anyone being told. A hub that sends no codes at all takes
/// every entry: a court may keep its directory before it opens the portal.
fn reachable(l: &Lawyer, channels: NoticeChannels) -> Result<(), Status> {
    if !channels.email && !channels.sms {
        return Ok(());
    }
    let mut why = Vec::new();
    match (l.phone.is_empty(), channels.sms) {
        (false, true) => return Ok(()),
        (false, false) => why.push(format!(
            "the phone {} cannot get one: this hub sends no SMS ([service.sms] is not configured)",
            l.phone
        )),
        (true, _) => why.push("no phone is listed".to_string()),
    }
    match (l.email.is_empty(), channels.email) {
        (false, true) => {
            match ecenter_delivery::email::check_address(&l.email, channels.smtputf8) {
                Ok(()) => return Ok(()),
                Err(e) => why.push(e.to_string()),
            }
        }
        (false, false) => why.push(format!(
            "the e-mail {} cannot get one: this hub sends no e-mail ([service.smtp] is not \
             configured)",
            l.email
        )),
        (true, _) => why.push("no e-mail is listed".to_string()),
    }
    Err(ApiError::failed_precondition(format!(
        "lawyer.phone, lawyer.email: no portal sign-in code of this hub could reach this lawyer: \
         {}; list an address this hub sends codes to / 登记的联系方式均无法接收本院的登录验证码",
        why.join("; ")
    ))
    .into())
}

fn to_pb(l: Lawyer) -> pb::Lawyer {
    pb::Lawyer {
        identity: l.identity,
        name: l.name,
        licence_number: l.licence_number,
        law_firm: l.law_firm,
        phone: l.phone,
        email: l.email,
    }
}

fn from_pb(l: pb::Lawyer) -> Lawyer {
    Lawyer {
        identity: l.identity,
        name: l.name,
        licence_number: l.licence_number,
        law_firm: l.law_firm,
        phone: l.phone,
        email: l.email,
    }
    .trimmed()
}

/// A lawyer's identity as given in `field`: well-formed and of the lawyer role (the directory,
/// co-counsel).
pub(crate) fn lawyer_identity(field: &str, text: &str) -> Result<String, Status> {
    let identity = Identity::parse(text.trim()).map_err(|e| invalid(field, e.to_string()))?;
    if identity.role != Role::Lawyer {
        return Err(invalid(
            field,
            format!("{identity} is not a lawyer's identity (urn:ecenter:lawyer:…) / 须为律师身份"),
        ));
    }
    Ok(identity.to_string())
}

/// Where the identity's id is a practising certificate number (17 digits, as the development PKI
/// and many courts issue lawyers' certificates), the entry's number must be that one: a typo
/// would otherwise list someone else's number and lock its holder out.
fn licence_agrees(l: &Lawyer) -> Result<(), Status> {
    let id = l.identity.trim_start_matches("urn:ecenter:lawyer:");
    let is_licence = id.len() == ecenter_domain::lawyer::LICENCE_DIGITS
        && id.bytes().all(|b| b.is_ascii_digit());
    if is_licence && id != l.licence_number {
        return Err(invalid(
            "lawyer.licence_number",
            format!(
                "{} differs from the number {id} in the identity {}; they must agree / 执业证号与身份标识中的执业证号不一致",
                l.licence_number, l.identity
            ),
        ));
    }
    Ok(())
}

fn not_listed(identity: &str) -> Status {
    ApiError::not_found(format!(
        "{identity} is not in the court's directory of lawyers / 律师名录中没有该律师"
    ))
    .into()
}

/// What SetLawyer decided under the writer.
enum Outcome {
    Recorded,
    Unchanged,
    LicenceTaken(String),
}

/// SetLawyer, decided under the writer: records the entry unless it is unchanged or its
/// certificate number is listed for someone else.
async fn set_lawyer<S: EventStore>(
    store: &S,
    by: String,
    lawyer: Lawyer,
) -> Result<(u64, Outcome), Status> {
    let entry = lawyer.clone();
    let (appended, outcome) = store
        .append(Box::new(move |view: &dyn ReadView| {
            if let Some(holder) = view.lawyer_by_licence(&entry.licence_number)?
                && holder != entry.identity
            {
                return Ok((Vec::new(), Outcome::LicenceTaken(holder)));
            }
            if view.lawyer(&entry.identity)?.as_ref() == Some(&entry) {
                return Ok((Vec::new(), Outcome::Unchanged));
            }
            let event = Event::LawyerRecorded { lawyer: entry, by };
            Ok((vec![event], Outcome::Recorded))
        }))
        .await
        .map_err(store_status)?;
    Ok((appended.last().map_or(0, |a| a.seq), outcome))
}

/// The identity a page token continues after (the token is its hex): a lawyer's, or the token is
/// refused — any other text would read as a place past the end, an empty last page.
fn page_after(token: &str) -> Result<Option<String>, Status> {
    if token.is_empty() {
        return Ok(None);
    }
    hex::decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|s| Identity::parse(s).is_ok_and(|i| i.role == Role::Lawyer))
        .map(Some)
        .ok_or_else(|| {
            invalid(
                "page_token",
                "is not a token this hub issued; pass next_page_token unchanged",
            )
        })
}

/// A reason the court gives for a change (removal, lifting a stop): 1 to 200 visible characters.
fn reason_given(text: &str, what_zh: &str) -> Result<String, Status> {
    let reason = text.trim().to_string();
    let hidden = ecenter_domain::text::has_hidden(&reason);
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS || hidden {
        return Err(invalid(
            "reason",
            format!(
                "give why, in 1 to {MAX_REASON_CHARS} visible characters / 请填写{what_zh}的原因"
            ),
        ));
    }
    Ok(reason)
}

/// `identity`'s sign-in codes as they stand at `now` (the portal's limits are fixed figures).
fn sign_in_state(
    identity: String,
    history: &History,
    now: chrono::DateTime<chrono::Utc>,
    seq: u64,
) -> pb::SignInState {
    let s = ecenter_domain::portal::standing(&Limits::default(), history, now);
    let until = s
        .stop
        .map(|t| now + chrono::TimeDelta::seconds(t.wait_secs));
    pb::SignInState {
        identity,
        stopped: s.stop.is_some(),
        stopped_until: until.map(crate::convert::timestamp),
        stop_words: s
            .stop
            .map(ecenter_domain::portal::TooSoon::words)
            .unwrap_or_default(),
        wrong_codes_today: u32::try_from(s.wrong_codes_today).unwrap_or(u32::MAX),
        codes_this_hour: u32::try_from(s.codes_this_hour).unwrap_or(u32::MAX),
        seq,
    }
}

/// The sign-in history of listed lawyer `who` as the writer sees the log, and records the lift
/// of its stop when `lift` holds a lifter and a reason and anything is counted. `None` when
/// not listed.
async fn history_under_writer<S: EventStore>(
    store: &S,
    who: String,
    lift: Option<(String, String)>,
) -> Result<Option<(History, u64)>, Status> {
    let (appended, found) = store
        .append(Box::new(move |view: &dyn ReadView| {
            if view.lawyer(&who)?.is_none() {
                return Ok((Vec::new(), None));
            }
            let history = view.sign_in_history(&who)?;
            let counted = !history.codes_sent.is_empty() || !history.wrong_codes.is_empty();
            let events = match lift {
                Some((by, reason)) if counted => vec![Event::SignInStopLifted {
                    identity: who,
                    by,
                    reason,
                }],
                _ => Vec::new(),
            };
            let lifted = !events.is_empty();
            Ok((events, Some((history, lifted))))
        }))
        .await
        .map_err(store_status)?;
    let seq = appended.last().map_or(0, |a| a.seq);
    Ok(found.map(|(history, lifted)| {
        if lifted {
            (History::default(), seq)
        } else {
            (history, 0)
        }
    }))
}

#[tonic::async_trait]
impl<S: EventStore> LawyerDirectory for LawyerApi<S> {
    async fn get_sign_in_state(
        &self,
        request: Request<pb::GetLawyerRequest>,
    ) -> Result<Response<pb::SignInState>, Status> {
        let identity = caller(&request)?;
        let asked = request.get_ref().identity.trim().to_string();
        let op = Operation::GetSignInState;
        authorize(&*self.store, &identity, op, Some(&asked), None).await?;
        let wanted = lawyer_identity("identity", &asked)?;
        let Some((history, _)) = history_under_writer(&*self.store, wanted.clone(), None).await?
        else {
            return Err(not_listed(&wanted));
        };
        let now = chrono::Utc::now();
        Ok(Response::new(sign_in_state(wanted, &history, now, 0)))
    }

    async fn lift_sign_in_stop(
        &self,
        request: Request<pb::LiftSignInStopRequest>,
    ) -> Result<Response<pb::SignInState>, Status> {
        let identity = caller(&request)?;
        authorize(
            &*self.store,
            &identity,
            Operation::LiftSignInStop,
            None,
            None,
        )
        .await?;
        let r = request.into_inner();
        let wanted = lawyer_identity("identity", &r.identity)?;
        let reason = reason_given(&r.reason, "解除验证码暂停")?;
        let lift = Some((identity.to_string(), reason));
        let Some((history, seq)) = history_under_writer(&*self.store, wanted.clone(), lift).await?
        else {
            return Err(not_listed(&wanted));
        };
        tracing::info!(lawyer = %wanted, by = %identity, seq, "sign-in stop lifted");
        let now = chrono::Utc::now();
        Ok(Response::new(sign_in_state(wanted, &history, now, seq)))
    }

    async fn set_lawyer(
        &self,
        request: Request<pb::SetLawyerRequest>,
    ) -> Result<Response<pb::LawyerEntry>, Status> {
        let identity = caller(&request)?;
        authorize(&*self.store, &identity, Operation::SetLawyer, None, None).await?;
        let Some(given) = request.into_inner().lawyer else {
            return Err(invalid("lawyer", "is missing / 请填写律师信息"));
        };
        let mut lawyer = from_pb(given);
        lawyer.identity = lawyer_identity("lawyer.identity", &lawyer.identity)?;
        lawyer
            .check()
            .map_err(|e| Status::from(ApiError::Domain(e)))?;
        licence_agrees(&lawyer)?;
        reachable(&lawyer, self.channels)?;
        let (seq, outcome) = set_lawyer(&*self.store, identity.to_string(), lawyer.clone()).await?;
        match outcome {
            Outcome::LicenceTaken(holder) => Err(ApiError::already_exists(format!(
                "lawyer.licence_number: {} is listed for {holder}; correct or remove that entry first / 该执业证号已登记在其他律师名下",
                lawyer.licence_number
            ))
            .into()),
            Outcome::Unchanged | Outcome::Recorded => Ok(Response::new(pb::LawyerEntry {
                lawyer: Some(to_pb(lawyer)),
                seq,
                changed: matches!(outcome, Outcome::Recorded),
            })),
        }
    }

    async fn get_lawyer(
        &self,
        request: Request<pb::GetLawyerRequest>,
    ) -> Result<Response<pb::Lawyer>, Status> {
        let identity = caller(&request)?;
        // Authorized on the text as given, before it is parsed: a lawyer probing another identity,
        // well-formed or not, gets the same audited refusal.
        let asked = request.get_ref().identity.trim().to_string();
        let op = Operation::GetLawyer;
        authorize(&*self.store, &identity, op, Some(&asked), None).await?;
        let wanted = lawyer_identity("identity", &asked)?;
        let Some(listed) = self.store.lawyer(&wanted).map_err(store_status)? else {
            return Err(not_listed(&wanted));
        };
        // Shown only once the entry that listed it is durable.
        self.store
            .wait_durable(listed.seq)
            .await
            .map_err(store_status)?;
        Ok(Response::new(to_pb(listed.lawyer)))
    }

    async fn list_lawyers(
        &self,
        request: Request<pb::ListLawyersRequest>,
    ) -> Result<Response<pb::ListLawyersResponse>, Status> {
        let identity = caller(&request)?;
        authorize(&*self.store, &identity, Operation::ListLawyers, None, None).await?;
        let r = request.into_inner();
        let limit = page_size(r.page_size)?;
        let after = page_after(&r.page_token)?;
        let mut page = self
            .store
            .lawyers(after.as_deref(), limit + 1)
            .map_err(store_status)?;
        let next_page_token = if page.len() > limit {
            page.truncate(limit);
            let last = page.last().map(|l| hex::encode(&l.lawyer.identity));
            last.unwrap_or_default()
        } else {
            String::new()
        };
        // Shown only once every entry on the page is durable.
        let newest = page.iter().map(|l| l.seq).max().unwrap_or(0);
        self.store
            .wait_durable(newest)
            .await
            .map_err(store_status)?;
        Ok(Response::new(pb::ListLawyersResponse {
            lawyers: page.into_iter().map(|l| to_pb(l.lawyer)).collect(),
            next_page_token,
        }))
    }

    async fn remove_lawyer(
        &self,
        request: Request<pb::RemoveLawyerRequest>,
    ) -> Result<Response<pb::LawyerEntry>, Status> {
        let identity = caller(&request)?;
        authorize(&*self.store, &identity, Operation::RemoveLawyer, None, None).await?;
        let r = request.into_inner();
        let wanted = lawyer_identity("identity", &r.identity)?;
        let reason = reason_given(&r.reason, "移出名录")?;
        let (by, who) = (identity.to_string(), wanted.clone());
        let (appended, listed) = self
            .store
            .append(Box::new(move |view: &dyn ReadView| {
                if view.lawyer(&who)?.is_none() {
                    return Ok((Vec::new(), false));
                }
                let event = Event::LawyerRemoved {
                    identity: who,
                    by,
                    reason,
                };
                Ok((vec![event], true))
            }))
            .await
            .map_err(store_status)?;
        if !listed {
            return Err(not_listed(&wanted));
        }
        Ok(Response::new(pb::LawyerEntry {
            lawyer: None,
            seq: appended.last().map_or(0, |a| a.seq),
            changed: true,
        }))
    }
}
