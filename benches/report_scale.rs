//! How error reports scale: listing (`Report::lines`) and rendering
//! (`Report::render`, capped; `Report::render_all`, every excerpt) of plans with
//! 10k, 100k and 1M errors one per line, and of 10k errors on one line.
//! `cargo bench --bench report_scale`; other sizes: `-- 5000 20000`.
//! Numbers are recorded in README.md; this is a measurement, not a test.

use std::time::{Duration, Instant};

use lbipam_plan::diag::Report;
use lbipam_plan::generate::compile;

const HEAD: &str = "[network]\ncidr = \"10.25.11.0/24\"\n\n[clusters.c.pools.p]\n";

/// A pool of `n` unparsable blocks, each on its own line (`per_line`) or all on one.
fn plan(n: usize, per_line: bool) -> String {
    let sep = if per_line { ",\n" } else { ", " };
    let blocks = vec!["\"10.25.11.0/33\""; n].join(sep);
    format!("{HEAD}blocks = [{blocks}]\n")
}

fn report(text: &str) -> Report {
    let errors = compile(text).err().unwrap_or_default();
    Report::new("plan.toml", text, errors)
}

fn time<T>(runs: u32, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let out = f();
        best = best.min(start.elapsed());
        last = Some(out);
    }
    (best, last.expect("at least one run"))
}

fn sizes(default: &[usize]) -> Vec<usize> {
    let given: Vec<usize> = std::env::args().filter_map(|a| a.parse().ok()).collect();
    if given.is_empty() {
        default.to_vec()
    } else {
        given
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    println!("| errors | layout | lines() | render() | rendered | render_all() | rendered |");
    println!("| ---: | --- | ---: | ---: | ---: | ---: | ---: |");
    for n in sizes(&[10_000, 100_000, 1_000_000]) {
        for per_line in [true, false] {
            // Ten thousand on one line is the case that matters; more only repeats it.
            if !per_line && n > 10_000 {
                continue;
            }
            let text = plan(n, per_line);
            let r = report(&text);
            assert_eq!(r.errors.len(), n, "every block is an error");
            let runs = if n >= 1_000_000 { 1 } else { 3 };
            let (lines, _) = time(runs, || r.lines().len());
            let (render, capped) = time(runs, || r.render().len());
            let (render_all, all) = time(runs, || r.render_all().len());
            println!(
                "| {n} | {} | {} | {} | {} KiB | {} | {} KiB |",
                if per_line {
                    "one per line"
                } else {
                    "all on one line"
                },
                ms(lines),
                ms(render),
                capped / 1024,
                ms(render_all),
                all / 1024
            );
        }
    }
}
