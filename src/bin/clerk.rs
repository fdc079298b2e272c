//! The clerks' audit tool; see `ecenter_cli::clerk`.
fn main() {
    ecenter_cli::clerk::main();
}
