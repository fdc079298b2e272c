//! ServeOrder's steps before and after the `service_ordered` event: the request checked against
//! the domain's rules and this hub's channels, its documents resolved to sealed copies, and the
//! answer repeated to a retry of the same request id.

use super::*;
use crate::error::ApiError;
use ecenter_domain::serve_order::ServeOrder;

/// The serve order's plan and recipients as the domain takes them, checked by the domain's rules
/// (case number, documents, recipients' addresses, channel plan).
pub(super) fn checked_order(r: &pb::ServeOrderRequest) -> Result<ServeOrder, Status> {
    for (i, p) in r.recipients.iter().enumerate() {
        lawyer_identity(i, p.identity.trim())?;
    }
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

/// Checks recipient `i`'s hub identity, when given, by the hub's own parser: only a lawyer has
/// a client that lists services (ListMyServices), so another role or a malformed id
/// (`urn:ecenter:lawyer:../x`) would name someone who never sees it.
///
/// Errors: INVALID_ARGUMENT naming `recipients[i].identity`.
fn lawyer_identity(i: usize, identity: &str) -> Result<(), Status> {
    if identity.is_empty() {
        return Ok(());
    }
    let field = format!("recipients[{i}].identity");
    match ecenter_identity::Identity::parse(identity) {
        Ok(id) if id.role == ecenter_identity::Role::Lawyer => Ok(()),
        Ok(id) => Err(invalid(
            &field,
            format!(
                "「{id}」 is a {} at the hub; a recipient's identity is a lawyer's, like \
                 urn:ecenter:lawyer:14201202010000001 / 受送达人的平台身份须为律师身份",
                id.role.as_str()
            ),
        )),
        Err(e) => Err(invalid(
            &field,
            format!("{e} / 受送达人的平台身份格式不正确"),
        )),
    }
}

/// Refuses a serve order this hub cannot send: a recipient's e-mail address the SMTP server
/// would not take, or a plan step on a channel (e-mail, SMS) that is not configured.
pub(super) fn check_channels(context: &ServiceContext, order: &ServeOrder) -> Result<(), Status> {
    if let Some(smtp) = &context.config.smtp {
        for (i, r) in order.recipients.iter().enumerate() {
            let emails = r.addresses.iter().filter(|(c, _, _)| *c == Channel::Email);
            for (_, email, _) in emails {
                let field = format!("recipients[{i}].email");
                crate::error::sendable_email(&field, email, smtp.smtputf8)?;
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

/// How long the recipients' links work, in hours from the order: the hub's `default` for 0, else
/// the requested hours; never shorter than the plan. One link expiry serves every step, and a step
/// starts at the latest when the steps before it have run out, so a link that stopped before the
/// plan's deadlines add up would go out in a notice the recipient cannot use while the plan still
/// counts on it. The default is lengthened to the plan; a request shorter than it is refused.
///
/// Errors: INVALID_ARGUMENT naming `link_valid_hours` (over the hub's maximum, or shorter than
/// the plan) or `plan` (deadlines adding up past the longest a link can work).
pub(super) fn link_hours(default: u32, requested: u32, plan: &[PlanStep]) -> Result<u32, Status> {
    let plan_hours: u32 = plan.iter().map(|s| s.deadline_hours).sum();
    if plan_hours > MAX_LINK_HOURS {
        return Err(invalid(
            "plan",
            format!(
                "the deadlines add up to {plan_hours} hours, longer than a link can work \
                 ({MAX_LINK_HOURS} hours): the last notice's link would stop before its deadline; \
                 shorten them / 各步骤期限合计 {plan_hours} 小时，超过链接最长有效期 {MAX_LINK_HOURS} 小时"
            ),
        ));
    }
    match requested {
        0 => Ok(default.max(plan_hours)),
        h if h > MAX_LINK_HOURS => Err(invalid(
            "link_valid_hours",
            format!("at most {MAX_LINK_HOURS} hours"),
        )),
        h if h < plan_hours => Err(invalid(
            "link_valid_hours",
            format!(
                "links working {h} hours would stop before the plan's deadlines run out at \
                 {plan_hours} hours, while the plan still counts on them: give at least \
                 {plan_hours}, or 0 for the hub's default / 链接有效期 {h} 小时短于送达计划的 \
                 {plan_hours} 小时"
            ),
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

/// A serve order's idempotency key, trimmed: 1 to 128 characters, none of them invisible.
pub(super) fn checked_request_id(given: &str) -> Result<String, Status> {
    let request_id = given.trim().to_string();
    if request_id.is_empty()
        || request_id.len() > 128
        || ecenter_domain::text::has_hidden(&request_id)
    {
        return Err(invalid(
            "request_id",
            "give an idempotency key of 1 to 128 characters, none of them invisible",
        ));
    }
    Ok(request_id)
}

/// The order `request_id` already named for `by`, as `view` holds it, when its content was the
/// same (`fingerprint`): a retry. A reuse for other content is refused (ALREADY_EXISTS, naming
/// the order).
pub(super) fn earlier(
    view: &dyn ReadView,
    by: &str,
    request_id: &str,
    fingerprint: &str,
) -> Result<Option<OrderSummary>, ecenter_store::StoreError> {
    let Some(existing) = view.order_for_request(by, request_id)? else {
        return Ok(None);
    };
    let summary = view
        .service_order(&existing)?
        .ok_or_else(|| ecenter_store::StoreError::Database("order index is inconsistent".into()))?;
    if summary.ordered.fingerprint != fingerprint {
        return Err(DomainError::OrderRequestIdReused {
            request_id: request_id.to_string(),
            order_id: existing,
        }
        .into());
    }
    Ok(Some(summary))
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

    /// The order `request_id` already named for `by`, when its content was the same
    /// (`fingerprint`): the request is a retry. ALREADY_EXISTS when the content differs.
    pub(super) async fn earlier_order(
        &self,
        by: &str,
        request_id: &str,
        fingerprint: &str,
    ) -> Result<Option<OrderSummary>, Status> {
        let (by, request_id, fingerprint) = (
            by.to_string(),
            request_id.to_string(),
            fingerprint.to_string(),
        );
        let (_, found) = self
            .store
            .append(Box::new(move |view: &dyn ReadView| {
                Ok((Vec::new(), earlier(view, &by, &request_id, &fingerprint)?))
            }))
            .await
            .map_err(store_status)?;
        Ok(found)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(hours: &[u32]) -> Vec<PlanStep> {
        [Channel::Email, Channel::Sms]
            .iter()
            .zip(hours)
            .map(|(&channel, &deadline_hours)| PlanStep {
                channel,
                deadline_hours,
            })
            .collect()
    }

    #[test]
    fn links_work_until_the_plan_runs_out() {
        // The default, lengthened to the plan; a request as long as the plan or longer, as asked.
        assert_eq!(link_hours(168, 0, &plan(&[72, 72])).unwrap(), 168);
        assert_eq!(link_hours(168, 0, &plan(&[72, 120])).unwrap(), 192);
        assert_eq!(link_hours(168, 192, &plan(&[72, 120])).unwrap(), 192);
        assert_eq!(link_hours(168, 24, &plan(&[24])).unwrap(), 24);
        // Shorter than the plan, past the maximum, or a plan no link can outlive: refused.
        let short = link_hours(168, 1, &plan(&[72])).unwrap_err();
        assert_eq!(short.code(), tonic::Code::InvalidArgument);
        assert!(short.message().contains("link_valid_hours"), "{short:?}");
        assert!(short.message().contains("at least 72"), "{short:?}");
        let long = link_hours(168, MAX_LINK_HOURS + 1, &plan(&[72])).unwrap_err();
        assert!(long.message().contains("link_valid_hours"), "{long:?}");
        let plan_too_long = link_hours(168, 0, &plan(&[MAX_LINK_HOURS, 1])).unwrap_err();
        assert!(
            plan_too_long.message().contains("plan"),
            "{plan_too_long:?}"
        );
    }
}
