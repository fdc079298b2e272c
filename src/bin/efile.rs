//! The lawyers' thin client; see `ecenter_cli::efile`.
fn main() {
    ecenter_cli::stop_quietly_on_closed_pipe();
    ecenter_cli::efile::main();
}
