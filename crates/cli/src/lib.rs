//! The command-line programs of ecenter. Each module is one program; the root package's
//! `src/bin/*.rs` only call their `main`, so integration tests can run the real binaries.

pub mod clerk;
pub mod ecenterd;
pub mod efile;
pub mod pki;
pub mod similar;

/// Pads `s` to `width` terminal columns (a Chinese character takes two), for aligned tables.
pub(crate) fn pad(s: &str, width: usize) -> String {
    let w = unicode_width::UnicodeWidthStr::width(s);
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}
