//! The gate gates: in check mode (CI) a committed tree that differs from the plan
//! fails the build naming each file and its first differing line, and nothing is
//! written; in write mode (a developer's `cargo build`) the same breaks are
//! repaired, each with a notice naming the file.

mod common;

use std::fs;
use std::path::Path;

use common::{edit, scratch_repo, snapshot};
use lbipam_core::{Mode, build_with};

const INFRA_POOL: &str =
    "kubernetes/infrastructure/networking/cilium/ipam/infra/lb-ippool-infra.yaml";
const APPS_FLUX: &str = "kubernetes/clusters/apps/infrastructure.yaml";
const APPS_SETTINGS: &str = "kubernetes/clusters/apps/cluster-settings.yaml";
const APPS_VALUES: &str = "bootstrap/clusters/apps/cilium-values.yaml";

/// A hand edit of a file the build owns (whole or in part): the file, the text
/// replaced, its replacement, and the line the first difference is on.
struct Break {
    file: &'static str,
    from: &'static str,
    to: &'static str,
    line: usize,
}

/// The breaks a user makes by hand in files that plan.toml renders. The line
/// numbers are read off the committed files: the first line that differs (an
/// inserted line is the first that differs).
const BREAKS: [Break; 6] = [
    Break {
        file: INFRA_POOL,
        from: "stop: 10.25.11.119",
        to: "stop: 10.25.11.129",
        line: 10,
    },
    Break {
        file: INFRA_POOL,
        from: "  name: infra-pool\n",
        to: "  name: infra-pool\n  namespace: default\n",
        line: 7,
    },
    Break {
        file: INFRA_POOL,
        from: "serviceSelector",
        to: "serviceSelecter",
        line: 11,
    },
    Break {
        file: APPS_FLUX,
        from: "ipam/apps",
        to: "ipam/infra",
        line: 39,
    },
    Break {
        file: APPS_SETTINGS,
        from: "CLUSTERMESH_IP: \"10.25.11.120\"",
        to: "CLUSTERMESH_IP: \"10.25.11.122\"",
        line: 16,
    },
    Break {
        file: APPS_VALUES,
        from: "io.cilium/lb-ipam-ips: \"10.25.11.120\"",
        to: "io.cilium/lb-ipam-ips: \"10.25.11.122\"",
        line: 24,
    },
];

fn check(root: &Path) -> Result<(), String> {
    let out = tempfile::tempdir().expect("out dir");
    build_with(root, out.path(), Mode::Check)
        .map(|_| ())
        .map_err(|r| r.to_string())
}

#[test]
fn the_built_seed_repository_passes_the_check_and_is_left_untouched() {
    let repo = scratch_repo();
    let before = snapshot(repo.path());
    check(repo.path()).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(snapshot(repo.path()), before);
}

#[test]
fn each_hand_edit_of_an_owned_file_fails_the_check_at_its_line_and_writes_nothing() {
    for b in &BREAKS {
        let repo = scratch_repo();
        edit(&repo.path().join(b.file), b.from, b.to);
        let before = snapshot(repo.path());
        let report = check(repo.path()).expect_err(b.to);
        let at = format!("error: {}:{}:1: differs from plan.toml", b.file, b.line);
        assert!(
            report.contains(&at),
            "{}: expected {at:?} in\n{report}",
            b.to
        );
        assert!(
            report.contains("run `cargo build` without CI"),
            "the fix is named\n{report}"
        );
        assert_eq!(snapshot(repo.path()), before, "{}: nothing written", b.to);
    }
}

#[test]
fn the_message_shows_what_is_there_and_what_the_plan_renders() {
    let repo = scratch_repo();
    let b = &BREAKS[0];
    edit(&repo.path().join(b.file), b.from, b.to);
    let report = check(repo.path()).expect_err("stale pool");
    assert!(
        report.contains(
            "the file has `    stop: 10.25.11.129`, plan.toml renders `    stop: 10.25.11.119`"
        ),
        "{report}"
    );
}

#[test]
fn a_deleted_generated_file_is_reported_missing() {
    let repo = scratch_repo();
    fs::remove_file(repo.path().join(INFRA_POOL)).expect("rm");
    let report = check(repo.path()).expect_err("missing pool");
    assert!(
        report.contains(&format!(
            "error: {INFRA_POOL}:1:1: missing; plan.toml renders this file"
        )),
        "{report}"
    );
}

#[test]
fn a_generated_file_the_plan_no_longer_renders_is_reported() {
    let repo = scratch_repo();
    let stale = "kubernetes/infrastructure/networking/cilium/ipam/infra/lb-ippool-old.yaml";
    fs::copy(repo.path().join(INFRA_POOL), repo.path().join(stale)).expect("copy");
    let report = check(repo.path()).expect_err("stale generated file");
    assert!(
        report.contains(&format!("error: {stale}:1:1: not in the plan")),
        "{report}"
    );
}

#[test]
fn every_stale_file_is_named_at_once() {
    let repo = scratch_repo();
    for b in &BREAKS[3..] {
        edit(&repo.path().join(b.file), b.from, b.to);
    }
    let report = check(repo.path()).expect_err("three stale files");
    for b in &BREAKS[3..] {
        assert!(report.contains(b.file), "{} in\n{report}", b.file);
    }
    assert!(report.contains("error: 3 files differ"), "{report}");
}

#[test]
fn write_mode_repairs_each_break_and_names_the_file() {
    for b in &BREAKS {
        let repo = scratch_repo();
        let committed = fs::read(repo.path().join(b.file)).expect("read");
        edit(&repo.path().join(b.file), b.from, b.to);
        let out = tempfile::tempdir().expect("out dir");
        let summary =
            build_with(repo.path(), out.path(), Mode::Write).unwrap_or_else(|r| panic!("{r}"));
        let rewrote = format!("rewrote {} from plan.toml", b.file);
        assert_eq!(summary.changes.len(), 1, "{}", b.to);
        assert!(summary.change_lines().contains(&rewrote), "{}", b.to);
        assert_eq!(fs::read(repo.path().join(b.file)).expect("read"), committed);
        check(repo.path()).unwrap_or_else(|r| panic!("after the repair: {r}"));
    }
}

#[test]
fn write_mode_recreates_a_deleted_generated_file() {
    let repo = scratch_repo();
    fs::remove_file(repo.path().join(INFRA_POOL)).expect("rm");
    let out = tempfile::tempdir().expect("out dir");
    let summary =
        build_with(repo.path(), out.path(), Mode::Write).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(summary.changes.len(), 1);
    assert!(
        summary
            .change_lines()
            .contains(&format!("wrote {INFRA_POOL} from plan.toml (a new file)"))
    );
}

#[test]
fn a_bad_plan_fails_both_modes_with_the_same_errors() {
    let repo = scratch_repo();
    edit(
        &repo.path().join("plan.toml"),
        "10.25.11.120-10.25.11.139",
        "10.25.11.119-10.25.11.139",
    );
    let out = tempfile::tempdir().expect("out dir");
    let write = build_with(repo.path(), out.path(), Mode::Write).expect_err("overlap");
    let check = build_with(repo.path(), out.path(), Mode::Check).expect_err("overlap");
    assert_eq!(write.lines(), check.lines());
}

#[test]
fn verify_is_the_check_without_an_out_dir() {
    let repo = scratch_repo();
    lbipam_core::verify(&repo.path().join("plan.toml")).unwrap_or_else(|r| panic!("{r}"));
    let b = &BREAKS[4];
    edit(&repo.path().join(b.file), b.from, b.to);
    let report = lbipam_core::verify(&repo.path().join("plan.toml")).expect_err("stale");
    assert_eq!(report.lines().len(), 1, "{report}");
    assert!(report.lines()[0].starts_with(&format!("{}:{}:1:", b.file, b.line)));
}
