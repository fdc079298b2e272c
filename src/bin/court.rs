//! The courts' review tool; see `ecenter_cli::court`.
#![forbid(unsafe_code)]
fn main() {
    ecenter_cli::stop_quietly_on_closed_pipe();
    ecenter_cli::court::main();
}
