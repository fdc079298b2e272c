//! Similar-case recommendation (类案推送): statute and charge extraction, a tantivy index with jieba
//! segmentation, ranking fused with legal structure, and the evaluation harness on public benchmarks.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod charges;
pub mod civil;
pub mod cv;
mod cv_baselines;
pub mod eval;
pub mod index;
pub mod metrics;
pub mod statutes;
