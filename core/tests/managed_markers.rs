//! Keys the build owns in hand-written files carry `# managed by lbipam-plan`;
//! a marked key the plan no longer renders is removed, an unmarked one never is,
//! and every hand-written byte stays.

mod common;

use common::{builds_twice, edit, read, scratch_repo};
use yaml_serde::Value;

const MARKER: &str = "# managed by lbipam-plan";
const SETTINGS: &str = "kubernetes/clusters/infra/cluster-settings.yaml";
const RELEASE: &str = "kubernetes/infrastructure/networking/cilium/core/helmrelease.yaml";
const VALUES: &str = "bootstrap/clusters/infra/cilium-values.yaml";

fn yaml11(text: &str) -> Value {
    yaml_serde::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// `text` without the lines containing any of `needles`.
fn without_lines(text: &str, needles: &[&str]) -> String {
    text.lines()
        .filter(|l| !needles.iter().any(|n| l.contains(n)))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn the_committed_managed_keys_carry_the_marker_and_hand_written_ones_do_not() {
    let seed = scratch_repo();
    let root = seed.path();
    let settings = read(root, SETTINGS);
    for key in [
        "CLUSTERMESH_IP:",
        "CILIUM_GATEWAY_LB_IP:",
        "CILIUM_LB_POOL_START:",
        "CILIUM_LB_POOL_END:",
        "CILIUM_LB_POOL_BLOCKS:",
    ] {
        let line = settings.lines().find(|l| l.contains(key)).expect(key);
        assert!(line.ends_with(MARKER), "{line}");
    }
    for key in ["CLUSTER_NAME:", "BGP_PEER_ADDRESS:"] {
        let line = settings.lines().find(|l| l.contains(key)).expect(key);
        assert!(!line.contains(MARKER), "{line}");
    }
    let values = read(root, VALUES);
    let marked: Vec<&str> = values.lines().filter(|l| l.contains(MARKER)).collect();
    assert_eq!(
        marked,
        [
            "        io.cilium/lb-ipam-ips: \"10.25.11.100\" # managed by lbipam-plan",
            "      type: LoadBalancer # managed by lbipam-plan",
        ]
    );
}

#[test]
fn a_renamed_setting_leaves_no_stale_key_and_keeps_every_hand_written_byte() {
    let repo = scratch_repo();
    let before = read(repo.path(), SETTINGS);
    edit(
        &repo.path().join("plan.toml"),
        "setting = \"CLUSTERMESH_IP\"",
        "setting = \"MESH_IP\"",
    );
    // ...and, as the user must, the HelmRelease that substitutes it.
    edit(
        &repo.path().join(RELEASE),
        "${CLUSTERMESH_IP}",
        "${MESH_IP}",
    );
    builds_twice(repo.path());
    let after = read(repo.path(), SETTINGS);
    // The old key's line went; the new one is appended, marked; nothing else moved.
    let expected = format!(
        "{}  MESH_IP: \"10.25.11.100\" {MARKER}\n",
        without_lines(&before, &["CLUSTERMESH_IP:"])
    );
    assert_eq!(after, expected);
}

#[test]
fn a_changed_helm_service_path_leaves_no_stale_value_and_keeps_every_hand_written_byte() {
    let repo = scratch_repo();
    let before = read(repo.path(), VALUES);
    edit(
        &repo.path().join("plan.toml"),
        "helm-service = \"clustermesh.apiserver.service\"",
        "helm-service = \"clustermesh.apiserver.lb.service\"",
    );
    builds_twice(repo.path());
    let after = read(repo.path(), VALUES);
    // The marked annotation and type go; the hand-written (unmarked) maps above
    // them stay, `annotations:` now empty; the new path is created, marked.
    let kept = without_lines(&before, &["io.cilium/lb-ipam-ips", "type: LoadBalancer"]);
    let expected = format!(
        "{kept}    lb: {MARKER}\n      service: {MARKER}\n        annotations: {MARKER}\n          io.cilium/lb-ipam-ips: \"10.25.11.100\" {MARKER}\n        type: LoadBalancer {MARKER}\n"
    );
    assert_eq!(after, expected);
    let service = &yaml11(&after)["clustermesh"]["apiserver"];
    assert_eq!(service["service"]["annotations"], Value::Null);
    assert_eq!(
        service["lb"]["service"]["type"],
        Value::from("LoadBalancer")
    );

    // Back again: everything the build created for the other path goes with it.
    edit(
        &repo.path().join("plan.toml"),
        "helm-service = \"clustermesh.apiserver.lb.service\"",
        "helm-service = \"clustermesh.apiserver.service\"",
    );
    builds_twice(repo.path());
    assert_eq!(read(repo.path(), VALUES), before);
}

#[test]
fn a_hand_written_key_without_the_marker_is_never_removed() {
    let repo = scratch_repo();
    // The user took the key over: no marker, so it is theirs, even renamed away.
    edit(
        &repo.path().join(SETTINGS),
        &format!("CLUSTERMESH_IP: \"10.25.11.100\" {MARKER}"),
        "CLUSTERMESH_IP: \"10.25.11.100\" # mine now",
    );
    edit(
        &repo.path().join(VALUES),
        &format!("type: LoadBalancer {MARKER}"),
        "type: LoadBalancer",
    );
    edit(
        &repo.path().join("plan.toml"),
        "setting = \"CLUSTERMESH_IP\"",
        "setting = \"MESH_IP\"",
    );
    // ...and, as the user must, the HelmRelease that substitutes it.
    edit(
        &repo.path().join(RELEASE),
        "${CLUSTERMESH_IP}",
        "${MESH_IP}",
    );
    edit(
        &repo.path().join("plan.toml"),
        "helm-service = \"clustermesh.apiserver.service\"",
        "helm-service = \"clustermesh.apiserver.lb\"",
    );
    builds_twice(repo.path());
    let settings = read(repo.path(), SETTINGS);
    assert!(
        settings.contains("  CLUSTERMESH_IP: \"10.25.11.100\" # mine now\n"),
        "{settings}"
    );
    let values = read(repo.path(), VALUES);
    assert!(values.contains("      type: LoadBalancer\n"), "{values}");
    let old = &yaml11(&values)["clustermesh"]["apiserver"]["service"];
    assert_eq!(
        old["annotations"],
        Value::Null,
        "the marked annotation went"
    );
}

#[test]
fn the_marker_survives_value_changes_and_is_added_once() {
    let repo = scratch_repo();
    // A managed key without its marker (say, from before markers) gets one.
    edit(
        &repo.path().join(SETTINGS),
        &format!("CILIUM_LB_POOL_END: \"10.25.11.119\" {MARKER}"),
        "CILIUM_LB_POOL_END: \"10.25.11.119\"   # last address",
    );
    edit(
        &repo.path().join("plan.toml"),
        "clustermesh-apiserver = \"10.25.11.100\"",
        "clustermesh-apiserver = \"10.25.11.101\"",
    );
    builds_twice(repo.path());
    let settings = read(repo.path(), SETTINGS);
    assert!(
        settings.contains(&format!("  CLUSTERMESH_IP: \"10.25.11.101\" {MARKER}\n")),
        "{settings}"
    );
    assert!(
        settings.contains(&format!(
            "  CILIUM_LB_POOL_END: \"10.25.11.119\"   # last address {MARKER}\n"
        )),
        "{settings}"
    );
    assert_eq!(settings.matches(MARKER).count(), 5, "{settings}");
    let values = read(repo.path(), VALUES);
    assert!(values.contains(&format!(
        "io.cilium/lb-ipam-ips: \"10.25.11.101\" {MARKER}\n"
    )));
    assert_eq!(values.matches(MARKER).count(), 2, "{values}");
}
