//! The operator's storage tool; see `ecenter_cli::admin`.
#![forbid(unsafe_code)]
fn main() {
    ecenter_cli::stop_quietly_on_closed_pipe();
    ecenter_cli::admin::main();
}
