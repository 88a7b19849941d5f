//! What `cargo build` does to the repository: nothing at all for a bad plan,
//! exactly the changed files for a good one, and nothing on a second run.

mod common;

use std::fs;

use common::{edit, scratch_repo, snapshot};
use lbipam_core::build;

#[test]
fn an_overlapping_plan_fails_with_the_line_and_leaves_every_file_untouched() {
    let repo = scratch_repo();
    let out = tempfile::tempdir().expect("out dir");
    edit(
        &repo.path().join("plan.toml"),
        "10.25.11.120-10.25.11.139",
        "10.25.11.119-10.25.11.139",
    );
    let before = snapshot(repo.path());
    let report = build(repo.path(), out.path()).expect_err("overlap must fail the build");
    let text = report.to_string();
    assert!(
        text.contains(
            "apps-pool (apps) 10.25.11.119-10.25.11.139 overlaps infra-pool (infra) at 10.25.11.119"
        ),
        "{text}"
    );
    assert!(text.contains("--> plan.toml:"), "{text}");
    assert_eq!(snapshot(repo.path()), before, "no file may change");
    assert!(snapshot(out.path()).is_empty(), "no plan.rs either");
}

#[test]
fn a_build_of_the_committed_repo_changes_nothing() {
    let repo = scratch_repo();
    let out = tempfile::tempdir().expect("out dir");
    let before = snapshot(repo.path());
    let summary = build(repo.path(), out.path()).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(summary.changes, [], "the committed tree must be in sync");
    assert_eq!(snapshot(repo.path()), before);
}

#[test]
fn a_plan_edit_rewrites_the_pool_then_a_second_build_is_a_no_op() {
    let repo = scratch_repo();
    let out = tempfile::tempdir().expect("out dir");
    edit(
        &repo.path().join("plan.toml"),
        "10.25.11.120-10.25.11.139",
        "10.25.11.120-10.25.11.149",
    );
    let first = build(repo.path(), out.path()).unwrap_or_else(|r| panic!("{r}"));
    assert!(!first.changes.is_empty());
    let pool = repo
        .path()
        .join("kubernetes/infrastructure/networking/cilium/ipam/apps/lb-ippool-apps.yaml");
    assert!(
        fs::read_to_string(&pool)
            .expect("pool")
            .contains("stop: 10.25.11.149")
    );
    let mtime = fs::metadata(&pool)
        .and_then(|m| m.modified())
        .expect("mtime");
    let second = build(repo.path(), out.path()).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(second.changes, [], "second build must write nothing");
    assert_eq!(
        fs::metadata(&pool)
            .and_then(|m| m.modified())
            .expect("mtime"),
        mtime
    );
}

#[test]
fn a_cluster_removed_from_the_plan_loses_its_generated_files_but_not_hand_written_ones() {
    let repo = scratch_repo();
    let out = tempfile::tempdir().expect("out dir");
    // A third cluster, built once, then removed again.
    let plan = repo.path().join("plan.toml");
    let original = fs::read_to_string(&plan).expect("plan");
    fs::write(
        &plan,
        format!(
            "{original}\n[clusters.edge.pools.edge-pool]\nblocks = [\"10.25.11.140/30\"]\n\n[clusters.edge.pins]\nclustermesh-apiserver = \"10.25.11.140\"\n"
        ),
    )
    .expect("write");
    // Its Flux wiring needs the cilium-core Kustomization `cilium-ipam` depends on.
    let flux = repo
        .path()
        .join("kubernetes/clusters/edge/infrastructure.yaml");
    fs::create_dir_all(flux.parent().expect("dir")).expect("mkdir");
    let infra = fs::read_to_string(
        repo.path()
            .join("kubernetes/clusters/infra/infrastructure.yaml"),
    )
    .expect("infra");
    let core_doc = infra.split("---\n").nth(1).expect("cilium-core document");
    fs::write(&flux, format!("---\n{core_doc}")).expect("write");
    // ...and the hand-written settings cilium-core substitutes into Cilium's values
    // (CLUSTERMESH_IP, the pin's, the build adds).
    fs::write(
        flux.with_file_name("cluster-settings.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-settings\n  namespace: flux-system\ndata:\n  CLUSTER_NAME: \"edge\"\n  CLUSTER_ID: \"3\"\n",
    )
    .expect("write");
    build(repo.path(), out.path()).unwrap_or_else(|r| panic!("{r}"));
    let edge = repo
        .path()
        .join("kubernetes/infrastructure/networking/cilium/ipam/edge");
    assert!(edge.join("lb-ippool-edge.yaml").exists());
    fs::write(edge.join("README.md"), "hand-written notes\n").expect("write");

    // Removing the cluster: from the plan, and its Flux wiring (which Flux would
    // otherwise still reconcile, a build error).
    fs::write(&plan, original).expect("write");
    fs::remove_dir_all(flux.parent().expect("dir")).expect("rm");
    fs::remove_dir_all(repo.path().join("bootstrap/clusters/edge")).expect("rm");
    build(repo.path(), out.path()).unwrap_or_else(|r| panic!("{r}"));
    assert!(!edge.join("lb-ippool-edge.yaml").exists());
    assert!(!edge.join("kustomization.yaml").exists());
    assert_eq!(
        fs::read_to_string(edge.join("README.md")).expect("kept"),
        "hand-written notes\n"
    );
}

#[test]
fn plan_rs_holds_typed_constants_and_the_compile_time_proof() {
    let repo = scratch_repo();
    let out = tempfile::tempdir().expect("out dir");
    build(repo.path(), out.path()).unwrap_or_else(|r| panic!("{r}"));
    let rs = fs::read_to_string(out.path().join("plan.rs")).expect("plan.rs");
    assert!(rs.starts_with("// Code generated by lbipam-plan from plan.toml. DO NOT EDIT."));
    assert!(
        rs.contains("Ipv4Addr::new(10u8, 25u8, 11u8, 100u8)"),
        "addresses are typed, not strings"
    );
    assert!(rs.contains("assert_plan!(PLAN)"));
}

#[test]
fn plan_rs_follows_the_plan_and_is_repaired_in_the_out_dir() {
    let repo = scratch_repo();
    let out = tempfile::tempdir().expect("out dir");
    let rs = out.path().join("plan.rs");
    build(repo.path(), out.path()).unwrap_or_else(|r| panic!("{r}"));
    let first = fs::read_to_string(&rs).expect("plan.rs");
    // A run with the plan unchanged keeps the file; a hand edit is undone.
    fs::write(&rs, "// edited\n").expect("edit plan.rs");
    build(repo.path(), out.path()).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(fs::read_to_string(&rs).expect("plan.rs"), first);
    // A changed plan is rendered again.
    edit(
        &repo.path().join("plan.toml"),
        "gateway               = \"10.25.11.110\"",
        "gateway               = \"10.25.11.111\"",
    );
    build(repo.path(), out.path()).unwrap_or_else(|r| panic!("{r}"));
    let again = fs::read_to_string(&rs).expect("plan.rs");
    assert!(
        again.contains("Ipv4Addr::new(10u8, 25u8, 11u8, 111u8)"),
        "{again}"
    );
}
