//! The lawyers' thin client; see `ecenter_efile`.
#![forbid(unsafe_code)]
fn main() {
    ecenter_client::guard_stdout();
    ecenter_efile::main();
}
