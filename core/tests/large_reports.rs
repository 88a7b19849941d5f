//! Reports and the compile-time proof stay usable at scale: the rendered report
//! is capped, every excerpt is small and points at the right column even on a
//! line of ten thousand errors, and the proof finds duplicate pins however far
//! apart they are written. (Timings are the benchmarks' business, in benches/.)

use lbipam_core::check::compile;
use lbipam_core::diag::{Report, SHOWN_IN_FULL};
use lbipam_core::plan::parse;
use lbipam_core::proof::{Item, scratch_len, validate};

const HEAD: &str = "[network]\ncidr = \"10.25.11.0/24\"\n\n";

fn report(text: &str) -> Report {
    let errors = compile(text).expect_err("the plan is invalid");
    Report::new("plan.toml", text, errors)
}

/// 10,000 unparsable blocks, one per line, then 20 pools with a misspelt key.
fn ten_thousand_errors() -> String {
    let blocks = vec!["\"10.25.11.0/33\""; 10_000].join(",\n");
    let mut text = format!("{HEAD}[clusters.c.pools.p]\nblocks = [\n{blocks}\n]\n");
    for i in 0..20 {
        text += &format!("\n[clusters.c.pools.q{i}]\nblocks = [\"10.25.11.{i}\"]\nnte = \"x\"\n");
    }
    text
}

fn headers(rendered: &str) -> Vec<&str> {
    rendered
        .lines()
        .filter(|l| l.starts_with("error: ") && !l.contains(" in the plan or the files"))
        .collect()
}

#[test]
fn a_report_of_ten_thousand_errors_shows_fifty_in_full_and_counts_the_rest_by_kind() {
    let r = report(&ten_thousand_errors());
    assert_eq!(r.errors.len(), 10_020);
    let rendered = r.render();
    assert_eq!(headers(&rendered).len(), SHOWN_IN_FULL);
    assert!(rendered.len() < 64 * 1024, "{} bytes", rendered.len());
    let tail = "note: 9970 more errors not shown in full, by kind:\n  \
        9950 invalid block\n    20 unknown key\n\n\
        error: 10020 errors in the plan or the files it manages; nothing was written\n";
    assert!(
        rendered.ends_with(tail),
        "{}",
        &rendered[rendered.len() - 400..]
    );
}

#[test]
fn render_all_shows_every_error_in_full_and_counts_nothing() {
    let r = report(&ten_thousand_errors());
    let all = r.render_all();
    assert_eq!(headers(&all).len(), 10_020);
    assert!(!all.contains("not shown in full"));
    // Each excerpt is small: one line of source, a caret line, a header.
    assert!(all.len() < 10_020 * 400, "{} bytes", all.len());
}

#[test]
fn lines_lists_every_error_at_the_position_of_its_value() {
    let r = report(&ten_thousand_errors());
    let lines = r.lines();
    assert_eq!(lines.len(), 10_020);
    assert_eq!(
        lines[0],
        "plan.toml:6:1: invalid block `10.25.11.0/33`: not a CIDR like 10.25.11.0/24"
    );
    assert!(lines[9_999].starts_with("plan.toml:10005:1: invalid block"));
    // After `]` (10006) and a blank line: q0's header, its blocks, then `nte`.
    assert!(lines[10_000].starts_with("plan.toml:10010:1: unknown key `nte`"));
    for (e, line) in r.errors.iter().zip(&lines).step_by(997) {
        assert_eq!(&r.line(e), line);
    }
}

/// 10,000 copies of one address on one line: 9,999 overlaps with the first.
fn duplicates_on_one_line() -> String {
    let blocks = vec!["\"10.25.11.100\""; 10_000].join(", ");
    format!("{HEAD}[clusters.c.pools.p]\nblocks = [{blocks}]\n")
}

#[test]
fn errors_on_one_long_line_render_small_excerpts_at_their_real_columns() {
    let r = report(&duplicates_on_one_line());
    assert_eq!(r.errors.len(), 9_999);
    let all = r.render_all();
    // The line is 160 KB; repeating it per error would make this 1.6 GB.
    assert!(all.len() < 9_999 * 2048, "{} bytes", all.len());
    let arrows: Vec<&str> = all
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("--> "))
        .collect();
    let listed: Vec<String> = r
        .lines()
        .iter()
        .map(|l| l.split(": ").next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(arrows.len(), listed.len());
    assert_eq!(
        arrows, listed,
        "each header names the error's own line:column"
    );
    // The last error is at column 11 + 9,999 × 16 of line 5.
    assert_eq!(listed[9_998], format!("plan.toml:5:{}", 11 + 9_999 * 16));
}

/// `pins` pins of one cluster on distinct addresses of a /16 (pin `i` on its
/// host address `i + 1`), with the pins at the given indices moved onto the
/// address of another pin.
fn pinned(pins: usize, same: &[(usize, usize)]) -> String {
    let addr = |i: usize| format!("10.0.{}.{}", (i + 1) >> 8, (i + 1) & 255);
    let mut text = String::from(
        "[network]\ncidr = \"10.0.0.0/16\"\n\n[clusters.c.pools.p]\nblocks = [\"10.0.0.1-10.0.255.254\"]\n\n[clusters.c.pins]\n",
    );
    for i in 0..pins {
        let at = same
            .iter()
            .find(|(dup, _)| *dup == i)
            .map_or(i, |(_, of)| *of);
        text += &format!("svc-{i} = \"{}\"\n", addr(at));
    }
    text
}

fn proof(text: &str) -> Result<(), String> {
    let plan = parse(text).expect("the plan parses");
    let mut scratch = vec![Item::EMPTY; scratch_len(&plan)];
    validate(&plan, &mut scratch).map_err(|m| m.to_string())
}

#[test]
fn the_proof_accepts_twenty_thousand_distinct_pins() {
    assert_eq!(proof(&pinned(20_000, &[])), Ok(()));
}

#[test]
fn the_proof_rejects_two_pins_on_one_address_written_far_apart() {
    let text = pinned(20_000, &[(19_999, 3)]);
    assert!(compile(&text).is_err(), "the checker rejects it too");
    assert_eq!(
        proof(&text),
        Err("pin svc-19999 10.0.0.4 is also pinned by svc-3".to_owned())
    );
}

#[test]
fn the_proof_names_the_first_pin_in_file_order_that_repeats_an_address() {
    // svc-7000 repeats svc-5000 before svc-9000 repeats svc-2; svc-12000 and
    // svc-15000 repeat the first duplicate address again.
    let same = [(9_000, 2), (7_000, 5_000), (12_000, 2), (15_000, 2)];
    assert_eq!(
        proof(&pinned(20_000, &same)),
        Err("pin svc-7000 10.0.19.137 is also pinned by svc-5000".to_owned())
    );
}
