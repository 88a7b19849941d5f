//! Helpers for the `lbipam` tests: the repository, scratch copies, and running
//! the command line without color.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use lbipam_cli::{Env, Output, run};

/// The repository root (the directory holding plan.toml above this package).
pub fn repo() -> &'static Path {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .find(|dir| dir.join("plan.toml").is_file())
        .unwrap_or(here)
}

/// A scratch copy of the repository's GitOps content.
pub fn scratch_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for entry in ["plan.toml", "kubernetes", "bootstrap", "docs"] {
        let from = repo().join(entry);
        if from.exists() {
            copy(&from, &dir.path().join(entry));
        }
    }
    dir
}

fn copy(from: &Path, to: &Path) {
    if from.is_dir() {
        fs::create_dir_all(to).expect("mkdir");
        for e in fs::read_dir(from).expect("read_dir") {
            let e = e.expect("entry");
            copy(&e.path(), &to.join(e.file_name()));
        }
    } else {
        fs::copy(from, to).expect("copy");
    }
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
