//! `ListDeliveries`: the clerks' table of every recipient of every serve order, filtered and paged.
//!
//! Deliveries come newest order first and R1, R2, ... within an order. A page ends after `limit`
//! rows and names its last row as the cursor of the next, so a case with more deliveries than one
//! page holds (a clerk's export of the case's evidence) is read whole, page by page, rather than
//! cut at the limit.

use super::*;

/// What a `ListDeliveriesRequest` asks for, checked.
pub(super) struct DeliveryQuery {
    case: Option<String>,
    name: String,
    channel: Option<Channel>,
    state: Option<pb::RecipientState>,
    from: Option<DateTime<Utc>>,
    before: Option<DateTime<Utc>>,
    limit: usize,
    /// The delivery the page continues after: an order's id and one of its recipients' ids.
    after: Option<(String, String)>,
}

impl DeliveryQuery {
    /// The request's filters, or INVALID_ARGUMENT naming the field that is wrong. The cursor is
    /// checked against the orders by [`DeliveryQuery::check_cursor`].
    pub(super) fn of(r: pb::ListDeliveriesRequest) -> Result<DeliveryQuery, Status> {
        let case = match r.case_number.trim() {
            "" => None,
            c => Some(
                ecenter_domain::CaseNumber::parse(c)
                    .map_err(|e| invalid("case_number", e.to_string()))?
                    .normalized(),
            ),
        };
        let channel = match r.channel {
            0 => None,
            c => Some(channel_of(c, "channel")?),
        };
        let state = match r.state {
            0 => None,
            s => Some(
                pb::RecipientState::try_from(s)
                    .map_err(|_| invalid("state", "an unknown state"))?,
            ),
        };
        let (from, before) = (
            instant("ordered_from", r.ordered_from.as_ref())?,
            instant("ordered_before", r.ordered_before.as_ref())?,
        );
        if let (Some(f), Some(b)) = (from, before)
            && f >= b
        {
            return Err(invalid("ordered_before", "must be after ordered_from"));
        }
        let after = match (r.after_order_id.as_str(), r.after_recipient_id.as_str()) {
            ("", "") => None,
            ("", _) | (_, "") => {
                return Err(invalid(
                    "after_order_id",
                    "give after_order_id and after_recipient_id together (the previous page's \
                     next_after_order_id and next_after_recipient_id), or neither for the first \
                     page",
                ));
            }
            (o, r) => Some((o.to_string(), r.to_string())),
        };
        Ok(DeliveryQuery {
            case,
            name: r.recipient_name.trim().to_string(),
            channel,
            state,
            from,
            before,
            limit: match r.limit {
                0 => 200,
                n => n.min(2000) as usize,
            },
            after,
        })
    }

    /// Refuses a cursor that is not a delivery of the hub: read as a place past every order, it
    /// would make an empty last page and hide the rest.
    pub(super) fn check_cursor(&self, order: Option<&OrderSummary>) -> Result<(), Status> {
        let Some((order_id, recipient_id)) = &self.after else {
            return Ok(());
        };
        let Some(order) = order else {
            return Err(invalid(
                "after_order_id",
                format!(
                    "「{}」 is not a serve order of this hub: pass next_after_order_id unchanged, \
                     or leave it empty for the first page",
                    ecenter_domain::text::quoted(order_id, 60)
                ),
            ));
        };
        super::recipient_after(recipient_id, order.recipients).map(|_| ())
    }

    /// The order the cursor names, for [`DeliveryQuery::check_cursor`].
    pub(super) fn cursor_order(&self) -> Option<&str> {
        self.after.as_ref().map(|(o, _)| o.as_str())
    }

    /// Reads one page through `each_recipient` (every recipient of every order, newest order
    /// first, while the visitor returns true).
    pub(super) fn page(
        mut self,
        each_recipient: impl FnOnce(
            &mut dyn FnMut(&OrderSummary, &RecipientService) -> bool,
        ) -> Result<(), Status>,
    ) -> Result<pb::ListDeliveriesResponse, Status> {
        let mut page = pb::ListDeliveriesResponse::default();
        each_recipient(&mut |order, service| {
            if let Some((o, r)) = &self.after {
                // Before the cursor, or the cursor itself: the previous pages showed it.
                if (o, r) == (&order.ordered.order_id, &service.recipient.recipient_id) {
                    self.after = None;
                }
                return true;
            }
            let Some(row) = self.row(order, service) else {
                return true;
            };
            if page.deliveries.len() == self.limit {
                page.truncated = true;
                if let Some(last) = page.deliveries.last() {
                    page.next_after_order_id = last.order_id.clone();
                    page.next_after_recipient_id = (last.recipient.as_ref())
                        .map(|r| r.recipient_id.clone())
                        .unwrap_or_default();
                }
                return false;
            }
            page.deliveries.push(row);
            true
        })?;
        Ok(page)
    }

    /// The delivery's row, if it passes every filter.
    fn row(&self, order: &OrderSummary, service: &RecipientService) -> Option<pb::Delivery> {
        let order_case = order.ordered.order.case_number.normalized();
        if self.case.as_ref().is_some_and(|c| c != &order_case)
            || self.from.is_some_and(|f| order.ordered_at < f)
            || self.before.is_some_and(|b| order.ordered_at >= b)
        {
            return None;
        }
        let shown = recipient_message(service);
        if (!self.name.is_empty() && !service.recipient.name.contains(&self.name))
            || self.channel.is_some_and(|c| service.address(c).is_none())
            || self.state.is_some_and(|s| shown.state != s as i32)
        {
            return None;
        }
        Some(pb::Delivery {
            order_id: order.ordered.order_id.clone(),
            case_number: order_case,
            ordered_at: ts(order.ordered_at),
            recipient: Some(shown),
        })
    }
}
