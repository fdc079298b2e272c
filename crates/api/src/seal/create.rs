//! CreateSeal's steps: the requested seal id, name, picture and validity checked, and the new
//! registry seal recorded as one `seal_created` event.

use super::{SealApi, check_seal_id};
use crate::error::{invalid, store_status};
use ecenter_domain::{DomainError, Event, SealRecord};
use ecenter_proto::v1 as pb;
use ecenter_store::{EventStore, ReadView};
use tonic::Status;

/// Checks a CreateSeal request's seal id, name (至多 64 字) and PNG picture, which every sealed
/// PDF shows and so must decode; returns the seal's trimmed name.
pub(super) fn checked_seal_name(r: &pb::CreateSealRequest) -> Result<String, Status> {
    check_seal_id(&r.seal_id)?;
    let name = r.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(invalid(
            "name",
            "give the seal's name (至多 64 字), e.g. 襄阳市中级人民法院诉讼服务专用章",
        ));
    }
    crate::error::line_field("name", &name, 64, "印章名称")?;
    if !r.picture_png.starts_with(b"\x89PNG\r\n\x1a\n") || r.picture_png.len() > 256 * 1024 {
        return Err(invalid(
            "picture_png",
            "must be a PNG image of at most 256 KiB",
        ));
    }
    // It is shown on every sealed PDF: it must decode, not only look like a PNG.
    ecenter_pdfseal::picture_size(&r.picture_png)
        .map_err(|e| invalid("picture_png", e.to_string()))?;
    Ok(name)
}

/// The new seal's validity in days: a year when the request leaves it at 0, at most ten years.
pub(super) fn validity_days(requested: u32) -> Result<u32, Status> {
    match requested {
        0 => Ok(365),
        d @ 1..=3650 => Ok(d),
        d => Err(invalid("valid_days", format!("{d} is more than 3650 days"))),
    }
}

impl<S: EventStore> SealApi<S> {
    /// Records the new registry seal (`seal_created`), refusing a seal id another request
    /// registered in the meantime.
    pub(super) async fn record_seal_created(&self, event_record: SealRecord) -> Result<(), Status> {
        self.store
            .append(Box::new(move |view: &dyn ReadView| {
                if view.seal(&event_record.seal_id)?.is_some() {
                    return Err(DomainError::InvalidInput(vec![
                        ecenter_domain::FieldViolation::new("seal_id", "already exists"),
                    ])
                    .into());
                }
                Ok((vec![Event::SealCreated(event_record)], ()))
            }))
            .await
            .map_err(store_status)?;
        Ok(())
    }
}

/// Refuses a new seal id that differs from a registered one only in upper and lower case
/// (`T-GOOD` beside `t-good`): a clerk reading one aloud or typing it would get the other.
pub(super) fn no_lookalike(seals: &[SealRecord], seal_id: &str) -> Result<(), Status> {
    match seals
        .iter()
        .find(|s| s.seal_id != seal_id && s.seal_id.eq_ignore_ascii_case(seal_id))
    {
        Some(like) => Err(crate::error::ApiError::already_exists(format!(
            "seal 「{seal_id}」 differs from seal 「{}」 only in upper and lower case, and would be taken for it: choose another id",
            like.seal_id
        ))
        .into()),
        None => Ok(()),
    }
}
