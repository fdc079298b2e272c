//! The command-line programs of ecenter that work beside the hub (`clerk`, `court`, `ecenterd`,
//! `ecenter-admin`, `ecenter-pki`, `ecenter-similar`). Each module is one program; the root package's `src/bin/*.rs`
//! only call their `main`, so integration tests can run the real binaries. The lawyers' `efile`
//! is its own crate (`ecenter-efile`), linking none of the server's crates; what the clients
//! share is `ecenter-client`.

#![forbid(unsafe_code)]
pub mod admin;
pub mod clerk;
pub mod court;
pub mod ecenterd;
pub mod log_audit;
pub mod parser_noise;
pub mod pki;
pub mod pushes;
pub mod similar;

pub use ecenter_client::guard_stdout;
pub use ecenter_client::paging::all_filings;
pub use ecenter_client::table::printable;
