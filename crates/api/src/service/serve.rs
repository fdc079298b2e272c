//! ServeOrder's steps before and after the `service_ordered` event: the request checked against
//! the domain's rules and this hub's channels, its documents resolved to sealed copies, and the
//! answer repeated to a retry of the same request id.

use super::*;
use crate::error::ApiError;
use ecenter_domain::serve_order::ServeOrder;

/// The serve order's plan and recipients as the domain takes them, checked by the domain's rules
/// (case number, documents, recipients' addresses, channel plan).
pub(super) fn checked_order(r: &pb::ServeOrderRequest) -> Result<ServeOrder, Status> {
    let mut plan = Vec::new();
    for (i, step) in r.plan.iter().enumerate() {
        let channel = channel_of(step.channel, &format!("plan[{i}].channel"))?;
        plan.push(PlanStep {
            channel,
            deadline_hours: step.deadline_hours,
        });
    }
    ServeOrderRequest {
        case_number: r.case_number.clone(),
        documents: r.documents.iter().map(|d| d.trim().to_string()).collect(),
        recipients: r
            .recipients
            .iter()
            .map(|p| RecipientRequest {
                name: p.name.clone(),
                role: p.role.clone(),
                phone: p.phone.clone(),
                email: p.email.clone(),
                phone_basis: basis_of(p.phone_basis),
                email_basis: basis_of(p.email_basis),
                consent_basis: p.consent_basis.clone(),
                identity: p.identity.clone(),
            })
            .collect(),
        plan,
    }
    .validate()
    .map_err(domain_status)
}

/// Refuses a serve order this hub cannot send: a recipient's e-mail address the SMTP server
/// would not take, or a plan step on a channel (e-mail, SMS) that is not configured.
pub(super) fn check_channels(context: &ServiceContext, order: &ServeOrder) -> Result<(), Status> {
    if let Some(smtp) = &context.config.smtp {
        for (i, r) in order.recipients.iter().enumerate() {
            let emails = r.addresses.iter().filter(|(c, _, _)| *c == Channel::Email);
            for (_, email, _) in emails {
                if let Err(why) = ecenter_delivery::email::check_address(email, smtp.smtputf8) {
                    return Err(ApiError::failed_precondition(format!(
                        "recipients[{i}].email: {why}"
                    ))
                    .into());
                }
            }
        }
    }
    for (i, step) in order.plan.iter().enumerate() {
        if !context.has_channel(step.channel) {
            return Err(ApiError::failed_precondition(format!(
                "plan[{i}]: this hub has no {} channel configured",
                match step.channel {
                    Channel::Email => "e-mail ([service.smtp])",
                    Channel::Sms => "SMS ([service.sms])",
                }
            ))
            .into());
        }
    }
    Ok(())
}

/// How long the recipients' links work: the hub's default for 0, else the requested hours up to
/// the hub's maximum.
pub(super) fn link_hours(context: &ServiceContext, requested: u32) -> Result<u32, Status> {
    match requested {
        0 => Ok(context.config.link_valid_hours),
        h if h > MAX_LINK_HOURS => Err(invalid(
            "link_valid_hours",
            format!("at most {MAX_LINK_HOURS} hours"),
        )),
        h => Ok(h),
    }
}

/// A fresh random notice tag (ten hex digits) that keeps the order's notices' Message-IDs unique
/// across hubs and data directories.
pub(super) fn notice_tag() -> Result<String, ApiError> {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 5];
    ring::rand::SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| ApiError::internal("the system random source failed"))?;
    Ok(hex::encode(b))
}

/// The recipients' ids and names as ServeOrder answers them for a newly recorded order.
pub(super) fn recipient_ids(ordered: &ServiceOrdered) -> Vec<pb::RecipientId> {
    ordered
        .order
        .recipients
        .iter()
        .map(|r| pb::RecipientId {
            recipient_id: r.recipient_id.clone(),
            name: r.name.clone(),
        })
        .collect()
}

impl<S: EventStore> ServiceApi<S> {
    /// Resolves every document the serve order names (`F…/Sn`) to the sealed copy served,
    /// refusing one named twice.
    pub(super) fn served_documents(
        &self,
        order: &ServeOrder,
    ) -> Result<Vec<ServedDocument>, Status> {
        let case = order.case_number.normalized();
        let mut documents = Vec::new();
        for d in &order.documents {
            if documents.iter().any(|x: &ServedDocument| &x.reference == d) {
                return Err(invalid("documents", format!("{d} is named twice")));
            }
            documents.push(self.served_document(&case, d)?);
        }
        Ok(documents)
    }

    /// The answer to a retried serve order (same request id, same content): the original
    /// order's id, recipients and log entry, once that entry is durable.
    pub(super) async fn retried_order(
        &self,
        summary: OrderSummary,
    ) -> Result<(String, Vec<pb::RecipientId>, u64), Status> {
        self.store
            .wait_durable(summary.seq)
            .await
            .map_err(store_status)?;
        let recipients: Vec<pb::RecipientId> = self
            .store
            .order_recipients(&summary.ordered.order_id, None, usize::MAX)
            .map_err(store_status)?
            .into_iter()
            .map(|r| pb::RecipientId {
                recipient_id: r.recipient.recipient_id,
                name: r.recipient.name,
            })
            .collect();
        Ok((summary.ordered.order_id, recipients, summary.seq))
    }
}
