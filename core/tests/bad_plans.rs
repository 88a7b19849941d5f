//! The catalogue of bad plans: every `tests/bad_plans/NAME.toml` fails the build
//! with exactly the diagnostics of `tests/bad_plans/NAME.stderr` (the
//! `plan.toml:line:col: message` lines of `Report::lines()`, one per line) and
//! writes nothing; every `tests/good_plans/NAME.toml` builds.
//!
//! Two cases are generated here rather than committed: `invalid-utf8` and
//! `ten-megabytes`; their `.stderr` files are committed like the others.
//! `tests/bad_plans/README.md` describes the catalogue and holds the table of
//! what the checks catch, each row naming the case that shows it.
//!
//! The `.stderr` files are written by hand, from what the message should say.
//! After a deliberate change of a message, `BLESS=1 cargo test --test bad_plans`
//! rewrites them from the tool's output. A blessed file records what the tool
//! says, not what it should say: review every one (`git diff tests/bad_plans`)
//! before committing it.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{crate_dir, scratch_repo, snapshot};
use lbipam_core::build;

/// Makes the bytes of a generated case's plan.toml.
type Generator = fn() -> Vec<u8>;

/// The generated cases, by name.
const GENERATED: [(&str, Generator); 2] = [
    ("invalid-utf8", invalid_utf8),
    ("ten-megabytes", ten_megabytes),
];

fn dir(name: &str) -> PathBuf {
    crate_dir().join("tests").join(name)
}

fn bless() -> bool {
    std::env::var_os("BLESS").is_some_and(|v| v == "1")
}

/// The committed cases of a directory, by name, sorted.
fn committed(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| p.file_stem().expect("stem").to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Builds a scratch copy of the repository whose plan.toml is `plan`. Returns
/// why the case fails its contract, or `None`.
fn run(name: &str, plan: &[u8]) -> Option<String> {
    let repo = scratch_repo();
    let out = tempfile::tempdir().expect("out dir");
    fs::write(repo.path().join("plan.toml"), plan).expect("write plan");
    let before = snapshot(repo.path());
    let report = match build(repo.path(), out.path()) {
        Ok(_) => return Some(format!("{name}: the build succeeded")),
        Err(report) => report,
    };
    let mut problems = Vec::new();
    if snapshot(repo.path()) != before {
        problems.push("the build changed files of the repository".to_owned());
    }
    if !snapshot(out.path()).is_empty() {
        problems.push("the build wrote into OUT_DIR".to_owned());
    }
    let got = report.lines();
    if got.iter().any(|l| l.contains('\n')) {
        problems.push(format!("a diagnostic spans several lines: {got:#?}"));
    }
    let path = dir("bad_plans").join(format!("{name}.stderr"));
    if bless() {
        fs::write(
            &path,
            got.iter().map(|l| format!("{l}\n")).collect::<String>(),
        )
        .expect("bless");
    } else {
        let want: Vec<String> = fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .lines()
            .map(str::to_owned)
            .collect();
        if got != want {
            problems.push(format!(
                "diagnostics differ\n  expected ({}):\n    {}\n  got:\n    {}",
                path.display(),
                want.join("\n    "),
                got.join("\n    ")
            ));
        }
    }
    (!problems.is_empty()).then(|| format!("{name}: {}", problems.join("; ")))
}

fn assert_all(failures: Vec<String>) {
    assert!(failures.is_empty(), "\n{}\n", failures.join("\n\n"));
}

#[test]
fn every_committed_bad_plan_fails_with_its_expected_diagnostics_and_writes_nothing() {
    let names = committed(&dir("bad_plans"));
    let failures = names
        .iter()
        .filter_map(|name| {
            let plan = fs::read(dir("bad_plans").join(format!("{name}.toml"))).expect("read");
            run(name, &plan)
        })
        .collect();
    assert_all(failures);
}

/// `bgp-router`'s note is Latin-1 `Caf\xe9`: byte 93, line 5, column 49.
fn invalid_utf8() -> Vec<u8> {
    let mut plan = b"[network]\ncidr = \"10.25.11.0/24\"\n\n[reserved]\n".to_vec();
    plan.extend_from_slice(b"bgp-router = { range = \"10.25.11.1\", note = \"Caf\xe9\" }\n\n");
    plan.extend_from_slice(
        b"[clusters.infra.pools.infra-pool]\nblocks = [\"10.25.11.100-10.25.11.119\"]\n",
    );
    plan
}

#[test]
fn a_plan_that_is_not_utf8_fails_at_the_first_bad_byte_and_writes_nothing() {
    assert_all(run("invalid-utf8", &invalid_utf8()).into_iter().collect());
}

/// How many single-address blocks [`ten_megabytes`] holds.
const BIG: usize = 560_000;

/// An IPv6 pool of [`BIG`] single addresses, one per line from line 6, fixed
/// width; the last line (6 + BIG) repeats the first address.
fn ten_megabytes() -> Vec<u8> {
    let mut plan = String::from(
        "[network]\ncidr = \"fd00::/64\"\n\n[clusters.infra.pools.infra-pool]\nblocks = [\n",
    );
    for i in 0..BIG {
        plan.push_str(&format!("\"fd00::{:04x}:{:04x}\",\n", i >> 16, i & 0xffff));
    }
    plan.push_str("\"fd00::\",\n]\n");
    plan.into_bytes()
}

#[test]
fn a_ten_megabyte_plan_is_checked_in_bounded_time_and_its_one_error_found() {
    let plan = ten_megabytes();
    assert!(plan.len() >= 10 << 20, "{} bytes", plan.len());
    let started = Instant::now();
    let failure = run("ten-megabytes", &plan);
    // A guard against a hang or a quadratic check (hours at this size), not a benchmark.
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(120), "took {elapsed:?}");
    assert_all(failure.into_iter().collect());
}

#[test]
fn the_catalogue_has_thirty_cases_each_with_a_plan_and_expected_diagnostics() {
    let bad = dir("bad_plans");
    let mut plans = committed(&bad);
    plans.extend(GENERATED.iter().map(|(name, _)| (*name).to_owned()));
    plans.sort();
    assert!(plans.len() >= 30, "only {} cases", plans.len());
    let mut expectations: Vec<String> = fs::read_dir(&bad)
        .expect("read_dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "stderr"))
        .map(|p| p.file_stem().expect("stem").to_string_lossy().into_owned())
        .collect();
    expectations.sort();
    assert_eq!(plans, expectations, "every case has a plan and a .stderr");
    for name in &expectations {
        let text = fs::read_to_string(bad.join(format!("{name}.stderr"))).expect("read");
        assert!(
            !text.trim().is_empty() && text.lines().all(|l| l.starts_with("plan.toml:")),
            "{name}.stderr must list at least one `plan.toml:line:col: message`"
        );
    }
    for (name, plan) in GENERATED {
        assert!(
            !bad.join(format!("{name}.toml")).exists(),
            "{name} is generated by this test, not committed"
        );
        assert!(!plan().is_empty());
    }
}

#[test]
fn every_good_plan_builds_and_a_second_build_changes_nothing() {
    let names = committed(&dir("good_plans"));
    assert!(!names.is_empty());
    let mut failures = Vec::new();
    for name in names {
        let plan = fs::read(dir("good_plans").join(format!("{name}.toml"))).expect("read");
        let repo = scratch_repo();
        let out = tempfile::tempdir().expect("out dir");
        fs::write(repo.path().join("plan.toml"), plan).expect("write plan");
        match build(repo.path(), out.path()) {
            Err(report) => failures.push(format!("{name}:\n{report}")),
            Ok(_) => match build(repo.path(), out.path()) {
                Ok(second) if second.changes.is_empty() => {}
                Ok(second) => failures.push(format!("{name}: rebuilt {:?}", second.changes)),
                Err(report) => failures.push(format!("{name}: second build:\n{report}")),
            },
        }
    }
    assert_all(failures);
}

/// The text of the first code span of a Markdown table cell, trimmed.
fn code_span(cell: &str) -> Option<&str> {
    let open = cell.find('`')?;
    let fence = cell[open..].bytes().take_while(|&b| b == b'`').count();
    let body = &cell[open + fence..];
    let mut from = 0;
    loop {
        let at = from + body[from..].find(&"`".repeat(fence))?;
        let run = body[at..].bytes().take_while(|&b| b == b'`').count();
        if run == fence {
            return Some(body[..at].trim());
        }
        from = at + run;
    }
}

/// The message part of each line of each `.stderr`, by case.
fn catalogue_messages() -> Vec<(String, String)> {
    let bad = dir("bad_plans");
    let mut out = Vec::new();
    for entry in fs::read_dir(&bad).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "stderr") {
            let name = path
                .file_stem()
                .expect("stem")
                .to_string_lossy()
                .into_owned();
            for line in fs::read_to_string(&path).expect("read").lines() {
                // plan.toml:LINE:COL: message
                let message = line.splitn(4, ':').nth(3).unwrap_or("").trim_start();
                out.push((name.clone(), message.to_owned()));
            }
        }
    }
    out
}

/// Whether `message` is the README's `example`; a trailing `...` stands for the rest.
fn is_example(message: &str, example: &str) -> bool {
    match example.strip_suffix("...") {
        Some(prefix) => message.starts_with(prefix.trim_end()),
        None => message == example,
    }
}

/// Checks the "What the checks catch" table of a Markdown file: each row's
/// example message is produced by a catalogue case — by the case its
/// `catalogue case` column names, if the table has one.
fn check_table(path: &Path) {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let section = text
        .split("# What the checks catch\n")
        .nth(1)
        .unwrap_or_else(|| panic!("{} has no `What the checks catch` section", path.display()));
    let rows: Vec<Vec<&str>> = section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim()
                .trim_matches('|')
                .split(" | ")
                .map(str::trim)
                .collect()
        })
        .collect();
    let (header, body) = rows.split_first().expect("a table");
    let column = |word: &str| header.iter().position(|h| h.contains(word));
    let message = column("message").expect("an example message column");
    let case = column("case");
    let catalogue = catalogue_messages();
    let body = &body[1..]; // the | --- | row
    assert!(body.len() >= 10, "{}: {body:?}", path.display());
    for row in body {
        let example = code_span(row[message]).unwrap_or_else(|| panic!("no example in {row:?}"));
        let named = case.map(|c| code_span(row[c]).unwrap_or(row[c]));
        let found = catalogue
            .iter()
            .any(|(name, m)| named.is_none_or(|n| n == name.as_str()) && is_example(m, example));
        assert!(
            found,
            "{} row {row:?}: no catalogue case {}says `{example}`",
            path.display(),
            named.map_or(String::new(), |n| format!("`{n}` "))
        );
    }
}

#[test]
fn the_catalogues_check_table_names_cases_that_say_its_examples() {
    check_table(&dir("bad_plans").join("README.md"));
}

#[test]
fn readmes_check_table_examples_are_said_by_catalogue_cases() {
    check_table(&crate_dir().join("../manual/plan.md"));
}
