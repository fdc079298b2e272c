//! The root package of the ecenter workspace: it owns the binaries' entry points (`src/bin`), the
//! integration tests (`tests/`) and the benchmarks (`benches/`). The code lives in `crates/`.
#![forbid(unsafe_code)]
