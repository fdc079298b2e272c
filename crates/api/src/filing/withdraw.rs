//! Withdrawal (撤回) by the filer: of a filing the court has not decided on, once. A filing whose
//! document the court sealed, or that a correction standing in its place replaced, stays: the
//! court's record of it would otherwise point at something the record calls withdrawn.

use ecenter_domain::{DomainError, Filing, FilingState};
use ecenter_store::{ReadView, StoreError};

/// Whether `f` is withdrawn already for `reason`: a retry after a lost answer, which records
/// nothing. Withdrawn for another reason is refused saying so and quoting the reason on record
/// (FAILED_PRECONDITION), rather than as a state that cannot be withdrawn.
pub(super) fn withdrawn_as_asked(f: &Filing, reason: &str) -> Result<bool, StoreError> {
    if f.state != FilingState::Cancelled {
        return Ok(false);
    }
    if f.cancel_reason == reason {
        return Ok(true);
    }
    let on_record = ecenter_domain::text::quoted(&f.cancel_reason, 60);
    Err(StoreError::Domain(DomainError::Precondition {
        reason: format!(
            "filing {} is withdrawn already, for the reason 「{on_record}」; a withdrawal is recorded once",
            f.filing_id
        ),
        zh: format!(
            "收件号「{}」的材料已经撤回（撤回理由：{on_record}），撤回只记录一次",
            f.filing_id
        ),
    }))
}

/// Refuses withdrawing `f` when the court sealed one of its documents, or when a correction of it
/// still stands (the court now has that one: it is the filing to withdraw). FAILED_PRECONDITION.
pub(super) fn may_withdraw(f: &Filing, view: &dyn ReadView) -> Result<(), StoreError> {
    f.check_withdrawable()?;
    let id = f.filing_id.clone();
    let live = move |other: &Filing| other.is_live_correction_of(&id);
    if let Some(correction) = view.submitter_filing(&f.submitter, &live)? {
        return Err(StoreError::Domain(DomainError::Precondition {
            reason: format!(
                "filing {} is corrected by {}, which the court now has in its place: withdraw {1} instead",
                f.filing_id, correction.filing_id
            ),
            zh: format!(
                "收件号「{}」的材料已由补正材料「{}」替代，如需撤回请撤回「{1}」",
                f.filing_id, correction.filing_id
            ),
        }));
    }
    Ok(())
}
