//! The hub daemon; see `ecenter_cli::ecenterd`.
#![forbid(unsafe_code)]
fn main() {
    ecenter_cli::ecenterd::main();
}
