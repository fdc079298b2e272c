//! The similar-case tools; see `ecenter_cli::similar`.
fn main() {
    ecenter_cli::similar::main();
}
