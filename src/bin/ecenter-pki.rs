//! The development PKI tool; see `ecenter_cli::pki`.
fn main() {
    ecenter_cli::pki::main();
}
