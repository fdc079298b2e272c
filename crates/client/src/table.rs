//! Tables for people: text from outside made safe for a terminal, columns padded by terminal
//! width (a Chinese character takes two columns, UAX #11) so that they line up.

/// `s` safe for a terminal: control characters (escape sequences, line breaks, bells) and format
/// characters (bidirectional overrides and isolates that reorder what the clerk reads, zero-width
/// spaces and joiners, the byte-order mark) — which text from outside, a report's words or a
/// handset's reply, may carry — become spaces. The class is the hub's one rule for characters a
/// reader cannot see, [`ecenter_domain::text::hidden`] (Unicode Cc and Cf).
pub fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if ecenter_domain::text::hidden(c) {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// Pads `s` to `width` terminal columns (a Chinese character takes two), for aligned tables;
/// control characters become spaces ([`printable`]).
pub fn pad(s: &str, width: usize) -> String {
    let s = printable(s);
    let w = unicode_width::UnicodeWidthStr::width(s.as_str());
    // Text wider than its column keeps one space, so it never runs into the next column.
    let fill = if w >= width { 1 } else { width - w };
    format!("{s}{}", " ".repeat(fill))
}

/// A table for people: each column as wide as its widest cell, in terminal columns (a Chinese
/// character takes two), two spaces apart, so a long file name widens its column instead of
/// pushing the rest of its row out of line; every cell made [`printable`]; no borders (scripts
/// read `--json`). Laid out by `comfy-table`.
pub struct Table {
    inner: comfy_table::Table,
    indent: &'static str,
}

impl Table {
    /// A table under `heading`, one title per column.
    pub fn new<S: AsRef<str>>(heading: impl IntoIterator<Item = S>) -> Self {
        let mut table = Table::headless();
        table.inner.set_header(cells(heading));
        table.indent_columns();
        table
    }

    /// A table without a heading (rows under a heading of their own, as a filing's documents).
    pub fn headless() -> Self {
        let mut inner = comfy_table::Table::new();
        inner.load_preset(comfy_table::presets::NOTHING);
        Table { inner, indent: "" }
    }

    /// Each line starts with `indent` (a table nested under a line about its subject).
    pub fn indented(mut self, indent: &'static str) -> Self {
        self.indent = indent;
        self
    }

    /// Adds a row; a cell too few leaves its column blank.
    pub fn row<S: AsRef<str>>(&mut self, row: impl IntoIterator<Item = S>) -> &mut Self {
        self.inner.add_row(cells(row));
        self.indent_columns();
        self
    }

    /// Whether no row was added (the heading aside).
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// The table's lines, without trailing spaces.
    pub fn lines(&self) -> Vec<String> {
        self.inner
            .lines()
            .map(|l| format!("{}{}", self.indent, l.trim_end()))
            .collect()
    }

    /// Prints the table to standard output.
    pub fn print(&self) {
        for line in self.lines() {
            println!("{line}");
        }
    }

    /// No space before the first column, two between columns.
    fn indent_columns(&mut self) {
        for column in self.inner.column_iter_mut() {
            column.set_padding((0, 2));
        }
    }
}

fn cells<S: AsRef<str>>(row: impl IntoIterator<Item = S>) -> Vec<String> {
    row.into_iter().map(|c| printable(c.as_ref())).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_line_up_by_terminal_width_and_never_run_together() {
        assert_eq!(super::pad("起诉状", 10), "起诉状    ");
        assert_eq!(super::pad("abc", 5), "abc  ");
        let long = super::pad("关于追加被告及变更诉讼请求的申请书", 12);
        assert!(long.ends_with("申请书 "), "{long:?}");
    }

    #[test]
    fn a_long_name_widens_its_column_and_the_next_column_still_lines_up() {
        use unicode_width::UnicodeWidthStr;
        let mut table = super::Table::new(["ID", "NAME", "BYTES"]).indented("  ");
        table.row(["D1", "起诉状.pdf", "1024"]);
        table.row([
            "D2",
            "关于追加被告及变更诉讼请求的申请书（第二次修改稿）.pdf",
            "77",
        ]);
        table.row(["D10", "evidence.png", "5"]);
        let lines = table.lines();
        assert_eq!(lines.len(), 4, "{lines:#?}");
        // Where BYTES starts, in terminal columns, is the same on every line.
        let starts: Vec<usize> = lines
            .iter()
            .zip(["BYTES", "1024", "77", "5"])
            .map(|(line, cell)| line[..line.find(cell).unwrap()].width())
            .collect();
        assert!(starts.iter().all(|s| *s == starts[0]), "{lines:#?}");
        assert!(
            lines
                .iter()
                .all(|l| l.starts_with("  ") && !l.ends_with(' '))
        );
        assert!(lines[0].starts_with("  ID   NAME"), "{lines:#?}");
    }

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
        let mut table = super::Table::new(["NAME", "SIZE"]);
        table.row(["判决书\u{202E}fdp.exe\u{1b}[2J", "1"]);
        assert!(
            !table
                .lines()
                .concat()
                .chars()
                .any(ecenter_domain::text::hidden)
        );
        // Zero-width and other format characters that make equal-looking names differ.
        let shown = super::printable("张\u{200B}三\u{FEFF}\u{2060}\u{061C}");
        assert_eq!(shown, "张 三   ");
    }
}
