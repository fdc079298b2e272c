//! The hub daemon; see `ecenter_cli::ecenterd`.
fn main() {
    ecenter_cli::ecenterd::main();
}
