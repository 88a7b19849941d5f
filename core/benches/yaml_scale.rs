//! How the build scales with the size of hand-written YAML: scratch copies of
//! the repository where one file is padded to 256 KiB, 512 KiB and 1 MiB — the
//! apps `cluster-settings.yaml` or `cilium-values.yaml` (files the build edits),
//! or an extra manifest under `kubernetes/` (a file it only audits) — built
//! with `lbipam_core::build`.
//! `cargo bench --bench yaml_scale`; other sizes in KiB: `-- 2048`.
//! Numbers are recorded in manual/performance.md; this is a measurement, not a test.

#[path = "common/mod.rs"]
mod bench;
#[path = "../tests/common/mod.rs"]
mod common;

use bench::sizes;

use std::fmt::Write;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use lbipam_core::build;

/// `data:` entries with a comment each, until the text holds `bytes`.
fn padding(bytes: usize) -> String {
    let mut out = String::new();
    let mut i = 0;
    while out.len() < bytes {
        let _ = write!(
            out,
            "  # hand-written setting number {i}, kept byte for byte\n  SETTING_{i}: \"value-{i}\"\n"
        );
        i += 1;
    }
    out
}

/// Helm values: top-level sections of nested keys, until `bytes`.
fn values(bytes: usize) -> String {
    let mut out = String::new();
    let mut i = 0;
    while out.len() < bytes {
        let _ = write!(
            out,
            "# section {i}\nsection{i}:\n  enabled: true\n  nested:\n    key: \"value-{i}\"\n"
        );
        i += 1;
    }
    out
}

/// Services, one document each, whose LB-IPAM annotation Flux substitutes
/// (`${VAR}`: found by the audit, then skipped), until `bytes`.
fn services(bytes: usize) -> String {
    let mut out = String::new();
    let mut i = 0;
    while out.len() < bytes {
        let _ = write!(
            out,
            "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{i}\n  annotations:\n    io.cilium/lb-ipam-ips: \"${{SVC_{i}_IP}}\"\nspec:\n  type: LoadBalancer\n"
        );
        i += 1;
    }
    out
}

/// A ConfigMap manifest of about `bytes`.
fn manifest(bytes: usize) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n  namespace: default\ndata:\n{}",
        padding(bytes)
    )
}

fn build_time(root: &Path) -> Duration {
    let out = tempfile::tempdir().expect("out dir");
    // The first build writes the managed keys; the timed ones are the steady state.
    if let Err(report) = build(root, out.path()) {
        eprintln!("benchmark repository does not build:\n{report}");
        std::process::exit(1);
    }
    let mut best = Duration::MAX;
    for _ in 0..3 {
        // Each build on a thread of its own, as each `cargo build` runs the
        // build script in a process of its own: nothing one build kept on its
        // thread speeds up the next.
        let (built, took) = std::thread::scope(|s| {
            s.spawn(|| {
                let start = Instant::now();
                (build(root, out.path()), start.elapsed())
            })
            .join()
            .expect("build thread")
        });
        best = best.min(took);
        assert!(built.is_ok());
    }
    best
}

/// A scratch repository where `path` holds `text` (appended to the file if it exists).
fn with(path: &str, text: &str) -> tempfile::TempDir {
    let repo = common::scratch_repo();
    let path = repo.path().join(path);
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let mut old = fs::read_to_string(&path).unwrap_or_default();
    old.push_str(text);
    fs::write(&path, old).expect("write");
    repo
}

fn main() {
    println!(
        "| hand-written YAML | cluster-settings.yaml (edited) | cilium-values.yaml (edited) | ConfigMap manifest (audited) | Service manifests (audited) |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: |");
    for kib in sizes(&[256, 512, 1024]) {
        let bytes = kib * 1024;
        let cases = [
            with(
                "kubernetes/clusters/apps/cluster-settings.yaml",
                &padding(bytes),
            ),
            with("bootstrap/clusters/apps/cilium-values.yaml", &values(bytes)),
            with("kubernetes/extra/big.yaml", &manifest(bytes)),
            with("kubernetes/extra/services.yaml", &services(bytes)),
        ];
        let ms: Vec<String> = cases
            .iter()
            .map(|repo| format!("{:.0} ms", build_time(repo.path()).as_secs_f64() * 1e3))
            .collect();
        println!("| {kib} KiB | {} |", ms.join(" | "));
    }
}
