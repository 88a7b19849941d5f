//! `lbipam check`: everything the build checks, writing nothing.

use std::path::Path;

use lbipam_core::diag::{Report, SHOWN_IN_FULL};

use crate::{CheckFormat, Output, formats};

pub(crate) fn run(plan_path: &Path, format: CheckFormat, all: bool) -> Output {
    // The gate `cargo test` runs: everything the build checks in check mode (the
    // plan, the compile-time proof, what each cluster applies and its audits,
    // committed files == plan), then the schema check of every object.
    let (report, failed) = match lbipam_gate::verify(crate::root_of(plan_path)) {
        Ok(passed) => (passed.warnings, false),
        Err(report) => (report, true),
    };
    let code = i32::from(failed);
    let stdout = match (format, failed) {
        (CheckFormat::Text, false) => {
            return Output {
                stderr: warnings(&report),
                ..crate::ok(format!(
                    "ok: {} and the files it manages agree\n",
                    plan_path.display()
                ))
            };
        }
        (CheckFormat::Text, true) => {
            return Output {
                code,
                stderr: warnings(&report) + &render(&report, all),
                ..Output::default()
            };
        }
        _ => machine(format, &formats::findings(&report)),
    };
    Output {
        code,
        stdout,
        ..Output::default()
    }
}

/// Each warning of the report on a line of its own, printable.
fn warnings(report: &Report) -> String {
    report
        .warning_lines()
        .iter()
        .map(|w| format!("{}\n", crate::printable(w)))
        .collect()
}

/// The findings in one of the machine formats (not text).
fn machine(format: CheckFormat, findings: &[formats::Finding]) -> String {
    match format {
        CheckFormat::Text | CheckFormat::Json => formats::json(findings),
        CheckFormat::Github => formats::github(findings),
        CheckFormat::Sarif => formats::sarif(findings),
        CheckFormat::Junit => formats::junit(findings),
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

/// A plan that cannot be found, in a machine format: one `unreadable` error
/// at the first line of `file`, exit code 1.
pub(crate) fn missing_plan(format: CheckFormat, file: &str, message: &str) -> Output {
    let error = lbipam_core::diag::error::Error::file(
        lbipam_core::diag::codes::Code::Unreadable,
        file,
        1,
        1,
        message.to_owned(),
    );
    let report = Report::new(file, String::new(), vec![error]);
    Output {
        code: 1,
        stdout: machine(format, &formats::findings(&report)),
        ..Output::default()
    }
}
