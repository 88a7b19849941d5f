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
pub use repo_helpers::{
    add_flux, edit, read, scratch_repo, service, service_with, snapshot, unbuilt_seed, write,
};

/// This repository's root (where `.pre-commit-hooks.yaml` and `examples/` are).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Replaces the first `from` in the file at `path` below `root`.
pub fn replace(root: &Path, path: &str, from: &str, to: &str) {
    edit(&root.join(path), from, to);
}

/// A built scratch copy of the seed as a git repository on branch `main` with
/// one commit.
pub fn seed_git() -> tempfile::TempDir {
    let dir = scratch_repo();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    commit_all(dir.path(), "the seed");
    dir
}

/// `git ARGS` in `dir`, which must succeed; its stdout. Identity, signing and
/// hooks are set here so the user's git configuration cannot change a test.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=test", "-c", "user.email=test@example.org"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "core.hooksPath=.git/hooks",
        ])
        .args(args)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Commits every change in `dir`.
pub fn commit_all(dir: &Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "--no-verify", "-m", message]);
}

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
