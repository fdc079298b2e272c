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
