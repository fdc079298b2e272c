//! What ecenter's command-line clients (`efile` for lawyers, `clerk` for the court's clerks) share,
//! so that each says the same thing the same way: how to reach a hub over mutual TLS
//! ([`hub`]), certificates and CRLs from PEM files ([`pem`]), times as people in China read them
//! ([`beijing`]), exit codes ([`exit`]), tables whose columns line up with Chinese text ([`table`])
//! and lists read page by page ([`paging`]).
//!
//! This crate links none of the server's crates: a client is gRPC, TLS and files, nothing more.

pub mod exit;
pub mod hub;
pub mod paging;
pub mod pem;
pub mod table;

/// `t` as Beijing time (UTC+8, no daylight saving: the time a Chinese court writes),
/// `YYYY-MM-DD HH:MM:SS`; empty when absent or out of range.
pub fn beijing(t: Option<&prost_types::Timestamp>) -> String {
    let shanghai = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    t.and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32))
        .map(|t| {
            t.with_timezone(&shanghai)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

/// Lets a tool piped into `head` or `grep -q` stop quietly when the reader goes away, as Unix
/// tools do (ended by SIGPIPE), instead of panicking in `println!` with exit code 101: the Rust
/// runtime ignores SIGPIPE, so writes to a closed pipe fail. For the command-line tools only — the
/// daemon keeps SIGPIPE ignored (its sockets report EPIPE as errors it handles).
#[allow(unsafe_code)]
pub fn stop_quietly_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; restoring the default
    // disposition of one signal has no other effect on the process.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
#[cfg(test)]
mod tests {
    #[test]
    fn times_are_shown_in_beijing_time() {
        // 2026-11-30T16:30:00Z is half past midnight the next day in Beijing.
        let t = prost_types::Timestamp {
            seconds: 1_796_056_200,
            nanos: 0,
        };
        assert_eq!(super::beijing(Some(&t)), "2026-12-01 00:30:00");
        assert_eq!(super::beijing(None), "");
    }
}
