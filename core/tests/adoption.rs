//! Repositories shaped unlike the seed adopt the tool with a `[layout]` table and
//! no Rust: the build generates and wires their pools where they keep them, the
//! gate passes, and the breaks the gate exists for are caught there too.
//!
//! The fixtures under `tests/adoption/` are small copies of two real shapes:
//! `one-cluster` (apps under `kubernetes/apps/<namespace>/<app>/`, the Flux entry
//! in `kubernetes/flux/cluster/ks.yaml`, Cilium's values in its HelmRelease, no
//! settings ConfigMap) and `two-clusters` (an `OCIRepository` source, settings in
//! a ConfigMap `cluster-config` under `kubernetes/clusters/<c>/secrets/`, one file
//! per pool).

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::snapshot;
use lbipam_core::{Mode, build_with, verify};
use yaml_serde::Value;

/// A scratch copy of the fixture `name`.
fn fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/adoption")
            .join(name),
        dir.path(),
    );
    dir
}

fn copy(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for e in fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy(&e.path(), &target);
        } else {
            fs::copy(e.path(), target).expect("copy");
        }
    }
}

fn read(root: &Path, path: &str) -> String {
    fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn docs(text: &str) -> Vec<Value> {
    yaml_serde::Deserializer::from_str(text)
        .map(|d| serde::Deserialize::deserialize(d).expect("YAML"))
        .filter(|v: &Value| !v.is_null())
        .collect()
}

/// Builds in `mode`; the report's lines on failure.
fn build(root: &Path, mode: Mode) -> Result<Vec<PathBuf>, String> {
    let out = tempfile::tempdir().expect("out dir");
    build_with(root, out.path(), mode)
        .map(|s| s.changes.iter().map(|c| c.path().to_path_buf()).collect())
        .map_err(|r| r.lines().join("\n"))
}

/// Adopts: the first build writes, the second writes nothing, the gate passes.
fn adopt(root: &Path) -> Vec<PathBuf> {
    let written = build(root, Mode::Write).unwrap_or_else(|r| panic!("first build:\n{r}"));
    assert_eq!(build(root, Mode::Write), Ok(Vec::new()), "second build");
    build(root, Mode::Check).unwrap_or_else(|r| panic!("check mode:\n{r}"));
    verify(&root.join("plan.toml")).unwrap_or_else(|r| panic!("verify:\n{r}"));
    written
}

/// Applies a hand edit and expects check mode to fail naming `file`, writing nothing.
fn caught(root: &Path, file: &str, from: &str, to: &str) -> String {
    let path = root.join(file);
    let text = fs::read_to_string(&path).expect("read");
    assert!(text.contains(from), "{file} must contain {from:?}");
    fs::write(&path, text.replacen(from, to, 1)).expect("write");
    let before = snapshot(root);
    let report = build(root, Mode::Check).expect_err("the break must fail the check");
    assert!(report.contains(file), "{file} not named in:\n{report}");
    assert_eq!(snapshot(root), before, "nothing written");
    fs::write(&path, text).expect("restore");
    report
}

mod one_cluster {
    use super::*;

    const POOLS: &str = "kubernetes/apps/kube-system/cilium/ipam/pools.yaml";
    const KS: &str = "kubernetes/flux/cluster/ks.yaml";
    const RELEASE: &str = "kubernetes/apps/kube-system/cilium/app/helmrelease.yaml";

    #[test]
    fn the_build_generates_and_wires_the_pool_where_the_layout_says() {
        let repo = fixture("one-cluster");
        let root = repo.path();
        let written = adopt(root);
        let written: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
        for file in [POOLS, KS, RELEASE, "docs/IP-ALLOCATION-SUMMARY.md"] {
            assert!(written.iter().any(|w| w == file), "{file} in {written:?}");
        }
        let pool = &docs(&read(root, POOLS))[0];
        assert_eq!(pool["metadata"]["name"], Value::from("main-pool"));
        assert_eq!(
            pool["spec"]["blocks"][0]["start"],
            Value::from("192.168.42.200")
        );
        // The managed Flux Kustomization joins the hand-written ones, after
        // `cilium`, which it depends on, pointing at the generated directory.
        let ks = docs(&read(root, KS));
        let names: Vec<&str> = ks
            .iter()
            .filter_map(|d| d["metadata"]["name"].as_str())
            .collect();
        assert_eq!(names, ["cilium", "cilium-ipam", "echo"]);
        let ipam = &ks[1]["spec"];
        assert_eq!(
            ipam["path"],
            Value::from("./kubernetes/apps/kube-system/cilium/ipam")
        );
        assert_eq!(ipam["dependsOn"][0]["name"], Value::from("cilium"));
        // The pin reaches Cilium through the HelmRelease's values, the rest kept.
        let release = read(root, RELEASE);
        let values = &docs(&release)[0]["spec"]["values"];
        let svc = &values["hubble"]["relay"]["service"];
        assert_eq!(
            svc["annotations"]["io.cilium/lb-ipam-ips"],
            Value::from("192.168.42.200")
        );
        assert_eq!(svc["type"], Value::from("LoadBalancer"));
        assert!(release.contains("      enabled: true # the LB IPs are announced on the home LAN"));
        assert!(
            !root.join("kubernetes/clusters").exists(),
            "no parallel tree"
        );
    }

    #[test]
    fn the_pin_reaches_the_helm_release_beside_its_helm_repository() {
        let repo = fixture("one-cluster");
        let root = repo.path();
        // Many repositories keep the chart's source in the release's file.
        let source = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: cilium-mirror\n  namespace: kube-system\nspec:\n  interval: 1h\n  url: https://charts.example.org/cilium\n---\n";
        let release = read(root, RELEASE);
        fs::write(root.join(RELEASE), format!("{source}{release}")).expect("write");
        adopt(root);
        let edited = read(root, RELEASE);
        assert!(edited.starts_with(source), "the HelmRepository as written");
        let docs = docs(&edited);
        let svc = &docs[1]["spec"]["values"]["hubble"]["relay"]["service"];
        assert_eq!(
            svc["annotations"]["io.cilium/lb-ipam-ips"],
            Value::from("192.168.42.200")
        );
    }

    #[test]
    fn a_hand_edited_pool_or_pin_fails_the_gate() {
        let repo = fixture("one-cluster");
        let root = repo.path();
        adopt(root);
        caught(root, POOLS, "stop: 192.168.42.239", "stop: 192.168.42.249");
        caught(root, RELEASE, "\"192.168.42.200\"", "\"192.168.42.201\"");
        caught(root, KS, "cilium/ipam", "cilium/app");
    }

    #[test]
    fn a_request_outside_the_pool_and_a_leftover_pool_fail_the_build() {
        let repo = fixture("one-cluster");
        let root = repo.path();
        adopt(root);
        let service = "kubernetes/apps/default/echo/service.yaml";
        let report = caught(root, service, "192.168.42.210", "192.168.42.50");
        assert!(
            report.contains("is not given to cluster main by plan.toml"),
            "{report}"
        );
        // The old hand-written pool left beside the generated one.
        fs::write(
            root.join("kubernetes/apps/default/echo/old-pool.yaml"),
            "apiVersion: cilium.io/v2alpha1\nkind: CiliumLoadBalancerIPPool\nmetadata:\n  name: home\nspec:\n  blocks:\n    - cidr: 192.168.42.192/26\n",
        )
        .expect("write");
        let kustomization = root.join("kubernetes/apps/default/echo/kustomization.yaml");
        let text = fs::read_to_string(&kustomization).expect("read");
        fs::write(
            &kustomization,
            text.replace("- service.yaml", "- service.yaml\n  - old-pool.yaml"),
        )
        .expect("write");
        for mode in [Mode::Write, Mode::Check] {
            let report = build(root, mode).expect_err("a pool the plan does not have");
            assert!(
                report.contains("kubernetes/apps/default/echo/old-pool.yaml:4:1: CiliumLoadBalancerIPPool home (applied by Flux Kustomization echo of cluster main via echo → ./kubernetes/apps/default/echo → old-pool.yaml) is not a pool of plan.toml"),
                "{mode:?}: {report}"
            );
        }
    }

    #[test]
    fn moving_pools_dir_deletes_the_old_generated_component() {
        let repo = fixture("one-cluster");
        let root = repo.path();
        adopt(root);
        let plan = read(root, "plan.toml").replace("cilium/ipam\"", "cilium/lb-ipam\"");
        fs::write(root.join("plan.toml"), plan).expect("write");
        // Check mode names the old files; a local build deletes them.
        let report = build(root, Mode::Check).expect_err("the old component is stale");
        assert!(
            report.contains(&format!("{POOLS}:1:1: not in the plan")),
            "{report}"
        );
        let written = adopt(root);
        assert!(written.iter().any(|p| p == Path::new(POOLS)), "{written:?}");
        assert!(!root.join(POOLS).exists());
        assert!(
            root.join("kubernetes/apps/kube-system/cilium/lb-ipam/pools.yaml")
                .exists()
        );
    }

    #[test]
    fn dropping_the_docs_deletes_the_generated_ones_and_keeps_the_architecture_document() {
        let repo = fixture("one-cluster");
        let root = repo.path();
        adopt(root);
        let summary = "docs/IP-ALLOCATION-SUMMARY.md";
        assert!(root.join(summary).exists() && root.join("docs/ip-map.svg").exists());
        let plan = read(root, "plan.toml").replace("[layout]\n", "[layout]\ndocs-dir = \"\"\n");
        fs::write(root.join("plan.toml"), plan).expect("write");
        let report = build(root, Mode::Check).expect_err("the old docs are stale");
        assert!(
            report.contains(&format!("{summary}:1:1: not in the plan")),
            "{report}"
        );
        adopt(root);
        assert!(!root.join(summary).exists() && !root.join("docs/ip-map.svg").exists());
        // Hand-written, only partly ours: left where it is.
        assert!(root.join("docs/architecture.md").exists());
    }

    #[test]
    fn a_setting_without_a_settings_config_map_is_a_plan_error_at_its_line() {
        let repo = fixture("one-cluster");
        let root = repo.path();
        let plan = read(root, "plan.toml").replace(
            "helm-service = \"hubble.relay.service\"",
            "helm-service = \"hubble.relay.service\"\nsetting = \"RELAY_IP\"",
        );
        let line = plan
            .lines()
            .position(|l| l.starts_with("setting ="))
            .expect("line")
            + 1;
        fs::write(root.join("plan.toml"), plan).expect("write");
        let before = snapshot(root);
        let report = build(root, Mode::Write).expect_err("nowhere to write the setting");
        assert!(
            report.starts_with(&format!("plan.toml:{line}:11: invalid cluster-settings key `RELAY_IP`: [layout] settings-name is \"\"")),
            "{report}"
        );
        assert_eq!(snapshot(root), before);
    }

    #[test]
    fn pins_held_back_in_their_own_pools_are_owned_by_the_helm_release_service() {
        let repo = fixture("one-cluster");
        let root = repo.path();
        let plan = read(root, "plan.toml").replace(
            "helm-service = \"hubble.relay.service\"",
            "helm-service = \"hubble.relay.service\"\nservice = \"kube-system/hubble-relay\"",
        ) + "\n[cilium]\nreserve-pins = true\napi-version = \"cilium.io/v2\"\n";
        fs::write(root.join("plan.toml"), plan).expect("write");
        adopt(root);
        let pools = docs(&read(root, POOLS));
        let names: Vec<&str> = pools
            .iter()
            .filter_map(|d| d["metadata"]["name"].as_str())
            .collect();
        assert_eq!(names, ["main-pool", "main-pool.hubble-relay"]);
        assert_eq!(pools[1]["apiVersion"], Value::from("cilium.io/v2"));
        let selector = &pools[1]["spec"]["serviceSelector"]["matchLabels"];
        assert_eq!(
            selector["io.kubernetes.service.name"],
            Value::from("hubble-relay")
        );
    }
}

mod two_clusters {
    use super::*;

    const SETTINGS: &str = "kubernetes/clusters/cluster-00/secrets/cluster-config.yaml";

    #[test]
    fn each_cluster_gets_one_file_per_pool_and_its_settings_in_its_own_config_map() {
        let repo = fixture("two-clusters");
        let root = repo.path();
        adopt(root);
        for (file, name) in [
            ("kubernetes/infra/lb-ipam/cluster-00/web.yaml", "web"),
            ("kubernetes/infra/lb-ipam/cluster-00/batch.yaml", "batch"),
            ("kubernetes/infra/lb-ipam/cluster-01/web.yaml", "web"),
        ] {
            let pools = docs(&read(root, file));
            assert_eq!(pools.len(), 1, "{file}");
            assert_eq!(pools[0]["metadata"]["name"], Value::from(name));
        }
        let component = docs(&read(
            root,
            "kubernetes/infra/lb-ipam/cluster-00/kustomization.yaml",
        ));
        assert_eq!(
            component[0]["resources"],
            Value::from(vec!["web.yaml", "batch.yaml"])
        );
        let flux = &docs(&read(root, "kubernetes/clusters/cluster-01/lb-ipam.yaml"))[0];
        assert_eq!(flux["metadata"]["name"], Value::from("lb-ipam"));
        assert_eq!(
            flux["spec"]["sourceRef"]["kind"],
            Value::from("OCIRepository")
        );
        assert_eq!(
            flux["spec"]["path"],
            Value::from("./kubernetes/infra/lb-ipam/cluster-01")
        );
        assert!(
            flux["spec"].get("dependsOn").is_none(),
            "depends-on is empty"
        );
        let settings = read(root, SETTINGS);
        assert!(
            settings.contains("  CLUSTER_NAME: cluster-00 # hand-written\n"),
            "{settings}"
        );
        assert_eq!(
            docs(&settings)[0]["data"]["INGRESS_IP"],
            Value::from("10.40.0.17")
        );
        assert!(
            !root
                .join("kubernetes/clusters/cluster-00/cluster-settings.yaml")
                .exists()
        );
    }

    #[test]
    fn a_hand_edited_setting_or_a_deleted_pool_file_fails_the_gate() {
        let repo = fixture("two-clusters");
        let root = repo.path();
        adopt(root);
        caught(root, SETTINGS, "\"10.40.0.17\"", "\"10.40.0.18\"");
        let pool = "kubernetes/infra/lb-ipam/cluster-00/batch.yaml";
        fs::remove_file(root.join(pool)).expect("rm");
        let report = build(root, Mode::Check).expect_err("a missing pool file");
        assert!(report.contains(&format!("{pool}:1:1: missing")), "{report}");
    }

    #[test]
    fn a_shared_app_asking_for_one_clusters_address_fails_for_the_other() {
        let repo = fixture("two-clusters");
        let root = repo.path();
        adopt(root);
        let service = "kubernetes/apps/ingress/service.yaml";
        let report = caught(root, service, "${INGRESS_IP}", "10.40.0.17");
        assert!(
            report.contains("not given to cluster cluster-01"),
            "{report}"
        );
        assert!(
            !report.contains("not given to cluster cluster-00"),
            "{report}"
        );
    }
}
