//! How long the audit takes, and how much memory, on one large YAML file that no
//! cluster applies (a data dump, a vendored bundle under `kubernetes/`): a
//! scratch copy of the seed repository with `kubernetes/vendor/bundle.yaml` of
//! 200 MB, audited with `lbipam_core::generate::outputs` (what both the build and
//! `lbipam check` run). Peak memory is the process's high-water mark (VmHWM),
//! reset before the run.
//! `cargo bench -p lbipam-core --bench audit_scale`; other sizes in MB: `-- 50 400`.
//! Numbers are recorded in manual/performance.md; this is a measurement, not a test.

#[path = "../tests/scratch/mod.rs"]
mod scratch;

use std::fs;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

/// ConfigMaps of 500 entries each, written straight to disk until `bytes`
/// (never held in memory here, so the peak is the audit's own).
fn write_bundle(path: &Path, bytes: usize) {
    fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
    let mut out = BufWriter::new(fs::File::create(path).expect("create"));
    let (mut written, mut doc) = (0, 0);
    while written < bytes {
        let mut text = format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dump-{doc}\n  namespace: tools\ndata:\n"
        );
        for i in 0..500 {
            text.push_str(&format!(
                "  key-{doc}-{i}: \"value {i} of document {doc}, padded\"\n"
            ));
        }
        out.write_all(text.as_bytes()).expect("write");
        written += text.len();
        doc += 1;
    }
    out.flush().expect("flush");
}

/// The process's peak resident memory since the last reset, in MiB.
fn peak_mib() -> Option<f64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .filter_map(|a| a.parse().ok())
        .collect::<Vec<_>>();
    let sizes = if sizes.is_empty() { vec![200] } else { sizes };
    for mb in sizes {
        let repo = scratch::repo();
        let root = repo.path();
        write_bundle(&root.join("kubernetes/vendor/bundle.yaml"), mb * 1_000_000);
        let plan = lbipam_core::generate::load(root).expect("the seed plan is valid");
        // Resets VmHWM to the current resident size (Linux, `man 5 proc`).
        let _ = fs::write("/proc/self/clear_refs", "5");
        let before = peak_mib();
        let start = Instant::now();
        let outputs = lbipam_core::generate::outputs(root, &plan);
        let took = start.elapsed();
        let peak = peak_mib();
        let verdict = match &outputs {
            Ok(o) => format!("passes, {} warnings", o.warnings.len()),
            Err(r) => format!("fails: {}", r.lines().join("; ")),
        };
        println!(
            "{mb} MB unapplied YAML: audit {:.2} s, peak memory {} (before: {}); {verdict}",
            took.as_secs_f64(),
            peak.map_or("?".to_owned(), |p| format!("{p:.0} MiB")),
            before.map_or("?".to_owned(), |p| format!("{p:.0} MiB")),
        );
    }
}
