//! How the checks scale: parse + check + compile-time proof (run at run time) on
//! plans of 1k, 10k and 100k blocks. `cargo bench --bench check_scale`.
//! Numbers are recorded in manual/performance.md; this is a measurement, not a test.

mod common;

use common::{dotted, time};

use std::fmt::Write;

use lbipam_core::check::compile;
use lbipam_core::proof::{Item, scratch_len, validate};

/// `blocks` /30 blocks in 10.0.0.0/8, spread over 100 clusters of 10 pools each,
/// with every pool pinning its first address.
fn plan(blocks: usize) -> String {
    let mut toml = String::from(
        "[network]\ncidr = \"10.0.0.0/8\"\n\n[reserved]\nrouter = { range = \"10.0.0.1\" }\n\n",
    );
    let per_pool = blocks.div_ceil(1000);
    let mut next: u32 = 1 << 8; // 10.0.1.0, past the router
    let mut made = 0;
    for c in 0..100 {
        let mut pins = String::new();
        for p in 0..10 {
            if made >= blocks {
                break;
            }
            let _ = write!(toml, "[clusters.c{c}.pools.p{c}-{p}]\nblocks = [");
            let _ = writeln!(pins, "svc-{p} = \"{}\"", dotted(next));
            for i in 0..per_pool.min(blocks - made) {
                let sep = if i == 0 { "" } else { ", " };
                let _ = write!(toml, "{sep}\"{}/30\"", dotted(next));
                next += 4;
                made += 1;
            }
            toml.push_str("]\n\n");
        }
        if !pins.is_empty() {
            let _ = write!(toml, "[clusters.c{c}.pins]\n{pins}\n");
        }
    }
    toml
}

fn main() {
    println!("| blocks | plan.toml | parse + check | proof (const fn, run at run time) |");
    println!("| ---: | ---: | ---: | ---: |");
    for blocks in [1_000, 10_000, 100_000] {
        let text = plan(blocks);
        let checked = compile(&text);
        let Ok(p) = checked else {
            let n = checked.err().map_or(0, |e| e.len());
            eprintln!("benchmark plan is invalid: {n} errors");
            std::process::exit(1);
        };
        let check = time(5, || compile(&text).is_ok());
        let proof = time(5, || {
            let mut scratch = vec![Item::EMPTY; scratch_len(&p)];
            validate(&p, &mut scratch).is_ok()
        });
        println!(
            "| {blocks} | {} KiB | {:.1} ms | {:.1} ms |",
            text.len() / 1024,
            check.as_secs_f64() * 1e3,
            proof.as_secs_f64() * 1e3
        );
    }
}
