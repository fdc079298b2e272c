//! Accepting a loss, explicitly and on the record. When the log ends before its newest signed
//! checkpoint, the hub refuses to start; nothing gets past that refusal except an operator who
//! states the exact range lost, who they are and why (`ecenterd --accept-loss 5-12 --operator
//! 张三 --reason "…"`). The hub then keeps a copy of the log as it found it, records a
//! `log_loss_accepted` entry numbered after the lost range (so no lost number, and no filing id
//! derived from one, is issued again), sets aside the documents only the lost entries named, and
//! signs a new checkpoint.

use ecenter_domain::Event;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What the operator stated on the command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LossAcceptance {
    /// The first lost entry.
    pub first: u64,
    /// The last lost entry.
    pub last: u64,
    /// Who accepts it.
    pub by: String,
    /// Why.
    pub reason: String,
}

impl LossAcceptance {
    /// Parses `FIRST-LAST` (also `FIRST..LAST` or with an en dash).
    pub fn parse_range(text: &str) -> Result<(u64, u64), RangeError> {
        let normal = text.replace("..", "-").replace('–', "-");
        let (a, b) = normal
            .split_once('-')
            .ok_or_else(|| RangeError::NotARange(text.into()))?;
        let number = |n: &str| {
            n.trim()
                .parse::<u64>()
                .map_err(|_| RangeError::NotANumber(n.into()))
        };
        let (first, last) = (number(a)?, number(b)?);
        if first == 0 || last < first {
            return Err(RangeError::Backwards(text.into()));
        }
        Ok((first, last))
    }
}

/// Why `--accept-loss` was refused: the range is written so a person can check it at a glance.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    /// No `-` (or `..`, `–`) between two numbers.
    #[error("「{0}」 is not a range FIRST-LAST, e.g. 5-12")]
    NotARange(String),
    /// One end is not an entry number.
    #[error("「{0}」 is not an entry number")]
    NotANumber(String),
    /// Starts at 0 or runs downwards.
    #[error("「{0}」: the range must run from entry 1 or later upwards")]
    Backwards(String),
}

/// A loss the start-up check found and the operator's acceptance matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingLoss {
    /// The acceptance.
    pub accepted: LossAcceptance,
    /// The checkpoint that vouched for the lost entries: its number and its hash of `last`.
    pub checkpoint: u64,
    /// That hash.
    pub checkpoint_hash: String,
    /// Where the log was kept as it was found.
    pub kept_log: PathBuf,
}

impl PendingLoss {
    /// The entry that records it.
    pub fn event(&self) -> Event {
        Event::LogLossAccepted {
            first: self.accepted.first,
            last: self.accepted.last,
            checkpoint: self.checkpoint,
            checkpoint_hash: self.checkpoint_hash.clone(),
            by: self.accepted.by.clone(),
            reason: self.accepted.reason.clone(),
        }
    }
}

/// Where things an accepted loss leaves behind are kept: `set-aside/` in the data directory.
pub fn set_aside_dir(data_dir: &Path, what: &str) -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    data_dir.join("set-aside").join(format!("{what}-{stamp}"))
}

/// Copies the log as found into `to` before anything opens it.
pub fn keep_log(data_dir: &Path, to: &Path) -> std::io::Result<()> {
    fn copy(from: &Path, to: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            let dst = to.join(entry.file_name());
            if entry.file_type()?.is_dir() {
                copy(&entry.path(), &dst)?;
            } else {
                std::fs::copy(entry.path(), dst)?;
            }
        }
        Ok(())
    }
    copy(&data_dir.join("log"), to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_as_people_write_them_and_nonsense_is_refused() {
        assert_eq!(LossAcceptance::parse_range("5-12"), Ok((5, 12)));
        assert_eq!(LossAcceptance::parse_range("5..12"), Ok((5, 12)));
        assert_eq!(LossAcceptance::parse_range("5–12"), Ok((5, 12)));
        let backwards = RangeError::Backwards("12-5".into());
        assert_eq!(LossAcceptance::parse_range("12-5"), Err(backwards));
        assert!(matches!(
            LossAcceptance::parse_range("0-3"),
            Err(RangeError::Backwards(_))
        ));
        assert_eq!(
            LossAcceptance::parse_range("3-x"),
            Err(RangeError::NotANumber("x".into()))
        );
        let five = LossAcceptance::parse_range("five").unwrap_err();
        assert!(five.to_string().contains("FIRST-LAST"), "{five}");
    }
}
