//! What Flux applies to each cluster, worked out without kustomize
//! or flux (`lbipam_core::flux::resolve`), holds the plan's isolation: a cluster's
//! `cilium-ipam` applies exactly its own pools with the plan's blocks, nothing of
//! another cluster, no namespaced pool, no dangling `dependsOn`, no Flux
//! Kustomization hidden in a component directory.
//!
//! The first tests state each criterion directly on the built seed repository; the
//! gate ([`inclusion_gate`], the library's `resolve::check_repo`) runs on it and on
//! scratch copies broken the ways a hand edit breaks isolation, and must name each breakage.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use common::{edit, scratch_repo, seed_plan};

use lbipam_core::audit::isolation::{check_repo, is_pool, pool_blocks};
use lbipam_core::diag::Report;
use lbipam_core::flux::entry::resolve_cluster;
use lbipam_core::flux::resolve::ClusterBuild;
use lbipam_core::net::Block;

/// The inclusion gate on the repository at `root`: every problem of every cluster
/// of the seed plan, as `file:line:col: message`.
fn inclusion_gate(root: &Path) -> Vec<String> {
    Report::new(
        "plan.toml",
        "",
        check_repo(&lbipam_core::tree::Tree::disk(root), seed_plan()),
    )
    .lines()
}

/// What Flux applies to a cluster of the repository at `root`; a failure names the chain.
fn build_of(root: &Path, cluster: &str) -> ClusterBuild {
    resolve_cluster(&lbipam_core::tree::Tree::disk(root), seed_plan(), cluster).unwrap_or_else(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        panic!(
            "cluster {cluster}: the Flux Kustomizations in kubernetes/clusters/{cluster}/ cannot be built:\n  {}",
            lines.join("\n  ")
        )
    })
}

fn cluster_names() -> Vec<&'static str> {
    seed_plan()
        .clusters
        .iter()
        .map(|c| c.name.item.as_ref())
        .collect()
}

fn assert_reports(problems: &[String], expected: &str) {
    assert!(
        problems.iter().any(|p| p.contains(expected)),
        "the gate must report {expected:?}; it reported:\n  {}",
        problems.join("\n  ")
    );
}

// ---------------------------------------------------------------------------
// The seed repository, built.

#[test]
fn the_built_seed_repository_passes_the_inclusion_gate() {
    let seed = scratch_repo();
    let problems = inclusion_gate(seed.path());
    assert!(
        problems.is_empty(),
        "what Flux would apply does not match plan.toml:\n  {}\nfix the files named (generated ones: edit plan.toml and run `cargo build`)",
        problems.join("\n  ")
    );
}

#[test]
fn each_clusters_cilium_ipam_applies_exactly_its_pools_with_the_plans_blocks() {
    let seed = scratch_repo();
    for cluster in seed_plan().clusters.iter() {
        let c = cluster.name.item.as_ref();
        let build = build_of(seed.path(), c);
        let ipam = build.applied("cilium-ipam").unwrap_or_else(|| {
            panic!("kubernetes/clusters/{c}/: no Flux Kustomization cilium-ipam; run `cargo build`")
        });
        let mut applied: Vec<(String, Vec<Block>)> = Vec::new();
        for o in ipam.objects.iter().filter(|o| is_pool(&o.value)) {
            let blocks = pool_blocks(&o.value)
                .unwrap_or_else(|e| panic!("{}: pool {}: {e}", o.source.display(), o.name()));
            applied.push((o.name().to_owned(), blocks));
        }
        let planned: Vec<(String, Vec<Block>)> = cluster
            .pools
            .iter()
            .map(|p| {
                let blocks = p.blocks.iter().map(|b| b.item).collect();
                (p.name.item.to_string(), blocks)
            })
            .collect();
        assert_eq!(
            applied, planned,
            "cluster {c}: the pools cilium-ipam applies (left) differ from plan.toml (right); run `cargo build`"
        );
    }
}

#[test]
fn no_cluster_applies_a_pool_of_another_cluster() {
    let seed = scratch_repo();
    for c in cluster_names() {
        let others: BTreeSet<&str> = seed_plan()
            .clusters
            .iter()
            .filter(|o| o.name.item != c)
            .flat_map(|o| o.pools.iter().map(|p| p.name.item.as_ref()))
            .collect();
        let build = build_of(seed.path(), c);
        for o in build.objects().filter(|o| is_pool(&o.value)) {
            assert!(
                !others.contains(o.name()),
                "cluster {c} applies pool {} of another cluster, from {} via {}; run `cargo build`",
                o.name(),
                o.source.display(),
                o.via.join(" → ")
            );
        }
    }
}

#[test]
fn pools_are_applied_without_a_namespace() {
    let seed = scratch_repo();
    for c in cluster_names() {
        let build = build_of(seed.path(), c);
        let pools: Vec<_> = build.objects().filter(|o| is_pool(&o.value)).collect();
        assert!(!pools.is_empty(), "cluster {c} applies no pool at all");
        for o in pools {
            assert_eq!(
                o.namespace(),
                None,
                "{}: CiliumLoadBalancerIPPool {} of cluster {c} is cluster-scoped and must have no namespace",
                o.source.display(),
                o.name()
            );
        }
    }
}

#[test]
fn every_depends_on_names_a_flux_kustomization_of_the_same_cluster() {
    let seed = scratch_repo();
    for c in cluster_names() {
        let build = build_of(seed.path(), c);
        let names: BTreeSet<&str> = build
            .kustomizations
            .iter()
            .map(|a| a.flux.name.as_str())
            .collect();
        for a in &build.kustomizations {
            for dep in &a.flux.depends_on {
                let (dep, line) = (&dep.name, dep.line);
                assert!(
                    names.contains(dep.as_str()),
                    "{}:{line}: Flux Kustomization {} of cluster {c} depends on {dep}, which kubernetes/clusters/{c}/ does not define",
                    a.flux.path.display(),
                    a.flux.name
                );
            }
        }
    }
}

#[test]
fn no_flux_kustomization_lives_in_a_component_directory() {
    let seed = scratch_repo();
    for c in cluster_names() {
        let build = build_of(seed.path(), c);
        let dirs: BTreeSet<&PathBuf> = build.kustomizations.iter().flat_map(|a| &a.dirs).collect();
        assert!(
            dirs.iter().any(|d| d.ends_with(format!("ipam/{c}"))),
            "cluster {c}: the IPAM component was never reached: {dirs:?}"
        );
        for dir in dirs {
            for entry in fs::read_dir(seed.path().join(dir)).expect("component dir") {
                let path = entry.expect("entry").path();
                let text = fs::read_to_string(&path).unwrap_or_default();
                assert!(
                    !text.contains("kustomize.toolkit.fluxcd.io/"),
                    "{}: a Flux Kustomization in component directory {} (reached by cluster {c}); Flux Kustomizations belong in kubernetes/clusters/{c}/",
                    path.display(),
                    dir.display()
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Scratch copies broken in the ways a hand edit breaks isolation: the gate names each breakage.

const APPS_FLUX: &str = "kubernetes/clusters/apps/infrastructure.yaml";
const APPS_POOL: &str = "kubernetes/infrastructure/networking/cilium/ipam/apps/lb-ippool-apps.yaml";

#[test]
fn apps_cilium_ipam_pointed_at_the_infra_dir_fails_the_gate() {
    let repo = scratch_repo();
    edit(
        &repo.path().join(APPS_FLUX),
        "cilium/ipam/apps",
        "cilium/ipam/infra",
    );
    let problems = inclusion_gate(repo.path());
    assert_reports(
        &problems,
        "kubernetes/infrastructure/networking/cilium/ipam/infra/lb-ippool-infra.yaml:6:1: CiliumLoadBalancerIPPool infra-pool belongs to cluster infra in plan.toml, but Flux Kustomization cilium-ipam of cluster apps applies it",
    );
    assert_reports(
        &problems,
        "kubernetes/clusters/apps/infrastructure.yaml:39:1: pool apps-pool of cluster apps in plan.toml is not applied",
    );
    assert_eq!(problems.len(), 2, "{problems:#?}");
}

#[test]
fn deleting_the_cilium_core_kustomization_fails_the_gate() {
    let repo = scratch_repo();
    let path = repo.path().join(APPS_FLUX);
    let text = fs::read_to_string(&path).expect("read");
    let docs: Vec<&str> = text.split("---\n").collect();
    let without: Vec<&str> = docs
        .iter()
        .copied()
        .filter(|d| !d.contains("name: cilium-core\n  namespace"))
        .collect();
    assert_eq!(without.len() + 1, docs.len(), "exactly cilium-core removed");
    fs::write(&path, without.join("---\n")).expect("write");
    assert_eq!(
        inclusion_gate(repo.path()),
        [
            "kubernetes/clusters/apps/infrastructure.yaml:21:1: Flux Kustomization cilium-ipam of cluster apps depends on `cilium-core`, which no file in kubernetes/clusters/apps/ defines, nor any Kustomization applied from there"
        ]
    );
}

#[test]
fn deleting_the_cilium_core_component_fails_the_gate_for_every_cluster() {
    let repo = scratch_repo();
    fs::remove_dir_all(
        repo.path()
            .join("kubernetes/infrastructure/networking/cilium/core"),
    )
    .expect("rm");
    let problems = inclusion_gate(repo.path());
    for c in cluster_names() {
        assert_reports(
            &problems,
            &format!(
                "kubernetes/clusters/{c}/infrastructure.yaml:19:1: cilium-core → ./kubernetes/infrastructure/networking/cilium/core: directory not found"
            ),
        );
    }
}

#[test]
fn a_namespace_on_a_pool_fails_the_gate() {
    let repo = scratch_repo();
    edit(
        &repo.path().join(APPS_POOL),
        "name: apps-pool\n",
        "name: apps-pool\n  namespace: kube-system\n",
    );
    assert_eq!(
        inclusion_gate(repo.path()),
        [
            "kubernetes/infrastructure/networking/cilium/ipam/apps/lb-ippool-apps.yaml:7:1: CiliumLoadBalancerIPPool apps-pool is applied by Flux Kustomization cilium-ipam of cluster apps with metadata.namespace `kube-system` written in its file, but pools are cluster-scoped"
        ]
    );
}

#[test]
fn a_namespace_the_component_kustomization_sets_on_the_pool_is_no_finding() {
    // kustomize sets `namespace:` on every kind it does not know is cluster-scoped,
    // and the API server drops it from a pool: not the user's mistake.
    let repo = scratch_repo();
    edit(
        &repo
            .path()
            .join("kubernetes/infrastructure/networking/cilium/ipam/infra/kustomization.yaml"),
        "resources:",
        "namespace: kube-system\nresources:",
    );
    assert_eq!(inclusion_gate(repo.path()), Vec::<String>::new());
}

#[test]
fn a_hand_edited_stop_address_fails_the_gate_against_the_plan() {
    let repo = scratch_repo();
    edit(
        &repo.path().join(APPS_POOL),
        "stop: 10.25.11.139",
        "stop: 10.25.11.149",
    );
    assert_eq!(
        inclusion_gate(repo.path()),
        [
            "kubernetes/infrastructure/networking/cilium/ipam/apps/lb-ippool-apps.yaml:8:1: CiliumLoadBalancerIPPool apps-pool of cluster apps has spec.blocks 10.25.11.120-10.25.11.149 but plan.toml gives it 10.25.11.120-10.25.11.139; the file was edited by hand"
        ]
    );
}

/// The cluster's own directory is applied by the bootstrap `flux-system`
/// Kustomization: a pool dropped there is applied to the cluster as surely as
/// one a Flux Kustomization of the repository applies.
#[test]
fn a_pool_written_in_the_clusters_own_directory_fails_the_gate() {
    let pool = |name: &str| {
        format!(
            "apiVersion: cilium.io/v2alpha1\nkind: CiliumLoadBalancerIPPool\nmetadata:\n  name: {name}\nspec:\n  blocks:\n    - start: 10.25.11.100\n      stop: 10.25.11.101\n"
        )
    };
    let cases = [
        ("stolen", "is not a pool of plan.toml"),
        (
            "infra-pool",
            "belongs to cluster infra in plan.toml, but the bootstrap Flux Kustomization that applies kubernetes/clusters/apps/ applies it",
        ),
        (
            "apps-pool",
            "only cilium-ipam may apply the cluster's pools",
        ),
    ];
    for (name, expected) in cases {
        let repo = scratch_repo();
        fs::write(
            repo.path().join("kubernetes/clusters/apps/pool.yaml"),
            pool(name),
        )
        .expect("write");
        let problems = inclusion_gate(repo.path());
        assert_reports(
            &problems,
            &format!("kubernetes/clusters/apps/pool.yaml:4:1: CiliumLoadBalancerIPPool {name} "),
        );
        assert_reports(&problems, expected);
    }
}

#[test]
fn a_missing_pool_file_fails_the_gate_where_its_kustomization_lists_it_naming_the_chain() {
    let repo = scratch_repo();
    fs::remove_file(repo.path().join(APPS_POOL)).expect("rm");
    let kustomization = "kubernetes/infrastructure/networking/cilium/ipam/apps/kustomization.yaml";
    let text = fs::read_to_string(repo.path().join(kustomization)).expect("read");
    let listed = 1 + text
        .lines()
        .position(|l| l.trim() == "- lb-ippool-apps.yaml")
        .expect("the entry");
    assert_eq!(
        inclusion_gate(repo.path()),
        [format!(
            "{kustomization}:{listed}:1: cilium-ipam → ./kubernetes/infrastructure/networking/cilium/ipam/apps → lb-ippool-apps.yaml: file not found: kubernetes/infrastructure/networking/cilium/ipam/apps/lb-ippool-apps.yaml (listed in {kustomization})"
        )]
    );
}

#[test]
fn a_flux_kustomization_dropped_into_a_component_dir_fails_the_gate() {
    let repo = scratch_repo();
    let flux = fs::read_to_string(repo.path().join(APPS_FLUX)).expect("read");
    fs::write(
        repo.path()
            .join("kubernetes/infrastructure/networking/cilium/ipam/apps/flux.yaml"),
        flux,
    )
    .expect("write");
    assert_reports(
        &inclusion_gate(repo.path()),
        "kubernetes/infrastructure/networking/cilium/ipam/apps/flux.yaml:5:1: Flux Kustomization cilium-core lives in component directory kubernetes/infrastructure/networking/cilium/ipam/apps (reached by cilium-ipam of cluster apps)",
    );
}
