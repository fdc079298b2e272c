//! What ecenter's command-line clients (`efile` for lawyers, `clerk` for the court's clerks) share,
//! so that each says the same thing the same way: how to reach a hub over mutual TLS
//! ([`hub`]), the saved login ([`profile`]), certificates and CRLs from PEM files ([`pem`]), times as people in China read them
//! ([`beijing`]), exit codes ([`exit`]) and the frame a command runs in ([`tool`]), tables whose
//! columns line up with Chinese text ([`table`]), lists read page by page ([`paging`]) and a
//! filing's states and statuses in words ([`words`]).
//!
//! This crate links none of the server's crates: a client is gRPC, TLS and files, nothing more.

pub mod exit;
pub mod hub;
pub mod login;
pub mod paging;
pub mod profile;
pub mod table;
pub mod tls_problem;
pub mod tool;
pub mod words;

/// `t` as Beijing time (UTC+8, no daylight saving: the time a Chinese court writes),
/// `YYYY-MM-DD HH:MM:SS`; empty when absent or out of range.
pub fn beijing(t: Option<&prost_types::Timestamp>) -> String {
    let shanghai = ecenter_domain::time::shanghai_offset();
    t.and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32))
        .map(|t| {
            t.with_timezone(&shanghai)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

/// A time for scripts: RFC 3339 in Beijing time with its offset (`2026-12-01T18:03:00+08:00`), so
/// it reads as people see it and still parses as one instant; empty when the hub sent none.
pub fn beijing_rfc3339(t: Option<&prost_types::Timestamp>) -> String {
    let shanghai = ecenter_domain::time::shanghai_offset();
    t.and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32))
        .map(|t| {
            t.with_timezone(&shanghai)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
        })
        .unwrap_or_default()
}

/// Lets a tool piped into `head` or `grep -q` stop quietly when the reader goes away, as Unix
/// tools do (ended by SIGPIPE), instead of panicking in `println!` with exit code 101.
///
/// SIGPIPE itself stays ignored (the Rust runtime's default): a TLS connection the hub resets
/// (a revoked certificate, a hub going down) must come back as an error the tool explains, not
/// kill it silently in the middle of a vectored socket write, which the default disposition did.
/// Only a write to a closed standard output, which `println!` reports by panicking, ends the
/// process by SIGPIPE.
pub fn stop_quietly_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            die_by_sigpipe();
        }
        default(info);
    }));
}

/// Ends the process by SIGPIPE, as a Unix tool whose reader went away.
#[allow(unsafe_code)]
fn die_by_sigpipe() -> ! {
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE and raising it ends the process; no
    // other thread can observe a half-changed state that matters, since nothing runs after.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        libc::raise(libc::SIGPIPE);
    }
    std::process::exit(141)
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
