//! The clerks' audit tool; see `ecenter_cli::clerk`.
#![forbid(unsafe_code)]
fn main() {
    ecenter_cli::stop_quietly_on_closed_pipe();
    ecenter_cli::clerk::main();
}
