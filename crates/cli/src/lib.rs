//! The command-line programs of ecenter. Each module is one program; the root package's
//! `src/bin/*.rs` only call their `main`, so integration tests can run the real binaries.

pub mod clerk;
pub mod ecenterd;
pub mod pki;
pub mod similar;
