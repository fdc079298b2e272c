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

/// The title every proof of service (电子送达凭证) carries: the hub writes it, `clerk
/// verify-proof` requires it of a signed file before calling it a proof.
pub const PROOF_TITLE: &str = "电子送达凭证";

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

/// One acceptance of a notice by the provider (a relay's 250, an SMSC's submit_sm_resp): when,
/// and the id it gave. A notice sent again after an unknown outcome has more than one, and a proof
/// names each with its own id, never one attempt's time with another's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acceptance {
    /// The attempt accepted (1, 2, …; 0 in entries recorded before it was kept).
    #[serde(default)]
    pub attempt: u32,
    /// When the hub recorded the provider's acceptance.
    pub at: DateTime<Utc>,
    /// The provider's id (an SMS's parts' ids, space-separated).
    pub gateway_id: String,
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

/// A receipt that came before the hub had recorded the SMS it is about (an SMSC can report on
/// a part while later parts are still being submitted): the part's id in the form the hub records
/// part ids, and what the receipt said, so that it counts once the SMS's ids are recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwaitedReceipt {
    /// The part's id, as the hub records it (`[service.sms] receipt_id_form` applied).
    pub part: String,
    /// What the receipt says.
    pub state: ReceiptState,
}

/// What the lawyers' portal writes before the client it records a recipient's act from
/// (`portal 127.0.0.1 Mozilla/5.0 …`). The recipients' page records the address alone, so an act
/// whose client begins so was made signed in to the portal, not through a notice's link.
pub const PORTAL_CLIENT: &str = "portal ";

/// Whether an act recorded from `client` was made in the lawyers' portal ([`PORTAL_CLIENT`]).
pub fn acted_in_portal(client: &str) -> bool {
    client.starts_with(PORTAL_CLIENT)
}

/// How an SMS part's id is compared and looked up: SMSCs write one hexadecimal or decimal id in
/// upper or lower case, with or without leading zeros or a `0x` (`1A2B3C04`, `1a2b3c04`,
/// `000000001A2B3C04`, `0x1a2b3c04`), so the key is the id trimmed, in ASCII upper case, without
/// `0x` and leading zeros.
/// (Two live messages of one SMSC whose ids differ only so would be taken for one; the receipt's
/// numbers are still checked against the SMS's.)
pub fn sms_part_key(id: &str) -> String {
    let upper = id.trim().to_ascii_uppercase();
    // `0x1A2B3C28`: a hexadecimal id as some SMSCs print it.
    let upper = upper.strip_prefix("0X").unwrap_or(&upper);
    match upper.trim_start_matches('0') {
        "" if !upper.is_empty() => "0".to_string(),
        key => key.to_string(),
    }
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
    /// When the provider first accepted it.
    pub sent_at: Option<DateTime<Utc>>,
    /// The provider's id, of the latest acceptance.
    pub gateway_id: String,
    /// Every acceptance in the order recorded, an attempt another instance had already sent
    /// again included (empty in read models built before they were kept).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accepted: Vec<Acceptance>,
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
    /// The SMSC's ids of the SMS's parts (each gets its own receipt), of the latest accepted
    /// attempt.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<String>,
    /// The parts of earlier accepted attempts (a clerk's retry after an unknown outcome), oldest
    /// first: their receipts still arrive, and are judged against their own attempt.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub earlier_parts: Vec<Vec<String>>,
    /// SMS delivery receipts received.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub receipts: Vec<PartReceipt>,
    /// When the hub first began handing a notice on this channel to the provider (the lease of
    /// the first attempt): a provider's report cannot be about an earlier time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handed_at: Option<DateTime<Utc>>,
    /// When the hub began handing the latest attempt over (its lease): a provider's report
    /// about that attempt cannot be about an earlier time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leased_at: Option<DateTime<Utc>>,
    /// Whether the last failed attempt may have reached the provider anyway.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub maybe_sent: bool,
    /// The instance that leased the latest attempt (see `notice_sending`'s `holder`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub holder: String,
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

/// A clerk's act on a final failure (a dead letter): a notice sent again, or the matter closed by
/// hand, e.g. 已改为邮寄送达. Proofs list every one (送达回证 record who intervened in service, when
/// and how), not only the last resolution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClerkAct {
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// The clerk.
    pub by: String,
    /// The channel whose dead letter it acted on.
    pub channel: Channel,
    /// Closed by hand (ResolveDeadLetter) rather than sent again (RetryDeadLetter).
    pub resolved: bool,
    /// The clerk's words: what was done instead, for a resolution (always given); why the notice
    /// went again, for a retry (when the clerk gave a reason, e.g. 受送达人来电称邮箱已恢复).
    pub note: Option<String>,
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
    /// 1, 2, ... (a new proof only if a later event changed the effective time, or the clerks'
    /// review of the reports set aside: see `reviews`).
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
    /// The clerks' review it shows ([`RecipientService::reviews`]): a report set aside, or
    /// judged, after it was issued makes a new version due, so a proof handed out never hides a
    /// report the hub holds (a bounce after service took effect waits for a clerk, and the proof
    /// says so meanwhile). `None` in proofs issued before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviews: Option<u32>,
    /// The replies it lists ([`RecipientService::replies_shown`]): a reply received, or
    /// disallowed by a clerk, after it was issued makes a new version due, so a proof handed out
    /// never leaves out what the recipient said — a reply confirming a presumed service, or
    /// rebutting it (outside tests, round 22, F1). `None` in proofs issued before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replies: Option<u32>,
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
    /// The ids of the reports recorded (counted or set aside), so none is recorded twice.
    #[serde(default)]
    pub reports: Vec<String>,
    /// The reports counted, each with the fact it made, in the order recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counted_reports: Vec<crate::review::CountedReport>,
    /// Documents downloaded, with when.
    pub downloads: Vec<(String, DateTime<Utc>)>,
    /// The client (address and user agent, or `portal <client>`) of each opening of the link
    /// page, in the order of the `Fetched` facts, and of each download, in the order of
    /// `downloads`: a mail scanner's GET and the recipient's own read alike on paper unless the
    /// proof says who came (outside tests, round 22, F2).
    #[serde(default, skip_serializing_if = "Clients::is_empty")]
    pub clients: Clients,
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
    /// Confirmation forms handed out and not yet used to confirm (a confirmation closes all).
    pub open_forms: Vec<String>,
    /// Forms of `open_forms` a reply was typed on: each takes one reply, and the same page's
    /// confirmation of reading stays open — a recipient who answers first and then confirms
    /// must not be told the form was used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replied_forms: Vec<String>,
    /// Proofs issued.
    pub proofs: Vec<ProofRef>,
    /// Whether every channel of the plan is exhausted.
    pub unserved: bool,
    /// How the last clerk resolution read, if a clerk closed the matter by hand.
    pub resolution: Option<String>,
    /// Every clerk's act on a dead letter, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clerk_acts: Vec<ClerkAct>,
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

pub use crate::review::{CountedReport, ReportJudgment, ReportSource, UnverifiedReport};

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
        /// The hub instance that leased it (`hub-` and eight hex digits); empty in leases written
        /// before leases named their holder. Another instance sends it again only once this one
        /// has stopped.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        holder: String,
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
        /// The report's own id (`sha256:` of its `Message-ID:` and its body): the same
        /// report read twice is recorded once. Empty in entries written before it was kept.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        report: String,
        /// Where it came from and the copy kept (absent from entries written before it was kept).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<ReportSource>,
    },
    /// A report the hub could not authenticate, or one that contradicts what is already
    /// established, was set aside for the clerks.
    ReportSetAside(UnverifiedReport),
    /// The recipient's system reported the notice read (a read receipt, RFC 8098), accepted by a
    /// clerk: the fact of art. 31 para. 2 (2), presumed — the recipient may rebut it.
    ReadReported {
        /// The channel whose notice it is about.
        channel: Channel,
        /// When, as the receipt says (bounded like any report).
        at: DateTime<Utc>,
        /// The receipt's words, naming the clerk who accepted it.
        detail: String,
        /// The receipt's own id, as a report's.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        report: String,
        /// Where it came from and the copy kept.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<ReportSource>,
    },
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
        /// Judged against the attempt that sent the part (see `RecipientService::apply`): set on
        /// every receipt recorded since the hub tells attempts apart; an entry written before
        /// is replayed as the hub judged it then, so a rebuild reproduces what the hub did.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        per_attempt: bool,
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
        /// Why, when the clerk said (absent from entries written before clerks could say).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
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
    /// A clerk found the reply at `index` of [`RecipientService::replies`] was not the
    /// recipient's: it no longer counts. When service no longer stands, the channel it came by is
    /// closed (that number or link is not the recipient's) and the plan moves on; a proof already
    /// issued is followed by a version that says so.
    ReplyDisallowed {
        /// Index in `replies`.
        index: u32,
        /// The clerk.
        by: String,
        /// Why.
        note: String,
    },
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
            RecipientEvent::ReadReported { .. } => "read_reported",
            RecipientEvent::ReportJudged { .. } => "report_judged",
            RecipientEvent::ReceiptReported { .. } => "receipt_reported",
            RecipientEvent::ReceiptMissing { .. } => "receipt_missing",
            RecipientEvent::RecipientActed { .. } => "recipient_acted",
            RecipientEvent::DeadlinePassed { .. } => "deadline_passed",
            RecipientEvent::DeadLetterRetried { .. } => "dead_letter_retried",
            RecipientEvent::DeadLetterResolved { .. } => "dead_letter_resolved",
            RecipientEvent::ProofIssued(_) => "proof_issued",
            RecipientEvent::ReplyReceived(_) => "reply_received",
            RecipientEvent::ReplyDisallowed { .. } => "reply_disallowed",
        }
    }
}

/// Who opened the link page and who downloaded, in order ([`RecipientService::clients`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clients {
    /// The client of each `Fetched` fact, in order.
    #[serde(default)]
    pub opened: Vec<String>,
    /// The client of each download, in order.
    #[serde(default)]
    pub downloaded: Vec<String>,
}

impl Clients {
    /// Nothing recorded (a service never opened, or one recorded before clients were kept).
    pub fn is_empty(&self) -> bool {
        self.opened.is_empty() && self.downloaded.is_empty()
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

mod projection;
#[cfg(test)]
mod tests;
