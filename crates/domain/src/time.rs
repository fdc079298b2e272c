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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn shows_utc_as_shanghai_time_across_midnight() {
        let t = Utc.with_ymd_and_hms(2026, 11, 27, 17, 5, 0).unwrap();
        assert_eq!(shanghai_display(t), "2026-11-28 01:05:00 +08:00");
    }
}
