//! The clerks' audit tool; see `ecenter_cli::clerk`.
#![forbid(unsafe_code)]
fn main() {
    ecenter_cli::guard_stdout();
    ecenter_cli::clerk::main();
}
