//! `ServiceOfProcess`: electronic service (电子送达). A serve order is checked, its documents resolved
//! to sealed copies in the hub, and recorded as one `service_ordered` event; from then on the
//! recipients' services are projections of the log that the outbox ([`crate::outbox`]) works on,
//! the recipients' page ([`crate::page`]) records what recipients do, and proofs
//! ([`crate::proof`]) are issued once service takes effect.

use crate::authz::{Operation, authorize};
use crate::convert::timestamp;
use crate::error::{ApiError, domain_status, invalid, store_status};
use crate::identity::Identity;
use chrono::{DateTime, Duration, Utc};
use ecenter_domain::effective_service::{AddressBasis, Channel, DeliveryFact};
use ecenter_domain::serve_order::{PlanStep, RecipientRequest, ServeOrderRequest};
use ecenter_domain::service::{
    OrderSummary, RecipientEvent, RecipientService, ServedDocument, ServiceOrdered, ServiceStatus,
};
use ecenter_domain::{DomainError, Event};
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::service_of_process_server::ServiceOfProcess;
use ecenter_store::{EventStore, ReadView, StoredEntry};
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

mod convert;
mod dead_letters;
mod deliveries;
mod proofs;
mod serve;
mod served;
use dead_letters::DeadLetterAction;
mod tail;
pub use convert::recipient_message;
use convert::*;
pub use ecenter_outbox::config::*;
use tail::*;

/// The gRPC service, generic over the storage backend.
pub struct ServiceApi<S> {
    store: Arc<S>,
    context: Option<Arc<ServiceContext>>,
    /// Seals printable proofs (present whenever `context` is: service needs `[seals]`).
    seals: Option<Arc<crate::seal::SealContext>>,
    stopping: watch::Receiver<bool>,
}

impl<S: EventStore> ServiceApi<S> {
    /// The service over `store`; without a context every call is FAILED_PRECONDITION.
    pub fn new(
        store: Arc<S>,
        context: Option<Arc<ServiceContext>>,
        seals: Option<Arc<crate::seal::SealContext>>,
        stopping: watch::Receiver<bool>,
    ) -> Self {
        ServiceApi {
            store,
            context,
            seals,
            stopping,
        }
    }

    /// The caller, if the authorization table grants `operation` to their role outright.
    async fn allowed<T>(
        &self,
        request: &Request<T>,
        operation: Operation,
    ) -> Result<Identity, Status> {
        let identity = crate::identity::caller(request)?;
        authorize(&*self.store, &identity, operation, None, None).await?;
        Ok(identity)
    }

    fn context(&self) -> Result<&Arc<ServiceContext>, Status> {
        self.context.as_ref().ok_or_else(|| {
            ApiError::failed_precondition(
                "electronic service is not configured on this hub ([service] in its configuration)",
            )
            .into()
        })
    }

    fn order(&self, order_id: &str) -> Result<OrderSummary, Status> {
        if order_id.trim().is_empty() {
            return Err(invalid("order_id", "give the order id (O…)"));
        }
        self.store
            .service_order(order_id)
            .map_err(store_status)?
            .ok_or_else(|| ApiError::not_found(format!("no serve order 「{order_id}」")).into())
    }

    fn recipient(&self, order_id: &str, recipient_id: &str) -> Result<RecipientService, Status> {
        self.order(order_id)?;
        if recipient_id.trim().is_empty() {
            return Err(invalid(
                "recipient_id",
                "give the recipient id (R1, R2, ...)",
            ));
        }
        self.store
            .recipient_service(order_id, recipient_id)
            .map_err(store_status)?
            .ok_or_else(|| {
                ApiError::not_found(format!(
                    "order {order_id} has no recipient 「{recipient_id}」"
                ))
                .into()
            })
    }

    /// Visits every recipient of every order, newest orders first, while `visit` returns true.
    /// (A scan: fine for a court's orders today; an index by case, date and identity can follow.)
    fn each_recipient(
        &self,
        mut visit: impl FnMut(&OrderSummary, &RecipientService) -> bool,
    ) -> Result<(), Status> {
        for order in self.store.list_orders(usize::MAX).map_err(store_status)? {
            for service in self
                .store
                .order_recipients(&order.ordered.order_id, None, usize::MAX)
                .map_err(store_status)?
            {
                if !visit(&order, &service) {
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}

/// The recipient a page of an order continues after: empty, or one of the order's own ids as the
/// hub writes them (`R1` to `R<count>`). Anything else — `r5`, `R５`, `R05`, a stray space —
/// would read as a place past the last recipient, an empty last page, and hide the rest.
fn recipient_after(after: &str, count: usize) -> Result<Option<&str>, Status> {
    if after.is_empty() {
        return Ok(None);
    }
    let n = after
        .strip_prefix('R')
        .and_then(|d| d.parse::<usize>().ok())
        .filter(|n| (1..=count).contains(n) && after == format!("R{n}"));
    match n {
        Some(_) => Ok(Some(after)),
        None => Err(invalid(
            "after_recipient_id",
            format!(
                "「{}」 is not a recipient of this order (R1 to R{count}): pass \
                 next_after_recipient_id unchanged, or leave it empty for the first page",
                ecenter_domain::text::quoted(after, 60)
            ),
        )),
    }
}

type ServiceEventStream =
    Pin<Box<dyn tokio_stream::Stream<Item = Result<pb::ServiceEvent, Status>> + Send>>;

#[tonic::async_trait]
impl<S: EventStore> ServiceOfProcess for ServiceApi<S> {
    async fn serve_order(
        &self,
        request: Request<pb::ServeOrderRequest>,
    ) -> Result<Response<pb::ServeOrderResponse>, Status> {
        let identity = self.allowed(&request, Operation::ServeOrder).await?;
        let context = self.context()?.clone();
        let r = request.into_inner();
        let request_id = serve::checked_request_id(&r.request_id)?;
        let fingerprint = fingerprint(&r);
        // A request id used before is answered first — the same order again, or the order it
        // names — before the content is judged (the writer decides it again below).
        let by = identity.to_string();
        if let Some(summary) = self.earlier_order(&by, &request_id, &fingerprint).await? {
            let (order_id, recipients, seq) = self.retried_order(summary).await?;
            return Ok(Response::new(pb::ServeOrderResponse {
                order_id,
                recipients,
                seq,
            }));
        }
        let order = serve::checked_order(&r)?;
        serve::check_channels(&context, &order)?;
        let hours = serve::link_hours(
            context.config.link_valid_hours,
            r.link_valid_hours,
            &order.plan,
        )?;
        let documents = self.served_documents(&order)?;
        let copies = served::sealed_copies_of(&documents);
        let ordered_by = identity.to_string();
        let notice_tag = serve::notice_tag()?;
        let links_expire_at = Utc::now() + Duration::hours(i64::from(hours));
        let (appended, outcome) = self
            .store
            .append(Box::new(move |view: &dyn ReadView| {
                if let Some(summary) = serve::earlier(view, &ordered_by, &request_id, &fingerprint)?
                {
                    return Ok((Vec::new(), Err(summary)));
                }
                // A filing withdrawn, or a sealed document refused, since its sealed copy was
                // looked up: nothing is served.
                for (filing_id, copy) in &copies {
                    if let Some(f) = view.filing(filing_id)? {
                        f.check_servable(copy)?;
                    }
                }
                let order_id = format!("O{:012}", view.next_seq());
                let ordered = ServiceOrdered {
                    order_id,
                    request_id,
                    fingerprint,
                    ordered_by,
                    order,
                    documents,
                    links_expire_at,
                    notice_tag,
                };
                Ok((vec![Event::ServiceOrdered(ordered.clone())], Ok(ordered)))
            }))
            .await
            .map_err(store_status)?;
        let (order_id, recipients, seq) = match outcome {
            Ok(ordered) => {
                let recipients = serve::recipient_ids(&ordered);
                (
                    ordered.order_id,
                    recipients,
                    appended.first().map_or(0, |a| a.seq),
                )
            }
            // A retry: the same answer, once the original is durable.
            Err(summary) => self.retried_order(summary).await?,
        };
        tracing::info!(%order_id, recipients = recipients.len(), "serve order recorded");
        Ok(Response::new(pb::ServeOrderResponse {
            order_id,
            recipients,
            seq,
        }))
    }

    async fn get_order(
        &self,
        request: Request<pb::GetOrderRequest>,
    ) -> Result<Response<pb::OrderStatus>, Status> {
        self.allowed(&request, Operation::GetServiceStatus).await?;
        let r = request.into_inner();
        let summary = self.order(&r.order_id)?;
        let limit = match r.page_size {
            0 => 100,
            n => n.min(1000) as usize,
        };
        let after = recipient_after(&r.after_recipient_id, summary.recipients)?;
        let mut page = self
            .store
            .order_recipients(&r.order_id, after, limit + 1)
            .map_err(store_status)?;
        let more = page.len() > limit;
        page.truncate(limit);
        let mut out = order_message(&summary);
        out.next_after_recipient_id = if more {
            page.last()
                .map(|p| p.recipient.recipient_id.clone())
                .unwrap_or_default()
        } else {
            String::new()
        };
        out.recipients = page.iter().map(recipient_message).collect();
        Ok(Response::new(out))
    }

    async fn get_recipient(
        &self,
        request: Request<pb::RecipientRef>,
    ) -> Result<Response<pb::RecipientStatus>, Status> {
        self.allowed(&request, Operation::GetServiceStatus).await?;
        let r = request.into_inner();
        let service = self.recipient(&r.order_id, &r.recipient_id)?;
        Ok(Response::new(recipient_message(&service)))
    }

    type WatchServiceStream = ServiceEventStream;

    async fn watch_service(
        &self,
        request: Request<pb::WatchServiceRequest>,
    ) -> Result<Response<Self::WatchServiceStream>, Status> {
        self.allowed(&request, Operation::WatchService).await?;
        let caller = crate::revocation::StillGood::of(&request);
        let r = request.into_inner();
        let summary = self.order(&r.order_id)?;
        if !r.recipient_id.is_empty() {
            self.recipient(&r.order_id, &r.recipient_id)?;
        }
        let (tx, rx) = mpsc::channel(256);
        // Nothing about the order precedes it in the log.
        let cursor = r.after_seq.max(summary.seq.saturating_sub(1));
        let (order_id, recipient) = (
            r.order_id,
            (!r.recipient_id.is_empty()).then_some(r.recipient_id),
        );
        let pick = move |entry: &StoredEntry| service_event(entry, &order_id, recipient.as_deref());
        tokio::spawn(crate::log_tail::tail(
            self.store.clone(),
            cursor,
            crate::log_tail::Subscriber { tx, caller },
            self.stopping.clone(),
            pick,
        ));
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn get_proof(
        &self,
        request: Request<pb::ProofRequest>,
    ) -> Result<Response<pb::ProofOfService>, Status> {
        self.allowed(&request, Operation::GetProof).await?;
        self.proof_of_service(request.into_inner())
            .await
            .map(Response::new)
    }

    async fn get_proof_pdf(
        &self,
        request: Request<pb::ProofRequest>,
    ) -> Result<Response<pb::ProofPdf>, Status> {
        self.allowed(&request, Operation::GetProof).await?;
        self.proof_pdf(request.into_inner())
            .await
            .map(Response::new)
    }

    async fn get_delivery_report(
        &self,
        request: Request<pb::DeliveryReportRequest>,
    ) -> Result<Response<pb::DeliveryReportCopy>, Status> {
        self.allowed(&request, Operation::GetProof).await?;
        self.delivery_report(request.into_inner())
            .await
            .map(Response::new)
    }

    async fn list_deliveries(
        &self,
        request: Request<pb::ListDeliveriesRequest>,
    ) -> Result<Response<pb::ListDeliveriesResponse>, Status> {
        self.allowed(&request, Operation::GetServiceStatus).await?;
        let query = deliveries::DeliveryQuery::of(request.into_inner())?;
        let cursor = match query.cursor_order() {
            Some(o) => self.store.service_order(o).map_err(store_status)?,
            None => None,
        };
        query.check_cursor(cursor.as_ref())?;
        let page = query.page(|visit| self.each_recipient(visit))?;
        Ok(Response::new(page))
    }

    async fn list_my_services(
        &self,
        request: Request<pb::ListMyServicesRequest>,
    ) -> Result<Response<pb::ListMyServicesResponse>, Status> {
        let identity = self.allowed(&request, Operation::ListMyServices).await?;
        let me = identity.to_string();
        let mut services = Vec::new();
        self.each_recipient(|order, service| {
            if service.recipient.identity.as_deref() == Some(me.as_str()) {
                let shown = recipient_message(service);
                services.push(pb::MyService {
                    order_id: order.ordered.order_id.clone(),
                    recipient_id: service.recipient.recipient_id.clone(),
                    case_number: order.ordered.order.case_number.normalized(),
                    ordered_at: ts(order.ordered_at),
                    documents: order_message(order).documents,
                    state: shown.state,
                    effective: shown.effective,
                });
            }
            true
        })?;
        Ok(Response::new(pb::ListMyServicesResponse { services }))
    }

    type FetchServedDocumentStream = crate::filing::ChunkStream;

    async fn fetch_served_document(
        &self,
        request: Request<pb::FetchServedDocumentRequest>,
    ) -> Result<Response<Self::FetchServedDocumentStream>, Status> {
        let identity = crate::identity::caller(&request)?;
        // A role without any grant is refused before anything is looked up.
        if crate::authz::grant(Operation::FetchServedDocument, identity.role).is_none() {
            authorize(
                &*self.store,
                &identity,
                Operation::FetchServedDocument,
                None,
                None,
            )
            .await?;
        }
        let r = request.into_inner();
        let order = self.order(&r.order_id)?;
        let service = self.recipient(&r.order_id, &r.recipient_id)?;
        authorize(
            &*self.store,
            &identity,
            Operation::FetchServedDocument,
            Some(service.recipient.identity.as_deref().unwrap_or("")),
            None,
        )
        .await?;
        let document = (r.index as usize)
            .checked_sub(1)
            .and_then(|i| order.ordered.documents.get(i))
            .ok_or_else(|| {
                invalid(
                    "index",
                    format!(
                        "1 to {}: the order serves {} document(s)",
                        order.ordered.documents.len(),
                        order.ordered.documents.len()
                    ),
                )
            })?;
        let stored = crate::documents::StoredDocument::new(
            &document.sha256,
            format!("order {} document {}", r.order_id, r.index),
        );
        let stream =
            crate::documents::stream_verified(self.store.clone(), stored, "FetchServedDocument")
                .await?;
        // The recipient's own download counts like one from the page.
        if service.recipient.identity.as_deref() == Some(identity.to_string().as_str()) {
            let event = Event::Service {
                order_id: r.order_id.clone(),
                recipient_id: r.recipient_id.clone(),
                event: RecipientEvent::RecipientActed {
                    activity: ecenter_domain::service::Activity::Downloaded {
                        reference: document.reference.clone(),
                    },
                    client: format!("gRPC {identity}"),
                    link: String::new(),
                },
            };
            self.store
                .append(Box::new(move |_: &dyn ReadView| Ok((vec![event], ()))))
                .await
                .map_err(store_status)?;
        }
        Ok(Response::new(stream))
    }

    async fn list_dead_letters(
        &self,
        request: Request<pb::ListDeadLettersRequest>,
    ) -> Result<Response<pb::ListDeadLettersResponse>, Status> {
        self.allowed(&request, Operation::ListDeadLetters).await?;
        let limit = match request.into_inner().limit {
            0 => 100,
            n => n.min(1000) as usize,
        };
        let recipients = self
            .store
            .dead_letters(limit)
            .map_err(store_status)?
            .iter()
            .map(recipient_message)
            .collect();
        let replies = self
            .store
            .unmatched_replies(limit)
            .map_err(store_status)?
            .into_iter()
            .map(|e| pb::UnmatchedReply {
                seq: e.seq,
                at: ts(e.at),
                channel: channel_message(e.reply.channel),
                from: e.reply.from,
                text: e.reply.text,
                candidates: e.reply.candidates,
            })
            .collect();
        let receipts = self
            .store
            .unmatched_receipts(limit)
            .map_err(store_status)?
            .into_iter()
            .map(|e| pb::UnmatchedReceipt {
                seq: e.seq,
                at: ts(e.at),
                smsc_id: e.smsc_id,
                status: e.status,
                text: e.text,
                addresses: e.addresses,
                another_number_than: e.another_number_than.unwrap_or_default(),
                awaiting: e.awaiting,
            })
            .collect();
        Ok(Response::new(pb::ListDeadLettersResponse {
            recipients,
            replies,
            receipts,
        }))
    }

    async fn retry_dead_letter(
        &self,
        request: Request<pb::DeadLetterAction>,
    ) -> Result<Response<pb::RecipientStatus>, Status> {
        self.dead_letter_action(request, DeadLetterAction::Retry)
            .await
    }

    async fn resolve_dead_letter(
        &self,
        request: Request<pb::DeadLetterAction>,
    ) -> Result<Response<pb::RecipientStatus>, Status> {
        self.dead_letter_action(request, DeadLetterAction::Resolve)
            .await
    }

    async fn judge_report(
        &self,
        request: Request<pb::JudgeReportRequest>,
    ) -> Result<Response<pb::RecipientStatus>, Status> {
        let identity = crate::identity::caller(&request)?;
        authorize(&*self.store, &identity, Operation::JudgeReport, None, None).await?;
        let r = request.into_inner();
        self.recipient(&r.order_id, &r.recipient_id)?;
        crate::review::judge(&*self.store, r.clone(), identity.to_string()).await?;
        let service = self.recipient(&r.order_id, &r.recipient_id)?;
        Ok(Response::new(recipient_message(&service)))
    }

    async fn disallow_reply(
        &self,
        request: Request<pb::DisallowReplyRequest>,
    ) -> Result<Response<pb::RecipientStatus>, Status> {
        let identity = crate::identity::caller(&request)?;
        authorize(
            &*self.store,
            &identity,
            Operation::DisallowReply,
            None,
            None,
        )
        .await?;
        let r = request.into_inner();
        self.recipient(&r.order_id, &r.recipient_id)?;
        crate::replies::disallow(&*self.store, r.clone(), identity.to_string()).await?;
        let service = self.recipient(&r.order_id, &r.recipient_id)?;
        Ok(Response::new(recipient_message(&service)))
    }

    async fn settle_reply(
        &self,
        request: Request<pb::SettleReplyRequest>,
    ) -> Result<Response<pb::SettleReplyResponse>, Status> {
        let identity = crate::identity::caller(&request)?;
        authorize(&*self.store, &identity, Operation::SettleReply, None, None).await?;
        let r = request.into_inner();
        let to = crate::replies::settle(&*self.store, r, identity.to_string()).await?;
        let recipient = match to {
            Some(key) => Some(recipient_message(
                &self.recipient(&key.order_id, &key.recipient_id)?,
            )),
            None => None,
        };
        Ok(Response::new(pb::SettleReplyResponse { recipient }))
    }
}
