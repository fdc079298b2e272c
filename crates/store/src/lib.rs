//! Durable storage of ecenter: the hash-chained event log, the projections built from it in the same
//! transaction, and the content-addressed document blobs.
//!
//! Invariants: only this crate knows sled; a caller of [`EventStore::append`] is answered only after
//! the flush that holds its events has returned (concurrent appends share one flush: group commit);
//! blobs are durable before any event names them.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod audit;
pub mod blobs;
pub mod chain;
pub mod checkpoint;
pub mod instances;
pub mod postgres;
pub(crate) mod sled_store;
#[cfg(feature = "tamper")]
pub mod tamper;
pub mod verified;

pub use blobs::{BlobInfo, BlobStore, BlobWriter, FinishedBlob, PlacedBlob};
pub use chain::{ChainError, ChainHead, StoredEntry};
pub use instances::Instances;
pub use postgres::{HeadLockStats, PostgresConfig, head_lock_stats};
pub use sled_store::{
    REPLICA_AHEAD, ReadModelDrift, Rebuilt, SledStore, audit_log, cut_log_from,
    rebuild_read_models, verify_log,
};

use chrono::{DateTime, Utc};
use ecenter_domain::effective_service::Channel;
use ecenter_domain::filing_notice::{FilingNotice, NoticeAddress};
use ecenter_domain::lawyer::Lawyer;
use ecenter_domain::passkey::Passkey;
use ecenter_domain::portal::{Attempt, History, Session};
use ecenter_domain::service::{Due, OrderSummary, RecipientService};
use ecenter_domain::similar::push::CasePushes;
use ecenter_domain::{
    DeliveryKey, DomainError, Event, Filing, FilingState, RecipientKey, SealRecord,
};
use std::future::Future;
use tokio::sync::watch;

/// Why storage refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The domain refused the change.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The log does not verify; the hub must not serve it.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// A file or disk error.
    #[error("storage I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// sled reported an error.
    #[error("database error: {0}")]
    Database(String),
    /// PostgreSQL, the log of record of several hubs, failed or refused (the message says doing what).
    #[error("PostgreSQL: {0}")]
    Postgres(String),
    /// PostgreSQL could not be reached: no server answered at the URL's hosts, a connection was
    /// refused or cut, or none finished the start-up in time. Worth retrying; nothing was
    /// written. (A server that answered and refused — a wrong password, a missing database, a
    /// certificate it did not accept — is [`StoreError::Postgres`].)
    #[error("PostgreSQL: {0}")]
    Unreachable(String),
    /// The data directory holds another log than PostgreSQL's, not a replica of it: their first
    /// entries differ (the message says what it is likely to be and what to do).
    #[error("{0}")]
    AnotherLog(String),
    /// A newer instance upgraded PostgreSQL's schema while this one ran: it must not write again
    /// (the message names both versions and what to do).
    #[error("{0}")]
    SchemaNewer(String),
    /// A table of PostgreSQL's log that every hub relies on lost its row or was dropped (the
    /// head, where the seals begin): changed around the hubs. Nothing more is written; the
    /// message names what is gone.
    #[error("PostgreSQL's log was changed around the hubs: {0}")]
    Altered(String),
    /// The log stopped taking writes earlier (a failed flush or commit, a disk that failed, a log
    /// in PostgreSQL that does not verify): nothing more is written until the hub restarts and
    /// re-verifies. Holds why, as the hub logged it when it stopped.
    #[error(
        "the hub stopped accepting changes: {0}. Nothing more is recorded until an administrator has dealt with that and restarted the hub"
    )]
    Poisoned(String),
    /// This batch's flush failed: nothing in it was acknowledged, but its entries may still
    /// reach the disk (sled writes its buffers as they fill, and in the background), so whether
    /// it was recorded is known only after the restart ([`StoreError::may_be_recorded`]).
    #[error(
        "the hub could not make this change durable ({0}); it may or may not have been recorded. It refuses changes until an administrator fixes the disk and restarts it; then retry with the same request id (a filing or a serve order already recorded is answered as recorded, not made twice)"
    )]
    FlushFailed(String),
    /// The writer is gone (shutting down): the change never reached it.
    #[error("the event log is shutting down")]
    ShuttingDown,
    /// The writer stopped (it panicked) after taking the change and before answering: what it
    /// wrote may still reach the disk, so whether the change was recorded is known only after the
    /// restart ([`StoreError::may_be_recorded`]).
    #[error(
        "the hub's event log writer stopped while recording this change; it may or may not have been recorded. Retry with the same request id once the hub is restarted"
    )]
    WriterLost,
    /// A blob writer was used after it failed.
    #[error("blob writer used after a failure")]
    BlobWriterSpent,
}

impl StoreError {
    /// Whether the change refused may nonetheless be in the log after a restart (a batch whose
    /// flush failed, a writer that stopped mid-batch): what its request put in place, its documents, must then stay — the orphan
    /// sweep at the next start sets aside those nothing names.
    pub fn may_be_recorded(&self) -> bool {
        matches!(self, StoreError::FlushFailed(_) | StoreError::WriterLost)
    }
}

/// Read access given to a decision while the writer holds the log: what it reads cannot change
/// before its events are written.
pub trait ReadView {
    /// A filing's current state.
    fn filing(&self, filing_id: &str) -> Result<Option<Filing>, StoreError>;
    /// The filing a submitter's request id already created, if any.
    fn filing_for_request(
        &self,
        submitter: &str,
        request_id: &str,
    ) -> Result<Option<String>, StoreError>;
    /// The first filing, in id order, whose case number (normalised) is `case_number` and that
    /// `keep` accepts: whether a number is some case's already, found through the case index
    /// rather than by reading every filing.
    fn case_filing(
        &self,
        case_number: &str,
        keep: &dyn Fn(&Filing) -> bool,
    ) -> Result<Option<Filing>, StoreError>;
    /// The first filing, in id order, of `submitter` that `keep` accepts (a correction of a given
    /// filing: corrections are their filer's own), found through the submitter index.
    fn submitter_filing(
        &self,
        submitter: &str,
        keep: &dyn Fn(&Filing) -> bool,
    ) -> Result<Option<Filing>, StoreError>;
    /// The sequence number the first appended event will get (unique ids can derive from it).
    fn next_seq(&self) -> u64;
    /// A seal of the registry.
    fn seal(&self, seal_id: &str) -> Result<Option<SealRecord>, StoreError>;
    /// A serve order, without its recipients.
    fn service_order(&self, order_id: &str) -> Result<Option<OrderSummary>, StoreError>;
    /// The order a court system's request id already created, if any.
    fn order_for_request(
        &self,
        ordered_by: &str,
        request_id: &str,
    ) -> Result<Option<String>, StoreError>;
    /// One recipient's service.
    fn recipient_service(
        &self,
        order_id: &str,
        recipient_id: &str,
    ) -> Result<Option<RecipientService>, StoreError>;
    /// Why an address no longer gets notices (a hard bounce), if it does not.
    fn suppressed(&self, address: &str) -> Result<Option<String>, StoreError>;
    /// The order and recipient whose notice a provider knows by `gateway_id` (an SMSC's message
    /// id of one SMS part), so a delivery receipt finds its service.
    fn service_by_gateway_id(
        &self,
        channel: Channel,
        gateway_id: &str,
    ) -> Result<Option<RecipientKey>, StoreError>;
    /// The handset's message kept for the clerks as log entry `seq`, while not yet settled.
    fn unmatched_reply(&self, seq: u64) -> Result<Option<UnmatchedReplyEntry>, StoreError>;
    /// A receipt about SMS part `part` (the id as the hub records part ids) kept because it came
    /// before any recorded submit named the part, while no `receipt_reported` has counted it.
    fn awaited_receipt(&self, part: &str) -> Result<Option<AwaitedReceiptEntry>, StoreError>;
    /// A notice of filing.
    fn filing_notice(&self, notice_id: &str) -> Result<Option<FilingNotice>, StoreError>;
    /// The addresses `identity` opted in to notices of filing at (empty: none).
    fn notice_addresses(&self, identity: &str) -> Result<Vec<NoticeAddress>, StoreError>;
    /// The co-counsel lawyer `by` registered on a case (normalised number).
    fn co_counsel(&self, case_number: &str, by: &str) -> Result<Vec<String>, StoreError>;
    /// A lawyer of the court's directory.
    fn lawyer(&self, identity: &str) -> Result<Option<Lawyer>, StoreError>;
    /// The identity the directory lists a practising certificate number for.
    fn lawyer_by_licence(&self, licence: &str) -> Result<Option<String>, StoreError>;
    /// A portal sign-in attempt.
    fn sign_in_attempt(&self, id: &str) -> Result<Option<Attempt>, StoreError>;
    /// `identity`'s recent sign-in codes and wrong codes (for the portal's limits).
    fn sign_in_history(&self, identity: &str) -> Result<History, StoreError>;
    /// The `lawyer_recorded` entry of a lawyer's current directory entry, if listed.
    fn lawyer_listed_at(&self, identity: &str) -> Result<Option<u64>, StoreError>;
    /// A passkey by its credential id, removed ones too.
    fn passkey(&self, credential_id: &str) -> Result<Option<Passkey>, StoreError>;
    /// A lawyer's passkeys not removed.
    fn passkeys_of(&self, identity: &str) -> Result<Vec<Passkey>, StoreError>;
    /// Whether a passkey challenge was used already.
    fn challenge_used(&self, challenge: &str) -> Result<bool, StoreError>;
    /// A portal session by the hex SHA-256 of its cookie.
    fn portal_session(&self, hash: &str) -> Result<Option<Session>, StoreError>;
    /// What is known of a case's similar-case pushes (normalised number).
    fn case_pushes(&self, case_number: &str) -> Result<Option<CasePushes>, StoreError>;
}

/// A handset's message waiting for the clerks, as the queue keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UnmatchedReplyEntry {
    /// Its position in the log.
    #[serde(default)]
    pub seq: u64,
    /// When it was recorded.
    pub at: chrono::DateTime<chrono::Utc>,
    /// The message.
    pub reply: ecenter_domain::reply::UnmatchedReply,
}

/// A receipt kept for a part no recorded submit named yet (see [`ReadView::awaited_receipt`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AwaitedReceiptEntry {
    /// What it says.
    pub state: ecenter_domain::service::ReceiptState,
    /// Its text as received.
    pub text: String,
    /// When the hub recorded it (what the receipt counts as, once matched).
    pub at: chrono::DateTime<chrono::Utc>,
    /// The deliver_sm's `source_addr` and `destination_addr` (empty for a receipt kept before
    /// they were): it counts only for an SMS to a number one of them names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
    /// Its `sms_receipt_unmatched` entry (0 in entries kept before it was noted): the clerks'
    /// list of receipts no SMS claims drops it once a submit naming the part counts it.
    #[serde(default)]
    pub seq: u64,
}

/// An SMSC delivery receipt no SMS of the hub's claims, as the clerks' list keeps it (the
/// `sms_receipt_unmatched` entry at `seq`): its id names no SMS part the hub recorded, or it
/// names one and is about another handset (`another_number_than`). Listed until a submit naming
/// its part counts it; a receipt still `awaiting` its SMS may yet be counted that way.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UnmatchedReceiptEntry {
    /// Its position in the log.
    #[serde(default)]
    pub seq: u64,
    /// When it was recorded.
    pub at: chrono::DateTime<chrono::Utc>,
    /// The message id it names, as the SMSC wrote it.
    pub smsc_id: String,
    /// Its state word (DELIVRD, UNDELIV, …).
    pub status: String,
    /// Its text as received.
    pub text: String,
    /// The deliver_sm's `source_addr` and `destination_addr`, when kept.
    #[serde(default)]
    pub addresses: Vec<String>,
    /// The service (`O…/R…`) whose SMS its id names when it is about another handset.
    #[serde(default)]
    pub another_number_than: Option<String>,
    /// Whether it waits for a submit naming its part to be recorded, and counts then.
    #[serde(default)]
    pub awaiting: bool,
}

/// One piece of the outbox's work: recipient `recipient_id` of `order_id` has `due` to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueWork {
    /// The order.
    pub order_id: String,
    /// The recipient.
    pub recipient_id: String,
    /// What and when.
    pub due: Due,
}

/// Where an appended event landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// Sequence number.
    pub seq: u64,
    /// Its hash.
    pub hash: [u8; 32],
    /// Recording time.
    pub recorded_at: chrono::DateTime<chrono::Utc>,
}

/// What to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilingFilter {
    /// Normalised case number.
    pub case_number: Option<String>,
    /// State.
    pub state: Option<FilingState>,
    /// Submitter identity.
    pub submitter: Option<String>,
    /// Department queue name.
    pub department: Option<String>,
}

/// One page of filings.
#[derive(Debug, Clone, Default)]
pub struct FilingPage {
    /// The filings, in id order.
    pub filings: Vec<Filing>,
    /// The id to continue after, if there is more.
    pub next_after: Option<String>,
}

/// A decision made under the writer: reads through the view, returns events to append and a value
/// for the caller.
pub type Decide<T> = Box<dyn FnOnce(&dyn ReadView) -> Result<(Vec<Event>, T), StoreError> + Send>;

/// The event log: the one thing every state change goes through (append with its decision,
/// entries, head, durability), plus the documents it names and its signed checkpoints.
/// Read models are separate traits, one per feature; [`EventStore`] is all of them.
pub trait EventLog: Send + Sync + 'static {
    /// Runs `decide` serialised with every other append, appends its events with their projections
    /// atomically, and returns once they are durable.
    fn append<T: Send + 'static>(
        &self,
        decide: Decide<T>,
    ) -> impl Future<Output = Result<(Vec<Appended>, T), StoreError>> + Send;
    /// Durable entries with `seq > after`, at most `limit`, in order.
    fn entries_after(&self, after: u64, limit: usize) -> Result<Vec<StoredEntry>, StoreError>;
    /// Shows `visit` every durable entry in order, reading a page at a time; returns the last
    /// one's `seq` (0 when the log is empty).
    fn for_each_entry(&self, mut visit: impl FnMut(&StoredEntry)) -> Result<u64, StoreError> {
        let mut after = 0;
        loop {
            let page = self.entries_after(after, 1000)?;
            let Some(last) = page.last() else {
                return Ok(after);
            };
            after = last.seq;
            for entry in &page {
                visit(entry);
            }
        }
    }
    /// The last durable entry.
    fn head(&self) -> ChainHead;
    /// Follows the durable head; changes after every flush.
    fn subscribe(&self) -> watch::Receiver<ChainHead>;
    /// Returns once entry `seq` is durable; `Poisoned` at once when a failed flush means it never
    /// will be.
    fn wait_durable(&self, seq: u64) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Brings this hub's read models up to the log of record's committed head, before a lookup
    /// answers that something does not exist: with several hubs on PostgreSQL, another instance
    /// may have recorded it a moment ago, and a balancer sends each request anywhere. A hub alone
    /// has nothing to do.
    fn caught_up(&self) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Why the log refuses writes (a failed flush), or `None`; changes once, when it happens.
    fn write_failure(&self) -> watch::Receiver<Option<String>>;
    /// The document bytes.
    fn blobs(&self) -> &BlobStore;
    /// The newest signed checkpoint of this log, once one is written or read at start-up.
    fn latest_checkpoint(&self) -> Option<checkpoint::Checkpoint>;
    /// Records the newest signed checkpoint (what receipts, the chain head and proofs name).
    fn set_latest_checkpoint(&self, checkpoint: checkpoint::Checkpoint);
    /// This process as a holder of leases, and which other holders have stopped.
    fn instances(&self) -> &Instances;
    /// Flushes and stops the writer; an error when the final flush failed or an earlier one did.
    fn close(&self) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The filings read model: filings and their indexes (submitter, case, department queue).
pub trait FilingReads {
    /// A filing as of the last write (wait for [`EventLog::wait_durable`] before showing it).
    fn filing(&self, filing_id: &str) -> Result<Option<Filing>, StoreError>;
    /// Filings matching `filter`, after the id `after`, at most `limit`.
    fn list_filings(
        &self,
        filter: &FilingFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<FilingPage, StoreError>;
    /// Filings waiting in a department's queue (received or under review), oldest first.
    fn department_queue(
        &self,
        department: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<FilingPage, StoreError>;
}

/// The seal registry read model.
pub trait SealReads {
    /// A seal of the registry.
    fn seal(&self, seal_id: &str) -> Result<Option<SealRecord>, StoreError>;
    /// Every seal of the registry, by id.
    fn list_seals(&self) -> Result<Vec<SealRecord>, StoreError>;
}

/// The electronic-service read model: serve orders, each recipient's service, suppressed addresses.
pub trait ServiceReads {
    /// A serve order, without its recipients.
    fn service_order(&self, order_id: &str) -> Result<Option<OrderSummary>, StoreError>;
    /// One recipient's service.
    fn recipient_service(
        &self,
        order_id: &str,
        recipient_id: &str,
    ) -> Result<Option<RecipientService>, StoreError>;
    /// An order's recipients in id order (`R1`, `R2`, ... as stored), after `after`, at most `limit`.
    fn order_recipients(
        &self,
        order_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<RecipientService>, StoreError>;
    /// Serve orders, newest first, at most `limit`.
    fn list_orders(&self, limit: usize) -> Result<Vec<OrderSummary>, StoreError>;
    /// The services whose SMS notice the SMSC accepted for `number` (national form, as
    /// `ecenter_domain::reply::normalize_number` gives it), in order id order: the services a
    /// handset's reply from that number may answer, found without reading every order.
    fn sms_sent_to(&self, number: &str) -> Result<Vec<RecipientKey>, StoreError>;
    /// Why an address no longer gets notices, if it does not.
    fn suppressed(&self, address: &str) -> Result<Option<String>, StoreError>;
}

/// The outbox's queues: due work, attempts in flight, proofs due, and what waits for clerks.
pub trait OutboxReads {
    /// The outbox's work due at or before `until`, earliest first, at most `limit`.
    fn due_work(&self, until: DateTime<Utc>, limit: usize) -> Result<Vec<DueWork>, StoreError>;
    /// When the earliest outbox work is due.
    fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError>;
    /// Attempts recorded as started and never finished (the hub stopped in between).
    fn in_flight(&self) -> Result<Vec<DeliveryKey>, StoreError>;
    /// Handsets' messages no single open service could claim, newest first (at most `limit`).
    fn unmatched_replies(&self, limit: usize) -> Result<Vec<UnmatchedReplyEntry>, StoreError>;
    /// SMSC receipts no SMS of the hub's claims ([`UnmatchedReceiptEntry`]), newest first (at
    /// most `limit`).
    fn unmatched_receipts(&self, limit: usize) -> Result<Vec<UnmatchedReceiptEntry>, StoreError>;
    /// Recipients waiting for a clerk: dead letters (final failures) not retried or resolved, and
    /// reports set aside that no clerk has judged.
    fn dead_letters(&self, limit: usize) -> Result<Vec<RecipientService>, StoreError>;
    /// Recipients whose service took effect and whose proof is not yet issued.
    fn proofs_due(&self, limit: usize) -> Result<Vec<RecipientKey>, StoreError>;
}

/// Notices of filing (NEF): addresses opted in to, co-counsel, each notice and the outbox's queue.
pub trait NoticeReads {
    /// A notice.
    fn filing_notice(&self, notice_id: &str) -> Result<Option<FilingNotice>, StoreError>;
    /// Every notice about a filing, in the order they were made due.
    fn notices_of_filing(&self, filing_id: &str) -> Result<Vec<FilingNotice>, StoreError>;
    /// The addresses `identity` opted in to (empty: none).
    fn notice_addresses(&self, identity: &str) -> Result<Vec<NoticeAddress>, StoreError>;
    /// The co-counsel lawyer `by` registered on a case (normalised number).
    fn co_counsel(&self, case_number: &str, by: &str) -> Result<Vec<String>, StoreError>;
    /// Notices due by `until`, earliest first (at most `limit`).
    fn notices_due(&self, until: DateTime<Utc>, limit: usize) -> Result<Vec<String>, StoreError>;
    /// When the earliest due notice is due.
    fn next_notice_due(&self) -> Result<Option<DateTime<Utc>>, StoreError>;
    /// Notices leased and never answered (the hub stopped in between).
    fn notices_in_flight(&self) -> Result<Vec<String>, StoreError>;
}

/// A lawyer as the directory lists them, with the log entry that listed them so a reader can
/// wait for that entry to be durable before showing it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ListedLawyer {
    /// The entry.
    pub lawyer: Lawyer,
    /// The `lawyer_recorded` entry that made it so.
    pub seq: u64,
}

/// The court's directory of lawyers (律师名录).
pub trait LawyerReads {
    /// One lawyer.
    fn lawyer(&self, identity: &str) -> Result<Option<ListedLawyer>, StoreError>;
    /// The identity listed with a practising certificate number.
    fn lawyer_by_licence(&self, licence: &str) -> Result<Option<String>, StoreError>;
    /// Lawyers by identity, after `after`, at most `limit`.
    fn lawyers(&self, after: Option<&str>, limit: usize) -> Result<Vec<ListedLawyer>, StoreError>;
}

/// The lawyers' portal: sign-in attempts and sessions (see `ecenter_domain::portal`).
pub trait PortalReads {
    /// A sign-in attempt by its id.
    fn sign_in_attempt(&self, id: &str) -> Result<Option<Attempt>, StoreError>;
    /// A session by the hex SHA-256 of its cookie.
    fn portal_session(&self, hash: &str) -> Result<Option<Session>, StoreError>;
}

/// The lawyers' passkeys (see `ecenter_domain::passkey`).
pub trait PasskeyReads {
    /// A passkey by its credential id (base64url), removed ones too.
    fn passkey(&self, credential_id: &str) -> Result<Option<Passkey>, StoreError>;
    /// A lawyer's passkeys not removed, oldest first.
    fn passkeys_of(&self, identity: &str) -> Result<Vec<Passkey>, StoreError>;
}

/// The similar cases pushed per case (see `ecenter_domain::similar::push`).
pub trait PushReads {
    /// A case's pushes by its normalised number.
    fn case_pushes(&self, case_number: &str) -> Result<Option<CasePushes>, StoreError>;
    /// Cases with a push or an opt-out, by normalised number, after `after`, at most `limit`.
    fn list_case_pushes(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<CasePushes>, StoreError>;
}

/// The storage contract the server relies on: the log and every read model; sled now,
/// PostgreSQL later. Implemented for every type that implements the parts.
pub trait EventStore:
    EventLog
    + FilingReads
    + SealReads
    + ServiceReads
    + OutboxReads
    + NoticeReads
    + LawyerReads
    + PortalReads
    + PasskeyReads
    + PushReads
{
}

impl<S> EventStore for S where
    S: EventLog
        + FilingReads
        + SealReads
        + ServiceReads
        + OutboxReads
        + NoticeReads
        + LawyerReads
        + PortalReads
        + PasskeyReads
        + PushReads
{
}
