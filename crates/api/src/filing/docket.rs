//! Docketing (立案/入卷): the case number a filing enters the case file under. A filing filed in
//! an existing case keeps its number; a filing that starts a new case gets the number the court
//! assigns, which must be free — one number names one case, or every record filed under it would
//! belong to two.

use ecenter_domain::lifecycle::FilingState;
use ecenter_domain::{CaseNumber, DomainError, FieldViolation, Filing};
use ecenter_store::{ReadView, StoreError};

/// The number `f` is docketed under, given `given` (`None`: the caller left it empty), judged
/// inside the writer so that no other docketing can take the number in between.
///
/// Errors: INVALID_ARGUMENT when the number contradicts the filing's own case, is missing for a
/// new case, or is of a year before the filing arrived; ALREADY_EXISTS
/// ([`DomainError::CaseNumberTaken`]) when another filing carries it.
pub(super) fn case_number_for(
    f: &Filing,
    given: Option<CaseNumber>,
    view: &dyn ReadView,
) -> Result<CaseNumber, StoreError> {
    let number = match (&f.case_number, given) {
        (Some(existing), None) => return Ok(existing.clone()),
        (Some(existing), Some(g)) if &g == existing => return Ok(g),
        (Some(existing), Some(_)) => {
            return Err(refused(format!(
                "the filing belongs to {existing}; leave case_number empty or give that number"
            )));
        }
        (None, Some(g)) => new_case_number(f, g)?,
        (None, None) => {
            return Err(refused(
                "this filing starts a new case: give the case number assigned to it",
            ));
        }
    };
    check_free(&number, &f.filing_id, view)?;
    Ok(number)
}

/// Whether `f` is docketed already as asked (`given`, or any number when none is given): a retry
/// after a lost answer, which records nothing. Docketed under another number is refused naming
/// the number it has (FAILED_PRECONDITION, [`DomainError::DocketedUnder`]).
pub(super) fn docketed_as_asked(
    f: &Filing,
    given: Option<&CaseNumber>,
) -> Result<bool, StoreError> {
    if f.state != FilingState::Docketed {
        return Ok(false);
    }
    match (&f.case_number, given) {
        (Some(has), Some(asked)) if has != asked => {
            Err(StoreError::Domain(DomainError::DocketedUnder {
                filing_id: f.filing_id.clone(),
                case_number: has.normalized(),
            }))
        }
        _ => Ok(true),
    }
}

/// Refuses `number` for a new case when another filing carries it: docketed under it, or filed
/// in it and not (yet) turned away. A filing rejected or withdrawn never entered the case, so the
/// number it named stays free. One still awaiting review blocks too (it may be the first filing
/// of a case the court's own system holds), and the refusal says so and how to free the number:
/// a lawyer's guess at the next number is rejected, not obeyed.
fn check_free(number: &CaseNumber, filing_id: &str, view: &dyn ReadView) -> Result<(), StoreError> {
    let holds = |other: &Filing| {
        other.filing_id != filing_id
            && !matches!(other.state, FilingState::Rejected | FilingState::Cancelled)
    };
    match view.case_filing(&number.normalized(), &holds)? {
        None => Ok(()),
        Some(other) => Err(StoreError::Domain(DomainError::CaseNumberTaken {
            case_number: number.to_string(),
            filing_id: other.filing_id,
            docketed: other.state == FilingState::Docketed,
            awaiting_review: matches!(
                other.state,
                FilingState::Received | FilingState::UnderReview
            ),
        })),
    }
}

/// The number a new case is docketed under: not of a year before its filing arrived (a case is
/// numbered the year it is received, 收案年度; a later year is refused before, under the policy),
/// and of a court code and a case type the tables know — a note to check the number, which a
/// lawyer's number only earns, comes too late for the number the court itself gives (民出 for
/// 民初 would open a case no list finds).
fn new_case_number(f: &Filing, given: CaseNumber) -> Result<CaseNumber, StoreError> {
    use chrono::Datelike;
    let flags = given.review_flags();
    if !flags.is_empty() {
        return Err(refused(flags.join("; ")));
    }
    let received = f
        .received
        .recorded_at
        .with_timezone(&ecenter_domain::time::shanghai_offset())
        .year();
    if i64::from(given.year) < i64::from(received) {
        return Err(refused(format!(
            "{}: the year {} is before this filing arrived ({received}): a new case is \
             numbered the year it is received / 收案年度早于材料收到的年度",
            given.normalized(),
            given.year
        )));
    }
    Ok(given)
}

fn refused(why: impl Into<String>) -> StoreError {
    StoreError::Domain(DomainError::InvalidInput(vec![FieldViolation::new(
        "case_number",
        why,
    )]))
}
