//! `EventLogService`: the chain head, so that it can be recorded outside the hub.

use crate::convert::timestamp;
use crate::identity::Identity;
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
        Identity::of(&request)?;
        let head = self.store.head();
        Ok(Response::new(pb::ChainHead {
            seq: head.seq,
            hash: hex::encode(head.hash),
            recorded_at: head.recorded_at.map(timestamp),
        }))
    }
}
