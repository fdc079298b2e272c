//! A recipient's service as a projection: the state that the order and each later event make
//! (steps started, channels failed, receipts judged, deadlines, dead letters, effect).

use super::*;

mod reports;

impl RecipientService {
    /// Every recipient's service as the order starts it: the first channel of the plan the recipient
    /// has an address on is due now.
    pub fn ordered(ordered: &ServiceOrdered, at: DateTime<Utc>, seq: u64) -> Vec<RecipientService> {
        ordered
            .order
            .recipients
            .iter()
            .map(|r| {
                let mut s = RecipientService {
                    order_id: ordered.order_id.clone(),
                    recipient: r.clone(),
                    plan: ordered.order.plan.clone(),
                    step: 0,
                    channels: Vec::new(),
                    facts: Vec::new(),
                    reports: Vec::new(),
                    counted_reports: Vec::new(),
                    downloads: Vec::new(),
                    clients: Default::default(),
                    effective: None,
                    dead_letters: Vec::new(),
                    dues: Vec::new(),
                    link_nonces: Vec::new(),
                    link_channels: Vec::new(),
                    confirmations: Vec::new(),
                    open_forms: Vec::new(),
                    replied_forms: Vec::new(),
                    proofs: Vec::new(),
                    unserved: false,
                    resolution: None,
                    clerk_acts: Vec::new(),
                    unverified: Vec::new(),
                    replies: Vec::new(),
                    last_event_seq: seq,
                };
                s.start_step_from(0, at);
                s
            })
            .collect()
    }

    /// Where it stands.
    pub fn status(&self) -> ServiceStatus {
        if self.effective.is_some() {
            ServiceStatus::Effective
        } else if self.unserved {
            ServiceStatus::Unserved
        } else if self.dues.iter().any(|d| d.action == DueAction::Send)
            || self.channels.iter().any(|c| c.in_flight)
        {
            ServiceStatus::Sending
        } else {
            ServiceStatus::Awaiting
        }
    }

    /// The address of this recipient on `channel`, with its basis.
    pub fn address(&self, channel: Channel) -> Option<(&str, AddressBasis)> {
        self.recipient
            .addresses
            .iter()
            .find(|(c, _, _)| *c == channel)
            .map(|(_, a, b)| (a.as_str(), *b))
    }

    /// What is already established about the notice on `channel` that a report of its bounce
    /// would contradict, in words for the clerks: that notice reached the recipient, or its link
    /// was opened, reading confirmed or a reply sent through it. What came through another
    /// channel's notice (the SMS's link opened, a reply by SMS) is no contradiction: the e-mail
    /// can have bounced as well. A fact whose channel is not known (recorded before it was kept)
    /// counts, and the bounce goes to a clerk.
    pub fn contradicts_bounce(&self, channel: Channel) -> Option<&'static str> {
        let through = |c: &Option<Channel>| c.is_none_or(|c| c == channel);
        let replied = (self.replies.iter()).any(|r| r.disallowed.is_none() && through(&r.channel));
        self.facts.iter().find_map(|f| match f {
            DeliveryFact::Reached { channel: c, .. } if *c == channel => {
                Some("a report already said it reached the recipient")
            }
            DeliveryFact::ReadReported { channel: c, .. } if *c == channel => {
                Some("the recipient's system already reported it read")
            }
            DeliveryFact::Fetched { channel: c, .. } if through(c) => {
                Some("the recipient already opened the link")
            }
            DeliveryFact::ConfirmedReading { channel: c, .. } if through(c) => {
                Some("the recipient already confirmed reading")
            }
            DeliveryFact::Replied { .. } if replied => Some("the recipient already replied"),
            _ => None,
        })
    }

    /// The trace of `channel`, if a notice was attempted on it.
    pub fn trace(&self, channel: Channel) -> Option<&ChannelTrace> {
        self.channels.iter().find(|c| c.channel == channel)
    }

    fn trace_mut(&mut self, channel: Channel) -> Option<&mut ChannelTrace> {
        self.channels.iter_mut().find(|c| c.channel == channel)
    }

    /// The state of the clerks' review of reports set aside, as a proof shows it: each report
    /// set aside counts one, each judgment of one more.
    pub fn reviews(&self) -> u32 {
        let judged = self
            .unverified
            .iter()
            .filter(|u| u.judgment.is_some())
            .count();
        u32::try_from(self.unverified.len() + judged).unwrap_or(u32::MAX)
    }

    /// The replies as a proof shows them: each reply counts one, each disallowed by a clerk one
    /// more.
    pub fn replies_shown(&self) -> u32 {
        let disallowed = self
            .replies
            .iter()
            .filter(|r| r.disallowed.is_some())
            .count();
        u32::try_from(self.replies.len() + disallowed).unwrap_or(u32::MAX)
    }

    /// Whether a proof for the current state is still to be issued: service took effect (or its
    /// time changed) since the last proof, or it was undone after a proof said it was effective
    /// (then the new version withdraws the old: an earlier proof is never silently contradicted).
    /// Also due: a new version of an effective proof when the clerks' review changed since it
    /// was issued (a report set aside or judged), or the replies did (one received or
    /// disallowed), so it shows what the hub holds.
    pub fn proof_due(&self) -> bool {
        match (&self.effective, self.proofs.last()) {
            (Some(e), Some(p)) => {
                p.effective.as_ref() != Some(e)
                    || p.reviews.is_some_and(|r| r != self.reviews())
                    || p.replies.is_some_and(|r| r != self.replies_shown())
            }
            (Some(_), None) => true,
            (None, Some(p)) => p.effective.is_some(),
            (None, None) => false,
        }
    }

    /// Starts the first step at or after `from` that the recipient has an address for; none left
    /// means the plan is exhausted.
    fn start_step_from(&mut self, from: usize, at: DateTime<Utc>) {
        let next = (from..self.plan.len()).find(|&i| {
            let channel = self.plan[i].channel;
            self.address(channel).is_some() && self.trace(channel).is_none_or(|t| !t.closed)
        });
        match next {
            Some(i) => {
                self.step = i;
                self.dues.push(Due {
                    at,
                    channel: self.plan[i].channel,
                    action: DueAction::Send,
                });
            }
            None => {
                self.step = self.plan.len();
                // Unserved only once nothing is left in motion on any channel.
                self.unserved = !self.channels.iter().any(|c| c.in_flight) && self.dues.is_empty();
            }
        }
    }

    /// Closes `channel` for good and moves the plan on if it was the channel being tried.
    fn fail_channel(&mut self, channel: Channel, reason: String, at: DateTime<Utc>) {
        self.dues.retain(|d| d.channel != channel);
        if let Some(t) = self.trace_mut(channel) {
            t.closed = true;
            t.in_flight = false;
            t.last_error = reason.clone();
        }
        self.dead_letters.retain(|d| d.channel != channel);
        self.dead_letters.push(DeadLetter {
            channel,
            reason,
            at,
        });
        if self
            .plan
            .get(self.step)
            .is_some_and(|s| s.channel == channel)
        {
            self.start_step_from(self.step + 1, at);
        }
    }

    /// One part's receipt. Every part of an attempt delivered means the SMS reached the
    /// handset (at the last part's time). With `per_attempt` (every receipt recorded since the
    /// hub tells attempts apart), a receipt is judged against the attempt that sent its part: an
    /// earlier attempt's late DELIVRD for every part counts too; a part of the latest attempt
    /// failing for good, or UNKNOWN, closes the channel and the plan moves on — unless the
    /// channel already reached the recipient; a failure about an earlier attempt, or after the
    /// SMS reached the handset, is kept as what the SMSC said and undoes nothing; the receipt
    /// timeout ends once every part of the latest attempt has a final receipt. Without it (an
    /// entry written before), the receipt is judged as the hub judged it then
    /// ([`Self::receipt_as_recorded_before`]). A receipt arriving after the channel closed still
    /// counts as what happened.
    fn receipt(
        &mut self,
        channel: Channel,
        receipt: PartReceipt,
        at: DateTime<Utc>,
        per_attempt: bool,
    ) {
        if !per_attempt {
            self.receipt_as_recorded_before(channel, receipt, at);
            return;
        }
        let Some(t) = self.trace_mut(channel) else {
            return;
        };
        let (part, state, reported) = (receipt.part.clone(), receipt.state, receipt.at);
        t.receipts.push(receipt);
        let latest = t.parts.contains(&part);
        let all_delivered = (std::iter::once(&t.parts).chain(&t.earlier_parts))
            .find(|parts| parts.contains(&part))
            .and_then(|parts| delivered_at(&t.receipts, parts));
        let latest_settled = t
            .parts
            .iter()
            .all(|p| (t.receipts.iter()).any(|r| r.part == *p && r.state != ReceiptState::Pending));
        if latest && latest_settled {
            self.end_receipt_timeout(channel);
        }
        let judged = Judged {
            state,
            reported,
            all_delivered,
            latest,
            per_attempt: true,
        };
        self.settle_receipt(channel, judged, at);
    }

    /// What a receipt does to the service once judged: every part of its attempt delivered is
    /// a reach (the first counts); a failure bounces and closes the channel, UNKNOWN closes it.
    /// Under the rules before attempts were told apart, every receipt was the latest attempt's
    /// and a failure bounced even after a reach.
    fn settle_receipt(&mut self, channel: Channel, j: Judged, at: DateTime<Utc>) {
        let reached_before = self.reached(channel);
        let closed = self.trace(channel).is_some_and(|t| t.closed);
        let about_latest = j.latest || !j.per_attempt;
        let may_undo = about_latest && !(j.per_attempt && reached_before);
        match j.state {
            ReceiptState::Delivered => {
                if let Some(last) = j.all_delivered
                    && !reached_before
                {
                    self.facts.push(DeliveryFact::Reached { channel, at: last });
                }
            }
            s if s.failed() && may_undo => {
                self.facts.push(DeliveryFact::Bounced {
                    channel,
                    at: j.reported,
                });
                if !closed {
                    self.fail_channel(channel, format!("短信{}", s.describe()), at);
                }
            }
            ReceiptState::Unknown if about_latest && !closed && !reached_before => {
                self.fail_channel(channel, format!("短信网关报告{}", j.state.describe()), at);
            }
            _ => {}
        }
    }

    /// `channel`'s receipt timeout is moot: the receipts it waited for came.
    fn end_receipt_timeout(&mut self, channel: Channel) {
        self.dues
            .retain(|d| !(d.channel == channel && d.action == DueAction::ReceiptTimeout));
    }

    /// Whether a report already said `channel`'s notice reached the recipient.
    fn reached(&self, channel: Channel) -> bool {
        self.facts
            .iter()
            .any(|f| matches!(f, DeliveryFact::Reached { channel: c, .. } if *c == channel))
    }

    /// A receipt recorded before the hub told attempts apart, judged as it was then: against the
    /// latest attempt's parts only; any final receipt ends the receipt timeout; any failure
    /// bounces and closes the channel.
    fn receipt_as_recorded_before(
        &mut self,
        channel: Channel,
        receipt: PartReceipt,
        at: DateTime<Utc>,
    ) {
        let Some(t) = self.trace_mut(channel) else {
            return;
        };
        let (state, reported) = (receipt.state, receipt.at);
        t.receipts.push(receipt);
        let all_delivered = delivered_at(&t.receipts, &t.parts);
        if state != ReceiptState::Pending {
            self.end_receipt_timeout(channel);
        }
        let judged = Judged {
            state,
            reported,
            all_delivered,
            latest: true,
            per_attempt: false,
        };
        self.settle_receipt(channel, judged, at);
    }

    fn deadline_of(&self, channel: Channel) -> Option<Duration> {
        self.plan
            .iter()
            .find(|s| s.channel == channel)
            .map(|s| Duration::hours(i64::from(s.deadline_hours)))
    }

    /// Applies one of this recipient's events recorded at `at` as entry `seq`.
    pub fn apply(&mut self, event: &RecipientEvent, at: DateTime<Utc>, seq: u64) {
        self.last_event_seq = seq;
        match event {
            RecipientEvent::NoticeSending { .. } => self.notice_sending(event, at),
            RecipientEvent::NoticeResult {
                channel,
                attempt,
                result,
            } => self.attempt_answered(*channel, *attempt, result, at),
            RecipientEvent::DeliveryReported { .. } => self.report_counted(event, at),
            RecipientEvent::ReadReported { .. } => self.read_reported(event),
            RecipientEvent::ReportSetAside(report) => {
                self.report_seen(&report.report);
                self.unverified.push(report.clone());
            }
            RecipientEvent::ReportJudged {
                index,
                accepted,
                by,
                note,
            } => {
                if let Some(r) = self.unverified.get_mut(*index as usize) {
                    r.judgment = Some(ReportJudgment {
                        accepted: *accepted,
                        by: by.clone(),
                        note: note.clone(),
                        at,
                    });
                }
            }
            RecipientEvent::ReceiptReported {
                channel,
                part,
                state,
                at: reported,
                per_attempt,
                ..
            } => {
                let receipt = PartReceipt {
                    part: part.clone(),
                    state: *state,
                    at: *reported,
                };
                self.receipt(*channel, receipt, at, *per_attempt);
            }
            RecipientEvent::ReceiptMissing { channel } => self.receipt_missing(*channel, at),
            RecipientEvent::RecipientActed {
                activity,
                client,
                link,
            } => self.recipient_acted(activity, client, link, at),
            RecipientEvent::DeadlinePassed { channel } => self.deadline_passed(*channel, at),
            RecipientEvent::DeadLetterRetried { channel, by, note } => {
                self.dead_letter_retried(*channel, at);
                self.clerk_acted(*channel, by, false, note.as_ref(), at);
            }
            RecipientEvent::DeadLetterResolved { channel, by, note } => {
                self.dead_letters.retain(|d| d.channel != *channel);
                self.resolution = Some(note.clone());
                self.clerk_acted(*channel, by, true, Some(note), at);
            }
            RecipientEvent::ProofIssued(proof) => self.proofs.push(proof.clone()),
            RecipientEvent::ReplyReceived(reply) => {
                self.facts.push(DeliveryFact::Replied { at: reply.at });
                // A reply typed on the page uses up its one-time form for replies.
                if !reply.form.is_empty() {
                    self.replied_forms.push(reply.form.clone());
                }
                self.replies.push(reply.clone());
            }
            RecipientEvent::ReplyDisallowed { index, by, note } => {
                self.reply_disallowed(*index, by, note, at);
            }
        }
        self.settle();
    }

    /// A clerk found a counted reply was not the recipient's: its fact goes. If service then no
    /// longer stands, the channel it came by is closed with the clerk's note (unless a clerk had
    /// attributed it from elsewhere: then that channel's address was never in question), and the
    /// plan takes up again where it stood.
    fn reply_disallowed(&mut self, index: u32, by: &str, note: &str, at: DateTime<Utc>) {
        let Some(reply) = self.replies.get_mut(index as usize) else {
            return;
        };
        if reply.disallowed.is_some() {
            return;
        }
        reply.disallowed = Some(crate::reply::ReplyDisallowance {
            by: by.to_string(),
            note: note.to_string(),
            at,
        });
        let (when, channel, attributed) = (reply.at, reply.channel, reply.attributed.is_some());
        if let Some(i) = self
            .facts
            .iter()
            .position(|f| matches!(f, DeliveryFact::Replied { at } if *at == when))
        {
            self.facts.remove(i);
        }
        self.settle();
        if self.effective.is_some() {
            return;
        }
        if !attributed
            && let Some(channel) = channel
            && self.trace(channel).is_some()
        {
            let reason = format!("回复经认定非受送达人所为（{by}：{note}）");
            self.fail_channel(channel, reason, at);
        }
        self.take_up_plan(at);
    }

    /// After service stopped standing (effect cleared every due), takes the plan up again: the
    /// current step's deadline runs anew from `at` if its notice went out, else the first step
    /// still open is sent; with none left the recipient is unserved.
    fn take_up_plan(&mut self, at: DateTime<Utc>) {
        if !self.dues.is_empty() || self.channels.iter().any(|c| c.in_flight) {
            return;
        }
        let current = self.plan.get(self.step).map(|s| s.channel);
        let sent = current.filter(|c| {
            self.trace(*c)
                .is_some_and(|t| !t.closed && t.sent_at.is_some())
        });
        match sent.and_then(|c| self.deadline_of(c).map(|d| (c, d))) {
            Some((channel, deadline)) => self.dues.push(Due {
                at: at + deadline,
                channel,
                action: DueAction::Deadline,
            }),
            None => self.start_step_from(self.step, at),
        }
    }

    /// Decides, after every event, whether service took effect or has run out of ways to.
    fn settle(&mut self) {
        let addresses: Vec<(Channel, AddressBasis)> = self
            .recipient
            .addresses
            .iter()
            .map(|(c, _, b)| (*c, *b))
            .collect();
        self.effective = effective_service(true, &addresses, &self.facts).ok();
        if self.effective.is_some() {
            // Served: nothing more is sent, no deadline falls back, nothing is left for clerks.
            self.dues.clear();
            self.dead_letters.clear();
            self.unserved = false;
        } else if self.step >= self.plan.len()
            && self.dues.is_empty()
            && !self.channels.iter().any(|c| c.in_flight)
        {
            self.unserved = true;
        }
    }

    fn notice_sending(&mut self, event: &RecipientEvent, at: DateTime<Utc>) {
        let RecipientEvent::NoticeSending {
            channel,
            attempt,
            address,
            message_id,
            subject,
            body,
            link_nonce,
            in_doubt,
            holder,
        } = event
        else {
            return;
        };
        let basis = self
            .address(*channel)
            .map_or(AddressBasis::Discovered, |(_, b)| b);
        self.dues
            .retain(|d| !(d.channel == *channel && d.action == DueAction::Send));
        if self.trace(*channel).is_none() {
            self.channels.push(ChannelTrace {
                channel: *channel,
                address: address.clone(),
                basis,
                message_id: message_id.clone(),
                attempts: 0,
                resends_in_doubt: 0,
                sent_at: None,
                gateway_id: String::new(),
                accepted: Vec::new(),
                subject: String::new(),
                body: String::new(),
                last_error: String::new(),
                in_flight: false,
                closed: false,
                parts: Vec::new(),
                earlier_parts: Vec::new(),
                receipts: Vec::new(),
                handed_at: None,
                leased_at: None,
                maybe_sent: false,
                holder: String::new(),
            });
        }
        let t = self.trace_mut(*channel).expect("just ensured");
        t.handed_at.get_or_insert(at);
        t.leased_at = Some(at);
        t.attempts = *attempt;
        t.in_flight = true;
        t.closed = false;
        t.maybe_sent = false;
        t.subject = subject.clone();
        t.body = body.clone();
        t.holder.clone_from(holder);
        if *in_doubt {
            t.resends_in_doubt += 1;
        }
        if !self.link_nonces.contains(link_nonce) {
            self.link_nonces.push(link_nonce.clone());
            self.link_channels.push((link_nonce.clone(), *channel));
        }
    }

    /// An instance that lost its liveness lock may still finish an attempt another instance has
    /// since sent again: its answer stays in the log as evidence (an acceptance is kept: the
    /// recipient may have had that copy), but the later attempt is the one in flight.
    fn attempt_answered(
        &mut self,
        channel: Channel,
        attempt: u32,
        result: &AttemptResult,
        at: DateTime<Utc>,
    ) {
        let superseded = self.trace(channel).is_some_and(|t| attempt < t.attempts);
        if !superseded {
            self.notice_result(channel, attempt, result, at);
        } else if let (AttemptResult::Accepted { gateway_id, .. }, Some(t)) =
            (result, self.trace_mut(channel))
        {
            t.accepted.push(super::Acceptance {
                attempt,
                at,
                gateway_id: gateway_id.clone(),
            });
        }
    }

    fn notice_result(
        &mut self,
        channel: Channel,
        attempt: u32,
        result: &AttemptResult,
        at: DateTime<Utc>,
    ) {
        let channel = &channel;
        if let Some(t) = self.trace_mut(*channel) {
            t.in_flight = false;
        }
        match result {
            AttemptResult::Accepted {
                gateway_id,
                receipt_by,
                receipt_ids,
            } => {
                if let Some(t) = self.trace_mut(*channel) {
                    t.sent_at.get_or_insert(at);
                    t.gateway_id = gateway_id.clone();
                    t.accepted.push(super::Acceptance {
                        attempt,
                        at,
                        gateway_id: gateway_id.clone(),
                    });
                    let parts = match channel {
                        Channel::Sms if !receipt_ids.is_empty() => receipt_ids.clone(),
                        Channel::Sms => gateway_id.split_whitespace().map(str::to_string).collect(),
                        Channel::Email => Vec::new(),
                    };
                    if !t.parts.is_empty() && t.parts != parts {
                        let earlier = std::mem::replace(&mut t.parts, parts);
                        t.earlier_parts.push(earlier);
                    } else {
                        t.parts = parts;
                    }
                    t.last_error.clear();
                }
                if let Some(d) = self.deadline_of(*channel) {
                    self.dues.push(Due {
                        at: at + d,
                        channel: *channel,
                        action: DueAction::Deadline,
                    });
                }
                if let Some(by) = receipt_by {
                    self.dues.push(Due {
                        at: *by,
                        channel: *channel,
                        action: DueAction::ReceiptTimeout,
                    });
                }
            }
            AttemptResult::Temporary {
                detail,
                retry_at,
                maybe_sent,
            } => {
                if let Some(t) = self.trace_mut(*channel) {
                    t.last_error = detail.clone();
                    t.maybe_sent = *maybe_sent;
                }
                self.dues.push(Due {
                    at: *retry_at,
                    channel: *channel,
                    action: DueAction::Send,
                });
            }
            AttemptResult::Permanent { detail, .. } => {
                self.fail_channel(*channel, detail.clone(), at);
            }
        }
    }

    fn receipt_missing(&mut self, channel: Channel, at: DateTime<Utc>) {
        let channel = &channel;
        self.dues
            .retain(|d| !(d.channel == *channel && d.action == DueAction::ReceiptTimeout));
        let open = self.trace(*channel).is_some_and(|t| !t.closed);
        let reached = self
            .facts
            .iter()
            .any(|f| matches!(f, DeliveryFact::Reached { channel: c, .. } if c == channel));
        if open && !reached {
            self.fail_channel(
                *channel,
                "未在规定时间内收到可与本短信对应的状态报告，送达状态未知".into(),
                at,
            );
        }
    }

    fn recipient_acted(
        &mut self,
        activity: &Activity,
        client: &str,
        link: &str,
        at: DateTime<Utc>,
    ) {
        let channel = (self.link_channels.iter())
            .find(|(n, _)| n == link)
            .map(|(_, c)| *c);
        let portal = acted_in_portal(client);
        match activity {
            Activity::Fetched { form } => {
                self.facts.push(DeliveryFact::Fetched {
                    at,
                    channel,
                    portal,
                });
                self.clients.opened.push(client.to_string());
                self.open_forms.push(form.clone());
            }
            Activity::ConfirmedReading => {
                self.facts.push(DeliveryFact::ConfirmedReading {
                    at,
                    channel,
                    portal,
                });
                self.confirmations.push(Confirmation {
                    at,
                    channel,
                    client: client.to_string(),
                });
                self.open_forms.clear();
                self.replied_forms.clear();
            }
            Activity::Downloaded { reference } => {
                self.downloads.push((reference.clone(), at));
                self.clients.downloaded.push(client.to_string());
            }
        }
    }

    fn deadline_passed(&mut self, channel: Channel, at: DateTime<Utc>) {
        self.dues
            .retain(|d| !(d.channel == channel && d.action == DueAction::Deadline));
        if self.effective.is_none() {
            self.fail_channel(channel, "送达期限届满，未能完成送达".into(), at);
        }
    }

    /// Keeps a clerk's act on `channel`'s dead letter for the proofs: sent again, or `resolved`
    /// by hand, with the clerk's `note`.
    fn clerk_acted(
        &mut self,
        channel: Channel,
        by: &str,
        resolved: bool,
        note: Option<&String>,
        at: DateTime<Utc>,
    ) {
        self.clerk_acts.push(ClerkAct {
            at,
            by: by.to_string(),
            channel,
            resolved,
            note: note.cloned(),
        });
    }

    fn dead_letter_retried(&mut self, channel: Channel, at: DateTime<Utc>) {
        let channel = &channel;
        self.dead_letters.retain(|d| d.channel != *channel);
        if let Some(t) = self.trace_mut(*channel) {
            t.closed = false;
        }
        self.unserved = false;
        if let Some(i) = self.plan.iter().position(|s| s.channel == *channel) {
            self.step = self.step.min(i);
        }
        self.dues.push(Due {
            at,
            channel: *channel,
            action: DueAction::Send,
        });
    }
}

/// When the last of `parts` was delivered, if every one of them was (none: not an SMS).
fn delivered_at(receipts: &[PartReceipt], parts: &[String]) -> Option<DateTime<Utc>> {
    let delivered = |p: &String| {
        receipts
            .iter()
            .find(|r| r.part == *p && r.state == ReceiptState::Delivered)
            .map(|r| r.at)
    };
    let times: Option<Vec<DateTime<Utc>>> = parts.iter().map(delivered).collect();
    times.and_then(|t| t.into_iter().max())
}

/// One receipt, judged against its attempt (see `RecipientService::settle_receipt`).
struct Judged {
    state: ReceiptState,
    /// When it happened, as recorded.
    reported: DateTime<Utc>,
    /// When the last part of its attempt was delivered, if every part was.
    all_delivered: Option<DateTime<Utc>>,
    /// Whether its part is one of the latest attempt's.
    latest: bool,
    /// Whether it was recorded under the rules that tell attempts apart.
    per_attempt: bool,
}
