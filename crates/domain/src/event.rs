//! Events: the only way state changes. Each is appended to the hash-chained log and projected.

use crate::case_number::CaseNumber;
use crate::lifecycle::{DocumentDecision, FilingState};
use serde::{Deserialize, Serialize};

mod documents;

/// A document as received: its bytes live in the blob store under `sha256`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedDocument {
    /// `D1`, `D2`, ... within the filing.
    pub document_id: String,
    /// Sanitised file name.
    pub name: String,
    /// Byte count.
    pub size: u64,
    /// Media type detected from the content.
    pub media_type: String,
    /// Lowercase hex SHA-256 of the bytes.
    pub sha256: String,
}

/// The submitter as the court's directory (律师名录) listed them when the filing arrived, recorded
/// with the filing so that its receipt names a person and never changes when the directory does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedSubmitter {
    /// 姓名.
    pub name: String,
    /// 执业机构.
    pub law_firm: String,
    /// 执业证号, 17 digits.
    pub licence_number: String,
}

impl ListedSubmitter {
    /// As a receipt prints it: 张明（湖北某律师事务所，执业证号 14201202010123456）.
    pub fn zh(&self) -> String {
        format!(
            "{}（{}，执业证号 {}）",
            self.name, self.law_firm, self.licence_number
        )
    }
}

/// A filing as the hub received it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilingReceived {
    /// Hub-assigned id.
    pub filing_id: String,
    /// The client's idempotency key.
    pub request_id: String,
    /// Digest of the submission's content, to tell a retry from a reuse of the key.
    pub fingerprint: String,
    /// Identity of the submitter.
    pub submitter: String,
    /// The case, if it exists already.
    pub case_number: Option<CaseNumber>,
    /// 起诉状, 答辩状, ...
    pub filing_kind: String,
    /// Short title.
    pub title: String,
    /// The documents, in order.
    pub documents: Vec<ReceivedDocument>,
    /// The returned filing this one corrects.
    pub corrects_filing_id: Option<String>,
    /// The submitter as the directory listed them then; `None` for one it does not list (a
    /// court's system) and in entries written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitter_listed: Option<ListedSubmitter>,
}

/// Everything that can happen, as recorded in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// 收: a filing arrived, its documents durable.
    FilingReceived(FilingReceived),
    /// 转: the filing was put in a department's queue.
    FilingRouted {
        /// The filing.
        filing_id: String,
        /// The department queue.
        department: String,
        /// Which routing rule matched (index in the table), none for the default.
        rule: Option<usize>,
    },
    /// A court system took the filing into review.
    ReviewStarted {
        /// The filing.
        filing_id: String,
        /// Identity of the reviewing system.
        reviewer: String,
    },
    /// The court decided on every document.
    FilingReviewed {
        /// The filing.
        filing_id: String,
        /// Identity of the reviewing system.
        reviewer: String,
        /// One per document.
        decisions: Vec<DocumentDecision>,
        /// Free comment to the lawyer.
        comment: String,
        /// Resulting state.
        outcome: FilingState,
    },
    /// The filing entered the case file.
    FilingDocketed {
        /// The filing.
        filing_id: String,
        /// Who docketed it.
        by: String,
        /// The case it belongs to (assigned now if it had none).
        case_number: CaseNumber,
    },
    /// A court system registered a seal.
    SealCreated(crate::seal::SealRecord),
    /// A court system revoked a seal: it can no longer be applied.
    SealRevoked {
        /// The seal.
        seal_id: String,
        /// Who revoked it.
        by: String,
        /// Why.
        reason: String,
    },
    /// A seal was applied to a document of a filing; the signature is stored beside it.
    DocumentSealed {
        /// The filing.
        filing_id: String,
        /// The seal applied.
        applied: crate::seal::AppliedSeal,
    },
    /// A seal was applied to bytes sent by a court system, outside any filing.
    BytesSealed {
        /// The seal applied; `of_document_id` is `sha256:<hex>` of the bytes.
        applied: crate::seal::AppliedSeal,
    },
    /// A caller was refused an operation (audit: who, what, when — the entry's time).
    AccessDenied {
        /// The caller's identity.
        identity: String,
        /// The operation refused, e.g. `GetFiling`.
        operation: String,
        /// The filing concerned, if any.
        filing_id: Option<String>,
        /// Why, as the caller was told.
        reason: String,
    },
    /// A court system offered a judgment to similar-case search (replacing any case of that id).
    CaseIndexed(crate::similar::IndexedCase),
    /// A judge's system placed a proposed outcome among the outcomes of similar cases (偏离度预警).
    OutcomeChecked(crate::similar::OutcomeCheck),
    /// The hub pushed similar cases to a case's judge after one of its filings was docketed.
    SimilarCasesPushed(crate::similar::push::SimilarCasesPushed),
    /// A court system turned the push of similar cases for a case off or on.
    CasePushSet(crate::similar::push::CasePushSet),
    /// A court system withdrew a judgment from similar-case search.
    CaseRemoved {
        /// The case.
        case_id: String,
        /// Who removed it.
        by: String,
        /// Why.
        reason: String,
    },
    /// A court system ordered documents served electronically (电子送达).
    ServiceOrdered(crate::service::ServiceOrdered),
    /// Something happened to one recipient's service.
    Service {
        /// The order.
        order_id: String,
        /// The recipient, `R1`, `R2`, ...
        recipient_id: String,
        /// What.
        event: crate::service::RecipientEvent,
    },
    /// A stored document was missing or did not hash to its name when read or scrubbed: the hub
    /// refused to hand it out (DATA_LOSS) and records what it found.
    BlobCorrupt {
        /// The SHA-256 the log names it by.
        sha256: String,
        /// Which document, as people name it (`filing F… document D1`, `seal …`).
        document: String,
        /// What was found instead: `missing`, or the content's hash and size.
        found: String,
        /// What was reading it (`DownloadDocument`, `scrub`, …).
        operation: String,
    },
    /// An operator accepted that log entries `first..=last` are lost (the log ended before a signed
    /// checkpoint). This entry's own number is `last + 1`, so no lost number — and no filing id
    /// derived from one — is ever issued again.
    LogLossAccepted {
        /// The first lost entry.
        first: u64,
        /// The last lost entry (the checkpoint's).
        last: u64,
        /// The checkpoint that named it: its number and the hash it gave for entry `last`.
        checkpoint: u64,
        /// That hash.
        checkpoint_hash: String,
        /// Who accepted the loss (the operator's name as given on the command line).
        by: String,
        /// Why.
        reason: String,
    },
    /// Where PostgreSQL's log of several instances begins to be sealed
    /// (`crates/store/src/postgres/seals.rs`): from entry `from` on, every entry must be covered
    /// by an instance's seal. Written once, by the first instance that finds the log without it;
    /// being in the hash chain (and so under the signed checkpoints), it anchors what the row
    /// `ecenter_seals_from` only indexes, which a database role could move to make a forged entry
    /// pass as one from before seals began (outside tests, round 8, G1).
    LogSealsBegan {
        /// The first entry a seal must cover.
        from: u64,
        /// The instance that wrote this entry (`Instances::id`).
        instance: String,
    },
    /// At a start, the read models beside the log (what the hub serves) differed from a fresh
    /// projection of it — altered on disk, or restored from another copy — and were rebuilt from
    /// the log. The log itself verified; this says the served state had not been the log's.
    ReadModelsRepaired {
        /// The read model trees that differed, e.g. `service`, `notices`.
        trees: Vec<String>,
        /// The last entry the projection applied.
        through: u64,
        /// Hex SHA-256 of the read models as found.
        found: String,
        /// Hex SHA-256 of the log's projection, what they hold since.
        projected: String,
    },
    /// Signed checkpoints up to `number` were mailed to the court's archive (the e-mail witness).
    CheckpointMailed {
        /// The last checkpoint in the mail.
        number: u64,
        /// The log entry it vouches for.
        seq: u64,
        /// The archive's address.
        to: String,
        /// The mail's Message-ID.
        message_id: String,
        /// What the relay answered at the end of DATA (its queue id).
        relay_reply: String,
    },
    /// Archival renewal (PAdES B-LTA, ETSI EN 319 142-1 §5.5): before the newest timestamp of a
    /// sealed PDF the hub keeps aged out, the hub added validation data and a fresh document
    /// timestamp. The sealed document now reads as the new bytes; the previous ones stay stored.
    ArchiveTimestampAdded {
        /// The filing.
        filing_id: String,
        /// The sealed document (`S1`, ...).
        document_id: String,
        /// The bytes it replaces.
        previous_sha256: String,
        /// The new bytes (the previous ones as their prefix).
        sha256: String,
        /// Their size.
        size: u64,
        /// When the timestamp it renews would have aged out (its TSA certificate's notAfter).
        renews_until: chrono::DateTime<chrono::Utc>,
    },
    /// An SMSC delivery receipt for a message id this hub never sent (or a form of the id it does
    /// not recognise), or about another number than the SMS its id names: acknowledged so the
    /// SMSC stops repeating it, and kept here for the clerks.
    SmsReceiptUnmatched {
        /// The message id the receipt names.
        smsc_id: String,
        /// Its state word (DELIVRD, UNDELIV, ...).
        status: String,
        /// The receipt's text as received.
        text: String,
        /// The part and state to count once a submit naming that part is recorded (the SMSC
        /// was faster than the hub's record of the SMS); absent in entries written before such
        /// receipts were kept for matching. With `another_number_than`: the receipt kept for
        /// that part was found, once its SMS was recorded, to be about another handset, and
        /// awaits no more.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        awaiting: Option<crate::service::AwaitedReceipt>,
        /// The deliver_sm's `source_addr` and `destination_addr` as received (absent in entries
        /// written before they were kept).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        addresses: Vec<String>,
        /// The service (`O…/R…`) whose SMS the receipt's id names, when the receipt names another
        /// handset than the one that SMS went to ([`crate::reply::receipt_about_another_handset`]):
        /// an SMSC that reuses ids reported on another handset's message, so it does not count
        /// for this one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        another_number_than: Option<String>,
    },
    /// A handset's message that matches no open service, or more than one: for the clerks.
    ReplyUnmatched(crate::reply::UnmatchedReply),
    /// A clerk attributed an unmatched reply to one service (its `reply_received` follows in the
    /// same append) or dismissed it.
    ReplySettled(crate::reply::ReplySettlement),
    /// A lawyer replaced the addresses they get notices of filing at (opt-in; empty: none).
    NoticeAddressesSet {
        /// Whose addresses.
        identity: String,
        /// The addresses, in the order given.
        addresses: Vec<crate::filing_notice::NoticeAddress>,
    },
    /// A lawyer with an accepted filing in a case registered a colleague as co-counsel on it:
    /// the colleague gets the notices of that lawyer's later filings in the case.
    CoCounselRegistered {
        /// The case, normalised.
        case_number: String,
        /// The colleague.
        identity: String,
        /// The lawyer who registered them.
        by: String,
    },
    /// A lawyer removed a colleague they had registered as co-counsel on a case.
    CoCounselRemoved {
        /// The case, normalised.
        case_number: String,
        /// The colleague.
        identity: String,
        /// The lawyer who had registered them.
        by: String,
    },
    /// The court listed a lawyer in its directory, or changed their entry (the entry as it now
    /// stands, whole).
    LawyerRecorded {
        /// The entry.
        lawyer: crate::lawyer::Lawyer,
        /// The court system or clerk that recorded it.
        by: String,
    },
    /// The court took a lawyer off its directory: they can no longer sign in to the portal (their
    /// client certificate is a separate matter, revoked through the CRL).
    LawyerRemoved {
        /// The lawyer.
        identity: String,
        /// Who removed them.
        by: String,
        /// Why, as the court gave it.
        reason: String,
    },
    /// The court lifted the stop on a lawyer's sign-in codes (too many wrong codes, or codes
    /// asked for too often — possibly by someone else who knows the 执业证号): the lawyer's
    /// counts start afresh from this entry.
    SignInStopLifted {
        /// The lawyer.
        identity: String,
        /// The court system or clerk that lifted it.
        by: String,
        /// Why, as the court gave it (e.g. 律师来电核实身份).
        reason: String,
    },
    /// A one-time sign-in code for the portal was issued (recorded before it is sent; the code
    /// itself is never in the log).
    SignInCodeSent(crate::portal::CodeSent),
    /// What the SMS gateway or mail relay answered for a sign-in code.
    SignInCodeResult(crate::portal::CodeResult),
    /// A lawyer signed in to the portal.
    SignedIn(crate::portal::SignedIn),
    /// A sign-in was refused (unknown lawyer, too many codes, a wrong or spent code).
    SignInRefused(crate::portal::SignInRefused),
    /// A lawyer signed out of the portal.
    SignedOut(crate::portal::SignedOut),
    /// A lawyer registered a passkey for the portal.
    PasskeyRegistered(crate::passkey::PasskeyRegistered),
    /// A lawyer removed one of their passkeys.
    PasskeyRemoved(crate::passkey::PasskeyRemoved),
    /// Something happened to a notice of filing (made due by a filing's step).
    FilingNotice {
        /// `N<seq>-<k>`.
        notice_id: String,
        /// What.
        event: crate::filing_notice::FilingNoticeEvent,
    },
    /// The submitter withdrew the filing.
    FilingCancelled {
        /// The filing.
        filing_id: String,
        /// Who withdrew it.
        by: String,
        /// Why.
        reason: String,
    },
}

impl Event {
    /// The filing an event changes; `None` for audit events, which change no filing.
    pub fn filing_id(&self) -> Option<&str> {
        match self {
            Event::FilingReceived(r) => Some(&r.filing_id),
            Event::FilingRouted { filing_id, .. }
            | Event::ReviewStarted { filing_id, .. }
            | Event::FilingReviewed { filing_id, .. }
            | Event::FilingDocketed { filing_id, .. }
            | Event::FilingCancelled { filing_id, .. }
            | Event::DocumentSealed { filing_id, .. }
            | Event::ArchiveTimestampAdded { filing_id, .. } => Some(filing_id),
            Event::AccessDenied { .. }
            | Event::SealCreated(_)
            | Event::SealRevoked { .. }
            | Event::BytesSealed { .. }
            | Event::CaseIndexed(_)
            | Event::OutcomeChecked(_)
            | Event::SimilarCasesPushed(_)
            | Event::CasePushSet(_)
            | Event::CaseRemoved { .. }
            | Event::ServiceOrdered(_)
            | Event::Service { .. }
            | Event::BlobCorrupt { .. }
            | Event::LogLossAccepted { .. }
            | Event::LogSealsBegan { .. }
            | Event::ReadModelsRepaired { .. }
            | Event::CheckpointMailed { .. }
            | Event::SmsReceiptUnmatched { .. }
            | Event::ReplyUnmatched(_)
            | Event::ReplySettled(_)
            | Event::NoticeAddressesSet { .. }
            | Event::CoCounselRegistered { .. }
            | Event::CoCounselRemoved { .. }
            | Event::LawyerRecorded { .. }
            | Event::LawyerRemoved { .. }
            | Event::SignInStopLifted { .. }
            | Event::SignInCodeSent(_)
            | Event::SignInCodeResult(_)
            | Event::SignedIn(_)
            | Event::SignInRefused(_)
            | Event::SignedOut(_)
            | Event::PasskeyRegistered(_)
            | Event::PasskeyRemoved(_)
            | Event::FilingNotice { .. } => None,
        }
    }

    /// The state a filing is in right after this event (derivable from the event alone); `None`
    /// for events that change no filing's state: seals change its documents, and the events
    /// [`Event::filing_id`] gives no filing for change no filing at all.
    pub fn state_after(&self) -> Option<FilingState> {
        Some(match self {
            Event::FilingReceived(_) | Event::FilingRouted { .. } => FilingState::Received,
            Event::ReviewStarted { .. } => FilingState::UnderReview,
            Event::FilingReviewed { outcome, .. } => *outcome,
            Event::FilingDocketed { .. } => FilingState::Docketed,
            Event::FilingCancelled { .. } => FilingState::Cancelled,
            Event::DocumentSealed { .. } | Event::ArchiveTimestampAdded { .. } => return None,
            other => {
                // [`Event::filing_id`] lists every variant: a new event about a filing must be
                // given its state here, and any test that shows it trips this.
                debug_assert!(
                    other.filing_id().is_none(),
                    "state_after does not know {}",
                    other.kind()
                );
                return None;
            }
        })
    }

    /// Short kind name shown to watchers.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::FilingReceived(_) => "received",
            Event::FilingRouted { .. } => "routed",
            Event::ReviewStarted { .. } => "review_started",
            Event::FilingReviewed { .. } => "reviewed",
            Event::FilingDocketed { .. } => "docketed",
            Event::FilingCancelled { .. } => "cancelled",
            Event::AccessDenied { .. } => "access_denied",
            Event::SealCreated(_) => "seal_created",
            Event::SealRevoked { .. } => "seal_revoked",
            Event::DocumentSealed { .. } => "document_sealed",
            Event::BytesSealed { .. } => "bytes_sealed",
            Event::CaseIndexed(_) => "case_indexed",
            Event::CaseRemoved { .. } => "case_removed",
            Event::OutcomeChecked(_) => "outcome_checked",
            Event::SimilarCasesPushed(_) => "similar_cases_pushed",
            Event::CasePushSet(s) if s.enabled => "similar_push_resumed",
            Event::CasePushSet(_) => "similar_push_stopped",
            Event::ServiceOrdered(_) => "service_ordered",
            Event::Service { event, .. } => event.kind(),
            Event::BlobCorrupt { .. } => "blob_corrupt",
            Event::LogLossAccepted { .. } => "log_loss_accepted",
            Event::LogSealsBegan { .. } => "log_seals_began",
            Event::ReadModelsRepaired { .. } => "read_models_repaired",
            Event::CheckpointMailed { .. } => "checkpoint_mailed",
            Event::ArchiveTimestampAdded { .. } => "archive_timestamp_added",
            Event::SmsReceiptUnmatched { .. } => "sms_receipt_unmatched",
            Event::ReplyUnmatched(_) => "reply_unmatched",
            Event::ReplySettled(s) if s.attributed_to.is_some() => "reply_attributed",
            Event::ReplySettled(_) => "reply_dismissed",
            Event::NoticeAddressesSet { .. } => "notice_addresses_set",
            Event::CoCounselRegistered { .. } => "co_counsel_registered",
            Event::CoCounselRemoved { .. } => "co_counsel_removed",
            Event::LawyerRecorded { .. } => "lawyer_recorded",
            Event::LawyerRemoved { .. } => "lawyer_removed",
            Event::SignInStopLifted { .. } => "sign_in_stop_lifted",
            Event::SignInCodeSent(_) => "sign_in_code_sent",
            Event::SignInCodeResult(_) => "sign_in_code_result",
            Event::SignedIn(_) => "signed_in",
            Event::SignInRefused(_) => "sign_in_refused",
            Event::SignedOut(_) => "signed_out",
            Event::PasskeyRegistered(_) => "passkey_registered",
            Event::PasskeyRemoved(_) => "passkey_removed",
            Event::FilingNotice { event, .. } => match event {
                crate::filing_notice::FilingNoticeEvent::Sending { .. } => "filing_notice_sending",
                crate::filing_notice::FilingNoticeEvent::Result { .. } => "filing_notice_result",
            },
        }
    }

    /// Who caused it.
    pub fn actor(&self) -> &str {
        match self {
            Event::FilingReceived(r) => &r.submitter,
            Event::LogSealsBegan { instance, .. } => instance,
            Event::FilingRouted { .. }
            | Event::SimilarCasesPushed(_)
            | Event::BlobCorrupt { .. }
            | Event::ReadModelsRepaired { .. }
            | Event::CheckpointMailed { .. }
            | Event::ArchiveTimestampAdded { .. }
            | Event::SmsReceiptUnmatched { .. }
            | Event::ReplyUnmatched(_)
            | Event::SignInCodeResult(_)
            | Event::FilingNotice { .. } => "hub",
            // Whoever typed the licence number caused these, not necessarily its lawyer.
            Event::SignInCodeSent(_) | Event::SignInRefused(_) => "portal",
            Event::SignedIn(s) => &s.identity,
            Event::SignedOut(s) => &s.identity,
            Event::PasskeyRegistered(r) => &r.identity,
            Event::PasskeyRemoved(r) => &r.identity,
            Event::NoticeAddressesSet { identity, .. } => identity,
            Event::CoCounselRegistered { by, .. } | Event::CoCounselRemoved { by, .. } => by,
            Event::LawyerRecorded { by, .. }
            | Event::LawyerRemoved { by, .. }
            | Event::SignInStopLifted { by, .. } => by,
            Event::ReviewStarted { reviewer, .. } | Event::FilingReviewed { reviewer, .. } => {
                reviewer
            }
            Event::FilingDocketed { by, .. } | Event::FilingCancelled { by, .. } => by,
            Event::AccessDenied { identity, .. } => identity,
            Event::SealCreated(r) => &r.created_by,
            Event::SealRevoked { by, .. }
            | Event::CaseRemoved { by, .. }
            | Event::LogLossAccepted { by, .. } => by,
            Event::ReplySettled(s) => &s.by,
            Event::CaseIndexed(c) => &c.indexed_by,
            Event::OutcomeChecked(c) => &c.by,
            Event::CasePushSet(s) => &s.by,
            Event::ServiceOrdered(o) => &o.ordered_by,
            Event::Service { event, .. } => match event {
                crate::service::RecipientEvent::DeadLetterRetried { by, .. }
                | crate::service::RecipientEvent::DeadLetterResolved { by, .. }
                | crate::service::RecipientEvent::ReportJudged { by, .. }
                | crate::service::RecipientEvent::ReplyDisallowed { by, .. } => by,
                crate::service::RecipientEvent::ReplyReceived(crate::reply::ReceivedReply {
                    attributed: Some(a),
                    ..
                }) => &a.by,
                crate::service::RecipientEvent::RecipientActed { .. } => "recipient",
                _ => "hub",
            },
            Event::DocumentSealed { applied, .. } | Event::BytesSealed { applied } => &applied.by,
        }
    }
}
