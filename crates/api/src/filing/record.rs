//! Recording a received submission (收), shared by SubmitFiling and the lawyers' portal: whatever
//! carried the bytes in — a gRPC stream or the portal's resumable uploads — the documents are
//! checked against the header the same way and the filing is recorded by the same decision, with
//! the same idempotency by request id.

use super::FilingApi;
use crate::authz::{Operation, authorize};
use crate::convert;
use crate::error::{domain_status, store_status};
use crate::identity::Identity;
use crate::intake;
use ecenter_domain::policy::CourtPolicy;
use ecenter_domain::submission::ValidHeader;
use ecenter_domain::{
    CaseNumber, DomainError, Event, Filing, FilingReceived, ListedSubmitter, ReceivedDocument,
};
use ecenter_proto::v1 as pb;
use ecenter_store::{BlobWriter, EventStore, FinishedBlob, ReadView, StoreError};
use tonic::Status;

impl<S: EventStore> FilingApi<S> {
    /// The court's policy every header is checked against (kinds, limits, fees).
    pub fn policy(&self) -> &CourtPolicy {
        &self.policy
    }

    /// The header in domain terms, checked against the policy (INVALID_ARGUMENT naming the field).
    pub fn validate(&self, header: pb::SubmissionHeader) -> Result<ValidHeader, Status> {
        intake::header_from_proto(header)
            .validate(&self.policy)
            .map_err(domain_status)
    }

    /// Whether `identity` may submit filings at all (audited when refused), asked before any byte
    /// is taken in.
    pub async fn may_submit(&self, identity: &Identity) -> Result<(), Status> {
        authorize(&*self.store, identity, Operation::SubmitFiling, None, None).await
    }

    /// What would refuse `given` from `identity` whatever its documents: the kind under the court's
    /// policy (a new case only of a kind that starts one) and the filing it corrects, as the log
    /// stands. Asked before the portal takes a lawyer's uploads, so a mistake in the form costs no
    /// re-upload; [`FilingApi::file_written`] checks all of it again under the writer.
    pub async fn precheck(&self, identity: &Identity, given: &ValidHeader) -> Result<(), Status> {
        let under_policy = given.under_policy(&self.policy);
        let (submitter, request_id) = (identity.to_string(), given.request_id.clone());
        let decide = Box::new(move |view: &dyn ReadView| {
            // A form sent again replays its filing whatever changed since (as `record` does).
            if view.filing_for_request(&submitter, &request_id)?.is_some() {
                return Ok((Vec::new(), ()));
            }
            check_correction(view, &under_policy?, &submitter)?;
            Ok((Vec::new(), ()))
        });
        self.store.append(decide).await.map_err(store_status)?;
        Ok(())
    }

    /// The filing `identity` made with `request_id`, if any (as the writer sees the log): where a
    /// resent form lands when its uploads were already filed.
    pub async fn filed_by_request(
        &self,
        identity: &Identity,
        request_id: &str,
    ) -> Result<Option<String>, Status> {
        let (submitter, request_id) = (identity.to_string(), request_id.to_string());
        let decide = Box::new(move |view: &dyn ReadView| {
            Ok((
                Vec::new(),
                view.filing_for_request(&submitter, &request_id)?,
            ))
        });
        let (_, found) = self.store.append(decide).await.map_err(store_status)?;
        Ok(found)
    }

    /// Records a filing whose documents arrived elsewhere (the portal's uploads), one writer per
    /// announced document in order, under exactly SubmitFiling's checks: sizes, SHA-256, content
    /// type, the policy, the request id.
    pub async fn file_written(
        &self,
        identity: &Identity,
        given: ValidHeader,
        writers: Vec<BlobWriter>,
    ) -> Result<pb::SubmitFilingResponse, Status> {
        self.may_submit(identity).await?;
        let received = intake::finish_written(writers, &given, &self.parsing_limits).await?;
        self.record(identity.to_string(), given, received).await
    }

    /// The receipt of a filing `identity` may see, sealed as a PDF when `pdf` (GetReceipt).
    pub async fn receipt(
        &self,
        identity: &Identity,
        filing_id: &str,
        pdf: bool,
    ) -> Result<pb::Receipt, Status> {
        let filing = self
            .authorized_filing(identity, Operation::GetReceipt, filing_id)
            .await?;
        let filing = self.as_received(filing)?;
        let mut receipt = convert::receipt(&filing, self.store.latest_checkpoint().as_ref());
        if pdf {
            receipt.pdf = crate::receipt_pdf::sealed_receipt(
                &*self.store,
                self.receipt_pdf.as_deref(),
                &receipt,
            )
            .await?;
        }
        Ok(receipt)
    }

    /// `filing` as its receipt was issued: under the case number it was filed in — none for a new
    /// case — read from the log entry that recorded its receipt, not the number docketing gave
    /// it since (a receipt asked for again, or a retry's answer, says what was received).
    fn as_received(&self, mut filing: Filing) -> Result<Filing, Status> {
        let seq = filing.received.seq;
        let entries = self
            .store
            .entries_after(seq.saturating_sub(1), 1)
            .map_err(store_status)?;
        match entries.first() {
            Some(e) if e.seq == seq => match &e.event {
                Event::FilingReceived(r) if r.filing_id == filing.filing_id => {
                    filing.case_number = r.case_number.clone();
                    Ok(filing)
                }
                _ => Err(store_status(StoreError::Database(format!(
                    "log entry {seq} is not the receipt of filing {}",
                    filing.filing_id
                )))),
            },
            _ => Err(store_status(StoreError::Database(format!(
                "log entry {seq}, the receipt of filing {}, is missing",
                filing.filing_id
            )))),
        }
    }

    /// Records the filing of `submitter` whose documents were received and checked: a retry with
    /// the same request id and content gets the filing already recorded (`replayed`).
    pub(super) async fn record(
        &self,
        submitter: String,
        given: ValidHeader,
        received: Vec<(ReceivedDocument, FinishedBlob)>,
    ) -> Result<pb::SubmitFilingResponse, Status> {
        let (documents, placed) = intake::place_all(received).await?;
        let (as_given, fingerprint, under_policy) =
            retry_fingerprints(&self.policy, &given, &documents);
        let routing = self.routing.clone();
        let decide = Box::new(move |view: &dyn ReadView| {
            if let Some(existing) = view.filing_for_request(&submitter, &given.request_id)? {
                let filing = view.filing(&existing)?.ok_or_else(|| {
                    StoreError::Database(format!("request index names missing filing {existing}"))
                })?;
                if filing.fingerprint != fingerprint && filing.fingerprint != as_given {
                    return Err(DomainError::RequestIdReused {
                        request_id: given.request_id.clone(),
                        filing_id: existing,
                    }
                    .into());
                }
                return Ok((Vec::new(), (existing, true)));
            }
            let header = under_policy?;
            check_correction(view, &header, &submitter)?;
            let filing_id = format!("F{:012}", view.next_seq());
            let route = routing.route(header.case_number.as_ref(), &header.filing_kind);
            let submitter_listed = view.lawyer(&submitter)?.map(|l| ListedSubmitter {
                name: l.name,
                law_firm: l.law_firm,
                licence_number: l.licence_number,
            });
            let events = vec![
                Event::FilingReceived(FilingReceived {
                    filing_id: filing_id.clone(),
                    request_id: header.request_id.clone(),
                    fingerprint,
                    submitter,
                    case_number: header.case_number.clone(),
                    filing_kind: header.filing_kind.clone(),
                    title: header.title.clone(),
                    documents,
                    corrects_filing_id: header.corrects_filing_id.clone(),
                    submitter_listed,
                }),
                Event::FilingRouted {
                    filing_id: filing_id.clone(),
                    department: route.department,
                    rule: route.rule,
                },
            ];
            Ok((events, (filing_id, false)))
        });
        // A refused append drops `placed`: the documents this request put in place go with it
        // — unless the refusal is a failed flush, after which the entries may still reach the
        // disk (`StoreError::may_be_recorded`): the documents stay, and the sweep at the next
        // start sets them aside if nothing names them. The append runs in a task of its own, so
        // that a caller who gives up (a deadline, a reset stream) cannot take the documents away
        // while the writer may still record them: they are kept or removed only once the writer
        // has answered.
        let store = self.store.clone();
        let appended = tokio::spawn(async move {
            let appended = store.append(decide).await;
            if appended.as_ref().map_or_else(StoreError::may_be_recorded, |_| true) {
                placed.into_iter().for_each(ecenter_store::PlacedBlob::keep);
            }
            appended
        })
        .await
        .map_err(|e| {
            Status::unknown(format!(
                "the hub failed while recording the filing ({e}); whether it was recorded is unknown: send it again with the same request id / 提交结果未知，请以相同请求编号重新提交"
            ))
        })?;
        let (_, (filing_id, replayed)) = appended.map_err(store_status)?;
        let filing = self.durable_filing(&filing_id).await?;
        let filing = self.as_received(filing)?;
        tracing::info!(filing_id, replayed, department = %filing.department, "filing received");
        Ok(pb::SubmitFilingResponse {
            receipt: Some(convert::receipt(
                &filing,
                self.store.latest_checkpoint().as_ref(),
            )),
            replayed,
        })
    }
}

/// Refuses a corrected filing (补正) unless the filing it corrects is the submitter's own, was
/// returned for correction, has no correction standing already, and is of the same case (both
/// without a number for a new case); checked under the writer, as the log stands.
fn check_correction(
    view: &dyn ReadView,
    header: &ecenter_domain::submission::ValidHeader,
    submitter: &str,
) -> Result<(), StoreError> {
    let Some(corrected) = &header.corrects_filing_id else {
        return Ok(());
    };
    let refused = |field: &str, why: String, zh: String| -> StoreError {
        DomainError::InvalidInput(vec![ecenter_domain::FieldViolation::new(field, why).zh(zh)])
            .into()
    };
    let original = view.filing(corrected)?.filter(|o| {
        o.submitter == submitter && o.state == ecenter_domain::FilingState::ReturnedForCorrection
    });
    let Some(original) = original else {
        return Err(refused(
            "header.corrects_filing_id",
            format!("「{corrected}」 is not a filing of yours that was returned for correction"),
            format!("补正的收件号「{corrected}」不是您被退回补正的材料"),
        ));
    };
    // One correction stands in a returned filing's place: a second would be a second copy of
    // the same case (two new cases from one complaint).
    let live = |f: &Filing| f.is_live_correction_of(corrected);
    if let Some(earlier) = view.submitter_filing(submitter, &live)? {
        return Err(DomainError::Precondition {
            reason: format!(
                "{corrected} is corrected already by {} ({}): one correction stands for a returned \
                 filing; if the court returns {1} too, correct {1}",
                earlier.filing_id,
                earlier.state.as_str()
            ),
            zh: format!(
                "收件号「{corrected}」已由「{}」补正；如「{}」也被退回补正，请对其补正",
                earlier.filing_id, earlier.filing_id
            ),
        }
        .into());
    }
    let number = |c: Option<&CaseNumber>| c.map(CaseNumber::normalized);
    let (theirs, ours) = (
        number(original.case_number.as_ref()),
        number(header.case_number.as_ref()),
    );
    if theirs != ours {
        let (why, zh) = match &theirs {
            Some(n) => (
                format!("{corrected} is of case {n}: a correction carries that case number"),
                format!("收件号「{corrected}」属于案件「{n}」，补正材料须填写该案号"),
            ),
            None => (
                format!(
                    "{corrected} opens a new case, which has no number yet: leave case_number empty"
                ),
                format!("收件号「{corrected}」的材料尚未立案，补正时请将案号留空"),
            ),
        };
        return Err(refused("header.case_number", why, zh));
    }
    Ok(())
}

/// The court's kinds apply to new filings only: a retry is recognised by its kind as given, or
/// by the kind's stable code, so that a kind the court renamed or removed since never turns a
/// retry into a refusal or a second filing. Returns the fingerprint of the header as given, the
/// one recorded for a new filing (by the kind's code), and the header under the policy.
fn retry_fingerprints(
    policy: &CourtPolicy,
    given: &ValidHeader,
    documents: &[ecenter_domain::ReceivedDocument],
) -> (String, String, Result<ValidHeader, DomainError>) {
    let as_given = intake::fingerprint(given, documents);
    let under_policy = given.under_policy(policy);
    // By the kind's code, whatever else the policy now says of the header (a case number of a
    // court listed since): that is how a new filing is recorded. The title as given (an empty
    // one is recorded as the kind's name), so a retry fingerprints the same before and after.
    let fingerprint = match policy.kind(&given.filing_kind) {
        Some(kind) => {
            let by_code = ValidHeader {
                filing_kind: kind.code.clone(),
                ..given.clone()
            };
            intake::fingerprint(&by_code, documents)
        }
        None => as_given.clone(),
    };
    (as_given, fingerprint, under_policy)
}
