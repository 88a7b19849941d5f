//! Errors printed the way cargo and rustc print theirs: a headline, `file:line:col`,
//! and the offending source line with a caret under the value at fault.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};

use crate::check::{Error, Location};

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let offset = (0..=offset)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Byte offset of a 1-based line and column, clamped to the text.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>()
        .min(text.len());
    let rest = &text[start..];
    let in_line = rest
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(rest.len(), |(i, _)| i);
    start + in_line
}

/// A set of errors together with the sources they point into.
#[derive(Clone, Debug)]
pub struct Report {
    /// How plan.toml is named in messages (a path relative to the repo root).
    pub plan_path: PathBuf,
    /// The text of plan.toml.
    pub plan_text: String,
    /// Texts of other files errors point into, for the source excerpt.
    pub files: BTreeMap<PathBuf, String>,
    /// The errors, in the order found.
    pub errors: Vec<Error>,
    /// Whether some files were already written when the error struck (a failed
    /// write, not a failed check); each of them was replaced whole.
    pub partial: bool,
    /// Whether the build ran in check mode (nothing is written; stale files are
    /// repaired by a local `cargo build`).
    pub check_mode: bool,
}

impl Report {
    /// A report on plan.toml alone.
    pub fn new(
        plan_path: impl Into<PathBuf>,
        plan_text: impl Into<String>,
        errors: Vec<Error>,
    ) -> Report {
        Report {
            plan_path: plan_path.into(),
            plan_text: plan_text.into(),
            files: BTreeMap::new(),
            errors,
            partial: false,
            check_mode: false,
        }
    }

    /// `file:line:col: message`, one line per error; what tests compare.
    pub fn lines(&self) -> Vec<String> {
        self.errors.iter().map(|e| self.line(e)).collect()
    }

    /// `file:line:col: message` for one error.
    pub fn line(&self, e: &Error) -> String {
        let (path, line, col) = self.position(e);
        format!("{}:{line}:{col}: {e}", path.display())
    }

    fn position<'a>(&'a self, e: &'a Error) -> (&'a Path, usize, usize) {
        match e.location() {
            Location::Plan { span, .. } => {
                let (line, col) = line_col(&self.plan_text, span.start as usize);
                (&self.plan_path, line, col)
            }
            Location::File { path, line, column } => (path, line, column),
        }
    }

    /// The report as cargo would print it, without colour.
    pub fn render(&self) -> String {
        let renderer = Renderer::plain();
        let mut out = String::new();
        for e in &self.errors {
            let message = e.to_string();
            if let Error::Stale { .. } = e {
                out.push_str(&format!("error: {}\n", self.line(e)));
                continue;
            }
            let title = Level::ERROR.primary_title(&message);
            let rendered = match e.location() {
                Location::Plan { span, related } => {
                    let mut snippet = Snippet::source(&self.plan_text)
                        .path(self.plan_path.to_str().unwrap_or("plan.toml"))
                        .annotation(
                            AnnotationKind::Primary
                                .span(clamp(&self.plan_text, span.range()))
                                .label(e.label()),
                        );
                    if let Some((other, label)) = related {
                        snippet = snippet.annotation(
                            AnnotationKind::Context
                                .span(clamp(&self.plan_text, other.range()))
                                .label(label),
                        );
                    }
                    renderer.render(&[title.element(snippet)])
                }
                Location::File { path, line, column } => match self.files.get(path) {
                    Some(text) => {
                        let at = offset_of(text, line, column);
                        let end = text[at..]
                            .find(['\n', '\r'])
                            .map_or(text.len(), |n| at + n)
                            .max(at);
                        let snippet = Snippet::source(text.as_str())
                            .path(path.to_str().unwrap_or("?"))
                            .annotation(AnnotationKind::Primary.span(at..end).label(e.label()));
                        renderer.render(&[title.element(snippet)])
                    }
                    None => format!("error: {message}\n  --> {}:{line}:{column}", path.display()),
                },
            };
            out.push_str(&rendered);
            out.push_str("\n\n");
        }
        let n = self.errors.len();
        let stale = self
            .errors
            .iter()
            .filter(|e| matches!(e, Error::Stale { .. }))
            .count();
        if stale > 0 {
            out.push_str(&format!(
                "\nerror: {stale} file{} differ{} from what plan.toml renders; run `cargo build` without CI (and without LBIPAM_CHECK) and commit the result\n",
                if stale == 1 { "" } else { "s" },
                if stale == 1 { "s" } else { "" },
            ));
            if stale == n {
                return out;
            }
        }
        out.push_str(&format!(
            "error: {n} error{} in the plan or the files it manages; {}\n",
            if n == 1 { "" } else { "s" },
            if self.partial {
                "files before the failing one were updated (each whole); run `cargo build` again"
            } else {
                "nothing was written"
            }
        ));
        out
    }
}

fn clamp(text: &str, r: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let end = r.end.min(text.len());
    r.start.min(end)..end
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl std::error::Error for Report {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one_in_characters() {
        let text = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        // After the two-byte é, the column counts characters.
        assert_eq!(line_col(text, 10), (2, 4));
        assert_eq!(offset_of(text, 2, 4), 10);
    }
}
