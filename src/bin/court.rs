//! The courts' review tool; see `ecenter_cli::court`.
#![forbid(unsafe_code)]
fn main() {
    ecenter_cli::guard_stdout();
    ecenter_cli::court::main();
}
