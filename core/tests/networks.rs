//! Several networks and IPv6: every block, reserved range and pin lies in one
//! network, each network has its own edges, the map covers each network, and
//! the compile-time proof agrees with the checker; the managed Flux
//! Kustomization's namespace and `NAMESPACE/NAME` dependencies; dual-stack
//! Services against the families of their cluster's pools.

mod common;

use std::path::Path;

use common::{edit, read, scratch_repo, write};
use lbipam_core::check::compile;
use lbipam_core::diag::Report;
use lbipam_core::plan::Plan;
use lbipam_core::proof;
use lbipam_core::usage::{self, Holder};

/// The errors of a plan as `plan.toml:line:col: message` lines.
fn errors(plan: &str) -> Vec<String> {
    match compile(plan) {
        Ok(_) => Vec::new(),
        Err(e) => Report::new("plan.toml", plan, e).lines(),
    }
}

/// Whether the compile-time proof, run at run time, accepts the plan.
fn proof_accepts(plan: &Plan) -> bool {
    let mut scratch = vec![proof::Item::EMPTY; proof::scratch_len(plan)];
    proof::validate(plan, &mut scratch).is_ok()
}

/// Two IPv4 subnets and one IPv6 prefix; a pool holding blocks of both families.
const DUAL: &str = r#"[network]
cidr = ["10.25.11.0/24", "10.25.20.0/24", "fd00:10:25::/64"]

[reserved]
router = { range = "10.25.11.1" }
router6 = { range = "fd00:10:25::1" }

[clusters.infra.pools.infra-pool]
blocks = ["10.25.11.100-10.25.11.119", "fd00:10:25::100/120"]

[clusters.infra.pins]
gateway = "fd00:10:25::110"

[clusters.apps.pools.apps-pool]
blocks = ["10.25.20.16/28", "fd00:10:25::200-fd00:10:25::2ff"]

[clusters.apps.pins]
gateway = "10.25.20.20"
"#;

#[test]
fn a_plan_on_several_networks_of_both_families_is_valid_and_the_proof_agrees() {
    let plan = compile(DUAL).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(plan.networks.len(), 3);
    assert!(proof_accepts(&plan));
    assert_eq!(plan.clusters[0].families(), (true, true));
}

#[test]
fn the_single_cidr_form_stays_valid() {
    let plan = compile(&DUAL.replace(
        r#"cidr = ["10.25.11.0/24", "10.25.20.0/24", "fd00:10:25::/64"]"#,
        r#"cidr = "10.25.0.0/16""#,
    ));
    // The IPv6 blocks now have no network of their family.
    let e = plan.expect_err("IPv6 blocks without an IPv6 network");
    assert!(e.iter().all(|e| e.code() == "mixed-family"), "{e:?}");
}

#[test]
fn a_block_inside_no_network_names_every_network_of_its_family() {
    let e = errors(&DUAL.replace("10.25.20.16/28", "10.25.30.16/28"));
    assert_eq!(
        e[0],
        "plan.toml:15:11: block of apps-pool (apps) `10.25.30.16/28` is outside network 10.25.11.0/24 or 10.25.20.0/24",
    );
    // The pin the block held is now in no pool: said once, after.
    assert_eq!(e.len(), 2, "{e:?}");
}

#[test]
fn a_block_across_two_networks_lies_in_neither() {
    let plan = DUAL.replace(
        r#"cidr = ["10.25.11.0/24", "10.25.20.0/24", "fd00:10:25::/64"]"#,
        r#"cidr = ["10.25.11.0/24", "10.25.12.0/24", "10.25.20.0/24", "fd00:10:25::/64"]"#,
    );
    let e = errors(&plan.replace("10.25.11.100-10.25.11.119", "10.25.11.200-10.25.12.10"));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].contains("is outside network"), "{e:?}");
}

#[test]
fn a_pin_in_no_network_is_outside_and_its_line_is_named() {
    let e = errors(&DUAL.replace(r#"gateway = "10.25.20.20""#, r#"gateway = "10.25.21.20""#));
    assert!(
        e.iter().any(|l| l.starts_with("plan.toml:18:11: pin gateway (apps) `10.25.21.20` is outside network 10.25.11.0/24 or 10.25.20.0/24")),
        "{e:?}"
    );
}

#[test]
fn networks_that_overlap_are_refused_by_the_checker_and_the_proof() {
    let text = DUAL.replace(r#""10.25.20.0/24""#, r#""10.25.11.128/25""#);
    let e = errors(&text);
    assert!(
        e.iter().any(|l| l.starts_with("plan.toml:2:")
            && l.contains(
                "network 10.25.11.128/25 10.25.11.128-10.25.11.255 overlaps network 10.25.11.0/24"
            )),
        "{e:?}"
    );
    // The proof refuses what the checker refuses, on the plan as parsed.
    let plan = lbipam_core::plan::parse(&text).expect("parses");
    assert!(!proof_accepts(&plan));
}

#[test]
fn an_empty_list_of_networks_is_refused() {
    let e = errors(&DUAL.replace(
        r#"["10.25.11.0/24", "10.25.20.0/24", "fd00:10:25::/64"]"#,
        "[]",
    ));
    assert_eq!(
        e,
        ["plan.toml:2:8: invalid network CIDR `[]`: the list is empty; name at least one network"]
    );
}

#[test]
fn each_network_has_its_own_network_and_broadcast_address() {
    // .16/28 is inside 10.25.20.0/24; a block at that network's end holds its
    // broadcast address, which the first network's rules would not see.
    let edge = DUAL.replace(
        "\"10.25.20.16/28\"",
        "\"10.25.20.16/28\", \"10.25.20.240/28\"",
    );
    let e = errors(&edge);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].contains("holds 10.25.20.255, the broadcast address of 10.25.20.0/24"),
        "{e:?}"
    );
    let plan = lbipam_core::plan::parse(&edge).expect("parses");
    assert!(!proof_accepts(&plan));
}

#[test]
fn the_map_covers_each_network_once_ipv4_first_with_each_ones_edges() {
    let plan = compile(DUAL).expect("valid");
    let segs = usage::segments(&plan);
    // Consecutive inside a network, and each network's first and last address.
    let firsts: Vec<String> = segs
        .windows(2)
        .filter(|w| w[0].iv.stop.checked_add(1) != Some(w[1].iv.start) || w[0].iv.v6 != w[1].iv.v6)
        .map(|w| format!("{} | {}", w[0].iv.last(), w[1].iv.first()))
        .collect();
    assert_eq!(
        firsts,
        ["10.25.11.255 | 10.25.20.0", "10.25.20.255 | fd00:10:25::"]
    );
    let unusable: Vec<String> = segs
        .iter()
        .filter(|s| matches!(s.holder, Holder::Unusable { .. }))
        .map(|s| s.iv.to_string())
        .collect();
    // IPv6 has no broadcast address.
    assert_eq!(
        unusable,
        ["10.25.11.0", "10.25.11.255", "10.25.20.0", "10.25.20.255"]
    );
    let total = segs.iter().fold(lbipam_core::net::Size::Count(0), |n, s| {
        usage::add(n, s.iv.size())
    });
    assert_eq!(
        total,
        lbipam_core::net::Size::Count(256 + 256 + (1u128 << 64))
    );
}

#[test]
fn capacity_of_a_whole_ipv6_network_beside_ipv4_counts_without_overflow() {
    let plan = compile(
        "[network]\ncidr = [\"10.0.0.0/24\", \"::/0\"]\n[clusters.a.pools.p]\nblocks = [\"::/0\", \"10.0.0.8/29\"]\n",
    )
    .expect("valid");
    let u = usage::cluster_usage(&plan.clusters[0]);
    assert_eq!(u.size, lbipam_core::net::Size::All128);
    assert!(proof_accepts(&plan));
}

/// A scratch copy of the seed repository with its plan on two networks (the
/// seed's and an IPv6 prefix) and a pool of each cluster holding IPv6 too.
fn dual_stack_repo() -> tempfile::TempDir {
    let repo = scratch_repo();
    let plan = repo.path().join("plan.toml");
    edit(
        &plan,
        r#"cidr = "10.25.11.0/24""#,
        r#"cidr = ["10.25.11.0/24", "fd00:10:25:11::/64"]"#,
    );
    edit(
        &plan,
        r#"blocks = ["10.25.11.100-10.25.11.119"]"#,
        r#"blocks = ["10.25.11.100-10.25.11.119", "fd00:10:25:11::100/120"]"#,
    );
    repo
}

/// A write-mode build (whatever `CI` says: the mode is explicit).
fn build(root: &Path) -> Result<(), String> {
    let out = tempfile::tempdir().expect("out");
    lbipam_core::build(root, out.path())
        .map(|_| ())
        .map_err(|r| r.to_string())
}

#[test]
fn a_dual_stack_plan_builds_writes_both_families_and_builds_again_as_a_no_op() {
    let repo = dual_stack_repo();
    build(repo.path()).expect("first build");
    let pool = read(
        repo.path(),
        "kubernetes/infrastructure/networking/cilium/ipam/infra/lb-ippool-infra.yaml",
    );
    assert!(pool.contains("cidr: fd00:10:25:11::100/120"), "{pool}");
    let summary = read(repo.path(), "docs/IP-ALLOCATION-SUMMARY.md");
    assert!(
        summary.contains("Networks `10.25.11.0/24` (256 addresses) and `fd00:10:25:11::/64` (18446744073709551616 addresses), shared by every cluster."),
        "{summary}"
    );
    assert!(
        summary.contains(
            "| fd00:10:25:11::100-fd00:10:25:11::1ff | 256 | pool infra-pool (cluster infra) |  |"
        ),
        "{summary}"
    );
    let svg = read(repo.path(), "docs/ip-map.svg");
    assert_eq!(
        svg.matches("Address map of ").count(),
        2,
        "one grid per network"
    );
    assert!(svg.contains("Address map of fd00:10:25:11::/64 (18446744073709551616 addresses)"));
    common::builds_twice(repo.path());
    lbipam_core::verify(&repo.path().join("plan.toml"))
        .expect("check mode passes on the built tree");
}

#[test]
fn a_require_dual_stack_service_in_a_cluster_without_ipv6_is_an_error_at_its_policy() {
    let repo = dual_stack_repo();
    // apps has no IPv6 block; infra has one.
    write(
        repo.path(),
        "kubernetes/infrastructure/networking/cilium/core/dual.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: default\nspec:\n  type: LoadBalancer\n  ipFamilyPolicy: RequireDualStack\n  ports:\n    - port: 80\n",
    );
    common::edit(
        &repo
            .path()
            .join("kubernetes/infrastructure/networking/cilium/core/kustomization.yaml"),
        "resources:\n",
        "resources:\n  - dual.yaml\n",
    );
    let e = build(repo.path()).expect_err("apps cannot give both families");
    assert!(
        e.contains("kubernetes/infrastructure/networking/cilium/core/dual.yaml:8:19")
            && e.contains("Service default/web requires dual-stack (ipFamilyPolicy: RequireDualStack), but no pool of cluster apps in plan.toml holds IPv6"),
        "{e}"
    );
    assert!(
        !e.contains("cluster infra in plan.toml"),
        "infra has both: {e}"
    );
}

#[test]
fn a_prefer_dual_stack_service_there_is_a_warning_and_the_build_passes() {
    let repo = dual_stack_repo();
    write(
        repo.path(),
        "kubernetes/infrastructure/networking/cilium/core/dual.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: default\nspec:\n  type: LoadBalancer\n  ipFamilyPolicy: PreferDualStack\n  ports:\n    - port: 80\n",
    );
    common::edit(
        &repo
            .path()
            .join("kubernetes/infrastructure/networking/cilium/core/kustomization.yaml"),
        "resources:\n",
        "resources:\n  - dual.yaml\n",
    );
    let out = tempfile::tempdir().expect("out");
    let warnings = lbipam_core::build(repo.path(), out.path())
        .expect("a warning only")
        .warnings
        .warning_lines();
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("warning[one-family-only]: ")
                && w.contains("Service default/web prefers dual-stack")
                && w.contains("cluster apps")),
        "{warnings:?}"
    );
}

/// The cluster's own directory is applied too (by the bootstrap `flux-system`
/// Kustomization), so a Service written there is held against its pools.
#[test]
fn a_require_dual_stack_service_in_the_clusters_own_directory_is_an_error_too() {
    let repo = dual_stack_repo();
    write(
        repo.path(),
        "kubernetes/clusters/apps/dual.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: default\nspec:\n  type: LoadBalancer\n  ipFamilyPolicy: RequireDualStack\n  ports:\n    - port: 80\n",
    );
    let e = build(repo.path()).expect_err("apps cannot give both families");
    assert!(
        e.contains("kubernetes/clusters/apps/dual.yaml:8:19")
            && e.contains("Service default/web requires dual-stack"),
        "{e}"
    );
}

/// A Flux Kustomization `cilium` in kube-system in each cluster's directory,
/// as repositories that run Cilium's Kustomization there have it.
fn cilium_in_kube_system(root: &Path) {
    write(
        root,
        "kubernetes/extra/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: default\n",
    );
    for c in ["infra", "apps"] {
        let file = root.join(format!("kubernetes/clusters/{c}/infrastructure.yaml"));
        let mut text = std::fs::read_to_string(&file).expect("read");
        text.push_str("---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: cilium\n  namespace: kube-system\nspec:\n  interval: 10m\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n    namespace: flux-system\n  path: ./kubernetes/extra\n");
        std::fs::write(&file, text).expect("write");
    }
}

#[test]
fn the_managed_kustomization_lives_in_the_plans_namespace_and_depends_on_namespace_slash_name() {
    let repo = scratch_repo();
    let root = repo.path();
    cilium_in_kube_system(root);
    let plan = root.join("plan.toml");
    // A bare name is looked for in the dependent's namespace, now kube-system.
    edit(
        &plan,
        "depends-on = [\"cilium-core\"]",
        "namespace = \"kube-system\"\ndepends-on = [\"cilium\"]",
    );
    build(root).expect("cilium is in kube-system, as the managed one now is");
    let flux = read(root, "kubernetes/clusters/apps/infrastructure.yaml");
    assert!(
        flux.contains("  name: cilium-ipam\n  namespace: kube-system\n"),
        "{flux}"
    );
    // Back in flux-system, it names the dependency's namespace.
    edit(
        &plan,
        "namespace = \"kube-system\"\ndepends-on = [\"cilium\"]",
        "depends-on = [\"kube-system/cilium\"]",
    );
    build(root).expect("kube-system/cilium exists");
    let flux = read(root, "kubernetes/clusters/apps/infrastructure.yaml");
    assert!(
        flux.contains("  name: cilium-ipam\n  namespace: flux-system\n")
            && flux.contains("  dependsOn:\n  - name: cilium\n    namespace: kube-system\n"),
        "{flux}"
    );
    // The same name in a namespace where there is none: dangling.
    edit(&plan, "kube-system/cilium", "flux-system/cilium");
    let e = build(root).expect_err("no cilium in flux-system");
    assert!(
        e.contains("depends on `flux-system/cilium`, which no file in kubernetes/clusters/apps/ defines in namespace flux-system"),
        "{e}"
    );
}

#[test]
fn a_depends_on_or_namespace_that_is_no_label_is_a_bad_name_at_its_place() {
    let seed = "[network]\ncidr = \"10.0.0.0/24\"\n[clusters.a.pools.p]\nblocks = [\"10.0.0.8/29\"]\n[flux]\n";
    let e = errors(&format!(
        "{seed}namespace = \"Kube_System\"\ndepends-on = [\"kube-system/Cilium\", \"a/b/c\"]\n"
    ));
    assert_eq!(e.len(), 3, "{e:?}");
    assert!(
        e[0].starts_with("plan.toml:6:13: Flux namespace name `Kube_System`"),
        "{e:?}"
    );
    assert!(
        e[1].starts_with("plan.toml:7:15: Flux Kustomization name `kube-system/Cilium`"),
        "{e:?}"
    );
    assert!(
        e[2].starts_with("plan.toml:7:37: Flux Kustomization name `a/b/c`"),
        "{e:?}"
    );
}
