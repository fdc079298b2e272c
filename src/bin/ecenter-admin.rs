//! The operator's storage tool; see `ecenter_cli::admin`.
#![forbid(unsafe_code)]
fn main() {
    ecenter_cli::guard_stdout();
    ecenter_cli::admin::main();
}
