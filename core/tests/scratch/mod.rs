//! Scratch repositories for the hardening tests: a copy of the frozen seed
//! fixture (`core/tests/fixtures/seed/`) in a fresh temporary directory, and
//! what the tests need to prove a failed build left it byte for byte as it was.
//! Nothing here reads or writes outside the fixture and the temporary directory.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The frozen seed repository the scratch copies are made from.
pub fn seed() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed")
}

/// A copy of the seed repository in a fresh temporary directory, built.
pub fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy(&seed(), dir.path());
    // The fixture keeps only what is written by hand: build it as a user would.
    let out = tempfile::tempdir().expect("out dir");
    lbipam_core::build_with(dir.path(), out.path(), lbipam_core::Mode::Write)
        .unwrap_or_else(|r| panic!("the seed fixture must build: {r}"));
    dir
}

fn copy(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for e in fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if e.file_type().expect("type").is_dir() {
            copy(&src, &dst);
        } else {
            fs::copy(&src, &dst).expect("copy");
        }
    }
}

/// What is at a path of a snapshot: a file's bytes, a directory, a link's
/// target, or something else (a FIFO) by its mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    File(Vec<u8>),
    Dir(u32),
    Link(PathBuf),
    Other(u32),
}

/// Everything under `root` (symlinks not followed, special files not opened),
/// with permissions of directories: compare two to prove nothing changed.
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, Node> {
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Node>) {
    use std::os::unix::fs::PermissionsExt;
    for e in fs::read_dir(dir).expect("read_dir") {
        let path = e.expect("entry").path();
        let rel = path.strip_prefix(root).expect("under root").to_path_buf();
        let meta = fs::symlink_metadata(&path).expect("metadata");
        let mode = meta.permissions().mode();
        let node = if meta.file_type().is_symlink() {
            Node::Link(fs::read_link(&path).expect("link"))
        } else if meta.is_dir() {
            walk(root, &path, out);
            Node::Dir(mode)
        } else if meta.is_file() {
            Node::File(fs::read(&path).expect("read"))
        } else {
            Node::Other(mode)
        };
        out.insert(rel, node);
    }
}

/// Replaces the first `from` in the file `rel` of `root`, which must hold it.
pub fn edit(root: &Path, rel: &str, from: &str, to: &str) {
    let path = root.join(rel);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert!(text.contains(from), "{rel} must contain {from:?}");
    fs::write(&path, text.replacen(from, to, 1)).expect("write");
}

/// Adds `[layout]` lines to the scratch plan (the seed has no `[layout]`).
pub fn layout(root: &Path, lines: &str) {
    let path = root.join("plan.toml");
    let mut text = fs::read_to_string(&path).expect("plan");
    assert!(!text.contains("[layout]"), "the seed plan has no [layout]");
    text.push_str("\n[layout]\n");
    text.push_str(lines);
    text.push('\n');
    fs::write(&path, text).expect("write plan");
}

/// Writes `text` at `rel` under `root`, making its directories.
pub fn put(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, text).expect("write");
}

/// Makes a FIFO at `root/rel` (its directory must exist).
pub fn fifo(root: &Path, rel: &str) {
    let path = root.join(rel);
    let _ = fs::remove_file(&path);
    let status = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .expect("mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// A build in write mode with a fresh OUT_DIR inside the scratch directory's
/// sibling temp dir: the report's lines on failure.
pub fn build(root: &Path) -> Result<lbipam_core::generate::Summary, Vec<String>> {
    let out = tempfile::tempdir().expect("out dir");
    lbipam_core::build_with(root, out.path(), lbipam_core::Mode::Write).map_err(|r| r.lines())
}

/// Builds, expecting failure, and proves the tree did not change: the
/// report's lines.
pub fn fails_untouched(root: &Path) -> Vec<String> {
    let before = snapshot(root);
    let lines = match build(root) {
        Ok(summary) => panic!("the build passed: {:?}", summary.change_lines()),
        Err(lines) => lines,
    };
    assert_eq!(
        snapshot(root),
        before,
        "a failed build changed the tree: {lines:#?}"
    );
    lines
}

/// Whether some line contains every one of `parts`.
pub fn has(lines: &[String], parts: &[&str]) -> bool {
    lines.iter().any(|l| parts.iter().all(|p| l.contains(p)))
}

/// Asserts some line contains every one of `parts`.
#[track_caller]
pub fn assert_has(lines: &[String], parts: &[&str]) {
    assert!(has(lines, parts), "no line with {parts:?} in {lines:#?}");
}
