//! `FilingService`: receive (收), route (转) and review filings.

use crate::authz::{Operation, authorize};
use crate::convert;
use crate::error::{ApiError, domain_status, invalid, store_status};
use crate::identity::{Identity, Role};
use crate::intake;
use crate::revocation::StillGood;
use ecenter_domain::lifecycle::review_outcome;
use ecenter_domain::policy::CourtPolicy;
use ecenter_domain::{
    Action, CaseNumber, Decision, DocumentDecision, DomainError, Event, RoutingTable,
};
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::filing_service_server::FilingService;
use ecenter_store::{EventStore, FilingFilter, ReadView, StoreError, StoredEntry};
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

/// Longest a reviewer's comment on a filing (审查意见, what the filer is told to correct) may be, in
/// characters.
const MAX_COMMENT_CHARS: usize = 2000;

mod docket;
mod record;
mod withdraw;

/// The service, generic over the storage backend. Cloning shares everything (the portal files
/// through a clone).
pub struct FilingApi<S> {
    store: Arc<S>,
    /// The court's filing kinds, limits and fees (GetPolicy; checked by SubmitFiling).
    policy: Arc<CourtPolicy>,
    routing: Arc<RoutingTable>,
    stopping: watch::Receiver<bool>,
    /// Most parts a filed package (DOCX, OFD) may have (`[parsing] objects`).
    parsing_limits: ecenter_budget::Limits,
    /// Sealing receipts as PDFs (`[receipts]`), when configured.
    receipt_pdf: Option<Arc<crate::receipt_pdf::ReceiptPdf>>,
    /// The channels notices of filing go by (none without an outbox).
    notice_channels: crate::notices::NoticeChannels,
}

impl<S> Clone for FilingApi<S> {
    fn clone(&self) -> Self {
        FilingApi {
            store: self.store.clone(),
            policy: self.policy.clone(),
            routing: self.routing.clone(),
            stopping: self.stopping.clone(),
            parsing_limits: self.parsing_limits.clone(),
            receipt_pdf: self.receipt_pdf.clone(),
            notice_channels: self.notice_channels,
        }
    }
}

impl<S: EventStore> FilingApi<S> {
    /// Builds the service; `stopping` turns true when the hub shuts down, ending watch streams.
    pub fn new(
        store: Arc<S>,
        policy: CourtPolicy,
        routing: RoutingTable,
        stopping: watch::Receiver<bool>,
    ) -> Self {
        FilingApi {
            store,
            policy: Arc::new(policy),
            routing: Arc::new(routing),
            stopping,
            parsing_limits: ecenter_budget::Limits::default(),
            receipt_pdf: None,
            notice_channels: crate::notices::NoticeChannels::default(),
        }
    }

    /// The channels notices of filing go by (the outbox's, `[service]`).
    pub fn with_notices(mut self, channels: crate::notices::NoticeChannels) -> Self {
        self.notice_channels = channels;
        self
    }

    /// Receipts may be asked for as PDFs sealed by the court.
    pub fn with_receipt_pdf(mut self, sealing: Option<crate::receipt_pdf::ReceiptPdf>) -> Self {
        self.receipt_pdf = sealing.map(Arc::new);
        self
    }

    /// Documents are read at filing under `limits` (`[parsing]`), as sealing and checking read
    /// them later: a package of more parts than `objects`, an OFD inflating to more than
    /// `document_bytes` or nested deeper than `depth` is refused when filed.
    pub fn with_parsing_limits(mut self, limits: ecenter_budget::Limits) -> Self {
        self.parsing_limits = limits;
        self
    }

    async fn durable_filing(&self, filing_id: &str) -> Result<ecenter_domain::Filing, Status> {
        durable_filing(&*self.store, filing_id).await
    }

    /// Loads a filing (NOT_FOUND if unknown) and authorizes `operation` on it for `identity`.
    async fn authorized_filing(
        &self,
        identity: &Identity,
        operation: Operation,
        filing_id: &str,
    ) -> Result<ecenter_domain::Filing, Status> {
        authorized_filing(&*self.store, identity, operation, filing_id).await
    }

    /// Appends the event `make` builds for an existing filing whose state allows `action`.
    async fn transition(
        &self,
        filing_id: String,
        action: Action,
        make: impl FnOnce(&ecenter_domain::Filing) -> Result<Event, DomainError> + Send + 'static,
    ) -> Result<Response<pb::Filing>, Status> {
        self.transition_once(filing_id, action, |_| Ok(false), move |f, _| Ok(make(f)?))
            .await
    }

    /// [`Self::transition`], where a filing already `done` as asked (a retry after a lost answer:
    /// the same cancellation, the same docketing) records nothing and is answered with the filing
    /// as it stands, rather than refused for the state the first call left. `make` reads what else
    /// it needs from the writer's view.
    async fn transition_once(
        &self,
        filing_id: String,
        action: Action,
        done: impl FnOnce(&ecenter_domain::Filing) -> Result<bool, StoreError> + Send + 'static,
        make: impl FnOnce(&ecenter_domain::Filing, &dyn ReadView) -> Result<Event, StoreError>
        + Send
        + 'static,
    ) -> Result<Response<pb::Filing>, Status> {
        if filing_id.trim().is_empty() {
            return Err(invalid("filing_id", "is required"));
        }
        let id = filing_id.clone();
        let decide = Box::new(move |view: &dyn ReadView| {
            let filing = view
                .filing(&id)?
                .ok_or_else(|| DomainError::FilingNotFound(id.clone()))?;
            if done(&filing)? {
                return Ok((Vec::new(), ()));
            }
            filing.state.check(&id, action)?;
            Ok((vec![make(&filing, view)?], ()))
        });
        self.store.append(decide).await.map_err(store_status)?;
        let filing = self.durable_filing(&filing_id).await?;
        Ok(Response::new(convert::filing(&filing)))
    }
}

/// A filing as of its last durable event (NOT_FOUND if unknown, once this hub has caught up with
/// the log of record).
pub async fn durable_filing<S: EventStore>(
    store: &S,
    filing_id: &str,
) -> Result<ecenter_domain::Filing, Status> {
    if filing_id.trim().is_empty() {
        return Err(invalid("filing_id", "is required"));
    }
    let mut filing = store.filing(filing_id).map_err(store_status)?;
    if filing.is_none() {
        // Not here yet is not "does not exist": another instance may have just recorded it.
        store.caught_up().await.map_err(store_status)?;
        filing = store.filing(filing_id).map_err(store_status)?;
    }
    let filing =
        filing.ok_or_else(|| domain_status(DomainError::FilingNotFound(filing_id.to_string())))?;
    store
        .wait_durable(filing.last_event_seq)
        .await
        .map_err(store_status)?;
    Ok(filing)
}

/// A durable filing on which `identity` may perform `operation` (refusals are audited).
///
/// Where the caller may act only on their own filings (a lawyer), someone else's filing gets the
/// very answer an id that does not exist gets — NOT_FOUND, after the same audit entry — so that
/// sequential ids do not tell a lawyer which filings exist.
pub async fn authorized_filing<S: EventStore>(
    store: &S,
    identity: &Identity,
    operation: Operation,
    filing_id: &str,
) -> Result<ecenter_domain::Filing, Status> {
    let never = crate::authz::check(identity, operation, Some(&identity.to_string())).is_err();
    if never {
        // Refused whatever the id: the answer must not depend on whether the filing exists.
        authorize(store, identity, operation, None, Some(filing_id)).await?;
    }
    let own_only = crate::authz::check(identity, operation, None).is_err() && !never;
    let filing = match durable_filing(store, filing_id).await {
        Ok(f) => f,
        Err(s) if own_only && s.code() == tonic::Code::NotFound => {
            // The same audit entry as for someone else's filing, so both answers cost the same.
            let _ = authorize(store, identity, operation, Some(""), Some(filing_id)).await;
            return Err(s);
        }
        Err(s) => return Err(s),
    };
    let allowed = authorize(
        store,
        identity,
        operation,
        Some(&filing.submitter),
        Some(filing_id),
    )
    .await;
    match allowed {
        Ok(()) => Ok(filing),
        Err(_) if own_only => Err(domain_status(DomainError::FilingNotFound(
            filing_id.to_string(),
        ))),
        Err(denied) => Err(denied),
    }
}

/// A list call's page size: 0 means 50, at most 500 (filings and the directory of lawyers).
pub(crate) fn page_size(requested: u32) -> Result<usize, Status> {
    match requested {
        0 => Ok(50),
        1..=500 => Ok(requested as usize),
        _ => Err(invalid(
            "page_size",
            format!("{requested} is more than the 500 allowed"),
        )),
    }
}

/// The filing a page continues after: a token is the last filing id of the page before
/// (`F` and at least 12 digits). Anything else is refused, never read as a position past the end,
/// which would end the listing silently and let a caller think it had read everything.
fn page_token(token: &str) -> Result<Option<&str>, Status> {
    if token.is_empty() {
        return Ok(None);
    }
    let digits = token.strip_prefix('F').unwrap_or("");
    if !(12..=20).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            "page_token",
            "is not a token this hub issued; pass next_page_token unchanged",
        ));
    }
    Ok(Some(token))
}

type EventStream = Pin<Box<dyn Stream<Item = Result<pb::FilingEvent, Status>> + Send>>;
pub(crate) type ChunkStream = Pin<Box<dyn Stream<Item = Result<pb::DocumentChunk, Status>> + Send>>;

#[tonic::async_trait]
impl<S: EventStore> FilingService for FilingApi<S> {
    async fn submit_filing(
        &self,
        request: Request<Streaming<pb::SubmitFilingRequest>>,
    ) -> Result<Response<pb::SubmitFilingResponse>, Status> {
        let identity = crate::identity::caller(&request)?;
        self.may_submit(&identity).await?;
        let submitter = identity.to_string();
        let caller = StillGood::of(&request);
        let mut stream = request.into_inner();
        let header = intake::read_header(&mut stream).await?;
        let given = self.validate(header)?;
        // A header the court's policy refuses (the kind, the case number's court and year) is
        // refused before a byte is taken in — unless it is a retry of a filing made before the
        // policy changed, which the writer recognises. A header it takes goes straight on: the
        // writer is asked once, when recording.
        if given.under_policy(&self.policy).is_err() {
            self.precheck(&identity, &given).await?;
        }
        let mut chunks = Box::pin(tokio_stream::StreamExt::map(stream, |m| {
            m.and_then(intake::chunk_of)
        }));
        let received = intake::receive_documents(
            &mut chunks,
            &given,
            self.store.blobs(),
            &self.parsing_limits,
        )
        .await?;
        // An upload takes minutes: a certificate revoked while it ran files nothing.
        if let Some(refused) = caller.refusal() {
            tracing::warn!(%submitter, "certificate revoked during the upload: nothing filed");
            return Err(refused);
        }
        Ok(Response::new(
            self.record(submitter, given, received).await?,
        ))
    }

    async fn get_filing(
        &self,
        request: Request<pb::GetFilingRequest>,
    ) -> Result<Response<pb::Filing>, Status> {
        let identity = crate::identity::caller(&request)?;
        let filing = self
            .authorized_filing(
                &identity,
                Operation::GetFiling,
                &request.into_inner().filing_id,
            )
            .await?;
        Ok(Response::new(convert::filing(&filing)))
    }

    async fn list_filings(
        &self,
        request: Request<pb::ListFilingsRequest>,
    ) -> Result<Response<pb::ListFilingsResponse>, Status> {
        let identity = crate::identity::caller(&request)?;
        let mut r = request.into_inner();
        if identity.role == Role::Lawyer && r.submitter.is_empty() {
            r.submitter = identity.to_string();
        }
        let owner = (!r.submitter.is_empty()).then_some(r.submitter.as_str());
        authorize(&*self.store, &identity, Operation::ListFilings, owner, None).await?;
        let case_number = match r.case_number.trim() {
            "" => None,
            text => Some(
                CaseNumber::parse(text)
                    .map_err(|e| invalid("case_number", e.to_string()))?
                    .normalized(),
            ),
        };
        let state = match pb::FilingState::try_from(r.state) {
            Ok(pb::FilingState::Unspecified) => None,
            Ok(s) => convert::state_from(s),
            Err(_) => {
                return Err(invalid(
                    "state",
                    format!("{} is not a filing state", r.state),
                ));
            }
        };
        let filter = FilingFilter {
            case_number,
            state,
            submitter: (!r.submitter.is_empty()).then_some(r.submitter),
            department: (!r.department.is_empty()).then_some(r.department),
        };
        let page = self
            .store
            .list_filings(&filter, page_token(&r.page_token)?, page_size(r.page_size)?)
            .map_err(store_status)?;
        if let Some(max) = page.filings.iter().map(|f| f.last_event_seq).max() {
            self.store.wait_durable(max).await.map_err(store_status)?;
        }
        Ok(Response::new(pb::ListFilingsResponse {
            filings: page.filings.iter().map(convert::filing).collect(),
            next_page_token: page.next_after.unwrap_or_default(),
        }))
    }

    async fn get_receipt(
        &self,
        request: Request<pb::GetReceiptRequest>,
    ) -> Result<Response<pb::Receipt>, Status> {
        let identity = crate::identity::caller(&request)?;
        let r = request.into_inner();
        let receipt = self.receipt(&identity, &r.filing_id, r.pdf).await?;
        Ok(Response::new(receipt))
    }

    async fn cancel_filing(
        &self,
        request: Request<pb::CancelFilingRequest>,
    ) -> Result<Response<pb::Filing>, Status> {
        let identity = crate::identity::caller(&request)?;
        let by = identity.to_string();
        let r = request.into_inner();
        self.authorized_filing(&identity, Operation::CancelFiling, &r.filing_id)
            .await?;
        // The log keeps why a filing was withdrawn, as it keeps every other decision's reason.
        let reason = r.reason.trim().to_string();
        if reason.is_empty() {
            return Err(invalid(
                "reason",
                "is empty: say why the filing is withdrawn / 请填写撤回理由",
            ));
        }
        crate::error::text_field("reason", &reason, 500, "撤回理由")?;
        let same = reason.clone();
        let done = move |f: &ecenter_domain::Filing| withdraw::withdrawn_as_asked(f, &same);
        self.transition_once(r.filing_id, Action::Cancel, done, move |f, view| {
            withdraw::may_withdraw(f, view)?;
            Ok(Event::FilingCancelled {
                filing_id: f.filing_id.clone(),
                by,
                reason,
            })
        })
        .await
    }

    async fn start_review(
        &self,
        request: Request<pb::StartReviewRequest>,
    ) -> Result<Response<pb::Filing>, Status> {
        let identity = crate::identity::caller(&request)?;
        let reviewer = identity.to_string();
        let r = request.into_inner();
        self.authorized_filing(&identity, Operation::StartReview, &r.filing_id)
            .await?;
        self.transition(r.filing_id, Action::StartReview, move |f| {
            Ok(Event::ReviewStarted {
                filing_id: f.filing_id.clone(),
                reviewer,
            })
        })
        .await
    }

    async fn review_filing(
        &self,
        request: Request<pb::ReviewFilingRequest>,
    ) -> Result<Response<pb::Filing>, Status> {
        let identity = crate::identity::caller(&request)?;
        let reviewer = identity.to_string();
        let r = request.into_inner();
        self.authorized_filing(&identity, Operation::ReviewFiling, &r.filing_id)
            .await?;
        let mut decisions = Vec::with_capacity(r.decisions.len());
        for (i, d) in r.decisions.into_iter().enumerate() {
            let decision = match pb::ReviewDecision::try_from(d.decision) {
                Ok(pb::ReviewDecision::Accept) => Decision::Accept,
                Ok(pb::ReviewDecision::Reject) => Decision::Reject,
                Ok(pb::ReviewDecision::ReturnForCorrection) => Decision::ReturnForCorrection,
                _ => {
                    return Err(invalid(
                        &format!("decisions[{i}].decision"),
                        "must be ACCEPT, REJECT or RETURN_FOR_CORRECTION",
                    ));
                }
            };
            let reason = format!("decisions[{i}].reason");
            crate::error::text_field(&reason, d.reason.trim(), 500, "审查理由")?;
            decisions.push(DocumentDecision {
                document_id: d.document_id,
                decision,
                reason: d.reason.trim().to_string(),
            });
        }
        let comment = r.comment.trim().to_string();
        crate::error::text_field("comment", &comment, MAX_COMMENT_CHARS, "审查意见")?;
        self.transition(r.filing_id, Action::Review, move |f| {
            let outcome = review_outcome(&f.document_ids(), &decisions)?;
            Ok(Event::FilingReviewed {
                filing_id: f.filing_id.clone(),
                reviewer,
                decisions,
                comment,
                outcome,
            })
        })
        .await
    }

    async fn docket_filing(
        &self,
        request: Request<pb::DocketFilingRequest>,
    ) -> Result<Response<pb::Filing>, Status> {
        let identity = crate::identity::caller(&request)?;
        let by = identity.to_string();
        let r = request.into_inner();
        self.authorized_filing(&identity, Operation::DocketFiling, &r.filing_id)
            .await?;
        let given = match r.case_number.trim() {
            "" => None,
            text => {
                Some(CaseNumber::parse(text).map_err(|e| invalid("case_number", e.to_string()))?)
            }
        };
        // A number this court cannot give (another court's code, a later year) is wrong whatever
        // the filing's state: said before the state is.
        if let Some(n) = &given {
            let mut bad = Vec::new();
            ecenter_domain::submission::check_case_is_ours(
                n,
                &self.policy,
                "case_number",
                &mut bad,
            );
            if !bad.is_empty() {
                return Err(domain_status(DomainError::InvalidInput(bad)));
            }
        }
        let same = given.clone();
        let done = move |f: &ecenter_domain::Filing| docket::docketed_as_asked(f, same.as_ref());
        self.transition_once(r.filing_id, Action::Docket, done, move |f, view| {
            let case_number = docket::case_number_for(f, given, view)?;
            Ok(Event::FilingDocketed {
                filing_id: f.filing_id.clone(),
                by,
                case_number,
            })
        })
        .await
    }

    type DownloadDocumentStream = ChunkStream;

    async fn download_document(
        &self,
        request: Request<pb::DownloadDocumentRequest>,
    ) -> Result<Response<Self::DownloadDocumentStream>, Status> {
        let identity = crate::identity::caller(&request)?;
        let r = request.into_inner();
        let filing = self
            .authorized_filing(&identity, Operation::DownloadDocument, &r.filing_id)
            .await?;
        // Originals (D1, D2, ...) and the seal signatures stored beside them (S1, S2, ...).
        let doc = filing
            .documents
            .iter()
            .map(|d| &d.received)
            .chain(filing.seals.iter().map(|s| &s.signature))
            .find(|d| d.document_id == r.document_id)
            .ok_or_else(|| {
                ApiError::not_found(format!(
                    "filing {} has no document 「{}」",
                    filing.filing_id, r.document_id
                ))
            })?;
        let stored = crate::documents::StoredDocument::new(
            &doc.sha256,
            format!("filing {} document {}", filing.filing_id, r.document_id),
        );
        let stream =
            crate::documents::stream_verified(self.store.clone(), stored, "DownloadDocument")
                .await?;
        Ok(Response::new(stream))
    }

    async fn list_department_queue(
        &self,
        request: Request<pb::ListDepartmentQueueRequest>,
    ) -> Result<Response<pb::ListDepartmentQueueResponse>, Status> {
        let identity = crate::identity::caller(&request)?;
        authorize(
            &*self.store,
            &identity,
            Operation::ListDepartmentQueue,
            None,
            None,
        )
        .await?;
        let r = request.into_inner();
        let departments = self.routing.departments();
        if !departments.contains(&r.department) {
            return Err(invalid(
                "department",
                format!(
                    "「{}」 is not a department of this hub; known: {}",
                    r.department,
                    departments.join(", ")
                ),
            ));
        }
        let page = self
            .store
            .department_queue(
                &r.department,
                page_token(&r.page_token)?,
                page_size(r.page_size)?,
            )
            .map_err(store_status)?;
        if let Some(max) = page.filings.iter().map(|f| f.last_event_seq).max() {
            self.store.wait_durable(max).await.map_err(store_status)?;
        }
        Ok(Response::new(pb::ListDepartmentQueueResponse {
            filings: page.filings.iter().map(convert::filing).collect(),
            next_page_token: page.next_after.unwrap_or_default(),
        }))
    }

    type WatchEventsStream = EventStream;

    async fn watch_events(
        &self,
        request: Request<pb::WatchEventsRequest>,
    ) -> Result<Response<Self::WatchEventsStream>, Status> {
        let identity = crate::identity::caller(&request)?;
        let caller = StillGood::of(&request);
        let r = request.into_inner();
        let scope = match r.scope {
            Some(pb::watch_events_request::Scope::FilingId(id)) => {
                self.authorized_filing(&identity, Operation::WatchFiling, &id)
                    .await?;
                Scope::Filing(id)
            }
            Some(pb::watch_events_request::Scope::Department(d)) => {
                authorize(
                    &*self.store,
                    &identity,
                    Operation::WatchDepartment,
                    None,
                    None,
                )
                .await?;
                if !self.routing.departments().contains(&d) {
                    return Err(invalid(
                        "department",
                        format!("「{d}」 is not a department of this hub"),
                    ));
                }
                Scope::Department(d)
            }
            None => {
                return Err(invalid(
                    "scope",
                    "give a filing_id or a department to watch",
                ));
            }
        };
        let (tx, rx) = mpsc::channel(64);
        let store = self.store.clone();
        let stopping = self.stopping.clone();
        let pick = scope_events(store.clone(), scope);
        let to = crate::log_tail::Subscriber { tx, caller };
        tokio::spawn(crate::log_tail::tail(
            store,
            r.after_seq,
            to,
            stopping,
            pick,
        ));
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn get_policy(
        &self,
        request: Request<pb::GetPolicyRequest>,
    ) -> Result<Response<pb::CourtPolicy>, Status> {
        let identity = crate::identity::caller(&request)?;
        authorize(&*self.store, &identity, Operation::GetPolicy, None, None).await?;
        Ok(Response::new(convert::policy(&self.policy)))
    }

    async fn get_notice_settings(
        &self,
        request: Request<pb::GetNoticeSettingsRequest>,
    ) -> Result<Response<pb::NoticeSettings>, Status> {
        crate::notices::get_settings(&*self.store, self.notice_channels, request).await
    }

    async fn set_notice_addresses(
        &self,
        request: Request<pb::SetNoticeAddressesRequest>,
    ) -> Result<Response<pb::NoticeSettings>, Status> {
        crate::notices::set_addresses(&*self.store, self.notice_channels, request).await
    }

    async fn register_co_counsel(
        &self,
        request: Request<pb::RegisterCoCounselRequest>,
    ) -> Result<Response<pb::RegisterCoCounselResponse>, Status> {
        crate::notices::register_co_counsel(&*self.store, request).await
    }
}

enum Scope {
    Filing(String),
    Department(String),
}

/// The scope's entries as watchers see them, naming each filing's department (looked up once per
/// filing and remembered).
fn scope_events<S: EventStore>(
    store: Arc<S>,
    scope: Scope,
) -> impl FnMut(&StoredEntry) -> Option<pb::FilingEvent> + Send {
    let mut departments: HashMap<String, String> = HashMap::new();
    move |entry| {
        // Similar cases pushed to a case's judge reach the department's court systems only.
        if let Event::SimilarCasesPushed(p) = &entry.event {
            let wanted = matches!(&scope, Scope::Department(d) if d == &p.department);
            return wanted.then(|| pb::FilingEvent {
                filing_id: p.filing_id.clone(),
                ..convert::filing_event(entry, &p.department)
            });
        }
        // Audit entries are for auditors (EventLogService), not for a filing's watchers.
        let filing_id = entry.event.filing_id()?;
        let department = departments
            .entry(filing_id.to_string())
            .or_insert_with(|| {
                store
                    .filing(filing_id)
                    .ok()
                    .flatten()
                    .map(|f| f.department)
                    .unwrap_or_default()
            })
            .clone();
        let wanted = match &scope {
            Scope::Filing(id) => id == filing_id,
            Scope::Department(d) => d == &department,
        };
        wanted.then(|| convert::filing_event(entry, &department))
    }
}
