//! Byte-exact text surgery: splices, line starts and ends, line endings,
//! 1-based positions as the user's editor shows them.

use std::ops::Range;

use super::*;
use crate::text::LineIndex;

pub(crate) fn splice(text: &str, range: Range<usize>, with: &str) -> String {
    format!("{}{with}{}", &text[..range.start], &text[range.end..])
}

pub(crate) fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

/// The offset after the line break ending the line that holds `offset - 1`.
pub(crate) fn line_after(text: &str, offset: usize) -> usize {
    if text[..offset].ends_with('\n') {
        return offset;
    }
    text[offset..]
        .find('\n')
        .map_or(text.len(), |i| offset + i + 1)
}

/// 0-based, in characters; a byte order mark takes no column.
pub(crate) fn column(text: &str, offset: usize) -> usize {
    let line = &text[line_start(text, offset)..offset];
    line.chars().filter(|c| *c != '\u{feff}').count()
}

/// 1-based line and column of `offset` as the user's editor shows them.
pub(crate) fn position(text: &str, offset: usize) -> (usize, usize) {
    Positions::new(text).at(offset)
}

/// Line and column of many offsets of one text: the crate's [`LineIndex`]
/// (YAML line breaks `\n`, `\r`, `\r\n`; columns in characters), where a byte
/// order mark starting a line takes no column, as in an editor.
pub(crate) struct Positions<'a> {
    pub(crate) text: &'a str,
    index: LineIndex<'a>,
}

impl<'a> Positions<'a> {
    pub(crate) fn new(text: &'a str) -> Positions<'a> {
        let index = LineIndex::new(text);
        Positions { text, index }
    }

    /// 1-based line and column of `offset`.
    pub(crate) fn at(&self, offset: usize) -> (usize, usize) {
        let (line, column) = self.index.line_col(offset);
        let line_text = &self.text[self.index.line_range(line - 1).start..];
        let boms = (line_text.len() - line_text.trim_start_matches('\u{feff}').len()) / 3;
        (line, column - boms.min(column - 1))
    }
}

pub(crate) fn error_at(text: &str, offset: usize, message: impl Into<String>) -> YamlError {
    let (line, column) = position(text, offset);
    YamlError::new(line, column, message)
}

/// The file's line ending: CRLF if it has any, so inserted lines match.
pub(crate) fn line_ending(text: &str) -> &'static str {
    if text.contains("\r\n") { "\r\n" } else { "\n" }
}

/// `text` with `nl` line endings.
pub(crate) fn with_line_ending(text: &str, nl: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', nl)
}

/// The line break needed before a new line can follow `before`.
pub(crate) fn break_after(before: &str) -> &'static str {
    match before.chars().last() {
        None | Some('\n') => "",
        Some(_) => line_ending(before),
    }
}

/// Whether ending `text` with a line break changes what it says: a block scalar
/// whose last line has none would gain one in its value.
pub(crate) fn break_changes_meaning(text: &str) -> bool {
    if break_after(text).is_empty() {
        return false;
    }
    let with_break = format!("{text}{}", line_ending(text));
    yaml11_values(text).ok() != yaml11_values(&with_break).ok()
}

/// Replaces the empty value at `range` (`{}`, `~`, `null` or nothing) by `block`,
/// below its line: the value goes, the rest of the line (a comment) stays.
pub(crate) fn open_block(text: &str, range: Range<usize>, block: &str) -> String {
    // An empty value holds no `#`: one in its range is a comment that stays.
    let value = &text[range.clone()];
    let value = value.find('#').map_or(value, |i| value[..i].trim_end());
    let range = range.start..range.start + value.len();
    let cut = text[..range.start].trim_end_matches(' ').len();
    let line_end = text[range.end..]
        .find('\n')
        .map_or(text.len(), |i| range.end + i + 1);
    let mut tail = text[range.end..line_end].to_string();
    if !tail.ends_with('\n') {
        tail.push_str(line_ending(text));
    }
    if (cut == 0 || text[..cut].ends_with('\n')) && tail.trim().is_empty() {
        tail.clear(); // the `{}` was alone on its line: the block takes the line
    }
    splice(text, cut..line_end, &format!("{tail}{block}"))
}
