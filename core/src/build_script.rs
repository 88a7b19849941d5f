//! What a repository's `build.rs` runs: one call, [`run`].

use std::path::{Path, PathBuf};

use crate::mode::{CHECK_VARS, Mode};
use crate::plan::Plan;
use crate::plan::layout;
use crate::text::one_line;

/// Runs the build for the crate whose `build.rs` calls it: builds in the mode the
/// environment selects (`Mode::from_env`), prints one `cargo::warning` per file
/// written or deleted, tells cargo what to watch, and on any error prints the
/// report and exits non-zero.
pub fn run() {
    let dir = |var: &str| PathBuf::from(std::env::var_os(var).unwrap_or_default());
    let (root, out_dir) = (dir("CARGO_MANIFEST_DIR"), dir("OUT_DIR"));
    let plan = crate::generate::load(&root);
    let result = plan
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|plan| crate::generate::build_plan(&root, &out_dir, plan, Mode::from_env()));
    // After the build, so that what it just wrote is watched too.
    watch(&root, plan.as_ref().ok());
    match result {
        Ok(summary) => {
            for notice in summary.change_lines() {
                // cargo reads directives line by line: a line break in a file name
                // (`x\ncargo::rustc-env=…`) would start a directive of its own.
                println!("cargo::warning={}", one_line(&notice));
            }
        }
        Err(report) => {
            for warning in report.warning_lines() {
                println!("cargo::warning={}", one_line(&warning));
            }
            eprintln!("{report}");
            std::process::exit(1);
        }
    }
}

/// Tells cargo to re-run the build on a change to plan.toml, to the selecting
/// environment variables, and to every file the build reads, edits or writes
/// (where the plan's layout puts them): a hand edit anywhere re-runs the build, so
/// check mode catches it even with a warm target directory. After a build that
/// wrote files, the next one re-runs once, finds nothing to do, and the crate is
/// Fresh.
fn watch(root: &Path, plan: Option<&Plan>) {
    println!("cargo::rerun-if-changed={}", layout::PLAN_FILE);
    if let Some(plan) = plan {
        let clusters: Vec<&str> = plan.clusters.iter().map(|c| &*c.name.item).collect();
        // A path that does not exist would make cargo re-run the script on every
        // build (an unused default such as `bootstrap/`).
        for input in plan.layout.inputs(&clusters) {
            let shown = input.display().to_string();
            // A path cannot be escaped for cargo; one with a line break (which
            // the plan's checks refuse) is not watched rather than split.
            if root.join(&input).exists() && one_line(&shown) == shown {
                println!("cargo::rerun-if-changed={shown}");
            }
        }
    }
    for var in CHECK_VARS {
        println!("cargo::rerun-if-env-changed={var}");
    }
}
