//! The similar-case tools; see `ecenter_cli::similar`.
#![forbid(unsafe_code)]
fn main() {
    ecenter_cli::stop_quietly_on_closed_pipe();
    ecenter_cli::similar::main();
}
