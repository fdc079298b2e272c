//! The lawyers' thin client; see `ecenter_efile`.
#![forbid(unsafe_code)]
fn main() {
    ecenter_client::stop_quietly_on_closed_pipe();
    ecenter_efile::main();
}
