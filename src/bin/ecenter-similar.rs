//! The similar-case tools; see `ecenter_cli::similar`.
#![forbid(unsafe_code)]
fn main() {
    ecenter_cli::guard_stdout();
    ecenter_cli::similar::main();
}
