//! RetryDeadLetter and ResolveDeadLetter: a clerk sends a dead letter again or closes it, one
//! `dead_letter_*` event each, refused unless the recipient's delivery is dead.

use super::*;
use crate::error::ApiError;

/// What a clerk does with a dead letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DeadLetterAction {
    /// Send it again on the same channel (RetryDeadLetter).
    Retry,
    /// Close it, saying what was done instead (ResolveDeadLetter).
    Resolve,
}

impl<S: EventStore> ServiceApi<S> {
    pub(super) async fn dead_letter_action(
        &self,
        request: Request<pb::DeadLetterAction>,
        action: DeadLetterAction,
    ) -> Result<Response<pb::RecipientStatus>, Status> {
        let retry = action == DeadLetterAction::Retry;
        let identity = crate::identity::caller(&request)?;
        let operation = match action {
            DeadLetterAction::Retry => Operation::RetryDeadLetter,
            DeadLetterAction::Resolve => Operation::ResolveDeadLetter,
        };
        authorize(&*self.store, &identity, operation, None, None).await?;
        let context = self.context()?.clone();
        let r = request.into_inner();
        let channel = channel_of(r.channel, "channel")?;
        self.recipient(&r.order_id, &r.recipient_id)?;
        // A retry's reason is optional, but what is given goes on the proof as given.
        let note = match (retry, r.note.trim()) {
            (true, "") => None,
            (true, _) => Some(crate::review::clerk_note(
                &r.note,
                "受送达人来电称邮箱已恢复",
            )?),
            (false, _) => Some(crate::review::clerk_note(&r.note, "已改为邮寄送达")?),
        };
        if retry && !context.has_channel(channel) {
            return Err(
                ApiError::failed_precondition("this hub has no such channel configured").into(),
            );
        }
        let by = identity.to_string();
        let (order_id, recipient_id) = (r.order_id.clone(), r.recipient_id.clone());
        let (_, no_letter) = self
            .store
            .append(Box::new(move |view: &dyn ReadView| {
                let service = view
                    .recipient_service(&order_id, &recipient_id)?
                    .ok_or_else(|| ecenter_store::StoreError::Database("recipient vanished".into()))?;
                if !service.dead_letters.iter().any(|d| d.channel == channel) {
                    return Ok((Vec::new(), true));
                }
                if retry
                    && let Some((address, _)) = service.address(channel)
                    && let Some(why) = view.suppressed(address)?
                {
                    return Err(DomainError::InvalidInput(vec![
                        ecenter_domain::FieldViolation::new(
                            "channel",
                            format!("{address} bounced for good ({why}); ask the recipient for another address and issue a new order"),
                        ),
                    ])
                    .into());
                }
                let event = match action {
                    DeadLetterAction::Retry => RecipientEvent::DeadLetterRetried { channel, by, note },
                    DeadLetterAction::Resolve => RecipientEvent::DeadLetterResolved {
                        channel,
                        by,
                        note: note.unwrap_or_default(),
                    },
                };
                Ok((
                    vec![Event::Service {
                        order_id,
                        recipient_id,
                        event,
                    }],
                    false,
                ))
            }))
            .await
            .map_err(store_status)?;
        if no_letter {
            // The state, not the request, is wrong: a letter already retried or resolved, or none.
            return Err(ApiError::failed_precondition(
                "this recipient has no dead letter on that channel: it was already retried or \
                 resolved, or never failed (see clerk dead-letters) / 该受送达人在此渠道没有待处理的送达失败",
            )
            .into());
        }
        let service = self.recipient(&r.order_id, &r.recipient_id)?;
        Ok(Response::new(recipient_message(&service)))
    }
}
