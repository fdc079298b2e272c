//! Similar-case recommendation (类案推送): statute and charge extraction, a tantivy index with jieba
//! segmentation, ranking fused with legal structure, and the evaluation harness on public benchmarks.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod charges;
pub mod civil;
pub mod cv;
mod cv_baselines;
pub mod dates;
pub mod eval;
pub mod index;
pub mod metrics;
mod money;
pub mod outcome;
pub mod statutes;

/// The shared benchmark data beside the project (never copied into it), `../shared/data`;
/// `ECENTER_SHARED_DATA` names another place.
#[cfg(test)]
fn shared_data() -> std::path::PathBuf {
    std::env::var_os("ECENTER_SHARED_DATA").map_or_else(
        || {
            std::path::Path::new(
                &std::env::var("CARGO_MANIFEST_DIR")
                    .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string()),
            )
            .join("../../../shared/data")
        },
        std::path::PathBuf::from,
    )
}
