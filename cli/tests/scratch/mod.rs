//! Scratch repositories for the CLI tests: copies of the frozen seed repository
//! (`core/tests/fixtures/seed/`) in temporary directories, optionally under git.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use lbipam_cli::{Env, Output, run};

/// The frozen seed repository.
pub fn seed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/fixtures/seed")
}

/// This repository's root (where `.pre-commit-hooks.yaml` and `examples/` are).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A copy of the seed repository in a fresh temporary directory.
pub fn seed() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy(&seed_dir(), dir.path());
    dir
}

fn copy(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for e in fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy(&e.path(), &target);
        } else {
            fs::copy(e.path(), target).expect("copy");
        }
    }
}

/// A copy of the seed repository as a git repository on branch `main` with
/// one commit.
pub fn seed_git() -> tempfile::TempDir {
    let dir = seed();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    commit_all(dir.path(), "the seed");
    dir
}

/// `git ARGS` in `dir`, which must succeed; its stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
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

/// Replaces the first `from` in a file below `root`, which must contain it.
pub fn replace(root: &Path, path: &str, from: &str, to: &str) {
    let file = root.join(path);
    let text = fs::read_to_string(&file).expect("read");
    assert!(text.contains(from), "{path} must contain {from:?}");
    fs::write(file, text.replacen(from, to, 1)).expect("write");
}

/// Writes `text` at `path` below `root`, making its directories.
pub fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, text).expect("write");
}

/// A LoadBalancer Service asking for `ip`.
pub fn service(name: &str, ip: &str, annotations: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: default\n  annotations:\n    lbipam.cilium.io/ips: \"{ip}\"\n{annotations}spec:\n  type: LoadBalancer\n  ports:\n    - port: 80\n"
    )
}

/// Runs `lbipam ARGS` in `dir`, without color.
pub fn lbipam(dir: &Path, args: &[&str]) -> Output {
    let env = Env {
        cwd: dir.to_path_buf(),
        color: false,
    };
    run(std::iter::once("lbipam").chain(args.iter().copied()), &env)
}

/// Every file below `root` (`.git` left out) with its bytes.
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
    for e in fs::read_dir(dir).expect("read_dir") {
        let path = e.expect("entry").path();
        if path.file_name().is_some_and(|n| n == ".git") {
            continue;
        }
        if path.is_dir() {
            walk(root, &path, out);
        } else {
            let rel = path.strip_prefix(root).expect("under root").to_path_buf();
            out.insert(rel, fs::read(&path).expect("read"));
        }
    }
}
