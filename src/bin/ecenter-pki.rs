//! The development PKI tool; see `ecenter_cli::pki`.
#![forbid(unsafe_code)]
fn main() {
    ecenter_cli::stop_quietly_on_closed_pipe();
    ecenter_cli::pki::main();
}
