//! Aligned text tables, colored with ANSI escapes only when asked to, and the
//! same tables in Markdown.

/// An ANSI style: the parameter of `ESC [ ... m`.
pub(crate) type Style = Option<&'static str>;

pub(crate) const BOLD: Style = Some("1");
pub(crate) const DIM: Style = Some("2");
pub(crate) const GREEN: Style = Some("32");
pub(crate) const YELLOW: Style = Some("33");
pub(crate) const RED: Style = Some("31");
pub(crate) const CYAN: Style = Some("36");

/// A table: a header and rows of styled cells; numeric columns align right.
pub(crate) struct Table {
    header: Vec<&'static str>,
    right: Vec<bool>,
    rows: Vec<Vec<(String, Style)>>,
}

impl Table {
    /// A table with these columns; `right[i]` aligns column `i` to the right.
    pub(crate) fn new(header: Vec<&'static str>, right: Vec<bool>) -> Table {
        Table {
            header,
            right,
            rows: Vec::new(),
        }
    }

    pub(crate) fn row(&mut self, cells: Vec<(String, Style)>) {
        self.rows.push(cells);
    }

    /// Columns padded to their widest cell (counted in characters), two spaces
    /// apart, no trailing blanks; escapes only when `color`.
    pub(crate) fn text(&self, color: bool) -> String {
        let width = |i: usize| {
            self.rows
                .iter()
                .filter_map(|r| r.get(i))
                .map(|(t, _)| t.chars().count())
                .chain([self.header[i].chars().count()])
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..self.header.len()).map(width).collect();
        let header: Vec<(String, Style)> =
            self.header.iter().map(|h| (h.to_string(), BOLD)).collect();
        let mut out = String::new();
        for row in std::iter::once(&header).chain(&self.rows) {
            let mut line = String::new();
            for (i, (text, style)) in row.iter().enumerate() {
                let pad = " ".repeat(widths[i].saturating_sub(text.chars().count()));
                let styled = match (color, style) {
                    (true, Some(code)) => format!("\x1b[{code}m{text}\x1b[0m"),
                    _ => text.clone(),
                };
                if i > 0 {
                    line.push_str("  ");
                }
                if self.right[i] {
                    line.push_str(&pad);
                    line.push_str(&styled);
                } else {
                    line.push_str(&styled);
                    line.push_str(&pad);
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    /// The table in Markdown; `|` in a cell is escaped, and a cell's indentation
    /// is kept as non-breaking spaces (Markdown drops leading spaces).
    pub(crate) fn markdown(&self) -> String {
        let cell = |t: &str| {
            let text = t.trim_start_matches(' ');
            let indent = "&nbsp;".repeat(t.len() - text.len());
            format!("{indent}{}", text.replace('|', "\\|"))
        };
        let mut out = format!("| {} |\n|", self.header.join(" | "));
        for right in &self.right {
            out.push_str(if *right { " ---: |" } else { " --- |" });
        }
        out.push('\n');
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(|(t, _)| cell(t)).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_and_color_only_when_asked() {
        let mut t = Table::new(vec!["NAME", "SIZE"], vec![false, true]);
        t.row(vec![("a".into(), None), ("100".into(), RED)]);
        t.row(vec![("long-name".into(), None), ("7".into(), None)]);
        assert_eq!(
            t.text(false),
            "NAME       SIZE\na           100\nlong-name     7\n"
        );
        assert_eq!(
            t.text(true),
            "\x1b[1mNAME\x1b[0m       \x1b[1mSIZE\x1b[0m\na           \x1b[31m100\x1b[0m\nlong-name     7\n"
        );
        assert_eq!(
            t.markdown(),
            "| NAME | SIZE |\n| --- | ---: |\n| a | 100 |\n| long-name | 7 |\n"
        );
    }
}
