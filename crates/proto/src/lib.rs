//! The gRPC contract of ecenter, generated from `proto/ecenter/v1`.
//!
//! Generated once here so that the server, the CLIs and the tests share one set of types.

#![forbid(unsafe_code)]
/// Version 1 of the contract (`package ecenter.v1`).
pub mod v1 {
    #![allow(missing_docs, clippy::all, clippy::pedantic)]
    tonic::include_proto!("ecenter.v1");
}

/// Encoded `FileDescriptorSet` of every ecenter proto file, for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/ecenter_descriptor.bin"));

impl From<v1::RecipientRef> for v1::ProofRequest {
    /// The newest proof of the recipient `r` names (fields 1 and 2 are the same on the wire).
    fn from(r: v1::RecipientRef) -> Self {
        v1::ProofRequest {
            order_id: r.order_id,
            recipient_id: r.recipient_id,
            version: 0,
        }
    }
}
