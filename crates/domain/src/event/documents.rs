//! Which stored documents an event names, and how people name each: what must exist wherever
//! the entry is, and what a scrub re-hashes (a hub's copies, `clerk scrub --hub`; the database's,
//! `clerk scrub --postgres`).

use super::Event;
use crate::service::RecipientEvent;

impl Event {
    /// The documents this event names, by SHA-256 (lowercase hex), each with how people name it
    /// (`filing F… document D1`, `seal …`, `proof of service of O… R…`).
    pub fn documents_named(&self) -> Vec<(String, String)> {
        match self {
            Event::FilingReceived(r) => r
                .documents
                .iter()
                .map(|d| {
                    (
                        d.sha256.clone(),
                        format!("filing {} document {}", r.filing_id, d.document_id),
                    )
                })
                .collect(),
            Event::DocumentSealed { filing_id, applied } => vec![(
                applied.signature.sha256.clone(),
                format!(
                    "filing {filing_id} document {}",
                    applied.signature.document_id
                ),
            )],
            Event::BytesSealed { applied } => vec![(
                applied.signature.sha256.clone(),
                format!("seal signature over {}", applied.of_document_id),
            )],
            Event::SealCreated(r) => vec![(r.der_sha256.clone(), format!("seal {}", r.seal_id))],
            Event::ServiceOrdered(o) => o
                .documents
                .iter()
                .map(|d| {
                    (
                        d.sha256.clone(),
                        format!("order {} document {}", o.order_id, d.reference),
                    )
                })
                .collect(),
            Event::Service {
                order_id,
                recipient_id,
                event: RecipientEvent::ProofIssued(p),
            } => {
                let what = format!(
                    "proof of service of {order_id} {recipient_id} (version {})",
                    p.version
                );
                vec![
                    (p.document_sha256.clone(), what.clone()),
                    (
                        p.signature_sha256.clone(),
                        format!("signature of the {what}"),
                    ),
                ]
            }
            _ => Vec::new(),
        }
    }
}
