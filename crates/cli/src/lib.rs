//! The command-line programs of ecenter. Each module is one program; the root package's
//! `src/bin/*.rs` only call their `main`, so integration tests can run the real binaries.

pub mod clerk;

/// Lets a tool piped into `head` or `grep -q` stop quietly when the reader goes away, as Unix
/// tools do (ended by SIGPIPE), instead of panicking in `println!` with exit code 101: the Rust
/// runtime ignores SIGPIPE, so writes to a closed pipe fail. For the command-line tools only — the
/// daemon keeps SIGPIPE ignored (its sockets report EPIPE as errors it handles).
pub fn stop_quietly_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; restoring the default
    // disposition of one signal has no other effect on the process.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
pub mod ecenterd;
pub mod efile;
pub mod log_audit;
pub mod parser_noise;
pub mod pki;
pub mod similar;

/// `s` safe for a terminal: control characters (escape sequences, line breaks, bells) — which
/// text from outside, a report's words or a handset's reply, may carry — become spaces.
pub(crate) fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            // Bidirectional overrides and isolates reorder what the clerk reads.
            let bidi = matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
            if c.is_control() || bidi { ' ' } else { c }
        })
        .collect()
}

/// Pads `s` to `width` terminal columns (a Chinese character takes two), for aligned tables;
/// control characters become spaces ([`printable`]).
pub(crate) fn pad(s: &str, width: usize) -> String {
    let s = printable(s);
    let w = unicode_width::UnicodeWidthStr::width(s.as_str());
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

/// Every filing `request` selects, following the pages.
pub(crate) async fn all_filings(
    client: &mut ecenter_proto::v1::filing_service_client::FilingServiceClient<
        tonic::transport::Channel,
    >,
    mut request: ecenter_proto::v1::ListFilingsRequest,
) -> Result<Vec<ecenter_proto::v1::Filing>, tonic::Status> {
    request.page_size = 500;
    let mut all = Vec::new();
    loop {
        let page = client.list_filings(request.clone()).await?.into_inner();
        all.extend(page.filings);
        if page.next_page_token.is_empty() {
            return Ok(all);
        }
        request.page_token = page.next_page_token;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_from_outside_cannot_drive_the_terminal() {
        let hostile = "已收到\u{1b}[2J\u{1b}]0;pwned\u{7}\n下一行\u{202E}cba";
        let shown = super::pad(hostile, 40);
        assert!(!shown.chars().any(char::is_control), "{shown:?}");
        assert!(
            shown.starts_with("已收到 [2J ]0;pwned  下一行"),
            "{shown:?}"
        );
        assert!(!shown.contains('\u{202E}'), "{shown:?}");
    }
}
