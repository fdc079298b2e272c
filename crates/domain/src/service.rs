//! The service of one recipient (电子送达) as a projection of its events: which channel of the plan
//! is being tried, every attempt with the text actually sent, what came back, what the recipient
//! did on the link page, the effective time with its rule, the dead letters clerks see, and the work
//! the outbox still has to do (`dues`). Pure: times come from the events and the log.

use crate::effective_service::{
    AddressBasis, Channel, DeliveryFact, EffectiveService, effective_service,
};
use crate::serve_order::{PlanStep, Recipient, ServeOrder};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A document served: what the recipient's page lists and the proof names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServedDocument {
    /// The sealed copy in the hub, `F…/S1`.
    pub reference: String,
    /// File name shown to the recipient.
    pub name: String,
    /// Lowercase hex SHA-256 of the bytes served.
    pub sha256: String,
    /// Byte count.
    pub size: u64,
    /// Media type.
    pub media_type: String,
    /// The seal on it, e.g. `4206-SSFW-01 襄阳市中级人民法院诉讼服务专用章，带可信时间戳`.
    pub seal: String,
}

/// What the `service_ordered` event records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceOrdered {
    /// Hub-assigned id, `O` and twelve digits.
    pub order_id: String,
    /// The court system's idempotency key.
    pub request_id: String,
    /// Digest of the request's content, to tell a retry from a reuse of the key.
    pub fingerprint: String,
    /// Who ordered it.
    pub ordered_by: String,
    /// The checked order.
    pub order: ServeOrder,
    /// The documents as served.
    pub documents: Vec<ServedDocument>,
    /// Until when the recipients' links work.
    pub links_expire_at: DateTime<Utc>,
    /// Random, unique per order: part of every notice's Message-ID, so ids stay unique across hubs
    /// and data directories (order numbers restart in a new one).
    #[serde(default)]
    pub notice_tag: String,
}

/// An order as stored for lookups: the `service_ordered` event without its recipients (each
/// recipient's service is stored on its own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSummary {
    /// The event, `order.recipients` left empty.
    pub ordered: ServiceOrdered,
    /// How many recipients the order names.
    pub recipients: usize,
    /// When the hub recorded it.
    pub ordered_at: DateTime<Utc>,
    /// The log entry.
    pub seq: u64,
}

impl OrderSummary {
    /// The summary of an order recorded at `at` as entry `seq`.
    pub fn of(ordered: &ServiceOrdered, at: DateTime<Utc>, seq: u64) -> OrderSummary {
        let mut ordered = ordered.clone();
        let recipients = std::mem::take(&mut ordered.order.recipients).len();
        OrderSummary {
            ordered,
            recipients,
            ordered_at: at,
            seq,
        }
    }
}

/// How one send attempt ended, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum AttemptResult {
    /// The provider accepted it (not yet reached).
    Accepted {
        /// The provider's id for it (SMTP queue id; SMPP message ids of every part, space-separated).
        gateway_id: String,
        /// Until when a delivery receipt is awaited (SMS): none by then counts as status unknown.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        receipt_by: Option<DateTime<Utc>>,
        /// The ids the SMSC's receipts will name for the parts, when its form differs from
        /// `gateway_id` (a per-SMSC setting: decimal of a hex id, or the reverse).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        receipt_ids: Vec<String>,
    },
    /// Failed for now; tried again at `retry_at`.
    Temporary {
        /// The provider's words.
        detail: String,
        /// When the outbox tries again.
        retry_at: DateTime<Utc>,
        /// Whether the provider may have taken it anyway (a connection lost with the request
        /// outstanding): the next attempt is counted as a resend in doubt.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        maybe_sent: bool,
    },
    /// Failed for good on this channel: dead letter, and the plan moves on.
    Permanent {
        /// The provider's words.
        detail: String,
        /// Whether the address itself is bad (hard bounce): no notice goes to it again.
        suppress: bool,
    },
}

/// What an SMS delivery receipt says about one part (SMPP 3.4 appendix B `stat:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptState {
    /// DELIVRD: reached the handset.
    Delivered,
    /// UNDELIV.
    Undeliverable,
    /// EXPIRED: the network gave up.
    Expired,
    /// REJECTD.
    Rejected,
    /// DELETED.
    Deleted,
    /// ACCEPTD or ENROUTE: not final.
    Pending,
    /// UNKNOWN: the network does not know.
    Unknown,
}

impl ReceiptState {
    /// Whether it says the part did not reach the handset, for good.
    pub fn failed(self) -> bool {
        matches!(
            self,
            ReceiptState::Undeliverable
                | ReceiptState::Expired
                | ReceiptState::Rejected
                | ReceiptState::Deleted
        )
    }

    /// Words for clerks and the proof.
    pub fn describe(self) -> &'static str {
        match self {
            ReceiptState::Delivered => "已送达手机（DELIVRD）",
            ReceiptState::Undeliverable => "无法送达（UNDELIV）",
            ReceiptState::Expired => "超时未送达（EXPIRED）",
            ReceiptState::Rejected => "被网络拒绝（REJECTD）",
            ReceiptState::Deleted => "已被删除（DELETED）",
            ReceiptState::Pending => "网络已接收，尚未送达（ACCEPTD/ENROUTE）",
            ReceiptState::Unknown => "状态未知（UNKNOWN）",
        }
    }
}

/// A delivery receipt for one part of an SMS notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartReceipt {
    /// The SMSC's id of the part.
    pub part: String,
    /// What it says.
    pub state: ReceiptState,
    /// When it happened, as the receipt says (or when it arrived).
    pub at: DateTime<Utc>,
}

/// What a recipient did on the link page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "activity", rename_all = "snake_case")]
pub enum Activity {
    /// The page was opened (GET): never reading. `form` is the one-time confirmation form issued.
    Fetched {
        /// The form's nonce.
        form: String,
    },
    /// The recipient pressed 确认已阅读 (POST with an unused form).
    ConfirmedReading,
    /// A document was downloaded.
    Downloaded {
        /// The document, `F…/S1`.
        reference: String,
    },
}

/// Where a recipient's service stands, for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceStatus {
    /// A notice is to be sent or is being sent.
    Sending,
    /// Sent; waiting for it to reach the recipient or for the recipient to act.
    Awaiting,
    /// Service took effect.
    Effective,
    /// Every channel of the plan failed or ran out of time: a clerk must act.
    Unserved,
}

/// What one channel's notice went through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelTrace {
    /// The channel.
    pub channel: Channel,
    /// The address used.
    pub address: String,
    /// How the court came by it.
    pub basis: AddressBasis,
    /// The idempotency key: the same for every attempt of this notice (the e-mail's Message-ID).
    pub message_id: String,
    /// Attempts started.
    pub attempts: u32,
    /// Attempts started again after the hub stopped between a send and its record (possible
    /// duplicates the recipient may have received).
    pub resends_in_doubt: u32,
    /// When the provider accepted it.
    pub sent_at: Option<DateTime<Utc>>,
    /// The provider's id.
    pub gateway_id: String,
    /// The subject (e-mail) actually sent.
    pub subject: String,
    /// The text actually sent.
    pub body: String,
    /// The last failure, for clerks.
    pub last_error: String,
    /// Whether an attempt is under way (leased by a worker).
    pub in_flight: bool,
    /// Whether this channel failed for good or ran out of time.
    pub closed: bool,
    /// The SMSC's ids of the SMS's parts (each gets its own receipt).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<String>,
    /// SMS delivery receipts received.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub receipts: Vec<PartReceipt>,
    /// When the hub first began handing a notice on this channel to the provider (the lease of
    /// the first attempt): a provider's report cannot be about an earlier time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handed_at: Option<DateTime<Utc>>,
    /// Whether the last failed attempt may have reached the provider anyway.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub maybe_sent: bool,
}

/// A final failure waiting for a clerk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// The channel that failed.
    pub channel: Channel,
    /// Why.
    pub reason: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Work the outbox must do at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Due {
    /// When.
    pub at: DateTime<Utc>,
    /// On which channel.
    pub channel: Channel,
    /// What.
    pub action: DueAction,
}

/// What the outbox does when a [`Due`] comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DueAction {
    /// Send (or send again) the channel's notice.
    Send,
    /// The channel's deadline: fall back unless service took effect.
    Deadline,
    /// The time to wait for an SMS delivery receipt: none means status unknown, and the plan moves on.
    ReceiptTimeout,
}

/// A proof of service issued for the recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofRef {
    /// 1, 2, ... (a new proof only if a later event changed the effective time).
    pub version: u32,
    /// SHA-256 of the proof document (JSON) in the blob store.
    pub document_sha256: String,
    /// SHA-256 of its detached CAdES signature in the blob store.
    pub signature_sha256: String,
    /// The effective service it attests; `None` for a proof that withdraws an earlier version
    /// (a later fact, such as a bounce a clerk accepted, undid the service it attested).
    pub effective: Option<EffectiveService>,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
}

/// The service of one recipient as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientService {
    /// The order.
    pub order_id: String,
    /// The recipient as ordered.
    pub recipient: Recipient,
    /// The order's plan.
    pub plan: Vec<PlanStep>,
    /// Index in `plan` of the channel being tried.
    pub step: usize,
    /// One per channel tried, in order.
    pub channels: Vec<ChannelTrace>,
    /// What happened, for the effective-time rules.
    pub facts: Vec<DeliveryFact>,
    /// Documents downloaded, with when.
    pub downloads: Vec<(String, DateTime<Utc>)>,
    /// When service took effect and why.
    pub effective: Option<EffectiveService>,
    /// Final failures not yet retried or resolved.
    pub dead_letters: Vec<DeadLetter>,
    /// The outbox's work.
    pub dues: Vec<Due>,
    /// Nonces of the links sent to this recipient (a link with any other nonce is refused).
    pub link_nonces: Vec<String>,
    /// The channel whose notice carried each link nonce.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub link_channels: Vec<(String, Channel)>,
    /// Each confirmation of reading: when, through which channel's link, from which client.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub confirmations: Vec<Confirmation>,
    /// Confirmation forms handed out and not yet used.
    pub open_forms: Vec<String>,
    /// Proofs issued.
    pub proofs: Vec<ProofRef>,
    /// Whether every channel of the plan is exhausted.
    pub unserved: bool,
    /// How the last clerk resolution read, if a clerk closed the matter by hand.
    pub resolution: Option<String>,
    /// Reports that contradict what is already established (a bounce after the notice reached the
    /// recipient): recorded for the clerks, changing nothing by themselves.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unverified: Vec<UnverifiedReport>,
    /// The recipient's replies, with their texts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replies: Vec<crate::reply::ReceivedReply>,
    /// Sequence number of the last event about it.
    pub last_event_seq: u64,
}

pub use crate::review::{ReportJudgment, UnverifiedReport};

/// Events that concern one recipient's service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RecipientEvent {
    /// An attempt is leased: recorded before the provider sees anything.
    NoticeSending {
        /// The channel.
        channel: Channel,
        /// 1-based attempt number on this channel.
        attempt: u32,
        /// The address.
        address: String,
        /// The idempotency key (Message-ID).
        message_id: String,
        /// Subject (e-mail; empty for SMS).
        subject: String,
        /// The text sent.
        body: String,
        /// The nonce of the link in the text.
        link_nonce: String,
        /// Whether an earlier attempt's outcome was never recorded (the hub stopped mid-send).
        in_doubt: bool,
    },
    /// The attempt ended.
    NoticeResult {
        /// The channel.
        channel: Channel,
        /// The attempt.
        attempt: u32,
        /// How.
        result: AttemptResult,
    },
    /// A delivery report came back (DSN, SMS receipt).
    DeliveryReported {
        /// The channel.
        channel: Channel,
        /// Reached the recipient's system (true) or came back undelivered (false).
        reached: bool,
        /// When, as the report says.
        at: DateTime<Utc>,
        /// The report's words (e.g. `5.1.1 user unknown`).
        detail: String,
        /// A permanent failure of the address: no notice goes to it again.
        suppress: bool,
    },
    /// A report the hub could not authenticate, or one that contradicts what is already
    /// established, was set aside for the clerks.
    ReportSetAside(UnverifiedReport),
    /// A clerk judged the report set aside at `index` of [`RecipientService::unverified`]; an
    /// accepted one is followed by its [`RecipientEvent::DeliveryReported`] in the same append.
    ReportJudged {
        /// Index in `unverified`.
        index: u32,
        /// Accepted as evidence, or rejected.
        accepted: bool,
        /// The clerk.
        by: String,
        /// Why.
        note: String,
    },
    /// An SMS delivery receipt came back for one part.
    ReceiptReported {
        /// The channel (SMS).
        channel: Channel,
        /// The SMSC's id of the part.
        part: String,
        /// What it says.
        state: ReceiptState,
        /// When it happened, as the receipt says.
        at: DateTime<Utc>,
        /// The receipt's text, as evidence.
        text: String,
    },
    /// No final delivery receipt came in the time allowed: status unknown.
    ReceiptMissing {
        /// The channel (SMS).
        channel: Channel,
    },
    /// The recipient acted on the link page.
    RecipientActed {
        /// What.
        activity: Activity,
        /// From where (address and user agent), for the trace.
        client: String,
        /// The nonce of the link used (empty when not through a link): it names the notice, and so
        /// the channel, that brought the recipient.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        link: String,
    },
    /// A channel's deadline passed without effective service.
    DeadlinePassed {
        /// The channel.
        channel: Channel,
    },
    /// A clerk sent a dead-lettered notice again.
    DeadLetterRetried {
        /// The channel.
        channel: Channel,
        /// The clerk.
        by: String,
    },
    /// A clerk closed a dead letter by hand (e.g. served on paper instead).
    DeadLetterResolved {
        /// The channel.
        channel: Channel,
        /// The clerk.
        by: String,
        /// What was done.
        note: String,
    },
    /// The recipient replied (art. 31 para. 2 (1)): an SMS from the number the notice went to, or
    /// a reply typed on the link page.
    ReplyReceived(crate::reply::ReceivedReply),
    /// A proof of service was issued.
    ProofIssued(ProofRef),
}

impl RecipientEvent {
    /// Short kind name shown to watchers.
    pub fn kind(&self) -> &'static str {
        match self {
            RecipientEvent::NoticeSending { .. } => "notice_sending",
            RecipientEvent::NoticeResult { .. } => "notice_result",
            RecipientEvent::DeliveryReported { .. } => "delivery_reported",
            RecipientEvent::ReportSetAside(_) => "report_set_aside",
            RecipientEvent::ReportJudged { .. } => "report_judged",
            RecipientEvent::ReceiptReported { .. } => "receipt_reported",
            RecipientEvent::ReceiptMissing { .. } => "receipt_missing",
            RecipientEvent::RecipientActed { .. } => "recipient_acted",
            RecipientEvent::DeadlinePassed { .. } => "deadline_passed",
            RecipientEvent::DeadLetterRetried { .. } => "dead_letter_retried",
            RecipientEvent::DeadLetterResolved { .. } => "dead_letter_resolved",
            RecipientEvent::ProofIssued(_) => "proof_issued",
            RecipientEvent::ReplyReceived(_) => "reply_received",
        }
    }
}

/// A confirmation of reading on the link page (art. 31 para. 2): its source, for the proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// When.
    pub at: DateTime<Utc>,
    /// The channel whose notice carried the link used, when known.
    pub channel: Option<Channel>,
    /// The client's address and user agent.
    pub client: String,
}

/// The idempotency key of a recipient's notice on a channel: the same across retries and resends.
pub fn message_id(
    order_id: &str,
    recipient_id: &str,
    channel: Channel,
    tag: &str,
    host: &str,
) -> String {
    let c = match channel {
        Channel::Email => "email",
        Channel::Sms => "sms",
    };
    format!("{order_id}.{recipient_id}.{c}.{tag}@{host}")
}

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
                    downloads: Vec::new(),
                    effective: None,
                    dead_letters: Vec::new(),
                    dues: Vec::new(),
                    link_nonces: Vec::new(),
                    link_channels: Vec::new(),
                    confirmations: Vec::new(),
                    open_forms: Vec::new(),
                    proofs: Vec::new(),
                    unserved: false,
                    resolution: None,
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

    /// The trace of `channel`, if a notice was attempted on it.
    pub fn trace(&self, channel: Channel) -> Option<&ChannelTrace> {
        self.channels.iter().find(|c| c.channel == channel)
    }

    fn trace_mut(&mut self, channel: Channel) -> Option<&mut ChannelTrace> {
        self.channels.iter_mut().find(|c| c.channel == channel)
    }

    /// Whether a proof for the current state is still to be issued: service took effect (or its
    /// time changed) since the last proof, or it was undone after a proof said it was effective
    /// (then the new version withdraws the old: an earlier proof is never silently contradicted).
    pub fn proof_due(&self) -> bool {
        match (&self.effective, self.proofs.last()) {
            (Some(e), Some(p)) => p.effective.as_ref() != Some(e),
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

    /// One part's receipt: every part delivered means the SMS reached the handset (at the last
    /// part's time); any part failing for good, or UNKNOWN, closes the channel and the plan moves
    /// on. A receipt arriving after the channel closed still counts as what happened.
    fn receipt(
        &mut self,
        channel: Channel,
        part: &str,
        state: ReceiptState,
        reported: DateTime<Utc>,
        at: DateTime<Utc>,
    ) {
        let Some(t) = self.trace_mut(channel) else {
            return;
        };
        t.receipts.push(PartReceipt {
            part: part.to_string(),
            state,
            at: reported,
        });
        let delivered = |p: &String| {
            t.receipts
                .iter()
                .find(|r| r.part == *p && r.state == ReceiptState::Delivered)
                .map(|r| r.at)
        };
        let all_delivered: Option<Vec<DateTime<Utc>>> = t.parts.iter().map(delivered).collect();
        let closed = t.closed;
        let final_state = state != ReceiptState::Pending;
        if final_state {
            self.dues
                .retain(|d| !(d.channel == channel && d.action == DueAction::ReceiptTimeout));
        }
        let reached_before = self
            .facts
            .iter()
            .any(|f| matches!(f, DeliveryFact::Reached { channel: c, .. } if *c == channel));
        match state {
            ReceiptState::Delivered => {
                if let Some(times) = all_delivered.filter(|t| !t.is_empty())
                    && !reached_before
                {
                    let last = times.into_iter().max().unwrap_or(reported);
                    self.facts.push(DeliveryFact::Reached { channel, at: last });
                }
            }
            s if s.failed() => {
                self.facts.push(DeliveryFact::Bounced {
                    channel,
                    at: reported,
                });
                if !closed {
                    self.fail_channel(channel, format!("短信{}", s.describe()), at);
                }
            }
            ReceiptState::Unknown if !closed && !reached_before => {
                self.fail_channel(channel, format!("短信网关报告{}", state.describe()), at);
            }
            _ => {}
        }
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
            RecipientEvent::NoticeSending {
                channel,
                attempt,
                address,
                message_id,
                subject,
                body,
                link_nonce,
                in_doubt,
            } => {
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
                        subject: String::new(),
                        body: String::new(),
                        last_error: String::new(),
                        in_flight: false,
                        closed: false,
                        parts: Vec::new(),
                        receipts: Vec::new(),
                        handed_at: None,
                        maybe_sent: false,
                    });
                }
                let t = self.trace_mut(*channel).expect("just ensured");
                t.handed_at.get_or_insert(at);
                t.attempts = *attempt;
                t.in_flight = true;
                t.closed = false;
                t.maybe_sent = false;
                t.subject = subject.clone();
                t.body = body.clone();
                if *in_doubt {
                    t.resends_in_doubt += 1;
                }
                if !self.link_nonces.contains(link_nonce) {
                    self.link_nonces.push(link_nonce.clone());
                    self.link_channels.push((link_nonce.clone(), *channel));
                }
            }
            RecipientEvent::NoticeResult {
                channel, result, ..
            } => {
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
                            t.parts = match channel {
                                Channel::Sms if !receipt_ids.is_empty() => receipt_ids.clone(),
                                Channel::Sms => {
                                    gateway_id.split_whitespace().map(str::to_string).collect()
                                }
                                Channel::Email => Vec::new(),
                            };
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
            RecipientEvent::DeliveryReported {
                channel,
                reached,
                at: reported,
                detail,
                ..
            } => {
                if *reached {
                    self.facts.push(DeliveryFact::Reached {
                        channel: *channel,
                        at: *reported,
                    });
                } else {
                    self.facts.push(DeliveryFact::Bounced {
                        channel: *channel,
                        at: *reported,
                    });
                    self.fail_channel(*channel, format!("退信：{detail}"), at);
                }
            }
            RecipientEvent::ReportSetAside(report) => self.unverified.push(report.clone()),
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
                ..
            } => self.receipt(*channel, part, *state, *reported, at),
            RecipientEvent::ReceiptMissing { channel } => {
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
                        "未在规定时间内收到短信状态报告，送达状态未知".into(),
                        at,
                    );
                }
            }
            RecipientEvent::RecipientActed {
                activity,
                client,
                link,
            } => match activity {
                Activity::Fetched { form } => {
                    self.facts.push(DeliveryFact::Fetched { at });
                    self.open_forms.push(form.clone());
                }
                Activity::ConfirmedReading => {
                    let channel = self
                        .link_channels
                        .iter()
                        .find(|(n, _)| n == link)
                        .map(|(_, c)| *c);
                    self.facts
                        .push(DeliveryFact::ConfirmedReading { at, channel });
                    self.confirmations.push(Confirmation {
                        at,
                        channel,
                        client: client.clone(),
                    });
                    self.open_forms.clear();
                }
                Activity::Downloaded { reference } => {
                    self.downloads.push((reference.clone(), at));
                }
            },
            RecipientEvent::DeadlinePassed { channel } => {
                self.dues
                    .retain(|d| !(d.channel == *channel && d.action == DueAction::Deadline));
                if self.effective.is_none() {
                    self.fail_channel(*channel, "送达期限届满，未能完成送达".into(), at);
                }
            }
            RecipientEvent::DeadLetterRetried { channel, .. } => {
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
            RecipientEvent::DeadLetterResolved { channel, note, .. } => {
                self.dead_letters.retain(|d| d.channel != *channel);
                self.resolution = Some(note.clone());
            }
            RecipientEvent::ProofIssued(proof) => self.proofs.push(proof.clone()),
            RecipientEvent::ReplyReceived(reply) => {
                self.facts.push(DeliveryFact::Replied { at: reply.at });
                // A reply typed on the page uses up its one-time form.
                self.open_forms.retain(|f| f.is_empty() || *f != reply.form);
                self.replies.push(reply.clone());
            }
        }
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve_order::{RecipientRequest, ServeOrderRequest};

    fn t(minute: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-28T02:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
            + Duration::minutes(minute)
    }

    fn service(email_basis: AddressBasis, with_phone: bool) -> RecipientService {
        let order = ServeOrderRequest {
            case_number: "（2026）鄂06民初123号".into(),
            documents: vec!["F000000000001/S1".into()],
            recipients: vec![RecipientRequest {
                name: "张三".into(),
                role: "被告".into(),
                phone: if with_phone {
                    "13800138000".into()
                } else {
                    String::new()
                },
                email: "zhangsan@example.cn".into(),
                phone_basis: Some(AddressBasis::Confirmed),
                email_basis: Some(email_basis),
                consent_basis: "送达地址确认书".into(),
                identity: String::new(),
            }],
            plan: vec![
                PlanStep {
                    channel: Channel::Email,
                    deadline_hours: 24,
                },
                PlanStep {
                    channel: Channel::Sms,
                    deadline_hours: 48,
                },
            ],
        }
        .validate()
        .unwrap();
        let ordered = ServiceOrdered {
            order_id: "O000000000001".into(),
            request_id: "r1".into(),
            fingerprint: String::new(),
            ordered_by: "court".into(),
            order,
            documents: Vec::new(),
            links_expire_at: t(60 * 24 * 7),
            notice_tag: "t".into(),
        };
        RecipientService::ordered(&ordered, t(0), 1).remove(0)
    }

    fn sending(channel: Channel, attempt: u32) -> RecipientEvent {
        RecipientEvent::NoticeSending {
            channel,
            attempt,
            address: "zhangsan@example.cn".into(),
            message_id: "O1.R1.email@hub".into(),
            subject: "通知".into(),
            body: "正文".into(),
            link_nonce: format!("n{attempt}"),
            in_doubt: false,
        }
    }

    fn result(channel: Channel, attempt: u32, result: AttemptResult) -> RecipientEvent {
        RecipientEvent::NoticeResult {
            channel,
            attempt,
            result,
        }
    }

    #[test]
    fn an_order_makes_the_first_channel_due_at_once() {
        let s = service(AddressBasis::Confirmed, true);
        assert_eq!(
            s.dues,
            vec![Due {
                at: t(0),
                channel: Channel::Email,
                action: DueAction::Send
            }]
        );
        assert_eq!(s.status(), ServiceStatus::Sending);
    }

    #[test]
    fn accepted_waits_for_the_deadline_and_never_falls_back_on_sent_alone() {
        let mut s = service(AddressBasis::Discovered, true);
        s.apply(&sending(Channel::Email, 1), t(0), 2);
        assert!(s.dues.is_empty());
        assert_eq!(s.status(), ServiceStatus::Sending);
        s.apply(
            &result(
                Channel::Email,
                1,
                AttemptResult::Accepted {
                    gateway_id: "q1".into(),
                    receipt_by: None,
                    receipt_ids: Vec::new(),
                },
            ),
            t(1),
            3,
        );
        assert_eq!(s.status(), ServiceStatus::Awaiting);
        assert_eq!(
            s.dues,
            vec![Due {
                at: t(1) + Duration::hours(24),
                channel: Channel::Email,
                action: DueAction::Deadline
            }]
        );
        // The deadline passes without effect: the plan falls back to SMS.
        s.apply(
            &RecipientEvent::DeadlinePassed {
                channel: Channel::Email,
            },
            t(60 * 25),
            4,
        );
        assert_eq!(s.dues[0].channel, Channel::Sms);
        assert_eq!(s.dues[0].action, DueAction::Send);
        assert_eq!(s.dead_letters[0].channel, Channel::Email);
    }

    #[test]
    fn a_temporary_failure_is_due_again_at_its_retry_time() {
        let mut s = service(AddressBasis::Confirmed, false);
        s.apply(&sending(Channel::Email, 1), t(0), 2);
        s.apply(
            &result(
                Channel::Email,
                1,
                AttemptResult::Temporary {
                    detail: "451".into(),
                    retry_at: t(2),
                    maybe_sent: false,
                },
            ),
            t(0),
            3,
        );
        assert_eq!(
            s.dues,
            vec![Due {
                at: t(2),
                channel: Channel::Email,
                action: DueAction::Send
            }]
        );
        assert!(s.dead_letters.is_empty());
    }

    #[test]
    fn a_permanent_failure_dead_letters_and_falls_back_or_leaves_the_recipient_unserved() {
        let mut s = service(AddressBasis::Confirmed, true);
        s.apply(&sending(Channel::Email, 1), t(0), 2);
        s.apply(
            &result(
                Channel::Email,
                1,
                AttemptResult::Permanent {
                    detail: "550".into(),
                    suppress: true,
                },
            ),
            t(0),
            3,
        );
        assert_eq!(s.dead_letters.len(), 1);
        assert_eq!(s.dues[0].channel, Channel::Sms);

        let mut alone = service(AddressBasis::Confirmed, false);
        alone.apply(&sending(Channel::Email, 1), t(0), 2);
        alone.apply(
            &result(
                Channel::Email,
                1,
                AttemptResult::Permanent {
                    detail: "550".into(),
                    suppress: true,
                },
            ),
            t(0),
            3,
        );
        assert_eq!(alone.status(), ServiceStatus::Unserved);
        // A clerk retries: sending again, no longer unserved.
        alone.apply(
            &RecipientEvent::DeadLetterRetried {
                channel: Channel::Email,
                by: "clerk".into(),
            },
            t(5),
            4,
        );
        assert!(alone.dead_letters.is_empty());
        assert_eq!(alone.status(), ServiceStatus::Sending);
    }

    #[test]
    fn a_get_is_not_reading_and_a_confirmation_makes_service_effective_with_a_proof_due() {
        let mut s = service(AddressBasis::Discovered, false);
        s.apply(&sending(Channel::Email, 1), t(0), 2);
        s.apply(
            &RecipientEvent::RecipientActed {
                activity: Activity::Fetched { form: "f1".into() },
                client: "127.0.0.1".into(),
                link: "n1".into(),
            },
            t(3),
            3,
        );
        assert!(s.effective.is_none());
        assert_eq!(s.open_forms, vec!["f1".to_string()]);
        s.apply(
            &RecipientEvent::RecipientActed {
                activity: Activity::ConfirmedReading,
                client: "127.0.0.1".into(),
                link: "n1".into(),
            },
            t(4),
            4,
        );
        let e = s.effective.unwrap();
        assert_eq!(e.at, t(4));
        // The link came in the e-mail notice: that channel made service effective.
        assert_eq!(e.channel, Some(Channel::Email));
        assert_eq!(s.confirmations.len(), 1);
        assert_eq!(s.confirmations[0].client, "127.0.0.1");
        assert!(s.open_forms.is_empty());
        assert!(s.proof_due());
        s.apply(
            &RecipientEvent::ProofIssued(ProofRef {
                version: 1,
                document_sha256: "a".into(),
                signature_sha256: "b".into(),
                effective: Some(e),
                issued_at: t(5),
            }),
            t(5),
            5,
        );
        assert!(!s.proof_due());
    }

    #[test]
    fn reaching_a_confirmed_address_is_effective_and_a_later_bounce_undoes_it() {
        let mut s = service(AddressBasis::Confirmed, true);
        s.apply(&sending(Channel::Email, 1), t(0), 2);
        s.apply(
            &result(
                Channel::Email,
                1,
                AttemptResult::Accepted {
                    gateway_id: String::new(),
                    receipt_by: None,
                    receipt_ids: Vec::new(),
                },
            ),
            t(0),
            3,
        );
        let reported = |reached| RecipientEvent::DeliveryReported {
            channel: Channel::Email,
            reached,
            at: t(1),
            detail: "5.1.1".into(),
            suppress: !reached,
        };
        s.apply(&reported(true), t(1), 4);
        assert_eq!(s.status(), ServiceStatus::Effective);
        assert!(s.dues.is_empty());
        s.apply(&reported(false), t(2), 5);
        assert!(s.effective.is_none());
        assert_eq!(
            s.dues[0].channel,
            Channel::Sms,
            "falls back after the bounce"
        );
    }

    #[test]
    fn an_accepted_bounce_after_a_proof_makes_a_withdrawing_proof_due_and_a_rejected_one_changes_nothing()
     {
        let mut s = service(AddressBasis::Confirmed, false);
        s.apply(&sending(Channel::Email, 1), t(0), 2);
        let reached = RecipientEvent::DeliveryReported {
            channel: Channel::Email,
            reached: true,
            at: t(1),
            detail: "2.0.0".into(),
            suppress: false,
        };
        s.apply(&reached, t(1), 3);
        let e = s.effective.expect("reached a confirmed address");
        s.apply(
            &RecipientEvent::ProofIssued(ProofRef {
                version: 1,
                document_sha256: "a".into(),
                signature_sha256: "b".into(),
                effective: Some(e),
                issued_at: t(2),
            }),
            t(2),
            4,
        );
        let bounce = UnverifiedReport {
            channel: Channel::Email,
            at: t(3),
            detail: "5.1.1 user unknown".into(),
            reason: "not from the court's relay".into(),
            reached: false,
            suppress: true,
            judgment: None,
        };
        for (i, _) in [0, 1].iter().enumerate() {
            s.apply(
                &RecipientEvent::ReportSetAside(bounce.clone()),
                t(3),
                5 + i as u64,
            );
        }
        assert_eq!(s.effective, Some(e), "a report set aside changes nothing");
        assert!(!s.proof_due());
        let judged = |index, accepted| RecipientEvent::ReportJudged {
            index,
            accepted,
            by: "clerk-li".into(),
            note: "checked with the recipient's provider".into(),
        };
        s.apply(&judged(0, false), t(4), 7);
        assert_eq!(s.effective, Some(e));
        assert!(!s.unverified[0].pending() && s.unverified[1].pending());
        s.apply(&judged(1, true), t(5), 8);
        s.apply(&s.unverified[1].clone().accepted_as("clerk-li"), t(5), 9);
        assert!(
            s.effective.is_none(),
            "the accepted bounce undoes the reach"
        );
        assert!(
            s.proof_due(),
            "the proof saying effective must be withdrawn"
        );
        assert_eq!(
            s.unverified[1].judgment.as_ref().map(|j| j.accepted),
            Some(true)
        );
    }

    /// SMS first (confirmed number), then e-mail (provided address).
    fn sms_first(phone_basis: AddressBasis) -> RecipientService {
        let mut s = service(AddressBasis::Provided, true);
        s.plan.reverse();
        s.recipient.addresses = s
            .recipient
            .addresses
            .iter()
            .map(|(c, a, b)| {
                (
                    *c,
                    a.clone(),
                    if *c == Channel::Sms { phone_basis } else { *b },
                )
            })
            .collect();
        s.dues[0].channel = Channel::Sms;
        s
    }

    fn sms_accepted(s: &mut RecipientService, parts: &str) {
        s.apply(&sending(Channel::Sms, 1), t(0), 2);
        s.apply(
            &result(
                Channel::Sms,
                1,
                AttemptResult::Accepted {
                    gateway_id: parts.into(),
                    receipt_by: Some(t(10)),
                    receipt_ids: Vec::new(),
                },
            ),
            t(0),
            3,
        );
    }

    fn receipt(part: &str, state: ReceiptState, minute: i64) -> RecipientEvent {
        RecipientEvent::ReceiptReported {
            channel: Channel::Sms,
            part: part.into(),
            state,
            at: t(minute),
            text: format!("id:{part} stat:…"),
        }
    }

    #[test]
    fn an_sms_waits_for_its_receipt_and_every_part_delivered_is_effective_at_the_last() {
        let mut s = sms_first(AddressBasis::Confirmed);
        sms_accepted(&mut s, "A1 A2 A3");
        assert_eq!(s.trace(Channel::Sms).unwrap().parts, ["A1", "A2", "A3"]);
        assert!(
            s.dues
                .iter()
                .any(|d| d.action == DueAction::ReceiptTimeout && d.at == t(10))
        );
        s.apply(&receipt("A2", ReceiptState::Delivered, 1), t(1), 4);
        s.apply(&receipt("A1", ReceiptState::Pending, 1), t(1), 5);
        s.apply(&receipt("A1", ReceiptState::Delivered, 2), t(2), 6);
        assert!(s.effective.is_none(), "one part still out");
        s.apply(&receipt("A3", ReceiptState::Delivered, 3), t(3), 7);
        let e = s.effective.expect("reached a confirmed number");
        assert_eq!(e.at, t(3));
        assert_eq!(e.channel, Some(Channel::Sms));
        assert!(
            s.dues.is_empty(),
            "no receipt timeout, no deadline, no e-mail"
        );
        assert!(s.trace(Channel::Email).is_none());
    }

    #[test]
    fn every_failed_receipt_state_falls_back_to_e_mail() {
        for state in [
            ReceiptState::Undeliverable,
            ReceiptState::Expired,
            ReceiptState::Rejected,
            ReceiptState::Deleted,
            ReceiptState::Unknown,
        ] {
            let mut s = sms_first(AddressBasis::Confirmed);
            sms_accepted(&mut s, "B1");
            s.apply(&receipt("B1", state, 1), t(1), 4);
            assert!(s.effective.is_none(), "{state:?}");
            assert!(s.trace(Channel::Sms).unwrap().closed, "{state:?}");
            assert_eq!(s.dead_letters.len(), 1, "{state:?}");
            assert!(s.dead_letters[0].reason.contains(state.describe()));
            assert_eq!(
                s.dues,
                vec![Due {
                    at: t(1),
                    channel: Channel::Email,
                    action: DueAction::Send
                }],
                "{state:?}: e-mail next, at once"
            );
        }
    }

    #[test]
    fn an_accepted_receipt_is_not_final_and_a_missing_receipt_moves_the_plan_on() {
        let mut s = sms_first(AddressBasis::Confirmed);
        sms_accepted(&mut s, "C1");
        s.apply(&receipt("C1", ReceiptState::Pending, 1), t(1), 4);
        assert!(s.dues.iter().any(|d| d.action == DueAction::ReceiptTimeout));
        assert!(!s.trace(Channel::Sms).unwrap().closed);
        s.apply(
            &RecipientEvent::ReceiptMissing {
                channel: Channel::Sms,
            },
            t(10),
            5,
        );
        assert!(s.trace(Channel::Sms).unwrap().closed);
        assert!(s.dead_letters[0].reason.contains("状态未知"));
        assert_eq!(s.dues[0].channel, Channel::Email);
        // A late DELIVRD still counts: reached the confirmed number at its time.
        s.apply(&receipt("C1", ReceiptState::Delivered, 12), t(12), 6);
        assert_eq!(s.effective.unwrap().at, t(12));
        assert!(s.dead_letters.is_empty(), "served: nothing left for clerks");
    }

    #[test]
    fn a_delivered_sms_to_a_discovered_number_proves_nothing_by_itself() {
        let mut s = sms_first(AddressBasis::Discovered);
        sms_accepted(&mut s, "D1");
        s.apply(&receipt("D1", ReceiptState::Delivered, 1), t(1), 4);
        assert!(
            s.effective.is_none(),
            "art. 31 para. 2: reaching is not enough"
        );
        assert!(!s.dues.iter().any(|d| d.action == DueAction::ReceiptTimeout));
        assert!(s.dues.iter().any(|d| d.action == DueAction::Deadline));
    }

    #[test]
    fn a_failure_that_may_have_been_sent_marks_the_next_attempt() {
        let mut s = sms_first(AddressBasis::Confirmed);
        s.apply(&sending(Channel::Sms, 1), t(0), 2);
        s.apply(
            &result(
                Channel::Sms,
                1,
                AttemptResult::Temporary {
                    detail: "connection lost".into(),
                    retry_at: t(1),
                    maybe_sent: true,
                },
            ),
            t(0),
            3,
        );
        assert!(s.trace(Channel::Sms).unwrap().maybe_sent);
        s.apply(&sending(Channel::Sms, 2), t(1), 4);
        assert!(!s.trace(Channel::Sms).unwrap().maybe_sent);
    }
}
