//! `lbipam build`: the build's write mode from the command line, through the
//! library call `build.rs` makes. Each case runs on two copies of the seed: the
//! CLI on one, `lbipam_core::build` (what `build_script::run` calls) on the
//! other, and the two must leave the same files and say the same things.

mod common;

use std::path::Path;

use common::{lbipam, replace, service_with, snapshot, unbuilt_seed, write};

/// The same edit on two fresh seeds.
fn twins(edit: impl Fn(&Path)) -> (tempfile::TempDir, tempfile::TempDir) {
    let (a, b) = (unbuilt_seed(), unbuilt_seed());
    edit(a.path());
    edit(b.path());
    (a, b)
}

fn move_gateway(root: &Path) {
    replace(
        root,
        "plan.toml",
        "gateway               = \"10.25.11.121\"",
        "gateway = \"10.25.11.125\"",
    );
}

#[test]
fn build_writes_what_the_build_script_writes_and_says_so() {
    let (cli, lib) = twins(move_gateway);
    let before = snapshot(cli.path());
    let out = lbipam(cli.path(), &["build"]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{}", out.stdout);
    let consts = tempfile::tempdir().expect("out dir");
    let summary = lbipam_core::build(lib.path(), consts.path()).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(snapshot(cli.path()), snapshot(lib.path()));
    assert_ne!(
        snapshot(cli.path()),
        before,
        "the move rewrites the settings and values"
    );
    let mut expected: String = summary
        .change_lines()
        .iter()
        .map(|n| format!("{n}\n"))
        .collect();
    expected.push_str(&format!(
        "ok: {} file(s) changed from plan.toml\n",
        summary.changes.len()
    ));
    assert_eq!(out.stdout, expected);
    assert!(
        out.stdout
            .contains("rewrote kubernetes/clusters/apps/cluster-settings.yaml from plan.toml\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_second_build_writes_nothing_and_the_check_then_passes() {
    let dir = unbuilt_seed();
    move_gateway(dir.path());
    assert_eq!(
        lbipam(dir.path(), &["check"]).code,
        1,
        "the committed files lag the plan"
    );
    assert_eq!(lbipam(dir.path(), &["build"]).code, 0);
    let built = snapshot(dir.path());
    let again = lbipam(dir.path(), &["build"]);
    assert_eq!(
        (again.code, again.stdout.as_str()),
        (
            0,
            "ok: nothing to write, the files already are what plan.toml renders\n"
        )
    );
    assert_eq!(snapshot(dir.path()), built);
    assert_eq!(lbipam(dir.path(), &["check"]).code, 0);
}

#[test]
fn a_failing_audit_writes_nothing_and_prints_the_build_scripts_report() {
    let (cli, lib) = twins(|root| {
        move_gateway(root);
        write(
            root,
            "kubernetes/clusters/apps/web.yaml",
            &service_with("web", "10.25.11.100", ""),
        );
    });
    let before = snapshot(cli.path());
    let out = lbipam(cli.path(), &["build"]);
    assert_eq!((out.code, out.stdout.as_str()), (1, ""));
    assert_eq!(snapshot(cli.path()), before, "nothing is written");
    let consts = tempfile::tempdir().expect("out dir");
    let report = lbipam_core::build(lib.path(), consts.path()).expect_err("the audit fails");
    // build_script::run prints the report with eprintln!.
    assert_eq!(out.stderr, format!("{report}\n"));
    assert!(
        out.stderr.contains("kubernetes/clusters/apps/web.yaml:7:"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_invalid_plan_writes_nothing_and_prints_its_errors() {
    let dir = unbuilt_seed();
    replace(
        dir.path(),
        "plan.toml",
        "10.25.11.120-10.25.11.139",
        "10.25.11.110-10.25.11.139",
    );
    let before = snapshot(dir.path());
    let out = lbipam(dir.path(), &["build"]);
    assert_eq!(out.code, 1);
    assert_eq!(snapshot(dir.path()), before);
    assert_eq!(out.stderr, lbipam(dir.path(), &["check"]).stderr);
    assert!(out.stderr.contains("overlaps"), "{}", out.stderr);
}
