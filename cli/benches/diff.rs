//! `lbipam diff` as a whole process (the release binary, two plans read through
//! `git show` and compared): on the seed repository with a shrunk pool and a
//! moved pin, and on a fleet plan of 1,000 clusters with 100 `/30` blocks each
//! (the shape of the `fleet` bench) where every tenth cluster loses a block and
//! moves its pin. `cargo bench -p lbipam-cli --bench diff`; best of 10 (seed)
//! and of 5 (fleet); the figures are recorded in manual/cli.md.

#[path = "../../core/benches/common/mod.rs"]
mod common;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{best_of, dotted};

const CLUSTERS: usize = 1_000;
const BLOCKS_PER_CLUSTER: u32 = 100;

/// The fleet plan; with `changed`, every tenth cluster without its last block
/// and with its pin one address up.
fn fleet(changed: bool) -> String {
    let mut toml = String::from("[network]\ncidr = \"10.0.0.0/8\"\n\n[flux]\ndepends-on = []\n\n");
    for c in 0..CLUSTERS {
        let first = (1 << 8) + c as u32 * BLOCKS_PER_CLUSTER * 4;
        let edit = changed && c % 10 == 0;
        let blocks = if edit {
            BLOCKS_PER_CLUSTER - 1
        } else {
            BLOCKS_PER_CLUSTER
        };
        let list: Vec<String> = (0..blocks)
            .map(|i| format!("\"{}/30\"", dotted(first + i * 4)))
            .collect();
        let pin = dotted(first + u32::from(edit));
        let _ = write!(
            toml,
            "[clusters.c{c}.pools.p{c}]\nblocks = [{}]\n\n[clusters.c{c}.pins]\nsvc = \"{pin}\"\n\n",
            list.join(", ")
        );
    }
    toml
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=bench",
            "-c",
            "user.email=bench@example.org",
        ])
        .args(args)
        .output()
        .expect("git")
        .status
        .success();
    assert!(ok, "git {args:?}");
}

/// A git repository whose HEAD holds `base` as plan.toml and whose working
/// tree holds `change`.
fn repo(base: &str, change: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("plan.toml"), base).expect("write");
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["add", "plan.toml"]);
    git(dir.path(), &["commit", "-q", "-m", "base"]);
    std::fs::write(dir.path().join("plan.toml"), change).expect("write");
    dir
}

/// The best of `runs` of `lbipam diff --base HEAD --format F`, its exit code
/// and output size.
fn time(dir: &Path, format: &str, runs: u32) -> (Duration, Option<i32>, usize) {
    let (best, out) = best_of(runs, || {
        Command::new(env!("CARGO_BIN_EXE_lbipam"))
            .args(["diff", "--base", "HEAD", "--format", format])
            .current_dir(dir)
            .output()
            .expect("run lbipam")
    });
    (best, out.status.code(), out.stdout.len())
}

fn main() {
    let seed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/fixtures/seed/plan.toml"),
    )
    .expect("the seed plan");
    let shrunk = seed
        .replace("10.25.11.120-10.25.11.139", "10.25.11.120-10.25.11.129")
        .replace(
            "gateway               = \"10.25.11.121\"",
            "gateway = \"10.25.11.125\"",
        );
    assert_ne!(seed, shrunk);
    println!("| plans | format | `lbipam diff` (whole process) | exit | stdout |");
    println!("| --- | --- | ---: | ---: | ---: |");
    let cases = [
        ("seed, a pool shrunk and a pin moved", seed, shrunk, 10),
        (
            "1,000 clusters, 100 blocks each; 100 shrunk, 100 pins moved",
            fleet(false),
            fleet(true),
            5,
        ),
    ];
    for (name, base, change, runs) in cases {
        let dir = repo(&base, &change);
        for format in ["text", "json"] {
            let (best, code, size) = time(dir.path(), format, runs);
            println!(
                "| {name} | {format} | {:.1} ms | {} | {} KiB |",
                best.as_secs_f64() * 1000.0,
                code.map_or("signal".to_owned(), |c| c.to_string()),
                size / 1024
            );
        }
    }
}
