//! A repository shaped like a real Flux + Cilium home lab
//! (`core/tests/fixtures/homelab/`): the Flux entry
//! `kubernetes/flux/cluster/ks.yaml` patches every child Kustomization
//! (decryption, `substituteFrom` of `cluster-settings` and `cluster-secrets`,
//! both `optional: true`, neither in the repository); each namespace's
//! kustomization uses the `components/common` component (namespace, a SOPS
//! secret, alerts); Cilium's HelmRelease takes its values from a
//! `configMapGenerator`; its BGP config is in `cilium/config/`. The plan that
//! describes its pool adopts it, and stray addresses are caught at their file.

mod common;

use std::fs;
use std::path::Path;

use common::{edit, snapshot};
use lbipam_core::flux::entry::resolve_cluster;
use lbipam_core::tree::Tree;
use lbipam_core::{Mode, build_with};

fn copy(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for e in fs::read_dir(from).expect("read_dir").flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy(&e.path(), &target);
        } else {
            fs::copy(e.path(), target).expect("copy");
        }
    }
}

/// A scratch copy of the fixture, built once (the pools written, the
/// managed Flux Kustomization wired).
fn homelab() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/homelab"),
        dir.path(),
    );
    build(dir.path(), Mode::Write).unwrap_or_else(|r| panic!("first build:\n{r}"));
    dir
}

fn build(root: &Path, mode: Mode) -> Result<usize, String> {
    let out = tempfile::tempdir().expect("out dir");
    build_with(root, out.path(), mode)
        .map(|s| s.changes.len())
        .map_err(|r| r.lines().join("\n"))
}

#[test]
fn the_plan_describing_its_pool_builds_twice_and_passes_check_mode() {
    let repo = homelab();
    assert_eq!(
        build(repo.path(), Mode::Write),
        Ok(0),
        "the second build writes nothing"
    );
    build(repo.path(), Mode::Check).unwrap_or_else(|r| panic!("check mode:\n{r}"));
}

#[test]
fn the_entry_applies_the_patched_children_the_component_and_the_services() {
    let repo = homelab();
    let plan = lbipam_core::generate::load(repo.path()).unwrap_or_else(|r| panic!("{r}"));
    let build = resolve_cluster(&Tree::disk(repo.path()), &plan, "home")
        .unwrap_or_else(|e| panic!("{e:?}"));
    let apps = build.applied("cluster-apps").expect("cluster-apps");
    let echo = apps
        .objects
        .iter()
        .find(|o| o.kind() == "Kustomization" && o.name() == "echo")
        .expect("echo");
    assert!(echo.patched, "the parent's patch reaches the child");
    assert_eq!(
        echo.value["spec"]["decryption"]["provider"].as_str(),
        Some("sops")
    );
    assert_eq!(
        echo.value["spec"]["postBuild"]["substituteFrom"][1]["name"].as_str(),
        Some("cluster-secrets")
    );
    let namespaces: Vec<&str> = apps
        .objects
        .iter()
        .filter(|o| o.kind() == "Namespace")
        .map(|o| o.name())
        .collect();
    assert_eq!(
        namespaces,
        ["kube-system", "network"],
        "the component's namespace, renamed per namespace"
    );
    let alerts = apps.objects.iter().filter(|o| o.kind() == "Alert").count();
    assert_eq!(alerts, 2, "one alert per namespace from the component");
    let gateway = apps
        .objects
        .iter()
        .find(|o| o.name() == "gateway")
        .expect("gateway");
    assert_eq!(gateway.namespace(), Some("network"));
}

/// Writes `to` for `from` in `file`, expects check mode to fail naming it,
/// nothing written.
fn caught(root: &Path, file: &str, from: &str, to: &str) -> String {
    edit(&root.join(file), from, to);
    let before = snapshot(root);
    let report = build(root, Mode::Check).expect_err("a stray address fails the check");
    assert!(report.contains(file), "{file} not named in:\n{report}");
    assert!(
        report.contains("stray-ip") || report.contains("not given"),
        "{report}"
    );
    assert_eq!(snapshot(root), before, "nothing written");
    report
}

#[test]
fn a_stray_ip_in_a_plain_service_behind_a_component_is_caught_at_its_file() {
    let repo = homelab();
    let report = caught(
        repo.path(),
        "kubernetes/apps/network/gateway/service.yaml",
        "10.40.0.200",
        "10.40.0.50",
    );
    assert!(
        report.contains("cluster-apps"),
        "found by following Flux:\n{report}"
    );
}

#[test]
fn a_stray_ip_in_an_app_whose_kustomization_its_parent_patches_is_caught_at_its_file() {
    let repo = homelab();
    caught(
        repo.path(),
        "kubernetes/apps/network/echo/app/service.yaml",
        "10.40.0.210",
        "10.40.0.60",
    );
}

const CILIUM_VALUES: &str = "kubernetes/apps/kube-system/cilium/app/values.yaml";

/// Cilium's values asking for `ip` for the ClusterMesh API server.
fn clustermesh(ip: &str) -> String {
    format!(
        "clustermesh:\n  apiserver:\n    service:\n      loadBalancerIP: {ip}\nbgpControlPlane:\n"
    )
}

#[test]
fn a_stray_ip_in_cilium_values_from_its_config_map_generator_is_caught_as_the_clusters() {
    let repo = homelab();
    let report = caught(
        repo.path(),
        CILIUM_VALUES,
        "bgpControlPlane:\n",
        &clustermesh("10.40.0.50"),
    );
    assert!(
        report.contains("cluster home applies this file through Flux Kustomization cilium"),
        "followed from the HelmRelease's valuesFrom:\n{report}"
    );
}

#[test]
fn an_address_of_the_pool_in_cilium_values_is_fine() {
    let repo = homelab();
    edit(
        &repo.path().join(CILIUM_VALUES),
        "bgpControlPlane:\n",
        &clustermesh("10.40.0.230"),
    );
    build(repo.path(), Mode::Check).unwrap_or_else(|r| panic!("check mode:\n{r}"));
}
