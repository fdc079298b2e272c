//! The lawyers' thin client; see `ecenter_cli::efile`.
fn main() {
    ecenter_cli::efile::main();
}
