//! `lbipam check --plan` at fleet scale, as a whole process: generated plans of
//! 10,000 and 100,000 `/30` blocks over 1,000 clusters (one pool and one pin
//! each), alone in a temporary directory, valid or with every second block
//! overlapping the one before; and the valid plan again with every file it
//! renders already built beside it (a committed fleet repository, where the
//! check passes). `cargo bench -p lbipam-cli --bench fleet`.
//! Prints best-of-5 wall times; the figures are recorded in manual/cli.md.

#[path = "../../core/benches/common/mod.rs"]
mod common;

use common::{best_of, dotted};

use std::fmt::Write;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const CLUSTERS: usize = 1_000;

/// `blocks` /30 blocks in 10.0.0.0/8; with `overlaps`, block 2k+1 repeats block 2k.
fn plan(blocks: usize, overlaps: bool) -> String {
    let mut toml = String::from("[network]\ncidr = \"10.0.0.0/8\"\n\n[flux]\ndepends-on = []\n\n");
    let per = blocks / CLUSTERS;
    let mut next: u32 = 1 << 8;
    for c in 0..CLUSTERS {
        let first = next;
        let _ = write!(toml, "[clusters.c{c}.pools.p{c}]\nblocks = [");
        for i in 0..per {
            let sep = if i == 0 { "" } else { ", " };
            if overlaps && i % 2 == 1 {
                next -= 4;
            }
            let _ = write!(toml, "{sep}\"{}/30\"", dotted(next));
            next += 4;
        }
        let _ = write!(
            toml,
            "]\n\n[clusters.c{c}.pins]\nsvc = \"{}\"\n\n",
            dotted(first)
        );
    }
    toml
}

/// The best of 5 runs of `lbipam check --plan`, and the last run's exit code
/// and stderr length.
fn time(plan_path: &Path) -> (Duration, Option<i32>, usize) {
    let (best, out) = best_of(5, || {
        Command::new(env!("CARGO_BIN_EXE_lbipam"))
            .arg("check")
            .arg("--plan")
            .arg(plan_path)
            .env("NO_COLOR", "1")
            .output()
            .expect("run lbipam")
    });
    (best, out.status.code(), out.stderr.len())
}

fn main() {
    println!(
        "| blocks | plan | plan.toml | `lbipam check --plan` (whole process) | exit | stderr |"
    );
    println!("| ---: | --- | ---: | ---: | ---: | ---: |");
    for blocks in [10_000, 100_000] {
        for (overlaps, built) in [(false, false), (true, false), (false, true)] {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("plan.toml");
            let text = plan(blocks, overlaps);
            std::fs::write(&path, &text).expect("write plan");
            if built {
                let out = tempfile::tempdir().expect("temp out dir");
                lbipam_core::build(dir.path(), out.path()).expect("the valid plan builds");
            }
            let (best, code, stderr) = time(&path);
            println!(
                "| {blocks} | {} | {} KiB | {:.1} ms | {} | {} KiB |",
                match (overlaps, built) {
                    (true, _) => "50 % overlapping",
                    (false, false) => "valid, nothing built",
                    (false, true) => "valid, built",
                },
                text.len() / 1024,
                best.as_secs_f64() * 1000.0,
                code.map_or("signal".to_owned(), |c| c.to_string()),
                stderr / 1024
            );
        }
    }
}
