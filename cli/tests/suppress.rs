//! `lbipam.dev/ignore: "<code>: <reason>"` on a hand-written object: it removes
//! that one finding of that object, and a suppression without a reason or one
//! that suppresses nothing is a finding of its own. On scratch copies of the
//! scratch_repo, where a Service in the apps cluster's directory asks for infra's
//! 10.25.11.100 (findings `stray-ip` and `ip-in-two-clusters` on line 7).

mod common;

use std::path::Path;

use common::{lbipam, scratch_repo, service_with, write};
use serde_json::Value;

const FILE: &str = "kubernetes/clusters/apps/web.yaml";

/// (code, line) of every finding of `check --format json`, in order.
fn findings(dir: &Path) -> Vec<(String, u64)> {
    let out = lbipam(dir, &["check", "--format", "json"]);
    let v: Vec<Value> = serde_json::from_str(&out.stdout).expect("JSON");
    v.iter()
        .map(|e| {
            assert_eq!(e["file"], FILE, "{e}");
            (
                e["code"].as_str().expect("code").to_owned(),
                e["line"].as_u64().expect("line"),
            )
        })
        .collect()
}

fn message(dir: &Path, code: &str) -> String {
    let out = lbipam(dir, &["check", "--format", "json"]);
    let v: Vec<Value> = serde_json::from_str(&out.stdout).expect("JSON");
    let found = v.iter().find(|e| e["code"] == code).expect("the finding");
    found["message"].as_str().expect("message").to_owned()
}

/// The seed with the stray Service, annotated with `ignore` if given (the
/// annotation is then line 8, the request line 7).
fn stray(ignore: Option<&str>) -> tempfile::TempDir {
    let dir = scratch_repo();
    let annotation =
        ignore.map_or_else(String::new, |v| format!("    lbipam.dev/ignore: \"{v}\"\n"));
    write(
        dir.path(),
        FILE,
        &service_with("web", "10.25.11.100", &annotation),
    );
    dir
}

#[test]
fn the_unsuppressed_fixture_has_both_findings() {
    let dir = stray(None);
    assert_eq!(
        findings(dir.path()),
        [("stray-ip".into(), 7), ("ip-in-two-clusters".into(), 7)]
    );
}

#[test]
fn a_suppression_with_a_reason_removes_that_finding_only() {
    let dir = stray(Some(
        "stray-ip: moves to the apps pool with the DNS cut-over",
    ));
    assert_eq!(findings(dir.path()), [("ip-in-two-clusters".into(), 7)]);
    let other = stray(Some("ip-in-two-clusters: the infra value is removed next"));
    assert_eq!(findings(other.path()), [("stray-ip".into(), 7)]);
}

#[test]
fn a_suppression_without_a_reason_is_a_finding_and_suppresses_nothing() {
    let dir = stray(Some("stray-ip"));
    assert_eq!(
        findings(dir.path()),
        [
            ("stray-ip".into(), 7),
            ("ip-in-two-clusters".into(), 7),
            ("suppression-without-reason".into(), 8)
        ]
    );
    let empty = stray(Some("stray-ip:   "));
    assert!(findings(empty.path()).contains(&("suppression-without-reason".into(), 8)));
}

#[test]
fn a_suppression_of_nothing_is_a_finding_naming_why() {
    // An address of the apps pool: nothing to suppress.
    let dir = scratch_repo();
    let text = service_with(
        "web",
        "10.25.11.125",
        "    lbipam.dev/ignore: \"stray-ip: just in case\"\n",
    );
    write(dir.path(), FILE, &text);
    assert_eq!(findings(dir.path()), [("unused-suppression".into(), 8)]);
    assert!(
        message(dir.path(), "unused-suppression").contains("this object has no `stray-ip` finding")
    );
    let unknown = stray(Some("stray-ips: typo"));
    assert!(
        message(unknown.path(), "unused-suppression")
            .contains("`stray-ips` is not a finding's code")
    );
}

#[test]
fn plan_errors_stale_files_and_isolation_cannot_be_suppressed() {
    for code in ["overlap", "stale", "foreign-pool", "unmodelled-kustomize"] {
        let dir = stray(Some(&format!("{code}: please")));
        let found = findings(dir.path());
        assert!(found.contains(&("stray-ip".into(), 7)), "{code}: {found:?}");
        let why = message(dir.path(), "unused-suppression");
        assert!(
            why.contains(&format!("`{code}` cannot be suppressed")),
            "{why}"
        );
    }
}

#[test]
fn a_suppression_covers_only_its_own_document() {
    let dir = scratch_repo();
    let quiet = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\n  annotations:\n    lbipam.dev/ignore: \"stray-ip: meant for the Service below\"\n";
    let text = format!("{quiet}---\n{}", service_with("web", "10.25.11.100", ""));
    write(dir.path(), FILE, &text);
    let found = findings(dir.path());
    assert!(found.contains(&("stray-ip".into(), 14)), "{found:?}");
    assert!(
        found.contains(&("unused-suppression".into(), 6)),
        "{found:?}"
    );
}
