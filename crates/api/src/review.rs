//! A clerk's judgment of a report set aside (`JudgeReport`, `clerk report`): the one way a report
//! the hub did not take on trust can change a service. Accepting appends the judgment and the
//! report as evidence in one append, so the effective time, the suppression list and the proof (a
//! new version, withdrawing the old one if service no longer stands) follow from the same rules
//! as for an authenticated report; rejecting leaves the service as it is, with the judgment on
//! record.

use crate::error::{ApiError, invalid};
use ecenter_domain::Event;
use ecenter_domain::service::RecipientEvent;
use ecenter_proto::v1 as pb;
use ecenter_store::{EventStore, ReadView};
use tonic::Status;

/// Records `by`'s judgment of `request.index` of the recipient's reports set aside.
///
/// Errors: INVALID_ARGUMENT for a note that is empty or longer than 500 characters, or an index
/// with no report; FAILED_PRECONDITION for a report already judged.
pub async fn judge<S: EventStore>(
    store: &S,
    request: pb::JudgeReportRequest,
    by: String,
) -> Result<(), Status> {
    let note = clerk_note(&request.note, "已向邮件服务商核实")?;
    let (order_id, recipient_id) = (request.order_id.clone(), request.recipient_id.clone());
    let (index, accepted) = (request.index, request.accept);
    let (_, refused) = store
        .append(Box::new(move |view: &dyn ReadView| {
            let Some(service) = view.recipient_service(&order_id, &recipient_id)? else {
                return Ok((Vec::new(), Some(Refusal::NoReport)));
            };
            let Some(report) = service.unverified.get(index as usize) else {
                return Ok((Vec::new(), Some(Refusal::NoReport)));
            };
            if let Some(j) = &report.judgment {
                return Ok((Vec::new(), Some(Refusal::Judged(j.by.clone()))));
            }
            let mut events = vec![RecipientEvent::ReportJudged {
                index,
                accepted,
                by: by.clone(),
                note,
            }];
            if accepted {
                events.push(report.accepted_as(&by));
            }
            let events = events
                .into_iter()
                .map(|event| Event::Service {
                    order_id: order_id.clone(),
                    recipient_id: recipient_id.clone(),
                    event,
                })
                .collect();
            Ok((events, None))
        }))
        .await
        .map_err(crate::error::store_status)?;
    match refused {
        None => Ok(()),
        Some(Refusal::NoReport) => Err(invalid(
            "index",
            format!(
                "{} has no report set aside at index {index}: see RecipientStatus.unverified",
                request.recipient_id
            ),
        )),
        Some(Refusal::Judged(by)) => Err(ApiError::failed_precondition(format!(
            "report {index} of {} was already judged by {by}; a judgment is final and on record",
            request.recipient_id
        ))
        .into()),
    }
}

/// A clerk's note on a judgment, trimmed: 1 to 500 characters with nothing hidden but line
/// breaks (a U+202E would make the proof show it reversed), the record a court reads.
///
/// Errors: INVALID_ARGUMENT naming `note`, with `example` of what to write.
pub(crate) fn clerk_note(note: &str, example: &str) -> Result<String, Status> {
    let note = note.trim();
    if note.is_empty() || note.chars().count() > 500 {
        return Err(invalid(
            "note",
            format!("say in 1 to 500 characters why (e.g. {example})"),
        ));
    }
    crate::error::text_field("note", note, 500, "说明")?;
    Ok(note.to_string())
}

enum Refusal {
    NoReport,
    Judged(String),
}
