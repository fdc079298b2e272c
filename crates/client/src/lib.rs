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
/// it reads as people see it and still parses as one instant; `null` in JSON when the hub sent
/// none (not yet effective, never judged), as every tool's JSON says "not yet" (round 20, m8).
pub fn beijing_rfc3339(t: Option<&prost_types::Timestamp>) -> Option<String> {
    let shanghai = ecenter_domain::time::shanghai_offset();
    t.and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32))
        .map(|t| {
            t.with_timezone(&shanghai)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
        })
}

/// A filing id given on the command line, checked before anything is sent: `F` and twelve
/// digits, as the hub issues them (a clap `value_parser`, so a mistyped id is a usage error,
/// exit 2, naming the argument — not a refusal by the hub, exit 1; round 20, m13).
pub fn filing_id_arg(text: &str) -> Result<String, String> {
    let id = text.trim();
    if ecenter_domain::ids::is_filing_id(id) {
        Ok(id.to_string())
    } else {
        Err(format!(
            "「{text}」 is not a filing id: the hub's are F and twelve digits, e.g. F000000000012 \
             (as on the receipt) / 不是有效的材料编号"
        ))
    }
}

/// Makes the directory `--out` names (with its parents), or says that a file is in its way: not
/// "File exists (os error 17)" (outside tests, round 20, m9).
pub fn out_dir(out: &std::path::Path) -> anyhow::Result<()> {
    if out.exists() && !out.is_dir() {
        anyhow::bail!(
            "--out {}: a file is there, and --out names a directory to save into (made if \
             missing) / --out 应为目录",
            out.display()
        );
    }
    std::fs::create_dir_all(out).map_err(|e| anyhow::anyhow!("--out {}: {e}", out.display()))
}

/// Guards a tool's standard output, which `println!` answers a failed write to by panicking
/// with exit code 101 and, under `RUST_BACKTRACE`, the build's paths:
///
/// - a tool piped into `head` or `grep -q` stops quietly when the reader goes away, as Unix tools
///   do (ended by SIGPIPE). SIGPIPE itself stays ignored (the Rust runtime's default): a TLS
///   connection the hub resets (a revoked certificate, a hub going down) must come back as an
///   error the tool explains, not kill it silently in the middle of a vectored socket write;
/// - any other failed write (a full disk behind `> receipt.json`) is said on standard error, and
///   the tool exits with [`exit::OUTPUT`] (5), so a script never takes a cut-short output for
///   a whole one (outside tests, round 20, M1). (A standard output closed before the tool
///   starts, `>&-`, is reopened on `/dev/null` by the Rust runtime: indistinguishable from
///   `> /dev/null`, it is taken as that.)
pub fn guard_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if let Some(why) = message.strip_prefix("failed printing to stdout: ") {
            if why.contains("Broken pipe") {
                die_by_sigpipe();
            }
            exit::fail(
                &tool_name(),
                &format!(
                    "cannot write to standard output ({why}): the output is lost or cut short; \
                     make room or write it elsewhere, and run the command again"
                ),
                exit::OUTPUT,
            );
        }
        default(info);
    }));
}

/// This process's program name, as the tools sign their messages (`efile: …`).
fn tool_name() -> String {
    (std::env::args_os().next())
        .map(std::path::PathBuf::from)
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "ecenter".into())
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
    fn out_names_a_directory_and_a_file_in_its_way_is_said_so() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("起诉状.pdf");
        std::fs::write(&file, b"%PDF-").unwrap();
        let said = super::out_dir(&file).unwrap_err().to_string();
        assert!(
            said.contains("--out") && said.contains("a file is there"),
            "{said}"
        );
        let made = dir.path().join("served/2026");
        super::out_dir(&made).unwrap();
        assert!(made.is_dir());
    }

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
