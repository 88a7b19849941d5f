//! `lbipam check`: everything the build checks, writing nothing.

use std::path::Path;

use lbipam_core::check::Location;
use lbipam_core::diag::{Report, SHOWN_IN_FULL};

use crate::Output;

pub(crate) fn run(plan_path: &Path, json: bool, all: bool) -> Output {
    // Everything the build checks in check mode: the plan, the compile-time proof,
    // what each cluster applies and its audits, committed files == plan.
    let result = lbipam_core::verify(plan_path);
    match (result, json) {
        (Ok(notices), false) => Output {
            stderr: notices
                .iter()
                .map(|n| format!("warning: {}\n", crate::printable(n)))
                .collect(),
            ..crate::ok(format!(
                "ok: {} and the files it manages agree\n",
                plan_path.display()
            ))
        },
        (Ok(_), true) => crate::ok("[]\n".to_owned()),
        (Err(report), false) => Output {
            code: 1,
            stderr: render(&report, all),
            ..Output::default()
        },
        (Err(report), true) => Output {
            code: 1,
            stdout: to_json(&report),
            ..Output::default()
        },
    }
}

/// The report as the build prints it: without `all`, the first
/// [`SHOWN_IN_FULL`] errors in full and a count of the rest by kind, and how to
/// see them all.
pub(crate) fn render(report: &Report, all: bool) -> String {
    if all {
        return report.render_all();
    }
    let text = report.render();
    if report.errors.len() > SHOWN_IN_FULL {
        format!("{text}note: run `lbipam check --all` to print every error in full\n")
    } else {
        text
    }
}

/// Line starts of a text, to turn byte offsets into line and column in
/// O(log n) each (the report's own lookup scans from the start, which is slow
/// for tens of thousands of errors in a big plan).
struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Lines<'a> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { text, starts }
    }

    /// 1-based line and column (in characters), as `Report::line` counts them.
    fn at(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        (line, self.text[start..offset].chars().count() + 1)
    }
}

/// The JSON of one error in a file, at its first line: a plan that cannot be
/// found or read.
pub(crate) fn file_error_json(file: &str, message: &str) -> String {
    let error = lbipam_core::error::Error::File {
        path: file.into(),
        line: 1,
        column: 1,
        message: message.to_owned(),
    };
    to_json(&Report::new(file, String::new(), vec![error]))
}

/// One JSON object per error: `file`, `line`, `col`, `code`, `message`; in an
/// array, one object per line.
pub(crate) fn to_json(report: &Report) -> String {
    let lines = Lines::new(&report.plan_text);
    let objects: Vec<String> = report
        .errors
        .iter()
        .map(|e| {
            let (file, line, col) = match e.location() {
                Location::Plan { span, .. } => {
                    let (line, col) = lines.at(span.start as usize);
                    (report.plan_path.display().to_string(), line, col)
                }
                Location::File { path, line, column } => (path.display().to_string(), line, column),
            };
            // Written by hand to keep the documented key order; strings by serde_json.
            let string = |s: &str| serde_json::Value::from(s).to_string();
            format!(
                "{{\"file\":{},\"line\":{line},\"col\":{col},\"code\":{},\"message\":{}}}",
                string(&file),
                string(e.code()),
                string(&e.to_string())
            )
        })
        .collect();
    if objects.is_empty() {
        "[]\n".to_owned()
    } else {
        format!("[\n{}\n]\n", objects.join(",\n"))
    }
}
