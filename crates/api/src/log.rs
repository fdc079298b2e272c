//! `EventLogService`: the chain head, so that it can be recorded outside the hub.

use crate::authz::{Operation, authorize};
use crate::convert::filing_event;
use crate::convert::timestamp;
use crate::error::{invalid, store_status};
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::event_log_service_server::EventLogService;
use ecenter_store::EventStore;
use std::sync::Arc;
use tonic::{Request, Response, Status};

/// The service, generic over the storage backend.
pub struct EventLogApi<S> {
    store: Arc<S>,
}

impl<S> EventLogApi<S> {
    /// Builds the service.
    pub fn new(store: Arc<S>) -> Self {
        EventLogApi { store }
    }
}

#[tonic::async_trait]
impl<S: EventStore> EventLogService for EventLogApi<S> {
    async fn get_chain_head(
        &self,
        request: Request<pb::GetChainHeadRequest>,
    ) -> Result<Response<pb::ChainHead>, Status> {
        let identity = crate::identity::caller(&request)?;
        authorize(&*self.store, &identity, Operation::GetChainHead, None, None).await?;
        let head = self.store.head();
        Ok(Response::new(pb::ChainHead {
            seq: head.seq,
            hash: hex::encode(head.hash),
            recorded_at: head.recorded_at.map(timestamp),
            checkpoint: self
                .store
                .latest_checkpoint()
                .as_ref()
                .map(crate::convert::signed_checkpoint),
            instance: self.store.instances().id().to_string(),
        }))
    }

    async fn list_entries(
        &self,
        request: Request<pb::ListEntriesRequest>,
    ) -> Result<Response<pb::ListEntriesResponse>, Status> {
        let identity = crate::identity::caller(&request)?;
        authorize(
            &*self.store,
            &identity,
            Operation::ListLogEntries,
            None,
            None,
        )
        .await?;
        let r = request.into_inner();
        let limit = match r.page_size {
            0 => 100,
            n @ 1..=1000 => n as usize,
            n => {
                return Err(invalid(
                    "page_size",
                    format!("{n} is more than the 1000 allowed"),
                ));
            }
        };
        let entries = self
            .store
            .entries_after(r.after_seq, limit)
            .map_err(store_status)?;
        let next_after_seq = if entries.len() == limit {
            entries.last().map_or(0, |e| e.seq)
        } else {
            0
        };
        Ok(Response::new(pb::ListEntriesResponse {
            entries: entries.iter().map(|e| filing_event(e, "")).collect(),
            next_after_seq,
        }))
    }

    async fn scrub(
        &self,
        request: Request<pb::ScrubRequest>,
    ) -> Result<Response<pb::ScrubReport>, Status> {
        let identity = crate::identity::caller(&request)?;
        authorize(&*self.store, &identity, Operation::Scrub, None, None).await?;
        let outcome = crate::scrub::run_pass(self.store.clone(), None)
            .await
            .map_err(store_status)?;
        tracing::info!(%identity, documents = outcome.documents, damaged = outcome.damaged.len(), "scrub on request");
        Ok(Response::new(pb::ScrubReport {
            documents_checked: outcome.documents,
            bytes_checked: outcome.bytes,
            damaged: outcome
                .damaged
                .into_iter()
                .map(|d| pb::DamagedDocument {
                    sha256: d.document.sha256,
                    document: d.document.label,
                    found: d.found.to_string(),
                })
                .collect(),
            up_to_seq: outcome.up_to_seq,
        }))
    }
}
