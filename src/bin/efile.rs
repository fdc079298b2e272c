//! The lawyers' thin client; see `ecenter_efile`.
fn main() {
    ecenter_client::stop_quietly_on_closed_pipe();
    ecenter_efile::main();
}
