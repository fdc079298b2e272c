//! Authorization, deny by default: one table of (operation, role) → grant, checked in one function.
//! Anything not in the table is refused. ARCHITECTURE.md shows the same table.

use crate::error::ApiError;
use crate::identity::{Identity, Role};

/// Every operation the hub authorizes (one per RPC; watching is split by scope).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// FilingService.SubmitFiling.
    SubmitFiling,
    /// FilingService.GetFiling.
    GetFiling,
    /// FilingService.GetReceipt.
    GetReceipt,
    /// FilingService.DownloadDocument.
    DownloadDocument,
    /// FilingService.ListFilings.
    ListFilings,
    /// FilingService.CancelFiling.
    CancelFiling,
    /// FilingService.StartReview.
    StartReview,
    /// FilingService.ReviewFiling.
    ReviewFiling,
    /// FilingService.DocketFiling.
    DocketFiling,
    /// FilingService.ListDepartmentQueue.
    ListDepartmentQueue,
    /// FilingService.WatchEvents of one filing.
    WatchFiling,
    /// FilingService.GetPolicy.
    GetPolicy,
    /// FilingService.WatchEvents of a department.
    WatchDepartment,
    /// FilingService.GetNoticeSettings and SetNoticeAddresses (the caller's own addresses).
    NoticeSettings,
    /// FilingService.RegisterCoCounsel (on a case where the court accepted a filing of the caller's).
    RegisterCoCounsel,
    /// EventLogService.GetChainHead.
    GetChainHead,
    /// EventLogService.ListEntries.
    ListLogEntries,
    /// EventLogService.Scrub.
    Scrub,
    /// SealService.CreateSeal.
    CreateSeal,
    /// SealService.ListSeals.
    ListSeals,
    /// SealService.RevokeSeal.
    RevokeSeal,
    /// SealService.ApplySeal.
    ApplySeal,
    /// SealService.VerifySeal.
    VerifySeal,
    /// SealService.SealPdf.
    SealPdf,
    /// SealService.SealOfd.
    SealOfd,
    /// SimilarCaseService.IndexCase.
    IndexCase,
    /// SimilarCaseService.RemoveCase.
    RemoveCase,
    /// SimilarCaseService.FindSimilar.
    FindSimilar,
    /// SimilarCaseService.CheckOutcome.
    CheckOutcome,
    /// SimilarCaseService.ListPushedCases.
    ListPushedCases,
    /// SimilarCaseService.SetCasePush.
    SetCasePush,
    /// ServiceOfProcess.ServeOrder.
    ServeOrder,
    /// ServiceOfProcess.GetOrder and GetRecipient.
    GetServiceStatus,
    /// ServiceOfProcess.WatchService.
    WatchService,
    /// ServiceOfProcess.GetProof, GetProofPdf and GetDeliveryReport: the evidence of service.
    GetProof,
    /// ServiceOfProcess.ListDeadLetters.
    ListDeadLetters,
    /// ServiceOfProcess.RetryDeadLetter.
    RetryDeadLetter,
    /// ServiceOfProcess.ResolveDeadLetter.
    ResolveDeadLetter,
    /// ServiceOfProcess.JudgeReport.
    JudgeReport,
    /// ServiceOfProcess.DisallowReply.
    DisallowReply,
    /// ServiceOfProcess.SettleReply.
    SettleReply,
    /// ServiceOfProcess.ListMyServices.
    ListMyServices,
    /// ServiceOfProcess.FetchServedDocument.
    FetchServedDocument,
    /// LawyerDirectory.SetLawyer.
    SetLawyer,
    /// LawyerDirectory.GetLawyer.
    GetLawyer,
    /// LawyerDirectory.ListLawyers.
    ListLawyers,
    /// LawyerDirectory.RemoveLawyer.
    RemoveLawyer,
    /// LawyerDirectory.GetSignInState.
    GetSignInState,
    /// LawyerDirectory.LiftSignInStop.
    LiftSignInStop,
}

impl Operation {
    /// Every operation, for tests and audits that must cover the whole table.
    pub const ALL: [Operation; 49] = [
        Operation::GetSignInState,
        Operation::LiftSignInStop,
        Operation::SetLawyer,
        Operation::GetLawyer,
        Operation::ListLawyers,
        Operation::RemoveLawyer,
        Operation::ListMyServices,
        Operation::FetchServedDocument,
        Operation::ServeOrder,
        Operation::GetServiceStatus,
        Operation::WatchService,
        Operation::GetProof,
        Operation::ListDeadLetters,
        Operation::RetryDeadLetter,
        Operation::ResolveDeadLetter,
        Operation::JudgeReport,
        Operation::DisallowReply,
        Operation::SettleReply,
        Operation::SealPdf,
        Operation::SealOfd,
        Operation::IndexCase,
        Operation::RemoveCase,
        Operation::FindSimilar,
        Operation::CheckOutcome,
        Operation::ListPushedCases,
        Operation::SetCasePush,
        Operation::CreateSeal,
        Operation::ListSeals,
        Operation::RevokeSeal,
        Operation::ApplySeal,
        Operation::VerifySeal,
        Operation::SubmitFiling,
        Operation::GetFiling,
        Operation::GetReceipt,
        Operation::DownloadDocument,
        Operation::ListFilings,
        Operation::CancelFiling,
        Operation::StartReview,
        Operation::ReviewFiling,
        Operation::DocketFiling,
        Operation::ListDepartmentQueue,
        Operation::WatchFiling,
        Operation::WatchDepartment,
        Operation::GetPolicy,
        Operation::NoticeSettings,
        Operation::RegisterCoCounsel,
        Operation::GetChainHead,
        Operation::ListLogEntries,
        Operation::Scrub,
    ];

    /// Name used in audit events.
    pub fn name(self) -> &'static str {
        match self {
            Operation::SubmitFiling => "SubmitFiling",
            Operation::GetFiling => "GetFiling",
            Operation::GetReceipt => "GetReceipt",
            Operation::DownloadDocument => "DownloadDocument",
            Operation::ListFilings => "ListFilings",
            Operation::CancelFiling => "CancelFiling",
            Operation::StartReview => "StartReview",
            Operation::ReviewFiling => "ReviewFiling",
            Operation::DocketFiling => "DocketFiling",
            Operation::ListDepartmentQueue => "ListDepartmentQueue",
            Operation::WatchFiling => "WatchEvents(filing)",
            Operation::WatchDepartment => "WatchEvents(department)",
            Operation::GetPolicy => "GetPolicy",
            Operation::NoticeSettings => "GetNoticeSettings/SetNoticeAddresses",
            Operation::RegisterCoCounsel => "RegisterCoCounsel",
            Operation::GetChainHead => "GetChainHead",
            Operation::ListLogEntries => "ListEntries",
            Operation::Scrub => "Scrub",
            Operation::CreateSeal => "CreateSeal",
            Operation::ListSeals => "ListSeals",
            Operation::RevokeSeal => "RevokeSeal",
            Operation::ApplySeal => "ApplySeal",
            Operation::VerifySeal => "VerifySeal",
            Operation::SealPdf => "SealPdf",
            Operation::SealOfd => "SealOfd",
            Operation::IndexCase => "IndexCase",
            Operation::RemoveCase => "RemoveCase",
            Operation::FindSimilar => "FindSimilar",
            Operation::CheckOutcome => "CheckOutcome",
            Operation::ListPushedCases => "ListPushedCases",
            Operation::SetCasePush => "SetCasePush",
            Operation::ServeOrder => "ServeOrder",
            Operation::GetServiceStatus => "GetOrder/GetRecipient",
            Operation::WatchService => "WatchService",
            Operation::GetProof => "GetProof",
            Operation::ListDeadLetters => "ListDeadLetters",
            Operation::RetryDeadLetter => "RetryDeadLetter",
            Operation::ResolveDeadLetter => "ResolveDeadLetter",
            Operation::JudgeReport => "JudgeReport",
            Operation::DisallowReply => "DisallowReply",
            Operation::SettleReply => "SettleReply",
            Operation::ListMyServices => "ListMyServices",
            Operation::FetchServedDocument => "FetchServedDocument",
            Operation::SetLawyer => "SetLawyer",
            Operation::GetLawyer => "GetLawyer",
            Operation::ListLawyers => "ListLawyers",
            Operation::RemoveLawyer => "RemoveLawyer",
            Operation::GetSignInState => "GetSignInState",
            Operation::LiftSignInStop => "LiftSignInStop",
        }
    }
}

/// What a role may do with an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// On anything.
    Any,
    /// Only on filings the caller submitted.
    Own,
}

use Grant::{Any, Own};
use Operation::*;
use Role::{Clerk, Court, Lawyer};

/// The whole policy. A missing (operation, role) pair is a refusal.
pub const TABLE: &[(Operation, Role, Grant)] = &[
    (SubmitFiling, Lawyer, Any),
    (GetFiling, Court, Any),
    (GetFiling, Clerk, Any),
    (GetFiling, Lawyer, Own),
    (GetReceipt, Court, Any),
    (GetReceipt, Clerk, Any),
    (GetReceipt, Lawyer, Own),
    (DownloadDocument, Court, Any),
    (DownloadDocument, Clerk, Any),
    (DownloadDocument, Lawyer, Own),
    (ListFilings, Court, Any),
    (ListFilings, Clerk, Any),
    (ListFilings, Lawyer, Own),
    (CancelFiling, Lawyer, Own),
    (StartReview, Court, Any),
    (ReviewFiling, Court, Any),
    (DocketFiling, Court, Any),
    (ListDepartmentQueue, Court, Any),
    (ListDepartmentQueue, Clerk, Any),
    (WatchFiling, Court, Any),
    (WatchFiling, Clerk, Any),
    (WatchFiling, Lawyer, Own),
    (WatchDepartment, Court, Any),
    (WatchDepartment, Clerk, Any),
    (GetPolicy, Court, Any),
    (GetPolicy, Clerk, Any),
    (GetPolicy, Lawyer, Any),
    (NoticeSettings, Lawyer, Any),
    (RegisterCoCounsel, Lawyer, Any),
    (GetChainHead, Court, Any),
    (GetChainHead, Clerk, Any),
    (ListLogEntries, Court, Any),
    (ListLogEntries, Clerk, Any),
    (Scrub, Court, Any),
    (Scrub, Clerk, Any),
    (CreateSeal, Court, Any),
    (ListSeals, Court, Any),
    (ListSeals, Clerk, Any),
    (RevokeSeal, Court, Any),
    (ApplySeal, Court, Any),
    (VerifySeal, Court, Any),
    (VerifySeal, Clerk, Any),
    (VerifySeal, Lawyer, Any),
    (SealPdf, Court, Any),
    (SealOfd, Court, Any),
    (IndexCase, Court, Any),
    (RemoveCase, Court, Any),
    (FindSimilar, Court, Any),
    (FindSimilar, Clerk, Any),
    // A judge's system checks its own draft; clerks audit the checks in the log.
    (CheckOutcome, Court, Any),
    // What a judge was pushed is court work: its systems read it, clerks audit it; a lawyer never.
    (ListPushedCases, Court, Any),
    (ListPushedCases, Clerk, Any),
    (SetCasePush, Court, Any),
    (ServeOrder, Court, Any),
    (GetServiceStatus, Court, Any),
    (GetServiceStatus, Clerk, Any),
    (WatchService, Court, Any),
    (WatchService, Clerk, Any),
    (GetProof, Court, Any),
    (GetProof, Clerk, Any),
    (ListDeadLetters, Court, Any),
    (ListDeadLetters, Clerk, Any),
    (RetryDeadLetter, Court, Any),
    (RetryDeadLetter, Clerk, Any),
    (ResolveDeadLetter, Court, Any),
    (ResolveDeadLetter, Clerk, Any),
    (JudgeReport, Court, Any),
    (JudgeReport, Clerk, Any),
    (DisallowReply, Court, Any),
    (DisallowReply, Clerk, Any),
    (SettleReply, Court, Any),
    (SettleReply, Clerk, Any),
    (ListMyServices, Lawyer, Any),
    (FetchServedDocument, Lawyer, Own),
    (FetchServedDocument, Clerk, Any),
    (SetLawyer, Court, Any),
    (GetLawyer, Court, Any),
    (GetLawyer, Clerk, Any),
    (GetLawyer, Lawyer, Own),
    (ListLawyers, Court, Any),
    (ListLawyers, Clerk, Any),
    (RemoveLawyer, Court, Any),
    (GetSignInState, Court, Any),
    (GetSignInState, Clerk, Any),
    (GetSignInState, Lawyer, Own),
    (LiftSignInStop, Court, Any),
    (LiftSignInStop, Clerk, Any),
];

/// The grant of `role` for `operation`, if any.
pub fn grant(operation: Operation, role: Role) -> Option<Grant> {
    TABLE
        .iter()
        .find(|(o, r, _)| *o == operation && *r == role)
        .map(|(_, _, g)| *g)
}

/// Allows or refuses `operation` by `identity`; `owner` is the submitter of the filing concerned
/// (for list operations: the submitter asked for, `None` when the caller asked for all).
pub fn check(identity: &Identity, operation: Operation, owner: Option<&str>) -> Result<(), Denied> {
    let (role, name) = (identity.role.as_str(), operation.name());
    match grant(operation, identity.role) {
        Some(Grant::Any) => Ok(()),
        Some(Grant::Own) if owner == Some(identity.to_string().as_str()) => Ok(()),
        Some(Grant::Own) => Err(Denied::NotOwner {
            role,
            operation: name,
        }),
        None => Err(Denied::NotGranted {
            role,
            operation: name,
        }),
    }
}

/// What a grant on one's own covers, in a refusal's words.
const OWN_ONLY: &str =
    "only on what is theirs (their own filings, their directory entry, orders served on them)";

/// Why the table refuses a call: the role and the operation, as the log records them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The role may call the operation only on its own filings, and this one is not.
    #[error("a {role} may call {operation} {OWN_ONLY}")]
    NotOwner {
        /// The caller's role.
        role: &'static str,
        /// The operation's name.
        operation: &'static str,
    },
    /// The role may not call the operation at all.
    #[error("a {role} may not call {operation}")]
    NotGranted {
        /// The caller's role.
        role: &'static str,
        /// The operation's name.
        operation: &'static str,
    },
}

impl Denied {
    /// The refusal's words with `method` (the gRPC method called) in place of the table's
    /// operation name.
    pub fn calling(self, method: &str) -> String {
        match self {
            Denied::NotOwner { role, .. } => format!("a {role} may call {method} {OWN_ONLY}"),
            Denied::NotGranted { role, .. } => format!("a {role} may not call {method}"),
        }
    }
}

tokio::task_local! {
    /// The gRPC method being served (`ListDeliveries`), set by the guard around each call. The
    /// table groups methods under one [`Operation`] (GetOrder, GetRecipient and ListDeliveries
    /// are all `GetServiceStatus`); a refusal is logged and answered under the method the caller
    /// called, so the log names what was asked.
    pub static RPC: String;
}

/// The name a refusal of `operation` is recorded under: the gRPC method being served, or the
/// operation's own name outside a gRPC call (the portal's pages).
fn called(operation: Operation) -> String {
    RPC.try_with(Clone::clone)
        .ok()
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| operation.name().to_string())
}

/// Checks `operation` and, when refused, records the refusal in the log (who, what — the method
/// called —, which filing; the entry's time is when) before answering PERMISSION_DENIED.
pub async fn authorize<S: ecenter_store::EventStore>(
    store: &S,
    identity: &Identity,
    operation: Operation,
    owner: Option<&str>,
    filing_id: Option<&str>,
) -> Result<(), tonic::Status> {
    let Err(reason) = check(identity, operation, owner) else {
        return Ok(());
    };
    let what = called(operation);
    let reason = reason.calling(&what);
    tracing::warn!(identity = %identity, operation = %what, filing_id, %reason, "access denied");
    let event = ecenter_domain::Event::AccessDenied {
        identity: identity.to_string(),
        operation: what,
        filing_id: filing_id.map(str::to_string),
        reason: reason.clone(),
    };
    if let Err(e) = store
        .append(Box::new(move |_: &dyn ecenter_store::ReadView| {
            Ok((vec![event], ()))
        }))
        .await
    {
        return Err(crate::error::store_status(e));
    }
    Err(ApiError::permission_denied(format!("not permitted: {reason}")).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlisted_pairs_are_refused_and_own_means_own() {
        let a = Identity::parse("urn:ecenter:lawyer:1").unwrap();
        let clerk = Identity::parse("urn:ecenter:clerk:c1").unwrap();
        assert!(check(&a, GetFiling, Some("urn:ecenter:lawyer:1")).is_ok());
        let other = check(&a, GetFiling, Some("urn:ecenter:lawyer:2")).unwrap_err();
        assert_eq!(
            other,
            Denied::NotOwner {
                role: "lawyer",
                operation: "GetFiling"
            }
        );
        assert!(
            other.to_string().contains("only on what is theirs"),
            "{other}"
        );
        assert_eq!(
            other.calling("GetReceipt"),
            format!("a lawyer may call GetReceipt {OWN_ONLY}")
        );
        assert!(check(&a, GetFiling, None).is_err());
        let review = check(&clerk, ReviewFiling, None).unwrap_err();
        assert!(matches!(review, Denied::NotGranted { .. }), "{review}");
        assert!(review.to_string().contains("may not call ReviewFiling"));
        assert!(
            check(&clerk, CancelFiling, None).is_err(),
            "clerks cannot alter filings"
        );
        for (op, role, _) in TABLE {
            assert_eq!(
                TABLE
                    .iter()
                    .filter(|(o, r, _)| o == op && r == role)
                    .count(),
                1,
                "{op:?} {role:?} listed twice"
            );
        }
    }

    #[test]
    fn all_names_every_operation_of_the_table_once() {
        for (op, _, _) in TABLE {
            assert!(Operation::ALL.contains(op), "{op:?} is missing from ALL");
        }
        let names: std::collections::HashSet<_> = Operation::ALL.iter().map(|o| o.name()).collect();
        assert_eq!(
            names.len(),
            Operation::ALL.len(),
            "an operation listed twice"
        );
    }
}
