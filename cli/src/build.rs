//! `lbipam build`: the build's write mode without Cargo, for a repository that
//! holds only plan.toml and its GitOps tree.

use std::path::Path;

use lbipam_core::Mode;

use crate::Output;

/// Loads plan.toml and runs the build's own library call
/// ([`lbipam_core::generate::build_files`], which `build.rs` runs too) in write
/// mode: every check first, then — only if all passed — the files that changed
/// are written. Prints what the build script prints as `cargo::warning`s, one a
/// line; on any error, the build's report and nothing written.
pub(crate) fn run(plan_path: &Path) -> Output {
    let root = crate::root_of(plan_path);
    let plan = match lbipam_core::generate::load(root) {
        Ok(plan) => plan,
        Err(report) => return crate::invalid(&report),
    };
    match lbipam_core::generate::build_files(root, &plan, Mode::Write) {
        Ok(summary) => {
            let mut stdout: String = summary
                .change_lines()
                .iter()
                .map(|n| format!("{}\n", crate::printable(n)))
                .collect();
            if summary.changes.is_empty() {
                stdout.push_str(
                    "ok: nothing to write, the files already are what plan.toml renders\n",
                );
            } else {
                stdout.push_str(&format!(
                    "ok: {} file(s) changed from plan.toml\n",
                    summary.changes.len()
                ));
            }
            crate::ok(stdout)
        }
        Err(report) => Output {
            code: 1,
            stderr: format!("{report}\n"),
            ..Output::default()
        },
    }
}
