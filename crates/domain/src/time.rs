//! Times shown to people are in Asia/Shanghai. China has kept UTC+8 without daylight saving since
//! 1991, so a fixed offset is exact for every time the hub records.

use chrono::{DateTime, FixedOffset, Utc};

/// UTC+08:00, the offset of Asia/Shanghai.
pub fn shanghai_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("constant offset is valid")
}

/// Formats a stored UTC time for people, e.g. `2026-11-28 09:23:42 +08:00`.
pub fn shanghai_display(t: DateTime<Utc>) -> String {
    t.with_timezone(&shanghai_offset())
        .format("%Y-%m-%d %H:%M:%S %:z")
        .to_string()
}

/// A time as the English side of the tools prints it, to the second and named:
/// `2026-11-28 09:23:42 (Beijing time)`.
pub fn beijing_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&shanghai_offset())
        .format("%Y-%m-%d %H:%M:%S (Beijing time)")
        .to_string()
}

/// A time as the hub's documents print it (receipts, proofs), to the second and named:
/// `2026-11-28 09:23:42（北京时间）`.
pub fn beijing_seconds(t: DateTime<Utc>) -> String {
    t.with_timezone(&shanghai_offset())
        .format("%Y-%m-%d %H:%M:%S（北京时间）")
        .to_string()
}

/// A time in a list on a page, to the minute: `2026年11月28日 09:23` (the list's heading says
/// 北京时间).
pub fn beijing_minutes(t: DateTime<Utc>) -> String {
    t.with_timezone(&shanghai_offset())
        .format("%Y年%m月%d日 %H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn shows_utc_as_shanghai_time_across_midnight() {
        let t = Utc.with_ymd_and_hms(2026, 11, 27, 17, 5, 0).unwrap();
        assert_eq!(shanghai_display(t), "2026-11-28 01:05:00 +08:00");
        assert_eq!(beijing_seconds(t), "2026-11-28 01:05:00（北京时间）");
        assert_eq!(beijing_time(t), "2026-11-28 01:05:00 (Beijing time)");
        assert_eq!(beijing_minutes(t), "2026年11月28日 01:05");
    }
}
