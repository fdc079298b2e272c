//! SealOfd and VerifyOfd: sealed OFD documents (GB/T 33190 §18) through `ecenter-ofdseal`, on the
//! parse pool like PDFs, recorded in the filing like any sealing.

use super::sealing::{CopyFormat, SealedCopy, registry_seal_der};
use super::{Format, SealApi, Target, indication_message, report_message};
use crate::authz::Operation;
use crate::error::ApiError;
use ecenter_proto::v1 as pb;
use ecenter_seal::Sealer;
use ecenter_store::EventStore;
use std::time::SystemTime;
use tonic::{Request, Response, Status};

/// An OFD, to seal or to verify: a ZIP package, which starts with a local file header.
const OFD: Format = Format {
    magic: b"PK\x03\x04",
    not_it: "not an OFD (an OFD is a ZIP package with OFD.xml)",
};

fn ofd_error(e: ecenter_ofdseal::OfdError, field: &str, stored: bool) -> Status {
    match e {
        ecenter_ofdseal::OfdError::Budget(b) => crate::parsing::budget_status(&b, field, stored),
        ecenter_ofdseal::OfdError::Seal(e) => {
            ApiError::internal(format!("sealing failed: {e}")).into()
        }
        e => crate::error::unreadable(field, e.to_string(), stored),
    }
}

impl<S: EventStore> SealApi<S> {
    pub(super) async fn seal_ofd_request(
        &self,
        request: Request<pb::SealOfdRequest>,
    ) -> Result<Response<pb::SealOfdResponse>, Status> {
        let (caller, r) = self.admitted(request, Operation::SealOfd).await?;
        let now = SystemTime::now();
        let seal = self.usable_seal(&r.seal_id, now)?;
        let (target, bytes) = self
            .sealing_target(
                &caller.identity,
                Operation::SealOfd,
                r.target.map(Target::from),
            )
            .await?;
        OFD.check("target", &bytes)?;
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
            let keys = caller.ctx.keys(algorithm)?;
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
            .run(
                &caller.identity,
                input_len,
                caller.deadline,
                "SealOfd",
                work,
            )
            .await??;
        let copy = SealedCopy {
            format: CopyFormat::Ofd,
            seal: &seal,
            sealed,
            timestamped,
            by: &caller.identity,
            at: now,
        };
        Ok(Response::new(
            self.store_sealed_copy(target, copy).await?.into(),
        ))
    }

    pub(super) async fn verify_ofd_request(
        &self,
        request: Request<pb::VerifyOfdRequest>,
    ) -> Result<Response<pb::VerifyOfdResponse>, Status> {
        let seals = self
            .verifying(request, &OFD, |r: pb::VerifyOfdRequest| {
                r.document.map(Target::from)
            })
            .await?
            .parse(
                &self.parsing,
                "VerifyOfd",
                |ofd, ctx| ecenter_ofdseal::verify_ofd(ofd, &ctx.verifier, SystemTime::now()),
                |e, stored| ofd_error(e, "document", stored),
            )
            .await?;
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
