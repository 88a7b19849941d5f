//! Helpers shared by the tool's tests: scratch copies of the frozen seed
//! repository, snapshots and small edits.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// This crate's directory: its test fixtures and catalogues live below it.
pub fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The frozen seed repository (`tests/fixtures/seed`): its plan.toml and the files
/// written by hand, without what the build generates.
pub fn seed() -> &'static Path {
    // Found from the crate whose tests include this module: a member of the
    // workspace (through `..`) or the root package.
    static SEED: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    SEED.get_or_init(|| {
        let krate = Path::new(env!("CARGO_MANIFEST_DIR"));
        let from_root = krate.join("core/tests/fixtures/seed");
        if from_root.is_dir() {
            from_root
        } else {
            krate.join("../core/tests/fixtures/seed")
        }
    })
}

/// A scratch copy of the seed repository, built once in write mode: the tree a
/// user of the seed plan commits.
pub fn scratch_repo() -> tempfile::TempDir {
    let dir = unbuilt_seed();
    let out = tempfile::tempdir().expect("out dir");
    lbipam_core::build_with(dir.path(), out.path(), lbipam_core::Mode::Write)
        .unwrap_or_else(|r| panic!("the seed fixture must build: {r}"));
    dir
}

/// A scratch copy of the seed repository as it is kept: plan.toml and the files
/// written by hand, nothing generated yet.
pub fn unbuilt_seed() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for entry in ["plan.toml", "kubernetes", "bootstrap", "docs"] {
        let from = seed().join(entry);
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

/// Every file under `root` (`.git` left out) with its bytes: compare two to prove
/// nothing changed.
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

/// Replaces the first occurrence of `from` in a file, which must contain it.
pub fn edit(path: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).expect("read");
    assert!(
        text.contains(from),
        "{} must contain {from:?}",
        path.display()
    );
    fs::write(path, text.replacen(from, to, 1)).expect("write");
}

/// A file of the repository at `root`, which must exist.
pub fn read(root: &Path, path: &str) -> String {
    fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Builds the repository at `root` in write mode, expecting success, then proves
/// a second build changes nothing.
pub fn builds_twice(root: &Path) {
    let out = tempfile::tempdir().expect("out");
    lbipam_core::build(root, out.path()).unwrap_or_else(|r| panic!("{r}"));
    let again = lbipam_core::build(root, out.path()).unwrap_or_else(|r| panic!("{r}"));
    assert!(
        again.changes.is_empty(),
        "second build: {:?}",
        again.changes
    );
}

/// Writes `text` at `path` below `root`, making its directories.
pub fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, text).expect("write");
}

/// A Flux Kustomization `name` of `cluster` applying `path`, substituting from
/// the ConfigMaps named in `from`, appended to the cluster's infrastructure.yaml.
pub fn add_flux(root: &Path, cluster: &str, name: &str, path: &str, from: &[&str]) {
    let file = root.join(format!("kubernetes/clusters/{cluster}/infrastructure.yaml"));
    let mut text = fs::read_to_string(&file).expect("read");
    text.push_str(&format!(
        "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  path: {path}\n"
    ));
    if !from.is_empty() {
        text.push_str("  postBuild:\n    substituteFrom:\n");
        for cm in from {
            text.push_str(&format!("      - kind: ConfigMap\n        name: {cm}\n"));
        }
    }
    fs::write(file, text).expect("write");
}

/// A LoadBalancer Service asking for `ip`.
pub fn service(name: &str, ip: &str) -> String {
    service_with(name, ip, "")
}

/// A LoadBalancer Service asking for `ip`, with more `annotations` lines
/// (indented four spaces, each ending in a newline).
pub fn service_with(name: &str, ip: &str, annotations: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: default\n  annotations:\n    lbipam.cilium.io/ips: \"{ip}\"\n{annotations}spec:\n  type: LoadBalancer\n  ports:\n    - port: 80\n"
    )
}

/// The seed repository's plan, as the build loads it.
pub fn seed_plan() -> &'static lbipam_core::plan::Plan {
    static PLAN: std::sync::OnceLock<lbipam_core::plan::Plan> = std::sync::OnceLock::new();
    PLAN.get_or_init(|| {
        lbipam_core::generate::load(seed()).unwrap_or_else(|r| panic!("the seed plan: {r}"))
    })
}

/// The seed opted in to sub-pools by serviceSelector, BGP advertisement on
/// infra and L2 announcements on apps: `tests/fixtures/beyond/plan.toml`, and
/// apps' Cilium values enabling L2 announcements. Nothing generated yet.
pub fn unbuilt_beyond() -> tempfile::TempDir {
    let dir = unbuilt_seed();
    let fixtures = seed().parent().expect("fixtures dir");
    fs::copy(
        fixtures.join("beyond/plan.toml"),
        dir.path().join("plan.toml"),
    )
    .expect("plan");
    edit(
        &dir.path()
            .join("bootstrap/clusters/apps/cilium-values.yaml"),
        "bgpControlPlane:\n  enabled: true\n",
        "l2announcements:\n  enabled: true\n",
    );
    dir
}

/// [`unbuilt_beyond`], built once in write mode.
pub fn beyond_repo() -> tempfile::TempDir {
    let dir = unbuilt_beyond();
    let out = tempfile::tempdir().expect("out dir");
    lbipam_core::build_with(dir.path(), out.path(), lbipam_core::Mode::Write)
        .unwrap_or_else(|r| panic!("the opted-in fixture must build: {r}"));
    dir
}
