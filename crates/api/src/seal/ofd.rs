//! SealOfd and VerifyOfd: sealed OFD documents (GB/T 33190 §18) through `ecenter-ofdseal`, on the
//! parse pool like PDFs, recorded in the filing like any sealing.

use super::sealing::{CopyFormat, SealedCopy, registry_seal_der, sealed_copy_record};
use super::{SealApi, Target, Verifying, indication_message, report_message, store_blob};
use crate::authz::{Operation, authorize};
use crate::error::{ApiError, invalid};
use ecenter_proto::v1 as pb;
use ecenter_seal::Sealer;
use ecenter_store::EventStore;
use std::time::SystemTime;
use tonic::{Request, Response, Status};

/// A ZIP's local file header: an OFD package starts with one.
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

fn ofd_error(e: ecenter_ofdseal::OfdError, field: &str, stored: bool) -> Status {
    match e {
        ecenter_ofdseal::OfdError::Budget(b) => crate::parsing::budget_status(&b, field, stored),
        ecenter_ofdseal::OfdError::Seal(e) => {
            ApiError::internal(format!("sealing failed: {e}")).into()
        }
        e => invalid(field, e.to_string()),
    }
}

impl<S: EventStore> SealApi<S> {
    pub(super) async fn seal_ofd_request(
        &self,
        request: Request<pb::SealOfdRequest>,
    ) -> Result<Response<pb::SealOfdResponse>, Status> {
        let identity = crate::identity::caller(&request)?;
        authorize(&*self.store, &identity, Operation::SealOfd, None, None).await?;
        self.context()?;
        let ctx = self.context.clone().expect("checked just above");
        let deadline = crate::parsing::deadline_of(request.metadata());
        let r = request.into_inner();
        let now = SystemTime::now();
        let seal = self.usable_seal(&r.seal_id, now)?;
        let (target, bytes) = self
            .sealing_target(
                &identity,
                Operation::SealOfd,
                r.target.map(|t| match t {
                    pb::seal_ofd_request::Target::Stored(d) => Target::Stored(d),
                    pb::seal_ofd_request::Target::Content(c) => Target::Content(c),
                }),
            )
            .await?;
        if !bytes.starts_with(ZIP_MAGIC) {
            return Err(invalid(
                "target",
                "not an OFD (an OFD is a ZIP package with OFD.xml)",
            ));
        }
        let seal_der = registry_seal_der(&*self.store, &seal, "SealOfd").await?;
        let algorithm = super::algorithm_of(&seal);
        let stamp = ecenter_ofdseal::Stamp {
            page: (r.page > 0).then_some(r.page),
            origin: r.position.map(|p| (f64::from(p.x), f64::from(p.y))),
            size_mm: None,
        };
        let seal_id = seal.seal_id.clone();
        let input_len = bytes.len();
        let stored = target.is_some();
        let work = move || -> Result<(Vec<u8>, bool), Status> {
            let keys = ctx.keys(algorithm)?;
            let sealer = Sealer::new(&seal_der, keys.signer).map_err(|e| {
                ApiError::failed_precondition(format!(
                    "seal 「{seal_id}」 cannot be used by the hub's signer: {e}"
                ))
            })?;
            let sealed =
                ecenter_ofdseal::seal_ofd(&bytes, &seal_der, &sealer, keys.tsa, stamp, now)
                    .map_err(|e| ofd_error(e, "target", stored))?;
            Ok((sealed, keys.tsa.is_some()))
        };
        let (sealed, timestamped) = self
            .parsing
            .run(&identity, input_len, deadline, "SealOfd", work)
            .await??;
        let blob = store_blob(self.store.blobs(), sealed.clone()).await?;
        let applied = sealed_copy_record(
            target.as_ref(),
            SealedCopy {
                format: CopyFormat::Ofd,
                seal: &seal,
                blob: &blob,
                sealed: &sealed,
                timestamped,
                by: &identity,
                at: now,
            },
        );
        let stored = target.is_some();
        let document_id = self.record_sealing(target, applied).await?;
        Ok(Response::new(pb::SealOfdResponse {
            document_id,
            sha256: blob.sha256,
            size: blob.size,
            timestamped,
            sealed_ofd: if stored { Vec::new() } else { sealed },
        }))
    }

    pub(super) async fn verify_ofd_request(
        &self,
        request: Request<pb::VerifyOfdRequest>,
    ) -> Result<Response<pb::VerifyOfdResponse>, Status> {
        let Verifying {
            identity,
            ctx,
            deadline,
            bytes: ofd,
            stored,
        } = self
            .verifying(request, |r: pb::VerifyOfdRequest| {
                r.document.map(|d| match d {
                    pb::verify_ofd_request::Document::Content(c) => Target::Content(c),
                    pb::verify_ofd_request::Document::Stored(d) => Target::Stored(d),
                })
            })
            .await?;
        if !ofd.starts_with(ZIP_MAGIC) {
            return Err(invalid(
                "document",
                "not an OFD (an OFD is a ZIP package with OFD.xml)",
            ));
        }
        let seals = self
            .parsing
            .run(&identity, ofd.len(), deadline, "VerifyOfd", move || {
                ecenter_ofdseal::verify_ofd(&ofd, &ctx.verifier, SystemTime::now())
            })
            .await?
            .map_err(|e| ofd_error(e, "document", stored))?;
        let mut out = Vec::new();
        let mut indications = Vec::new();
        for s in seals {
            let report = self.consult_registry(s.report)?;
            indications.push(report.indication);
            out.push(pb::OfdSeal {
                id: s.id,
                signature_path: s.signature_path,
                page: s.page.unwrap_or(0),
                boundary: s.boundary.map(|b| b.to_vec()).unwrap_or_default(),
                report: Some(report_message(&report)),
            });
        }
        let indication = ecenter_seal::report::overall(indications);
        Ok(Response::new(pb::VerifyOfdResponse {
            indication: indication_message(indication) as i32,
            seals: out,
        }))
    }
}
