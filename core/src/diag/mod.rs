//! Errors printed the way cargo and rustc print theirs: a headline, `file:line:col`,
//! and the offending source line with a caret under the value at fault.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

pub mod codes;
pub mod error;
pub mod rule;

pub use error::Span;

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};

use crate::diag::error::{Error, Location};
use crate::text::LineIndex;

/// The lines of a text an excerpt is cut from.
type Lines<'a> = LineIndex<'a>;

/// The largest char boundary at or before `i`, clamped to the text.
fn floor_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The smallest char boundary at or after `i`, clamped to the text.
fn ceil_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Longest line shown whole in an excerpt; a longer one is clipped to
/// [`CONTEXT`] bytes either side of what it points at (the renderer trims the
/// rest to the terminal width anyway), so one excerpt costs its own size, not
/// its line's.
const LONG_LINE: usize = 1024;
/// Bytes kept either side of a span in a clipped line.
const CONTEXT: usize = 256;
/// Most bytes of a span shown in a clipped line.
const LONG_SPAN: usize = 512;
/// Two spans whose lines lie within this many bytes share one excerpt (the
/// renderer folds the lines between them); farther apart, each gets its own.
const NEAR: usize = 4096;

/// A piece of a text to show: whole lines, or a window of one long line, and
/// where it starts.
struct Excerpt<'a> {
    source: &'a str,
    /// Byte offset of `source` in the text.
    at: usize,
    /// 1-based line number of the first line of `source`.
    line: usize,
    /// Whether `source` starts inside its line (the renderer then counts
    /// columns from the cut, and the header must be corrected).
    cut: bool,
}

/// Excerpts of an indexed text.
trait Excerpts<'a> {
    fn excerpt(&self, span: Range<usize>) -> Excerpt<'a>;
    fn excerpt_of(&self, first: Range<usize>, last: Range<usize>) -> Excerpt<'a>;
    fn near(&self, a: &Range<usize>, b: &Range<usize>) -> bool;
}

impl<'a> Excerpts<'a> for LineIndex<'a> {
    /// The lines holding `span`, or a window around it if they are long.
    fn excerpt(&self, span: Range<usize>) -> Excerpt<'a> {
        self.excerpt_of(span.clone(), span)
    }

    /// One excerpt showing both spans (lines `a`..=`b`), as whole lines if
    /// that is small, else a window of their one shared long line.
    fn excerpt_of(&self, first: Range<usize>, last: Range<usize>) -> Excerpt<'a> {
        let (la, lb) = (self.line_of(first.start), self.line_of(last.end));
        let whole = self.line_range(la).start..self.line_range(lb).end;
        if whole.len() <= LONG_LINE || la != lb {
            return Excerpt {
                source: &self.text()[whole.clone()],
                at: whole.start,
                line: la + 1,
                cut: false,
            };
        }
        let lo = floor_boundary(
            self.text(),
            first.start.saturating_sub(CONTEXT).max(whole.start),
        );
        let shown_end = last.end.min(last.start + LONG_SPAN);
        let hi = ceil_boundary(self.text(), (shown_end + CONTEXT).min(whole.end));
        Excerpt {
            source: &self.text()[lo..hi],
            at: lo,
            line: la + 1,
            cut: lo > whole.start,
        }
    }

    /// Whether two spans can share one excerpt of bounded size: on one line,
    /// short or with the spans close together; or on short lines close together.
    fn near(&self, a: &Range<usize>, b: &Range<usize>) -> bool {
        let (first, last) = if a.start <= b.start { (a, b) } else { (b, a) };
        let (la, lb) = (self.line_of(first.start), self.line_of(last.end));
        if la == lb {
            return self.line_range(la).len() <= LONG_LINE || last.end - first.start <= LONG_SPAN;
        }
        self.line_range(lb).end - self.line_range(la).start <= NEAR
            && (la..=lb).all(|l| self.line_range(l).len() <= LONG_LINE)
    }
}

/// A span of the text as a range inside an excerpt, clamped to it.
fn inside(ex: &Excerpt<'_>, span: &Range<usize>) -> Range<usize> {
    let end = span.end.saturating_sub(ex.at).min(ex.source.len());
    span.start.saturating_sub(ex.at).min(end)..end
}

/// How many errors [`Report::render`] shows in full; the rest are counted by kind.
pub const SHOWN_IN_FULL: usize = 50;

/// The findings of a run: the errors, which fail it, and the warnings, which
/// do not, together with the sources they point into. A warning is a finding
/// of the same type as an error ([`Error`], with its own code and place); only
/// the list it is in says it does not fail the build.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// How plan.toml is named in messages (a path relative to the repo root).
    pub plan_path: PathBuf,
    /// The text of plan.toml (shared: a report is cloned for each of its
    /// readers, and kept small enough to return by value).
    pub plan_text: std::sync::Arc<str>,
    /// Texts of other files errors point into, for the source excerpt.
    pub files: BTreeMap<PathBuf, String>,
    /// The errors, in the order found.
    pub errors: Vec<Error>,
    /// What the user should know without failing (a file the audits skipped, a
    /// Service that gets one address family only), in the order found.
    pub warnings: Vec<Error>,
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
            plan_text: plan_text.into().into(),
            files: BTreeMap::new(),
            errors,
            warnings: Vec::new(),
            partial: false,
            check_mode: false,
        }
    }

    /// `file:line:col: message`, one line per error; what tests compare.
    /// Linear in the text and the number of errors (plus a sort of the offsets).
    pub fn lines(&self) -> Vec<String> {
        let positions = self.plan_positions(&self.errors);
        self.errors
            .iter()
            .zip(positions)
            .map(|(e, at)| self.line_at(e, at))
            .collect()
    }

    /// `warning[code]: file:line:col: message (help: …)`, one line per warning:
    /// what a build prints as `cargo::warning` and `lbipam` on stderr.
    pub fn warning_lines(&self) -> Vec<String> {
        let positions = self.plan_positions(&self.warnings);
        self.warnings
            .iter()
            .zip(positions)
            .map(|(w, at)| {
                let help = w.help().map_or(String::new(), |h| format!(" (help: {h})"));
                format!("warning[{}]: {}{help}", w.code(), self.line_at(w, at))
            })
            .collect()
    }

    /// `file:line:col: message` for one error.
    pub fn line(&self, e: &Error) -> String {
        self.line_at(e, self.plan_positions(std::slice::from_ref(e))[0])
    }

    fn line_at(&self, e: &Error, (line, col): (usize, usize)) -> String {
        match e.location() {
            Location::Plan { .. } => format!("{}:{line}:{col}: {e}", self.plan_path.display()),
            Location::File { path, line, column } => {
                format!("{}:{line}:{column}: {e}", path.display())
            }
        }
    }

    /// Line and column in plan.toml of each error's span, all in one pass;
    /// `(1, 1)` for errors in other files.
    fn plan_positions(&self, errors: &[Error]) -> Vec<(usize, usize)> {
        let index = LineIndex::new(&self.plan_text);
        let at = |e: &Error| match e.location() {
            Location::Plan { span, .. } => index.line_col(span.start as usize),
            Location::File { .. } => (1, 1),
        };
        errors.iter().map(at).collect()
    }

    /// The report as cargo would print it, without colour: the first
    /// [`SHOWN_IN_FULL`] errors with their source excerpts, then how many more
    /// there are of each kind, so a plan with a hundred thousand errors still
    /// prints a page. [`Report::render_all`] shows every one.
    pub fn render(&self) -> String {
        self.render_first(SHOWN_IN_FULL)
    }

    /// The report with every error in full (a `--all` option); each excerpt
    /// costs its own size, so this is linear in the number of errors.
    pub fn render_all(&self) -> String {
        self.render_first(usize::MAX)
    }

    /// Every error in full with its excerpt, and nothing else: no count of the
    /// rest, no summary line. For a report that words its own summary (`lbipam
    /// live`, whose findings are about clusters, not about the files it writes).
    pub fn render_each(&self) -> String {
        self.excerpts(&self.errors)
    }

    fn render_first(&self, limit: usize) -> String {
        let (shown, rest) = self.errors.split_at(limit.min(self.errors.len()));
        let mut out = self.excerpts(shown);
        out.push_str(&not_shown(rest));
        let n = self.errors.len();
        let stale = self
            .errors
            .iter()
            .filter(|e| matches!(e, Error::Stale { .. }))
            .count();
        if stale > 0 {
            out.push_str(&format!(
                "\nerror: {stale} file{} differ{} from what plan.toml renders; {}\n",
                if stale == 1 { "" } else { "s" },
                if stale == 1 { "s" } else { "" },
                error::STALE_HELP,
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

    /// Each of `shown` in full with its excerpt, in order.
    fn excerpts(&self, shown: &[Error]) -> String {
        let plan = Lines::new(&self.plan_text);
        let at = self.plan_positions(shown);
        let mut files: BTreeMap<&Path, Lines<'_>> = BTreeMap::new();
        let mut out = String::new();
        for (e, at) in shown.iter().zip(at) {
            if let Error::Stale { .. } = e {
                out.push_str(&format!("error: {}\n", self.line(e)));
                continue;
            }
            let rendered = match e.location() {
                Location::Plan { span, related } => {
                    let related = related.map(|(s, label)| (s.range(), label));
                    self.render_excerpt(e, &plan, &self.plan_path, span.range(), at, related)
                }
                Location::File { path, line, column } => match self.files.get(path) {
                    Some(text) => {
                        let lines = files.entry(path).or_insert_with(|| Lines::new(text));
                        let start = lines.offset_of(line, column);
                        let end = text[start..]
                            .find(['\n', '\r'])
                            .map_or(text.len(), |n| start + n);
                        let at = (line, column);
                        self.render_excerpt(e, lines, path, start..end, at, None)
                    }
                    None => {
                        let mut out =
                            format!("error: {e}\n  --> {}:{line}:{column}", path.display());
                        for note in footer(e) {
                            out.push_str(&format!("\n  = {note}"));
                        }
                        out
                    }
                },
            };
            out.push_str(&rendered);
            out.push_str("\n\n");
        }
        out
    }

    /// One error with the excerpt of `span` (at `pos`, 1-based) and of a
    /// related span: in one excerpt when they are near, else in two.
    fn render_excerpt(
        &self,
        e: &Error,
        lines: &Lines<'_>,
        path: &Path,
        span: Range<usize>,
        pos: (usize, usize),
        related: Option<(Range<usize>, &'static str)>,
    ) -> String {
        let parts = parts(e, lines, span, pos, related);
        let path = path.to_str().unwrap_or("?");
        let mut fixes = Vec::new();
        let snippets: Vec<_> = parts
            .iter()
            .map(|part| {
                fixes.extend(part.column_fix(path));
                part.snippet(path)
            })
            .collect();
        let message = e.to_string();
        let title = Level::ERROR.primary_title(&message);
        let notes = footer(e);
        let notes = notes.iter().map(|n| match n {
            Footer::Note(text) => Level::NOTE.message(text.as_str()),
            Footer::Help(text) => Level::HELP.message(*text),
        });
        let group = title.elements(snippets).elements(notes);
        let mut rendered = Renderer::plain().render(&[group]);
        for (from, to) in fixes {
            rendered = rendered.replacen(&from, &to, 1);
        }
        rendered
    }
}

/// One excerpt of an error: its marks, its header (`-->` names the error's
/// place, `:::` the related one's) and the real position of its first mark.
struct Part<'a> {
    excerpt: Excerpt<'a>,
    marks: Vec<Mark>,
    arrow: &'static str,
    at: (usize, usize),
}

/// The excerpts of an error at `span` (at `pos`) with its related span: one
/// showing both when they are near, else one each.
fn parts<'a>(
    e: &Error,
    lines: &Lines<'a>,
    span: Range<usize>,
    pos: (usize, usize),
    related: Option<(Range<usize>, &'static str)>,
) -> Vec<Part<'a>> {
    let text = lines.text();
    let span = clamp(text, span);
    let primary = Mark {
        primary: true,
        span: span.clone(),
        label: e.label(),
    };
    let part = |excerpt, marks, arrow, at| Part {
        excerpt,
        marks,
        arrow,
        at,
    };
    match related.map(|(r, label)| (clamp(text, r), label)) {
        Some((other, label)) if lines.near(&span, &other) => {
            let ex = if other.start < span.start {
                lines.excerpt_of(other.clone(), span.clone())
            } else {
                lines.excerpt_of(span.clone(), other.clone())
            };
            let context = Mark::context(other, label);
            vec![part(ex, vec![primary, context], "-->", pos)]
        }
        Some((other, label)) => vec![
            part(lines.excerpt(span.clone()), vec![primary], "-->", pos),
            part(
                lines.excerpt(other.clone()),
                vec![Mark::context(other.clone(), label)],
                ":::",
                lines.line_col(other.start),
            ),
        ],
        None => vec![part(lines.excerpt(span), vec![primary], "-->", pos)],
    }
}

impl<'a> Part<'a> {
    /// The excerpt as the renderer takes it.
    fn snippet(&self, path: &'a str) -> Snippet<'a, annotate_snippets::Annotation<'a>> {
        let ex = &self.excerpt;
        Snippet::source(ex.source)
            .line_start(ex.line)
            .path(path)
            .annotations(self.marks.iter().map(|m| {
                let kind = if m.primary {
                    AnnotationKind::Primary
                } else {
                    AnnotationKind::Context
                };
                kind.span(inside(ex, &m.span)).label(m.label)
            }))
    }

    /// The renderer counts columns from a cut: the header it prints for a cut
    /// excerpt, and the one with the real column to put in its place.
    fn column_fix(&self, path: &str) -> Option<(String, String)> {
        let ex = &self.excerpt;
        if !ex.cut {
            return None;
        }
        let (arrow, (line, col)) = (self.arrow, self.at);
        let shown = ex.source[..inside(ex, &self.marks[0].span).start]
            .chars()
            .count()
            + 1;
        Some((
            format!("{arrow} {path}:{line}:{shown}\n"),
            format!("{arrow} {path}:{line}:{col}\n"),
        ))
    }
}

/// A line under an error's excerpt: a related place, or what to do.
enum Footer {
    Note(String),
    Help(&'static str),
}

impl fmt::Display for Footer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Footer::Note(text) => write!(f, "note: {text}"),
            Footer::Help(text) => write!(f, "help: {text}"),
        }
    }
}

/// The related places of `e` in other files, then its help: added here, when
/// the finding is shown, not carried by its message.
fn footer(e: &Error) -> Vec<Footer> {
    let related = e.related_files().iter().map(|r| {
        let at = format!("{}:{}:{}", r.path.display(), r.line, r.column);
        Footer::Note(format!("{}: {}", r.label, crate::text::one_line(&at)))
    });
    related.chain(e.help().map(Footer::Help)).collect()
}

/// An annotation of an excerpt: a span of the whole text and its label.
struct Mark {
    primary: bool,
    span: Range<usize>,
    label: &'static str,
}

impl Mark {
    fn context(span: Range<usize>, label: &'static str) -> Mark {
        Mark {
            primary: false,
            span,
            label,
        }
    }
}

/// A span clamped to the text and to char boundaries.
fn clamp(text: &str, r: Range<usize>) -> Range<usize> {
    let end = floor_boundary(text, r.end);
    floor_boundary(text, r.start).min(end)..end
}

/// What [`Report::render`] leaves out: how many errors of each kind, in the
/// order their kinds first appear.
fn not_shown(rest: &[Error]) -> String {
    if rest.is_empty() {
        return String::new();
    }
    let mut kinds: Vec<(String, usize)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for e in rest {
        let kind = e.kind();
        match index.get(&kind) {
            Some(&i) => kinds[i].1 += 1,
            None => {
                index.insert(kind.clone(), kinds.len());
                kinds.push((kind, 1));
            }
        }
    }
    let n = rest.len();
    let mut out = format!(
        "note: {n} more error{} not shown in full, by kind:\n",
        if n == 1 { "" } else { "s" }
    );
    let width = n.to_string().len();
    for (kind, count) in kinds {
        out.push_str(&format!("  {count:>width$} {kind}\n"));
    }
    out.push('\n');
    out
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
    fn a_span_on_a_long_line_is_shown_in_a_window_of_the_line() {
        let text = format!("x = [{}]\n", "\"a\", ".repeat(10_000));
        let lines = Lines::new(&text);
        let at = text.len() / 2;
        let ex = lines.excerpt(at..at + 3);
        assert!(ex.cut);
        assert!(
            ex.source.len() <= 2 * CONTEXT + 3 + 8,
            "{}",
            ex.source.len()
        );
        assert_eq!(&text[ex.at..ex.at + ex.source.len()], ex.source);
        assert_eq!(ex.line, 1);
        // Short lines are shown whole.
        let short = Lines::new("a\nbb = 1\nc\n");
        let ex = short.excerpt(5..6);
        assert_eq!((ex.source, ex.line, ex.cut), ("bb = 1", 2, false));
    }
}
