//! Helpers for the `lbipam` tests: the repository, scratch copies, and running
//! the command line without color.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use lbipam_cli::{Env, Output, run};

// The repository and its scratch copies: the root crate's test helpers.
#[path = "../../../core/tests/common/mod.rs"]
mod repo_helpers;

// Each test file uses its own part of the helpers.
#[allow(unused_imports)]
pub use repo_helpers::{add_flux, scratch_repo, service, write};

/// A temporary directory holding only `plan.toml` with this text.
pub fn plan_only(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join("plan.toml"), text).expect("write plan");
    dir
}

/// Runs `lbipam ARGS` in `dir`, without color.
pub fn lbipam(dir: &Path, args: &[&str]) -> Output {
    let env = Env {
        cwd: dir.to_path_buf(),
        color: false,
    };
    run(std::iter::once("lbipam").chain(args.iter().copied()), &env)
}

/// `plan.toml` of a directory.
pub fn plan_of(dir: &Path) -> PathBuf {
    dir.join("plan.toml")
}

/// Asserts a successful run with exactly this stdout and no stderr.
#[track_caller]
pub fn assert_ok(out: &Output, stdout: &str) {
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (0, ""),
        "stdout:\n{}",
        out.stdout
    );
    assert_eq!(out.stdout, stdout);
}
