//! How the compile-time proof scales with the number of pins: the proof's
//! `const fn`, run at run time, on plans of 10k, 100k and 1M pins (and the
//! checker on the same plans, for comparison). `cargo bench --bench proof_scale`;
//! other sizes: `cargo bench --bench proof_scale -- 5000 20000`.
//! Numbers are recorded in manual/performance.md; this is a measurement, not a test.

mod common;

use common::{sizes, time};

use std::fmt::Write;

use lbipam_core::check::compile;
use lbipam_core::proof::{Item, scratch_len, validate};

/// `pins` pins spread over 100 clusters, each with one `/16` pool in
/// 10.0.0.0/8 (cluster `c` owns `10.{c+1}.0.0/16`, clear of the network and
/// broadcast addresses), pinned address by address.
fn plan(pins: usize) -> String {
    let mut toml = String::from("[network]\ncidr = \"10.0.0.0/8\"\n\n");
    let per_cluster = pins.div_ceil(100);
    for c in 0..100 {
        let _ = write!(
            toml,
            "[clusters.c{c}.pools.p{c}]\nblocks = [\"10.{}.0.0/16\"]\n\n[clusters.c{c}.pins]\n",
            c + 1
        );
        for i in 0..per_cluster.min(pins.saturating_sub(c * per_cluster)) {
            let _ = writeln!(toml, "svc-{i} = \"10.{}.{}.{}\"", c + 1, i >> 8, i & 255);
        }
        toml.push('\n');
    }
    toml
}

fn main() {
    println!("| pins | plan.toml | parse + check | proof (const fn, run at run time) |");
    println!("| ---: | ---: | ---: | ---: |");
    for pins in sizes(&[10_000, 100_000, 1_000_000]) {
        let text = plan(pins);
        let checked = compile(&text);
        let Ok(p) = checked else {
            let n = checked.err().map_or(0, |e| e.len());
            eprintln!("benchmark plan is invalid: {n} errors");
            std::process::exit(1);
        };
        let runs = if pins >= 1_000_000 { 3 } else { 5 };
        let check = time(runs, || compile(&text).is_ok());
        let proof = time(runs, || {
            let mut scratch = vec![Item::EMPTY; scratch_len(&p)];
            validate(&p, &mut scratch).is_ok()
        });
        println!(
            "| {pins} | {} KiB | {:.1} ms | {:.1} ms |",
            text.len() / 1024,
            check.as_secs_f64() * 1e3,
            proof.as_secs_f64() * 1e3
        );
    }
}
