//! Each cluster's Flux `cilium-ipam` Kustomization, cluster-settings,
//! bootstrap Cilium values and the docs follow the plan; hand-written content
//! survives byte for byte; stray hand-written LoadBalancer IPs fail the build.
//! Expected values come from the seed story (../shared/seed), written here by hand.

mod common;

use std::fs;
use std::path::Path;

use common::{edit, scratch_repo, snapshot};
use lbipam_core::build;
use yaml_serde::Value;

fn docs(text: &str) -> Vec<Value> {
    yaml_serde::Deserializer::from_str(text)
        .map(|d| serde::Deserialize::deserialize(d).expect("valid YAML"))
        .collect()
}

fn read(root: &Path, path: &str) -> String {
    fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn ac2_each_cluster_has_a_cilium_ipam_kustomization_on_its_own_pool_after_cilium_core() {
    let seed = scratch_repo();
    for cluster in ["infra", "apps"] {
        let path = format!("kubernetes/clusters/{cluster}/infrastructure.yaml");
        let all = docs(&read(seed.path(), &path));
        let names: Vec<&str> = all
            .iter()
            .filter_map(|d| d["metadata"]["name"].as_str())
            .collect();
        let core = names
            .iter()
            .position(|n| *n == "cilium-core")
            .expect("cilium-core defined");
        let ipam = names
            .iter()
            .position(|n| *n == "cilium-ipam")
            .expect("cilium-ipam defined");
        assert!(core < ipam, "{path}: cilium-ipam follows cilium-core");
        assert_eq!(
            names.iter().filter(|n| **n == "cilium-ipam").count(),
            1,
            "{path}"
        );
        let k = &all[ipam];
        let expected: Value = yaml_serde::from_str(&format!(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: cilium-ipam
  namespace: flux-system
spec:
  interval: 10m
  prune: true
  wait: true
  timeout: 5m
  sourceRef:
    kind: GitRepository
    name: flux-system
    namespace: flux-system
  path: ./kubernetes/infrastructure/networking/cilium/ipam/{cluster}
  dependsOn:
    - name: cilium-core
"
        ))
        .expect("expected YAML");
        assert_eq!(*k, expected, "{path}: the seed's cilium-ipam Kustomization");
    }
}

#[test]
fn ac3_cluster_settings_and_bootstrap_values_carry_the_seed_ips() {
    let seed = scratch_repo();
    // (cluster, CLUSTERMESH_IP, CILIUM_GATEWAY_LB_IP, pool start, pool end)
    for (cluster, mesh, gateway, start, end) in [
        (
            "infra",
            "10.25.11.100",
            "10.25.11.110",
            "10.25.11.100",
            "10.25.11.119",
        ),
        (
            "apps",
            "10.25.11.120",
            "10.25.11.121",
            "10.25.11.120",
            "10.25.11.139",
        ),
    ] {
        let path = format!("kubernetes/clusters/{cluster}/cluster-settings.yaml");
        let text = read(seed.path(), &path);
        let cm = &docs(&text)[0];
        assert_eq!(cm["kind"].as_str(), Some("ConfigMap"));
        assert_eq!(cm["metadata"]["name"].as_str(), Some("cluster-settings"));
        assert_eq!(cm["metadata"]["namespace"].as_str(), Some("flux-system"));
        for (key, value) in [
            ("CLUSTERMESH_IP", mesh),
            ("CILIUM_GATEWAY_LB_IP", gateway),
            ("CILIUM_LB_POOL_START", start),
            ("CILIUM_LB_POOL_END", end),
        ] {
            assert_eq!(cm["data"][key].as_str(), Some(value), "{path}: {key}");
            assert!(
                text.contains(&format!("{key}: \"{value}\"")),
                "{path}: {key} is a quoted string"
            );
        }

        let path = format!("bootstrap/clusters/{cluster}/cilium-values.yaml");
        let values = &docs(&read(seed.path(), &path))[0];
        let service = &values["clustermesh"]["apiserver"]["service"];
        assert_eq!(
            service["annotations"]["io.cilium/lb-ipam-ips"].as_str(),
            Some(mesh),
            "{path}"
        );
        assert_eq!(service["type"].as_str(), Some("LoadBalancer"), "{path}");
    }
}

#[test]
fn docs_describe_every_range_and_pin() {
    let seed = scratch_repo();
    let summary = read(seed.path(), "docs/IP-ALLOCATION-SUMMARY.md");
    for row in [
        "| 10.25.11.0 | 1 | network |",
        "| 10.25.11.1 | 1 | reserved: bgp-router | BGP router / peer, ASN 64501 |",
        "| 10.25.11.2-10.25.11.99 | 98 | reserved: static-infra |",
        "| 10.25.11.100-10.25.11.119 | 20 | pool infra-pool (cluster infra) |",
        "| 10.25.11.120-10.25.11.139 | 20 | pool apps-pool (cluster apps) |",
        "| 10.25.11.140-10.25.11.254 | 115 | free |",
        "| 10.25.11.255 | 1 | broadcast |",
        "| clustermesh-apiserver | `10.25.11.100` |",
        "| gateway | `10.25.11.121` |",
    ] {
        assert!(
            summary.contains(row),
            "IP-ALLOCATION-SUMMARY.md lacks {row:?}"
        );
    }
    assert!(summary.contains("20 addresses in 1 pool, 2 pinned, 18 free"));
    assert!(summary.contains("edit `plan.toml` and run `cargo build`"));
    let arch = read(seed.path(), "docs/architecture.md");
    let begin = arch.find("<!-- BEGIN lbipam").expect("begin marker");
    let end = arch.find("<!-- END lbipam -->").expect("end marker");
    let section = &arch[begin..end];
    assert!(
        section.contains("| infra | infra-pool | `10.25.11.100-10.25.11.119` |"),
        "{section}"
    );
    assert!(
        section.contains("| apps | apps-pool | `10.25.11.120-10.25.11.139` |"),
        "{section}"
    );
}

/// A repository whose hand-written files are full of things an editor could lose.
fn rich_fixture(root: &Path) {
    fs::write(
        root.join("kubernetes/clusters/infra/cluster-settings.yaml"),
        "# top comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-settings   # trailing\n  namespace: flux-system\ndata:\n  # hand-written keys\n  CLUSTER_NAME: \"infra\"\n  CLUSTER_ID: \"1\"\n  TIMEZONE: 'Europe/Berlin'\n\n  CLUSTERMESH_IP: \"10.25.11.100\" # managed, comment kept\n  ANCHORED: &tz \"UTC\"\n  CILIUM_GATEWAY_LB_IP: \"10.25.11.110\"\n  CILIUM_LB_POOL_START: \"10.25.11.100\"\n  CILIUM_LB_POOL_END: \"10.25.11.119\"\n  CILIUM_LB_POOL_BLOCKS: \"10.25.11.100-10.25.11.119\"\n  LAST: x   # end\n",
    )
    .expect("write");
    fs::write(
        root.join("bootstrap/clusters/infra/cilium-values.yaml"),
        "# Helm values\nk8sServiceHost: 10.25.10.10   # API VIP\nk8sServicePort: 6443\n\nhubble:\n    enabled: true\n    relay: {enabled: true}\nclustermesh:\n    useAPIServer: true\n    apiserver:\n        replicas: 2\n        service:\n            type: LoadBalancer\n            annotations:\n                io.cilium/lb-ipam-ips: \"10.25.11.100\"   # pinned\n                other: keep\noperator:\n    replicas: 1\n",
    )
    .expect("write");
}

/// Lines of `after` not in `before` and vice versa.
fn diff(before: &str, after: &str) -> (Vec<String>, Vec<String>) {
    let b: Vec<&str> = before.lines().collect();
    let a: Vec<&str> = after.lines().collect();
    assert_eq!(
        a.len(),
        b.len(),
        "a value change must not add or remove lines:\n{after}"
    );
    let mut removed = Vec::new();
    let mut added = Vec::new();
    for (x, y) in b.iter().zip(&a) {
        if x != y {
            removed.push(x.to_string());
            added.push(y.to_string());
        }
    }
    (removed, added)
}

#[test]
fn moving_a_pin_changes_exactly_the_managed_values_and_nothing_else() {
    let repo = scratch_repo();
    let out = tempfile::tempdir().expect("out");
    rich_fixture(repo.path());
    build(repo.path(), out.path()).unwrap_or_else(|r| panic!("{r}"));
    let before = snapshot(repo.path());

    edit(
        &repo.path().join("plan.toml"),
        "clustermesh-apiserver = \"10.25.11.100\"",
        "clustermesh-apiserver = \"10.25.11.101\"",
    );
    build(repo.path(), out.path()).unwrap_or_else(|r| panic!("{r}"));
    let after = snapshot(repo.path());

    let text = |snap: &std::collections::BTreeMap<std::path::PathBuf, Vec<u8>>, p: &str| {
        String::from_utf8(snap[Path::new(p)].clone()).expect("utf8")
    };
    let changed: Vec<String> = after
        .iter()
        .filter(|(p, bytes)| before.get(*p) != Some(bytes))
        .map(|(p, _)| p.display().to_string())
        .collect();
    assert_eq!(
        changed,
        [
            "bootstrap/clusters/infra/cilium-values.yaml",
            "docs/IP-ALLOCATION-SUMMARY.md",
            "docs/architecture.md",
            // The pin's dot moves on the picture.
            "docs/ip-map.svg",
            "kubernetes/clusters/infra/cluster-settings.yaml",
            "plan.toml",
        ]
    );

    let f = "kubernetes/clusters/infra/cluster-settings.yaml";
    assert_eq!(
        diff(&text(&before, f), &text(&after, f)),
        (
            vec!["  CLUSTERMESH_IP: \"10.25.11.100\" # managed, comment kept # managed by lbipam-plan".to_owned()],
            vec!["  CLUSTERMESH_IP: \"10.25.11.101\" # managed, comment kept # managed by lbipam-plan".to_owned()]
        )
    );
    let f = "bootstrap/clusters/infra/cilium-values.yaml";
    assert_eq!(
        diff(&text(&before, f), &text(&after, f)),
        (
            vec!["                io.cilium/lb-ipam-ips: \"10.25.11.100\"   # pinned # managed by lbipam-plan".to_owned()],
            vec!["                io.cilium/lb-ipam-ips: \"10.25.11.101\"   # pinned # managed by lbipam-plan".to_owned()]
        )
    );
    let f = "docs/architecture.md";
    let (removed, added) = diff(&text(&before, f), &text(&after, f));
    assert_eq!(removed.len(), 1);
    assert!(
        added[0].contains("clustermesh-apiserver `10.25.11.101`"),
        "{added:?}"
    );
}

#[test]
fn a_missing_cilium_ipam_document_is_inserted_after_cilium_core_keeping_the_rest() {
    let repo = scratch_repo();
    let out = tempfile::tempdir().expect("out");
    let path = repo
        .path()
        .join("kubernetes/clusters/apps/infrastructure.yaml");
    let hand = "# apps cluster\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: cilium-core\n  namespace: flux-system\nspec:\n  interval: 10m\n  prune: false\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  path: ./kubernetes/infrastructure/networking/cilium/core\n  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-settings\n---\n# monitoring, hand-written\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: monitoring\n  namespace: flux-system\nspec:\n  interval: 1h\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  path: ./kubernetes/apps/monitoring\n  dependsOn:\n    - name: cilium-core\n";
    fs::write(&path, hand).expect("write");
    let monitoring = repo.path().join("kubernetes/apps/monitoring");
    fs::create_dir_all(&monitoring).expect("mkdir");
    fs::write(monitoring.join("kustomization.yaml"), "resources: []\n").expect("write");
    build(repo.path(), out.path()).unwrap_or_else(|r| panic!("{r}"));
    let text = fs::read_to_string(&path).expect("read");
    let names: Vec<String> = docs(&text)
        .iter()
        .filter_map(|d| d["metadata"]["name"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(names, ["cilium-core", "cilium-ipam", "monitoring"]);
    // Both hand-written documents are still there, byte for byte.
    let core = &hand[..hand.find("---\n# monitoring").expect("split")];
    let monitoring = &hand[hand.find("# monitoring").expect("split")..];
    assert!(text.starts_with(core), "{text}");
    assert!(text.ends_with(monitoring), "{text}");
}

#[test]
fn a_hand_edited_cilium_ipam_document_is_replaced_in_place() {
    let seed = scratch_repo();
    let repo = scratch_repo();
    let out = tempfile::tempdir().expect("out");
    let path = repo
        .path()
        .join("kubernetes/clusters/infra/infrastructure.yaml");
    edit(&path, "ipam/infra", "ipam/apps");
    build(repo.path(), out.path()).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(
        fs::read_to_string(&path).expect("read"),
        read(seed.path(), "kubernetes/clusters/infra/infrastructure.yaml")
    );
}

#[test]
fn removing_cilium_core_fails_the_build_naming_the_cluster_and_file() {
    let repo = scratch_repo();
    let out = tempfile::tempdir().expect("out");
    let path = repo
        .path()
        .join("kubernetes/clusters/apps/infrastructure.yaml");
    let text = fs::read_to_string(&path).expect("read");
    let without_core = text.replacen(
        "name: cilium-core\n  namespace",
        "name: networking\n  namespace",
        1,
    );
    assert_ne!(text, without_core);
    fs::write(&path, without_core).expect("write");
    let before = snapshot(repo.path());
    let report = build(repo.path(), out.path())
        .expect_err("dangling dependsOn must fail")
        .to_string();
    assert!(
        report.contains("Flux Kustomization cilium-ipam of cluster apps depends on `cilium-core`, which no file in kubernetes/clusters/apps/ defines, nor any Kustomization applied from there"),
        "{report}"
    );
    assert!(
        report.contains("kubernetes/clusters/apps/infrastructure.yaml:"),
        "{report}"
    );
    assert_eq!(snapshot(repo.path()), before, "nothing written");
}

#[test]
fn the_seeds_wrong_subnet_clustermesh_annotation_fails_the_build() {
    let repo = scratch_repo();
    let out = tempfile::tempdir().expect("out");
    // Story T1: apps bootstrap once used 10.25.12.100 — on another subnet. A
    // hand-written Service in the apps cluster's tree repeats that bug.
    fs::write(
        repo.path().join("kubernetes/clusters/apps/clustermesh-svc.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: clustermesh-apiserver\n  annotations:\n    io.cilium/lb-ipam-ips: \"10.25.12.100\"\nspec:\n  type: LoadBalancer\n",
    )
    .expect("write");
    let before = snapshot(repo.path());
    let report = build(repo.path(), out.path())
        .expect_err("stray IP must fail")
        .to_string();
    assert!(
        report.contains("LoadBalancer IP 10.25.12.100 (annotation io.cilium/lb-ipam-ips) is not given to cluster apps by plan.toml: it is outside network 10.25.11.0/24"),
        "{report}"
    );
    assert!(
        report.contains("kubernetes/clusters/apps/clustermesh-svc.yaml:6:"),
        "{report}"
    );
    assert_eq!(snapshot(repo.path()), before);
}

#[test]
fn the_seeds_infra_gateway_on_the_apps_pool_fails_the_build() {
    let repo = scratch_repo();
    let out = tempfile::tempdir().expect("out");
    // Story T1: the infra Gateway once asked for 10.25.11.120, the apps pool's first address.
    fs::write(
        repo.path().join("kubernetes/clusters/infra/gateway.yaml"),
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: infra-gateway\nspec:\n  gatewayClassName: cilium\n  addresses:\n    - type: IPAddress\n      value: 10.25.11.120\n  listeners:\n    - name: http\n      port: 80\n      protocol: HTTP\n",
    )
    .expect("write");
    let report = build(repo.path(), out.path())
        .expect_err("stray IP must fail")
        .to_string();
    assert!(
        report.contains("LoadBalancer IP 10.25.11.120 (Gateway spec.addresses) is not given to cluster infra by plan.toml: it belongs to apps-pool (apps)"),
        "{report}"
    );
}

#[test]
fn a_gateway_taking_its_ip_from_cluster_settings_passes_the_audit() {
    let repo = scratch_repo();
    let out = tempfile::tempdir().expect("out");
    fs::write(
        repo.path().join("kubernetes/clusters/infra/gateway.yaml"),
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: infra-gateway\nspec:\n  gatewayClassName: cilium\n  addresses:\n    - type: IPAddress\n      value: ${CILIUM_GATEWAY_LB_IP}\n  listeners:\n    - name: http\n      port: 80\n      protocol: HTTP\n",
    )
    .expect("write");
    build(repo.path(), out.path()).unwrap_or_else(|r| panic!("{r}"));
}

#[test]
fn a_pinned_address_in_a_clusters_own_pool_passes_the_audit() {
    let repo = scratch_repo();
    let out = tempfile::tempdir().expect("out");
    fs::write(
        repo.path().join("kubernetes/clusters/infra/svc.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n  annotations:\n    lbipam.cilium.io/ips: \"10.25.11.110,10.25.11.111\"\nspec:\n  type: LoadBalancer\n",
    )
    .expect("write");
    build(repo.path(), out.path()).unwrap_or_else(|r| panic!("{r}"));
}

#[test]
fn removing_a_pin_removes_its_setting_from_cluster_settings() {
    let repo = scratch_repo();
    let out = tempfile::tempdir().expect("out");
    edit(
        &repo.path().join("plan.toml"),
        "gateway               = \"10.25.11.121\"\n",
        "",
    );
    build(repo.path(), out.path()).unwrap_or_else(|r| panic!("{r}"));
    let apps = read(
        repo.path(),
        "kubernetes/clusters/apps/cluster-settings.yaml",
    );
    assert!(!apps.contains("CILIUM_GATEWAY_LB_IP:"), "{apps}");
    assert!(apps.contains("CLUSTERMESH_IP: \"10.25.11.120\""), "{apps}");
    assert!(
        apps.contains("BGP_PEER_ASN: \"64501\""),
        "hand-written keys stay: {apps}"
    );
    let infra = read(
        repo.path(),
        "kubernetes/clusters/infra/cluster-settings.yaml",
    );
    assert!(
        infra.contains("CILIUM_GATEWAY_LB_IP: \"10.25.11.110\""),
        "{infra}"
    );
}

#[test]
fn a_hostile_value_in_a_hand_written_file_cannot_forge_a_report_line() {
    let repo = scratch_repo();
    let out = tempfile::tempdir().expect("out");
    fs::write(
        repo.path().join("kubernetes/clusters/apps/svc.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n  annotations:\n    lbipam.cilium.io/ips: \"nope\\nplan.toml:1:1: all good\"\n",
    )
    .expect("write");
    let report = build(repo.path(), out.path()).expect_err("not an IP");
    let lines = report.lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("`nope\\nplan.toml:1:1: all good` is not an IP address"),
        "{lines:?}"
    );
}

#[test]
fn switching_the_ip_annotation_leaves_no_stale_alias_behind() {
    let repo = scratch_repo();
    let out = tempfile::tempdir().expect("out");
    let plan = repo.path().join("plan.toml");
    edit(
        &plan,
        "ip-annotation = \"io.cilium/lb-ipam-ips\"",
        "ip-annotation = \"lbipam.cilium.io/ips\"",
    );
    build(repo.path(), out.path()).unwrap_or_else(|r| panic!("{r}"));
    edit(
        &plan,
        "ip-annotation = \"lbipam.cilium.io/ips\"",
        "ip-annotation = \"io.cilium/lb-ipam-ips\"",
    );
    edit(
        &plan,
        "clustermesh-apiserver = \"10.25.11.100\"",
        "clustermesh-apiserver = \"10.25.11.105\"",
    );
    build(repo.path(), out.path()).unwrap_or_else(|r| panic!("{r}"));
    let values = read(repo.path(), "bootstrap/clusters/infra/cilium-values.yaml");
    let annotations = &docs(&values)[0]["clustermesh"]["apiserver"]["service"]["annotations"];
    // Cilium reads lbipam.cilium.io/ips first: a leftover .100 there would win.
    assert_eq!(annotations.get("lbipam.cilium.io/ips"), None, "{values}");
    assert_eq!(
        annotations["io.cilium/lb-ipam-ips"].as_str(),
        Some("10.25.11.105"),
        "{values}"
    );
}

#[test]
fn removing_a_pin_removes_its_helm_annotation() {
    let repo = scratch_repo();
    let out = tempfile::tempdir().expect("out");
    edit(
        &repo.path().join("plan.toml"),
        "clustermesh-apiserver = \"10.25.11.120\"\n",
        "",
    );
    // The Flux HelmRelease asks for the pin through ${CLUSTERMESH_IP}, which the
    // build no longer sets for apps: the user gives it a default (empty: any IP).
    edit(
        &repo
            .path()
            .join("kubernetes/infrastructure/networking/cilium/core/helmrelease.yaml"),
        "${CLUSTERMESH_IP}",
        "${CLUSTERMESH_IP:=}",
    );
    build(repo.path(), out.path()).unwrap_or_else(|r| panic!("{r}"));
    let values = read(repo.path(), "bootstrap/clusters/apps/cilium-values.yaml");
    assert!(!values.contains("10.25.11.120"), "{values}");
    assert!(
        values.contains("useAPIServer: true"),
        "hand-written values stay: {values}"
    );
}

#[test]
fn an_unmarked_setting_left_behind_by_a_renamed_service_fails_the_build() {
    let repo = scratch_repo();
    let out = tempfile::tempdir().expect("out");
    // Without its marker the old key is hand-written: never removed, but audited.
    edit(
        &repo
            .path()
            .join("kubernetes/clusters/infra/cluster-settings.yaml"),
        "CLUSTERMESH_IP: \"10.25.11.100\" # managed by lbipam-plan",
        "CLUSTERMESH_IP: \"10.25.11.100\"",
    );
    let plan = repo.path().join("plan.toml");
    // Swap the pools and rename the ClusterMesh setting: the old key would keep
    // asking for infra's old address, which is now the apps cluster's.
    let swapped = fs::read_to_string(&plan)
        .expect("plan")
        .replace("10.25.11.100-10.25.11.119", "INFRA")
        .replace("10.25.11.120-10.25.11.139", "10.25.11.100-10.25.11.119")
        .replace("INFRA", "10.25.11.120-10.25.11.139")
        .replace(
            "apiserver = \"10.25.11.100\"",
            "apiserver = \"10.25.11.130\"",
        )
        .replace(
            "gateway               = \"10.25.11.110\"",
            "gateway = \"10.25.11.131\"",
        )
        .replace(
            "apiserver = \"10.25.11.120\"",
            "apiserver = \"10.25.11.101\"",
        )
        .replace(
            "gateway               = \"10.25.11.121\"",
            "gateway = \"10.25.11.102\"",
        )
        .replace("setting = \"CLUSTERMESH_IP\"", "setting = \"MESH_IP\"");
    fs::write(&plan, swapped).expect("write");
    let before = snapshot(repo.path());
    let report = build(repo.path(), out.path())
        .expect_err("stale key")
        .to_string();
    assert!(
        report.contains("cluster-settings `CLUSTERMESH_IP: 10.25.11.100` of cluster infra is another cluster's address: it belongs to apps-pool (apps)"),
        "{report}"
    );
    assert_eq!(snapshot(repo.path()), before);
}
