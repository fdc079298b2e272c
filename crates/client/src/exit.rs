//! Exit codes the clients share (`efile`, `court`, `clerk`), so a script can tell "fix it" from
//! "try later":
//!
//! | code | meaning |
//! |---|---|
//! | 0 | done (and, for checks, valid) |
//! | 1 | the hub refused (the message says why), or the thing checked is not valid |
//! | 2 | the command line, the configuration or a local file is wrong |
//! | 3 | the hub could not be reached, or the connection was cut: worth retrying |
//! | 4 | a certificate problem: the hub's is not trusted, or the hub refused yours |
//! | 5 | the output could not be written (a full disk behind standard output): run it again |

/// The hub refused, or a document, proof or log did not verify.
pub const REFUSED: i32 = 1;
/// The command line, the configuration or a local file is wrong.
pub const USAGE: i32 = 2;
/// The hub could not be reached, or the connection was cut: worth retrying.
pub const UNREACHABLE: i32 = 3;
/// A certificate problem ([`crate::tls_problem`]): retrying will not help; a setting or the
/// certificate itself must change.
pub const CERTIFICATE: i32 = 4;
/// Standard output could not be written (a full disk behind it): what the command did may be
/// done, but its output is lost or cut short.
pub const OUTPUT: i32 = 5;

/// Says why `tool` failed and ends the process with `code`. People get a line on standard error
/// (`clerk: …`); a command line that asked for `--json` gets one JSON object there instead,
/// `{"tool": "clerk", "error": "…", "exit_code": 1}`, so a script reading JSON reads the failure
/// too (standard output stays empty, the exit code is the same).
pub fn fail(tool: &str, message: &str, code: i32) -> ! {
    eprintln!("{}", failure_line(tool, message, code, asked_for_json()));
    std::process::exit(code)
}

/// Parses the command line as clap does, except that a mistake on a command line that asked for
/// `--json` is said as [`fail`] says failures — one JSON object on standard error, exit 2 — so a
/// script reading JSON reads this failure too (outside tests, round 20, m14). `--help` and
/// `--version` print as usual.
pub fn parse_args<T: clap::Parser>(tool: &str) -> T {
    T::try_parse().unwrap_or_else(|e| {
        use clap::error::ErrorKind;
        let shown = matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
            || e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand;
        if shown || !asked_for_json() {
            e.exit()
        }
        // All clap says (the arguments named on the lines after the first), without its
        // "error: " and its "--help" tip.
        let said = e.to_string();
        let message: Vec<&str> = (said.lines())
            .map(str::trim_end)
            .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
            .collect();
        fail(
            tool,
            message.join("\n").trim_start_matches("error: "),
            USAGE,
        )
    })
}

/// Whether this process's command line asked for `--json` (before any `--`).
fn asked_for_json() -> bool {
    (std::env::args_os().skip(1))
        .take_while(|a| a != "--")
        .any(|a| a == "--json")
}

/// The line [`fail`] writes.
fn failure_line(tool: &str, message: &str, code: i32, json: bool) -> String {
    if json {
        serde_json::json!({"tool": tool, "error": message, "exit_code": code}).to_string()
    } else {
        format!("{tool}: {message}")
    }
}

/// A failure with the exit code it deserves.
#[derive(Debug)]
pub struct Exit(pub i32, pub anyhow::Error);

impl<E: Into<anyhow::Error>> From<E> for Exit {
    fn from(e: E) -> Self {
        Exit(USAGE, e.into())
    }
}

impl Exit {
    /// This failure as an error that keeps its exit code for [`exit_code_of`] (for tools whose
    /// commands return `anyhow::Result`).
    pub fn into_error(self) -> anyhow::Error {
        anyhow::Error::new(Coded(self.0, self.1))
    }
}

/// An error carrying the exit code it was given ([`Exit::into_error`]); shown as its message.
#[derive(Debug)]
struct Coded(i32, anyhow::Error);

impl std::fmt::Display for Coded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.1)
    }
}

impl std::error::Error for Coded {}

/// A connection failure with its exit code ([`crate::hub::ConnectError::exit_code`]).
pub fn unreachable(e: crate::hub::ConnectError) -> Exit {
    Exit(e.exit_code(), anyhow::Error::new(e))
}

/// The exit code for a status the hub answered with: [`UNREACHABLE`] when the call never
/// reached a decision (the hub never answers UNKNOWN or CANCELLED itself: those are a
/// connection cut under way), [`REFUSED`] otherwise.
pub fn code_of(status: &tonic::Status) -> i32 {
    if crate::tls_problem::find(status).is_some() {
        return CERTIFICATE;
    }
    match status.code() {
        tonic::Code::Unavailable
        | tonic::Code::DeadlineExceeded
        | tonic::Code::Unknown
        | tonic::Code::Cancelled => UNREACHABLE,
        _ => REFUSED,
    }
}

/// The hub's refusal as an error a tool can carry through `anyhow` and still turn into the
/// right exit code ([`exit_code_of`]).
#[derive(Debug)]
pub struct Refused(pub tonic::Status);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(problem) = crate::tls_problem::find(&self.0) {
            return write!(f, "{problem}");
        }
        match in_chinese(&self.0) {
            Some(zh) => write!(
                f,
                "法院系统未接受本次请求：{zh}\n  the hub refused: {}（{:?}）",
                self.0.message(),
                self.0.code()
            ),
            None => write!(
                f,
                "the hub refused: {}（{:?}）",
                self.0.message(),
                self.0.code()
            ),
        }
    }
}

/// The Chinese words a refusal carries for people (a zh-CN google.rpc.LocalizedMessage in its
/// details), if any: shown before the hub's English message.
pub fn in_chinese(status: &tonic::Status) -> Option<String> {
    use tonic_types::StatusExt;
    status
        .get_details_localized_message()
        .filter(|m| m.locale == "zh-CN")
        .map(|m| m.message)
}

impl std::error::Error for Refused {}

/// The exit code an error deserves: [`UNREACHABLE`] or [`USAGE`] for a connection that could not
/// be opened, [`code_of`] for a refusal, [`USAGE`] for anything else (a file, a setting).
pub fn exit_code_of(e: &anyhow::Error) -> i32 {
    for cause in e.chain() {
        if let Some(Coded(code, _)) = cause.downcast_ref::<Coded>() {
            return *code;
        }
        if let Some(c) = cause.downcast_ref::<crate::hub::ConnectError>() {
            return c.exit_code();
        }
        if let Some(Refused(status)) = cause.downcast_ref::<Refused>() {
            return code_of(status);
        }
    }
    USAGE
}

/// A failure that looks like an unreachable hub, explained when it is in fact a certificate
/// problem ([`crate::tls_problem::diagnose`]): then [`CERTIFICATE`] with the sentence saying what
/// to do. Anything else is returned as it was.
pub async fn explain(failure: Exit, hub: Option<&crate::hub::HubConfig>) -> Exit {
    // A development login's plaintext HTTP/2 met a hub serving TLS: its answer (a TLS record)
    // is no HTTP/2 frame, said as a transport or protocol error (outside tests, round 20, m3).
    let said = format!("{:#}", failure.1);
    let transport = failure.0 == UNREACHABLE
        || said.contains("h2 protocol error")
        || said.contains("transport error");
    if let Some(hub) = hub.filter(|h| h.dev_as.is_some())
        && transport
        && crate::tls_problem::serves_tls(&hub.hub).await
    {
        return Exit(
            USAGE,
            anyhow::anyhow!(
                "the hub at {} does not answer a development login: it serves TLS (it is not in \
                 development mode); log in with --ca, --cert and --key / 该服务器使用 TLS，请用证书登录",
                hub.hub
            ),
        );
    }
    if failure.0 != UNREACHABLE {
        return failure;
    }
    let Some(hub) = hub else { return failure };
    match crate::tls_problem::diagnose(hub).await {
        Some(problem) => Exit(CERTIFICATE, anyhow::anyhow!("{problem}")),
        None => failure,
    }
}

/// A status as an [`Exit`]: its message and code name, with [`code_of`]'s exit code.
pub fn refused(status: tonic::Status) -> Exit {
    let code = code_of(&status);
    if let Some(problem) = crate::tls_problem::find(&status) {
        return Exit(code, anyhow::anyhow!("{problem}"));
    }
    let english = format!("{}（{:?}）", status.message(), status.code());
    match in_chinese(&status) {
        Some(zh) => Exit(code, anyhow::anyhow!("{zh}\n  {english}")),
        None => Exit(code, anyhow::anyhow!("{english}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_carried_refusal_or_connection_failure_keeps_its_exit_code() {
        let refused =
            anyhow::Error::new(Refused(tonic::Status::permission_denied("not permitted")));
        assert_eq!(exit_code_of(&refused), REFUSED);
        assert!(
            refused
                .to_string()
                .contains("not permitted（PermissionDenied）")
        );
        let cut = anyhow::Error::new(Refused(tonic::Status::unavailable("down")));
        assert_eq!(
            exit_code_of(&cut.context("listing deliveries")),
            UNREACHABLE
        );
        assert_eq!(exit_code_of(&anyhow::anyhow!("a.pem: no such file")), USAGE);
    }

    #[test]
    fn a_failure_is_a_line_for_people_and_an_object_for_scripts() {
        let message = "没有收件号为「F1」的材料\n  no filing with id \"F1\"";
        assert_eq!(
            failure_line("efile", message, REFUSED, false),
            format!("efile: {message}")
        );
        let line = failure_line("efile", message, REFUSED, true);
        assert!(!line.contains('\n'), "one line: {line}");
        let read: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(read["error"], message);
        assert_eq!(
            (read["tool"].as_str(), read["exit_code"].as_i64()),
            (Some("efile"), Some(1))
        );
    }

    #[test]
    fn a_cut_connection_is_worth_retrying_and_a_refusal_is_not() {
        assert_eq!(refused(tonic::Status::unavailable("down")).0, UNREACHABLE);
        assert_eq!(refused(tonic::Status::cancelled("cut")).0, UNREACHABLE);
        let no = refused(tonic::Status::failed_precondition("案号不符"));
        assert_eq!(no.0, REFUSED);
        assert!(no.1.to_string().contains("案号不符（FailedPrecondition）"));
    }
}
