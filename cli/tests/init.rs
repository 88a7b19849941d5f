//! `lbipam init` on repositories that already run Cilium LB-IPAM (the fixtures
//! in `tests/fixtures/init/`, shaped like home-lab repositories): the plan it
//! writes says what the clusters apply, and the first build after it takes the
//! pool files over in place, changing no address anywhere.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use common::{lbipam, snapshot};
use lbipam_core::plan::Plan;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/init")
        .join(name)
}

fn copy(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for e in fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let path = e.path();
        if path.is_dir() {
            copy(&path, &to.join(e.file_name()));
        } else {
            fs::copy(&path, to.join(e.file_name())).expect("copy");
        }
    }
}

/// A scratch copy of a fixture.
fn scratch(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy(&fixture(name), dir.path());
    dir
}

/// Every address a text writes (addresses, the ends of ranges, CIDRs), sorted:
/// read as text, independently of any YAML model.
fn addresses(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .split(|c: char| !(c.is_ascii_hexdigit() || matches!(c, '.' | ':' | '/')))
        .map(|t| t.trim_matches(|c| c == '.' || c == ':'))
        .filter_map(|t| {
            let (addr, len) = t.split_once('/').unwrap_or((t, ""));
            let addr: IpAddr = addr.parse().ok()?;
            Some(if len.is_empty() {
                addr.to_string()
            } else {
                format!("{addr}/{len}")
            })
        })
        .collect();
    out.sort();
    out
}

/// The text without the lines the build marks as its own.
fn unmarked(text: &str) -> String {
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains("# managed by lbipam-plan"))
        .collect();
    kept.join("\n")
}

/// `lbipam init`, then `lbipam build` (CI unset: write mode), then `lbipam
/// check` (the gate, the schema check included) and a second build that writes
/// nothing. Asserts that every file there before still writes the same
/// addresses outside the lines the build marks, that no file is gone, and
/// returns the plan and the files the build added.
fn adopted(repo: &Path) -> (Plan, Vec<PathBuf>) {
    let before = snapshot(repo);
    let init = lbipam(repo, &["init"]);
    assert_eq!(init.code, 0, "init:\n{}{}", init.stdout, init.stderr);
    let build = lbipam(repo, &["build"]);
    assert_eq!(build.code, 0, "build:\n{}", build.stderr);
    let check = lbipam(repo, &["check"]);
    assert_eq!(
        check.code, 0,
        "check after the first build:\n{}",
        check.stderr
    );
    let again = lbipam(repo, &["build"]);
    assert!(
        again
            .stdout
            .ends_with("ok: nothing to write, the files already are what plan.toml renders\n"),
        "{}",
        again.stdout
    );
    let after = snapshot(repo);
    for (path, old) in &before {
        let new = after
            .get(path)
            .unwrap_or_else(|| panic!("{} is gone", path.display()));
        let (old, new) = (String::from_utf8_lossy(old), String::from_utf8_lossy(new));
        assert_eq!(
            addresses(&old),
            addresses(&unmarked(&new)),
            "{}: the build changed an address:\n--- before\n{old}\n--- after\n{new}",
            path.display()
        );
    }
    let added = after
        .keys()
        .filter(|p| !before.contains_key(*p))
        .cloned()
        .collect();
    let text = fs::read_to_string(repo.join("plan.toml")).expect("plan.toml");
    let plan = lbipam_core::check::compile(&text).unwrap_or_else(|e| panic!("{e:?}"));
    (plan, added)
}

fn paths(list: &[&str]) -> Vec<PathBuf> {
    list.iter().map(PathBuf::from).collect()
}

/// Each cluster's pools as `(cluster, pool, blocks)` and pins as
/// `(cluster, pin, address, service)`.
type Pools = Vec<(String, String, Vec<String>)>;
type Pins = Vec<(String, String, String, String)>;

fn pools_and_pins(plan: &Plan) -> (Pools, Pins) {
    let services: BTreeMap<&str, &str> = plan
        .services
        .iter()
        .filter_map(|s| Some((&*s.name.item, &*s.service.as_ref()?.item)))
        .collect();
    let mut pools = Vec::new();
    let mut pins = Vec::new();
    for c in plan.clusters.iter() {
        for p in c.pools.iter() {
            let blocks = p.blocks.iter().map(|b| b.item.to_string()).collect();
            pools.push((c.name.item.to_string(), p.name.item.to_string(), blocks));
        }
        for p in c.pins.iter() {
            let service = services
                .get(&*p.service.item)
                .copied()
                .unwrap_or("")
                .to_owned();
            pins.push((
                c.name.item.to_string(),
                p.service.item.to_string(),
                p.addr.item.to_string(),
                service,
            ));
        }
    }
    (pools, pins)
}

fn s(v: &str) -> String {
    v.to_owned()
}

fn networks(plan: &Plan) -> Vec<String> {
    plan.networks.iter().map(|n| n.item.to_string()).collect()
}

/// The one object of `kind` named `name` in a YAML file, parsed.
fn object(repo: &Path, file: &str, kind: &str, name: &str) -> yaml_serde::Value {
    let text = fs::read_to_string(repo.join(file)).expect("read");
    let docs = yaml_serde::Deserializer::from_str(&text)
        .map(|d| <yaml_serde::Value as serde::Deserialize>::deserialize(d).expect("YAML"));
    docs.into_iter()
        .find(|v| v["kind"].as_str() == Some(kind) && v["metadata"]["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("{file}: no {kind} {name}"))
}

#[test]
fn one_cluster_with_its_pool_beside_cilium_is_adopted_with_its_service_and_gateway_pins() {
    let repo = scratch("one-cluster");
    let (plan, added) = adopted(repo.path());
    // What the fixture's files say: config/pool.yaml, the echo Service's
    // annotation, the Gateway's address substituted from cluster-settings, the
    // app-template value of the plex and jellyfin HelmReleases (pins with no
    // Service: the chart names it).
    let (pools, pins) = pools_and_pins(&plan);
    assert_eq!(
        pools,
        [(
            s("cluster"),
            s("pool"),
            vec![s("192.168.1.240-192.168.1.250")]
        )]
    );
    assert_eq!(
        pins,
        [
            (
                s("cluster"),
                s("echo"),
                s("192.168.1.245"),
                s("default/echo")
            ),
            (
                s("cluster"),
                s("external"),
                s("192.168.1.241"),
                s("network/cilium-gateway-external")
            ),
            (s("cluster"), s("plex-app"), s("192.168.1.243"), s("")),
            // Its chart named by the OCIRepository of its `chartRef`, in another file.
            (s("cluster"), s("jellyfin-app"), s("192.168.1.244"), s("")),
        ]
    );
    let text = common::read(repo.path(), "plan.toml");
    assert!(
        text.contains("plex-app = \"192.168.1.243\"  # HelmRelease media/plex spec.values.service.app.loadBalancerIP: the chart names the Service\n"),
        "{text}"
    );
    assert_eq!(networks(&plan), ["192.168.1.224/27"]);
    assert!(plan.reserved.is_empty());
    assert_eq!(
        plan.layout.pools_dir.item,
        "kubernetes/apps/kube-system/cilium/config"
    );
    assert_eq!(plan.layout.flux_name.item, "cilium-config");
    assert_eq!(
        plan.layout.settings_file.item,
        "kubernetes/flux/cluster/cluster-settings.yaml"
    );
    assert_eq!(
        added,
        paths(&[
            "docs/IP-ALLOCATION-SUMMARY.md",
            "docs/architecture.md",
            "docs/ip-map.svg",
            "plan.toml"
        ])
    );
    // Taken over in place: the same object, now generated.
    let pool = common::read(
        repo.path(),
        "kubernetes/apps/kube-system/cilium/config/pool.yaml",
    );
    assert!(lbipam_core::header::is_generated(&pool), "{pool}");
    assert!(pool.contains("  name: pool\n"), "{pool}");
}

#[test]
fn a_cluster_bootstrapped_by_a_flux_instance_is_adopted_from_its_sync_path() {
    let repo = scratch("one-cluster");
    // flux-operator's shape: no `flux-system` Kustomization in the repository,
    // a FluxInstance (here without a namespace, so in flux-system) whose
    // `spec.sync` the operator turns into one.
    fs::write(
        repo.path().join("kubernetes/flux/cluster/flux-system/gotk-sync.yaml"),
        "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\nspec:\n  distribution:\n    version: \"2.x\"\n    registry: ghcr.io/fluxcd\n  sync:\n    kind: GitRepository\n    url: https://github.com/example/home-ops\n    ref: refs/heads/main\n    path: kubernetes/flux/cluster\n",
    )
    .expect("write the FluxInstance");
    let dry = lbipam(repo.path(), &["init", "--dry-run"]);
    let entry = "the FluxInstance `flux` in kubernetes/flux/cluster/flux-system/gotk-sync.yaml";
    assert!(
        dry.stderr.contains(&format!(
            "inferred: 1 cluster(s) from the Flux entries ({entry})"
        )) && dry.stderr.contains(&format!("(spec.path of {entry})")),
        "the notes name the instance, not a Kustomization:\n{}",
        dry.stderr
    );
    let (plan, _) = adopted(repo.path());
    // The same pools and pins as the fixture bootstrapped by `flux bootstrap`.
    let bootstrapped = scratch("one-cluster");
    let (by_kustomization, _) = adopted(bootstrapped.path());
    assert_eq!(pools_and_pins(&plan), pools_and_pins(&by_kustomization));
    assert_eq!(pools_and_pins(&plan).1.len(), 4, "the synced apps' pins");
    assert_eq!(plan.layout.cluster_dir.item, "kubernetes/flux/cluster");
    assert_eq!(plan.flux.source.kind.item, "GitRepository");
    assert_eq!(plan.flux.source.name.item, "flux-system");
}

#[test]
fn a_flux_instance_syncing_an_oci_artifact_gives_the_plan_an_oci_source() {
    let repo = scratch("one-cluster");
    // The instance's `spec.sync.kind` is the kind of the source the operator
    // creates, and the Kustomizations it applies refer to that source.
    fs::write(
        repo.path().join("kubernetes/flux/cluster/flux-system/gotk-sync.yaml"),
        "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\n  namespace: flux-system\nspec:\n  distribution:\n    version: \"2.x\"\n    registry: ghcr.io/fluxcd\n  sync:\n    kind: OCIRepository\n    url: oci://ghcr.io/example/home-ops\n    ref: latest\n    path: kubernetes/flux/cluster\n",
    )
    .expect("write the FluxInstance");
    let ks = repo.path().join("kubernetes/flux/cluster/ks.yaml");
    let text = fs::read_to_string(&ks).expect("read ks.yaml");
    let oci = text.replace("kind: GitRepository", "kind: OCIRepository");
    assert_ne!(oci, text, "the fixture's Kustomizations name their source");
    fs::write(&ks, oci).expect("write ks.yaml");
    let (plan, _) = adopted(repo.path());
    assert_eq!(plan.flux.source.kind.item, "OCIRepository");
    assert_eq!(plan.flux.source.name.item, "flux-system");
    let bootstrapped = scratch("one-cluster");
    let (by_kustomization, _) = adopted(bootstrapped.path());
    assert_eq!(pools_and_pins(&plan), pools_and_pins(&by_kustomization));
}

#[test]
fn two_clusters_under_kubernetes_clusters_share_one_network() {
    let repo = scratch("two-clusters");
    let (plan, added) = adopted(repo.path());
    let (pools, pins) = pools_and_pins(&plan);
    assert_eq!(
        pools,
        [
            (
                s("home"),
                s("home-pool"),
                vec![s("10.20.0.100-10.20.0.149")]
            ),
            (s("lab"), s("lab-pool"), vec![s("10.20.0.150-10.20.0.179")]),
        ]
    );
    assert_eq!(
        pins,
        [
            (
                s("home"),
                s("jellyfin"),
                s("10.20.0.120"),
                s("media/jellyfin")
            ),
            (s("lab"), s("plex"), s("10.20.0.160"), s("media/plex")),
        ]
    );
    assert_eq!(networks(&plan), ["10.20.0.0/24"]);
    assert_eq!(
        plan.layout.cluster_dir.item,
        "kubernetes/clusters/{cluster}"
    );
    assert_eq!(
        plan.layout.pools_dir.item,
        "kubernetes/infrastructure/lb-ipam/{cluster}"
    );
    assert_eq!(plan.layout.pool_file.item, "lb-pool-{cluster}.yaml");
    assert_eq!(
        added,
        paths(&[
            "docs/IP-ALLOCATION-SUMMARY.md",
            "docs/architecture.md",
            "docs/ip-map.svg",
            "plan.toml"
        ])
    );
}

#[test]
fn a_pool_of_cidr_blocks_that_withholds_first_and_last_keeps_them_withheld() {
    let repo = scratch("cidr-pool");
    let (plan, added) = adopted(repo.path());
    let (pools, pins) = pools_and_pins(&plan);
    assert_eq!(
        pools,
        [
            (s("edge"), s("edge"), vec![s("172.16.8.64/27")]),
            (
                s("edge"),
                s("edge-dns"),
                vec![s("172.16.8.100-172.16.8.103")]
            ),
        ]
    );
    assert_eq!(
        pins,
        [(s("edge"), s("blocky"), s("172.16.8.100"), s("dns/blocky"))]
    );
    let edge = &plan.clusters[0].pools[0];
    assert_eq!(
        edge.allow_first_last_ips.as_ref().map(|a| a.item),
        Some(false)
    );
    assert_eq!(plan.flux.source.kind.item, "OCIRepository");
    let pools = common::read(repo.path(), "infrastructure/lb-ipam/pools.yaml");
    assert!(
        pools.contains("allowFirstLastIPs: No\n")
            || pools.contains("allowFirstLastIPs: 'No'\n")
            || pools.contains("allowFirstLastIPs: \"No\"\n"),
        "{pools}"
    );
    // Flux generated the directory's kustomization; the build writes it (wiring).
    assert_eq!(
        added,
        paths(&[
            "docs/IP-ALLOCATION-SUMMARY.md",
            "docs/architecture.md",
            "docs/ip-map.svg",
            "infrastructure/lb-ipam/kustomization.yaml",
            "plan.toml"
        ])
    );
}

#[test]
fn a_pool_with_a_service_selector_keeps_its_selector_through_init_and_the_first_build() {
    let repo = scratch("selector");
    let pools = "kubernetes/infrastructure/lb-ipam/pools.yaml";
    let before = object(repo.path(), pools, "CiliumLoadBalancerIPPool", "ingress");
    let (plan, _) = adopted(repo.path());
    let cluster = plan.clusters.iter().next().expect("a cluster");
    let ingress = cluster
        .pools
        .iter()
        .find(|p| &*p.name.item == "ingress")
        .expect("pool ingress");
    assert!(
        ingress.service_selector.is_some(),
        "the selector was dropped"
    );
    let general = cluster.pools.iter().find(|p| &*p.name.item == "general");
    assert!(general.is_some_and(|p| p.service_selector.is_none()));
    let after = object(repo.path(), pools, "CiliumLoadBalancerIPPool", "ingress");
    assert_eq!(
        after["spec"]["serviceSelector"], before["spec"]["serviceSelector"],
        "the build changed which Services the pool serves"
    );
}

#[test]
fn pools_on_two_subnets_and_both_families_give_a_network_each_and_wiring_in_kube_system() {
    let repo = scratch("two-subnets");
    let (plan, _) = adopted(repo.path());
    assert_eq!(
        networks(&plan),
        ["10.10.0.192/27", "10.30.5.0/26", "fd00:10:0:1::/120"]
    );
    assert_eq!(&*plan.flux.namespace.item, "kube-system");
    let ks = object(
        repo.path(),
        "kubernetes/flux/cluster/ks.yaml",
        "Kustomization",
        "cilium-config",
    );
    assert_eq!(ks["metadata"]["namespace"].as_str(), Some("kube-system"));
    assert_eq!(ks["spec"]["dependsOn"][0]["name"].as_str(), Some("cilium"));
}

#[test]
fn an_existing_plan_is_never_overwritten() {
    let repo = scratch("one-cluster");
    fs::write(repo.path().join("plan.toml"), "# mine\n").expect("write");
    let out = lbipam(repo.path(), &["init"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("plan.toml exists already"),
        "{}",
        out.stderr
    );
    assert_eq!(common::read(repo.path(), "plan.toml"), "# mine\n");
}

#[test]
fn dry_run_prints_the_plan_init_writes_and_writes_nothing() {
    let repo = scratch("two-clusters");
    let before = snapshot(repo.path());
    let dry = lbipam(repo.path(), &["init", "--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        dry.stderr.starts_with("inferred: network 10.20.0.0/24"),
        "{}",
        dry.stderr
    );
    assert_eq!(snapshot(repo.path()), before);
    assert_eq!(lbipam(repo.path(), &["init"]).code, 0);
    assert_eq!(common::read(repo.path(), "plan.toml"), dry.stdout);
}

#[test]
fn a_given_network_replaces_the_inferred_one() {
    let repo = scratch("one-cluster");
    let dry = lbipam(
        repo.path(),
        &["init", "--dry-run", "--network", "192.168.1.0/24"],
    );
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        dry.stdout.contains("cidr = \"192.168.1.0/24\""),
        "{}",
        dry.stdout
    );
    assert!(!dry.stderr.contains("inferred: network"), "{}", dry.stderr);
}

#[test]
fn a_taken_over_file_whose_addresses_differ_from_the_plan_is_refused_and_nothing_is_written() {
    let repo = scratch("one-cluster");
    assert_eq!(lbipam(repo.path(), &["init"]).code, 0);
    // The pool file is edited by hand after init: its addresses are no longer the plan's.
    common::replace(
        repo.path(),
        "kubernetes/apps/kube-system/cilium/config/pool.yaml",
        "stop: 192.168.1.250",
        "stop: 192.168.1.249",
    );
    let before = snapshot(repo.path());
    let build = lbipam(repo.path(), &["build"]);
    assert_eq!(build.code, 1, "{}", build.stdout);
    assert!(
        build.stderr.contains("would take over kubernetes/apps/kube-system/cilium/config/pool.yaml ([layout] take-over), but its CiliumLoadBalancerIPPool pool is"),
        "{}",
        build.stderr
    );
    assert_eq!(
        snapshot(repo.path()),
        before,
        "a refused build wrote something"
    );
    let json = lbipam(repo.path(), &["check", "--format", "json"]);
    assert!(
        json.stdout.contains("\"code\":\"take-over-differs\""),
        "{}",
        json.stdout
    );
}

#[test]
fn the_manual_shows_the_real_output_of_init_on_the_one_cluster_fixture() {
    let repo = scratch("one-cluster");
    let out = lbipam(repo.path(), &["init"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let manual =
        fs::read_to_string(common::repo_root().join("manual/adoption.md")).expect("manual");
    let plan = common::read(repo.path(), "plan.toml");
    assert!(
        manual.contains(&format!("```console\n$ lbipam init\n{}```\n", out.stdout)),
        "manual/adoption.md must show:\n{}",
        out.stdout
    );
    assert!(
        manual.contains(&format!("```toml\n{plan}```\n")),
        "manual/adoption.md must show:\n{plan}"
    );
}

#[test]
fn what_the_plan_cannot_say_yet_is_refused_naming_the_pool_and_nothing_is_written() {
    let pools = "infrastructure/lb-ipam/pools.yaml";
    let cases: [(&str, &str, &str); 4] = [
        (
            "  allowFirstLastIPs: \"No\"\n",
            "",
            "CiliumLoadBalancerIPPool edge (cluster edge) has cidr blocks and no allowFirstLastIPs",
        ),
        (
            "  name: edge-dns\n",
            "  name: edge-dns\n  labels:\n    bgp: announce\n",
            "CiliumLoadBalancerIPPool edge-dns (cluster edge) has metadata.labels",
        ),
        (
            "  name: edge-dns\nspec:\n",
            "  name: edge-dns\nspec:\n  disabled: true\n",
            "CiliumLoadBalancerIPPool edge-dns (cluster edge) is `disabled: true`",
        ),
        (
            "# Two pools",
            "apiVersion: cilium.io/v2alpha1\nkind: CiliumL2AnnouncementPolicy\nmetadata:\n  name: l2\nspec: {}\n---\n# Two pools",
            "CiliumL2AnnouncementPolicy l2 shares its file with the pools",
        ),
    ];
    for (from, to, said) in cases {
        let repo = scratch("cidr-pool");
        common::replace(repo.path(), pools, from, to);
        let before = snapshot(repo.path());
        let out = lbipam(repo.path(), &["init"]);
        assert_eq!(out.code, 1, "{said}: {}", out.stdout);
        assert!(out.stderr.contains(said), "{said}:\n{}", out.stderr);
        assert!(
            out.stderr.contains(&format!("--> {pools}:")),
            "{}",
            out.stderr
        );
        assert_eq!(
            snapshot(repo.path()),
            before,
            "{said}: init wrote something"
        );
    }
}
