//! The seal a detached signature names (its `ESEAL_ATTRIBUTE`): read and checked against the
//! signer.

use super::*;

/// The seal a signature names in [`ESEAL_ATTRIBUTE`], checked as a seal signature's seal is.
pub(super) fn named_seal(
    report: &mut DetachedReport,
    value: &der::Any,
    signer_cert: &[u8],
    trust: &crate::TrustStores,
    times: (SystemTime, SystemTime),
) {
    use crate::{SubIndication, check};
    let seal = value
        .to_der()
        .map_err(Rejection::malformed)
        .and_then(|der| crate::layout::parse_seal(&der));
    match seal {
        Err(e) => report.checks.push(check(
            "seal",
            Err((SubIndication::FormatFailure, format!("the named seal: {e}"))),
        )),
        Ok(seal) => {
            report.checks.push(check(
                "seal",
                Ok(format!(
                    "names the seal {} 「{}」 ({})",
                    seal.es_id,
                    seal.name,
                    seal.layout.describe()
                )),
            ));
            crate::verify_ses::seal_checks(
                &mut report.checks,
                &seal,
                signer_cert,
                trust,
                times.1,
                None,
            );
            report.seal_id = Some(seal.es_id);
            report.seal_name = Some(seal.name);
        }
    }
}
