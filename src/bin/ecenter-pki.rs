//! The development PKI tool; see `ecenter_cli::pki`.
#![forbid(unsafe_code)]
fn main() {
    ecenter_cli::guard_stdout();
    ecenter_cli::pki::main();
}
