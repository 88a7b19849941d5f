//! How error reports scale: listing (`Report::lines`) and rendering
//! (`Report::render`, capped; `Report::render_all`, every excerpt) of plans with
//! 10k, 100k and 1M errors one per line, and of 10k errors on one line.
//! `cargo bench --bench report_scale`; other sizes: `-- 5000 20000`.
//! Numbers are recorded in manual/performance.md; this is a measurement, not a test.

mod common;

use common::{best_of, sizes};

use std::time::Duration;

use lbipam_core::check::compile;
use lbipam_core::diag::Report;

const HEAD: &str = "[network]\ncidr = \"10.25.11.0/24\"\n\n[clusters.c.pools.p]\n";

/// How the errors are laid out in plan.toml.
#[derive(Clone, Copy)]
enum Layout {
    /// `n` unparsable blocks, one per line.
    PerLine,
    /// `n` unparsable blocks on one line.
    OneLine,
    /// `n` copies of one address on one line: `n - 1` overlaps, each pointing
    /// at its block and at the first one.
    Duplicates,
}

fn plan(n: usize, layout: Layout) -> String {
    let (block, sep) = match layout {
        Layout::PerLine => ("\"10.25.11.0/33\"", ",\n"),
        Layout::OneLine => ("\"10.25.11.0/33\"", ", "),
        Layout::Duplicates => ("\"10.25.11.100\"", ", "),
    };
    let blocks = vec![block; n].join(sep);
    format!("{HEAD}blocks = [{blocks}]\n")
}

fn report(text: &str) -> Report {
    let errors = compile(text).err().unwrap_or_default();
    Report::new("plan.toml", text, errors)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    println!("| errors | layout | lines() | render() | rendered | render_all() | rendered |");
    println!("| ---: | --- | ---: | ---: | ---: | ---: | ---: |");
    let layouts = [
        (Layout::PerLine, "one per line"),
        (Layout::OneLine, "all on one line"),
        (Layout::Duplicates, "duplicates on one line"),
    ];
    for n in sizes(&[10_000, 100_000, 1_000_000]) {
        for (layout, name) in layouts {
            // Ten thousand on one line is the case that matters; more only repeats it.
            if !matches!(layout, Layout::PerLine) && n > 10_000 {
                continue;
            }
            let text = plan(n, layout);
            let r = report(&text);
            assert!(r.errors.len() + 1 >= n, "every block is an error");
            let runs = if n >= 1_000_000 { 1 } else { 3 };
            let (lines, _) = best_of(runs, || r.lines().len());
            let (render, capped) = best_of(runs, || r.render().len());
            let (render_all, all) = best_of(runs, || r.render_all().len());
            println!(
                "| {n} | {name} | {} | {} | {} KiB | {} | {} KiB |",
                ms(lines),
                ms(render),
                capped / 1024,
                ms(render_all),
                all / 1024
            );
        }
    }
}
