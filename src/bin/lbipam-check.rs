//! `lbipam-check [--all]`: what `lbipam check` checks but the schema check (the
//! plan, the audits, committed == rendered: core's `verify`), for pre-commit.
//! Its `language: rust` installs the binaries of this repository's root package
//! (`cargo install --bins --path .`), while `lbipam` is the `cli/` package's; so
//! this one is built on the library alone, and `cargo build` stays as cheap as
//! the build script needs.
//!
//! Run at the root of a repository with a `plan.toml`: exit 0 when the plan and
//! the files it manages agree, 1 with every error on stderr otherwise, 2 on
//! unknown arguments.

use std::path::Path;
use std::process::ExitCode;

use lbipam_core::diag::{Report, SHOWN_IN_FULL};

fn main() -> ExitCode {
    let mut all = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--all" => all = true,
            _ => {
                eprintln!("error: unexpected argument {arg:?}\nusage: lbipam-check [--all]");
                return ExitCode::from(2);
            }
        }
    }
    match lbipam_core::verify(Path::new(lbipam_core::plan::layout::PLAN_FILE)) {
        Ok(passed) => {
            for warning in passed.warning_lines() {
                eprintln!("{}", lbipam_core::text::one_line(&warning));
            }
            println!("ok: plan.toml and the files it manages agree");
            ExitCode::SUCCESS
        }
        Err(report) if all => {
            print_warnings(&report);
            eprint!("{}", report.render_all());
            ExitCode::FAILURE
        }
        Err(report) => {
            print_warnings(&report);
            eprint!("{}", report.render());
            if report.errors.len() > SHOWN_IN_FULL {
                eprintln!("note: run `lbipam-check --all` to print every error in full");
            }
            ExitCode::FAILURE
        }
    }
}

/// The warnings of a failed check, before its errors.
fn print_warnings(report: &Report) {
    for warning in report.warning_lines() {
        eprintln!("{}", lbipam_core::text::one_line(&warning));
    }
}
