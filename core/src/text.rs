//! Lines of a text: byte offsets to 1-based line and column and back.
//!
//! The one line index of the crate. The report's excerpts of plan.toml and of
//! YAML files, the positions the audits and edits give, and the CLI's output
//! formats all count lines and columns through [`LineIndex`], so one offset is
//! one `file:line:col` everywhere.
//!
//! A line ends at `\n`, at `\r\n` and at a lone `\r` (YAML's line breaks; a
//! lone `\r` cannot occur in valid TOML, so plan.toml counts the same). A column
//! counts characters, not bytes.
//!
//! The scanners that read a text line by line and number the lines they pass
//! (the key search of `yaml::keys`, the document split, the marked regions of an
//! edit, the first difference of a stale file, `lbipam explain`'s search) count
//! `\n` alone. On a YAML file they agree with this index: one holding a lone
//! `\r` is refused before any of them reads it (`check_line_breaks`), since YAML
//! 1.1 and 1.2 readers split it differently. On another file (a stale Markdown
//! or SVG file) a lone `\r` does not start a line for them.

use std::ops::Range;

/// Where each line of a text starts, found once; every lookup is then a binary
/// search, so positions for many offsets of one big text cost O(n log n), not
/// a rescan of the text per offset.
pub struct LineIndex<'a> {
    text: &'a str,
    /// The byte offset each line starts at; the first is 0.
    starts: Vec<usize>,
    /// Offsets of the bytes that continue a multi-byte character.
    continuations: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes `text`.
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut continuations = Vec::new();
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
                starts.push(i + 1);
            } else if b & 0xc0 == 0x80 {
                continuations.push(i);
            }
        }
        LineIndex {
            text,
            starts,
            continuations,
        }
    }

    /// The indexed text.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The 0-based line holding byte `offset` (the last line past the end).
    pub fn line_of(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1)
    }

    /// 1-based line and column of byte `offset`, clamped to the text; an
    /// offset inside a character counts as that character.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_of(offset);
        let start = self.starts[line];
        let continuations = self.continuations.partition_point(|&i| i < offset)
            - self.continuations.partition_point(|&i| i < start);
        (line + 1, offset - start - continuations + 1)
    }

    /// Byte range of a 0-based line, without its line break; an empty range at
    /// the end of the text past the last line.
    pub(crate) fn line_range(&self, line: usize) -> Range<usize> {
        let Some(&start) = self.starts.get(line) else {
            return self.text.len()..self.text.len();
        };
        let end = self.starts.get(line + 1).map_or(self.text.len(), |&n| n);
        let body = self.text[start..end].trim_end_matches('\n');
        let body = body.strip_suffix('\r').unwrap_or(body);
        start..start + body.len()
    }

    /// Byte offset of a 1-based line and column, clamped to the text and to
    /// the line.
    pub(crate) fn offset_of(&self, line: usize, column: usize) -> usize {
        let Some(&start) = self.starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let rest = &self.text[start..];
        let in_line = rest
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i);
        start + in_line
    }
}

/// `s` as one line of output: every character Rust's `Debug` would not show as
/// itself — control characters, the Unicode line and paragraph separators,
/// invisible format characters such as U+202E (right-to-left override) —
/// written escaped (`\n`, `\u{2028}`), quotes and backslashes left as they are.
/// A file name or a value from a file can then neither start a line of its own
/// (a forged `file:line:col:` or `cargo::` line), nor move the terminal's
/// cursor, nor reorder what is shown.
pub fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let mut escaped = c.escape_debug();
        if matches!(c, '\\' | '"' | '\'') || escaped.len() == 1 {
            out.push(c);
        } else {
            out.extend(&mut escaped);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_escapes_what_would_break_or_hide_a_line_and_keeps_the_rest() {
        assert_eq!(
            one_line("a\ncargo::x\u{2028}y\u{202e}z\u{1b}[2J"),
            "a\\ncargo::x\\u{2028}y\\u{202e}z\\u{1b}[2J"
        );
        assert_eq!(one_line("\"q\" \\ ünïcode ✓"), "\"q\" \\ ünïcode ✓");
    }

    #[test]
    fn lines_and_columns_count_from_one_in_characters() {
        let text = "a = 1\nnamé = \"x\"\n";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(0), (1, 1));
        assert_eq!(index.line_col(6), (2, 1));
        assert_eq!(index.line_col(text.find('=').unwrap_or(0)), (1, 3));
        let second_eq = text.rfind('=').unwrap_or(0);
        assert_eq!(index.line_col(second_eq), (2, 6), "é is one column");
    }

    #[test]
    fn crlf_and_a_lone_carriage_return_each_end_one_line() {
        let index = LineIndex::new("a\r\nb\rc\nd");
        assert_eq!(index.line_col(3), (2, 1));
        assert_eq!(index.line_col(5), (3, 1));
        assert_eq!(index.line_col(7), (4, 1));
        assert_eq!(
            index.line_range(0),
            0..1,
            "the break is not part of the line"
        );
        assert_eq!(index.line_range(1), 3..4);
    }

    #[test]
    fn an_offset_inside_a_character_counts_as_that_character() {
        let text = "xé";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(1), (1, 2));
        assert_eq!(index.line_col(2), (1, 2));
        assert_eq!(index.line_col(3), (1, 3));
    }

    #[test]
    fn offsets_past_the_end_are_clamped_and_positions_round_trip() {
        let text = "one\ntwo\n";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(100), (3, 1));
        for offset in 0..text.len() {
            let (line, col) = index.line_col(offset);
            assert_eq!(index.offset_of(line, col), offset);
        }
        assert_eq!(index.offset_of(9, 1), text.len());
        assert_eq!(index.line_range(7), text.len()..text.len());
    }

    #[test]
    fn each_position_equals_counting_from_the_start_of_the_text() {
        let text = "a = 1\nbé = \"x\"\r\n\nzz";
        // Unsorted, repeated, inside the two-byte é (8), past the end (100).
        let offsets = [14, 0, 6, 10, 7, 100, 8, 14, 17];
        let counted = |offset: usize| {
            let mut end = offset.min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let before = &text[..end];
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let line = before.matches('\n').count() + 1;
            (line, before[line_start..].chars().count() + 1)
        };
        let index = LineIndex::new(text);
        for offset in offsets {
            assert_eq!(index.line_col(offset), counted(offset), "offset {offset}");
        }
    }
}
