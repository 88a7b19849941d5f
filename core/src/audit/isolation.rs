//! What each cluster applies, held against the plan: a cluster applies exactly
//! its own pools, with the plan's blocks, cluster-scoped, and nothing of another
//! cluster — the isolation the Flux wiring exists for. Drives the resolver
//! ([`crate::flux::resolve`]) over every cluster of the repository.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use yaml_serde::Value;

use crate::cilium::{CiliumPool, cilium_pools};
use crate::diag::codes::Code;
use crate::diag::error::Error;
use crate::flux::entry::resolve_cluster;
use crate::flux::kustomization::{FluxKustomization, flux_kustomization_of, is_flux_kustomization};
use crate::flux::object::Object;
use crate::flux::resolve::{Applied, ClusterBuild, key_line};
use crate::net::Block;
use crate::plan::{Cluster, Plan};
use crate::tree::Tree;
use crate::tree::is_yaml;

/// Whether an object is a Cilium LB-IPAM pool.
pub fn is_pool(value: &Value) -> bool {
    value["kind"].as_str() == Some("CiliumLoadBalancerIPPool")
        && value["apiVersion"]
            .as_str()
            .is_some_and(|a| a.starts_with("cilium.io/"))
}

/// A pool object's `spec.blocks` as plan blocks, or why they are not.
pub fn pool_blocks(value: &Value) -> Result<Vec<Block>, String> {
    let Some(list) = value["spec"]["blocks"].as_sequence() else {
        return Err("spec.blocks is missing or not a list".to_owned());
    };
    list.iter()
        .enumerate()
        .map(|(i, b)| {
            let ip = |key: &str| {
                b[key]
                    .as_str()
                    .ok_or_else(|| format!("spec.blocks[{i}].{key} is missing"))?
                    .parse::<IpAddr>()
                    .map_err(|e| format!("spec.blocks[{i}].{key} `{}`: {e}", show(&b[key])))
            };
            if b.get("cidr").is_some() {
                b["cidr"]
                    .as_str()
                    .and_then(|c| c.parse::<IpNet>().ok())
                    .map(Block::Cidr)
                    .ok_or_else(|| {
                        format!("spec.blocks[{i}].cidr `{}` is not a CIDR", show(&b["cidr"]))
                    })
            } else {
                Ok(Block::Range {
                    start: ip("start")?,
                    stop: ip("stop")?,
                })
            }
        })
        .collect()
}

fn show(v: &Value) -> String {
    yaml_serde::to_string(v).map_or_else(|_| format!("{v:?}"), |s| s.trim_end().to_owned())
}

fn blocks_text(blocks: &[Block]) -> String {
    let list: Vec<String> = blocks.iter().map(Block::to_string).collect();
    list.join(", ")
}

/// The pools one cluster applies, held against its pools in plan.toml.
struct Pools<'a> {
    tree: &'a Tree,
    plan: &'a Plan,
    cluster: &'a Cluster,
    /// The pools the build writes for the cluster (with `reserve-pins`, the
    /// pools of the pins too).
    mine: Vec<CiliumPool>,
    /// The names of the cluster's own pools applied so far.
    applied: BTreeSet<String>,
    errors: Vec<Error>,
}

impl Pools<'_> {
    /// Another cluster's pool of that name: looked up only when a name is not
    /// ours, which is rare, so a fleet of clusters is not checked pairwise.
    fn foreign(&self, name: &str) -> Option<(&Cluster, CiliumPool)> {
        let c = &self.cluster.name.item;
        self.plan
            .clusters
            .iter()
            .filter(|pc| pc.name.item != *c)
            .find_map(|pc| {
                let pool = cilium_pools(self.plan, pc)
                    .into_iter()
                    .find(|p| p.name == name)?;
                Some((pc, pool))
            })
    }

    /// What to change about another cluster's pool that cluster `c` applies:
    /// the applying Flux Kustomization's path (`by_flux`), or the file in the
    /// cluster's own directory.
    fn foreign_fix(&self, by_flux: bool, c: &str) -> String {
        match by_flux {
            true => format!("its spec.path must be {}", self.plan.layout.flux_path(c)),
            false => {
                "a pool does not belong in a cluster's own directory: delete the file".to_owned()
            }
        }
    }

    /// One pool object `o`, applied by `by` (the Flux Kustomization `flux`, or
    /// the cluster's own directory).
    fn check(&mut self, by: &str, flux: Option<&str>, o: &Object) {
        let c = self.cluster.name.item.to_string();
        let name = o.name();
        let text = self.tree.read(&o.source).unwrap_or_default();
        let here_at = |key: &str, code: Code, message: String| {
            let line = key_line(&text, o.line, key);
            Error::file(code, o.source.clone(), line, 1, message)
        };
        let here = |code: Code, message: String| here_at("name", code, message);
        let how = match o.via.join(" → ") {
            via if via.is_empty() => o.source.display().to_string(),
            via => via,
        };
        let flux_name = self.plan.layout.flux_name();
        // Only one the file writes: a transformer's is dropped by the API server.
        if let Some(ns) = o.namespace().filter(|_| o.writes_namespace()) {
            self.errors.push(here_at("namespace", Code::NamespacedPool, format!(
                "CiliumLoadBalancerIPPool {name} is applied by {by} with metadata.namespace `{ns}` written in its file, but pools are cluster-scoped"
            )));
        }
        // The cluster's own pool first: names are only unique per cluster.
        let owner = match self.mine.iter().find(|p| p.name == name) {
            Some(p) => Some((self.cluster, p.clone())),
            None => self.foreign(name),
        };
        let error = match owner {
            None => here(
                Code::UnknownPool,
                format!(
                    "CiliumLoadBalancerIPPool {name} (applied by {by} via {how}) is not a pool of plan.toml, and pools are generated from it"
                ),
            ),
            Some((pc, _)) if pc.name.item != c => {
                let fix = self.foreign_fix(flux.is_some(), &c);
                here(
                    Code::ForeignPool,
                    format!(
                        "CiliumLoadBalancerIPPool {name} belongs to cluster {} in plan.toml, but {by} applies it (via {how}): cluster {c} would hand out cluster {}'s addresses; {fix}",
                        pc.name.item, pc.name.item,
                    ),
                )
            }
            Some(_) if flux != Some(flux_name) => here(
                Code::PoolWrongKustomization,
                format!(
                    "CiliumLoadBalancerIPPool {name} of cluster {c} is applied by {by} (via {how}); only {flux_name} may apply the cluster's pools"
                ),
            ),
            Some((_, pool)) => {
                if !self.applied.insert(name.to_owned()) {
                    self.errors.push(here(
                        Code::DuplicatePool,
                        format!("CiliumLoadBalancerIPPool {name} is applied twice by {by}"),
                    ));
                }
                match blocks_problem(o, &pool.blocks, &c) {
                    None => return,
                    Some((code, message)) => here_at("blocks", code, message),
                }
            }
        };
        self.errors.push(error);
    }
}

/// What is wrong with the `spec.blocks` of pool object `o` of cluster `c`,
/// which the plan gives `want`: written otherwise, or not blocks at all.
fn blocks_problem(o: &Object, want: &[Block], c: &str) -> Option<(Code, String)> {
    let name = o.name();
    match pool_blocks(&o.value) {
        Ok(have) if have == want => None,
        Ok(have) => Some((
            Code::PoolBlocksDiffer,
            format!(
                "CiliumLoadBalancerIPPool {name} of cluster {c} has spec.blocks {} but plan.toml gives it {}; the file was edited by hand",
                blocks_text(&have),
                blocks_text(want)
            ),
        )),
        Err(e) => Some((
            Code::InvalidPoolBlocks,
            format!("CiliumLoadBalancerIPPool {name} of cluster {c}: {e}"),
        )),
    }
}

/// Holds a cluster's build against the plan; every problem, in the user's terms:
///
/// - its `cilium-ipam` applies exactly the cluster's pools of plan.toml, with the
///   plan's blocks, and no Kustomization of the cluster applies another
///   cluster's pool or a pool plan.toml does not have;
/// - pools carry no namespace (they are cluster-scoped);
/// - every `dependsOn` names a Flux Kustomization of the same cluster;
/// - no Flux Kustomization lives in a directory a build reaches (a component).
pub fn check_cluster(tree: &Tree, plan: &Plan, build: &ClusterBuild) -> Vec<Error> {
    let c = build.cluster.as_str();
    let Some(cluster) = plan.cluster(c) else {
        let dir = plan.layout.cluster_dir(c);
        let message = format!(
            "cluster {c} has files in {}/ but no [clusters.{c}] in plan.toml, so nothing checks what it applies",
            dir.display()
        );
        return vec![Error::file(Code::UnplannedCluster, dir, 1, 1, message)];
    };
    let mut errors = Vec::new();
    let flux_name = plan.layout.flux_name();
    let ipam = build.applied(flux_name);
    if ipam.is_none() {
        let message = format!(
            "cluster {c} has no Flux Kustomization {flux_name}, so its pools are never applied"
        );
        errors.push(Error::file(
            Code::MissingIpamKustomization,
            plan.layout.flux_file(c),
            1,
            1,
            message,
        ));
    }
    let mut pools = check_pools(tree, plan, cluster, build);
    errors.append(&mut pools.errors);
    if let Some(ipam) = ipam {
        errors.extend(unapplied_pools(tree, c, ipam, &pools));
    }
    let ks: Vec<FluxKustomization> = build
        .kustomizations
        .iter()
        .map(|a| a.flux.clone())
        .collect();
    let own = plan.layout.cluster_dir(c);
    errors.extend(dangling_depends_on(c, &own, &ks));
    errors.extend(flux_in_components(tree, build, &own));
    errors
}

/// Every pool object the cluster applies, each held against the plan.
fn check_pools<'a>(
    tree: &'a Tree,
    plan: &'a Plan,
    cluster: &'a Cluster,
    build: &ClusterBuild,
) -> Pools<'a> {
    let c = build.cluster.as_str();
    // The cluster's own directory is applied too, by the bootstrap `flux-system`
    // Kustomization, which is not in the repository.
    let own = format!(
        "the bootstrap Flux Kustomization that applies {}/",
        plan.layout.cluster_dir(c).display()
    );
    let groups =
        std::iter::once((own, None, &build.files)).chain(build.kustomizations.iter().map(|a| {
            let by = format!("Flux Kustomization {} of cluster {c}", a.flux.name);
            (by, Some(a.flux.name.as_str()), &a.objects)
        }));
    let mut pools = Pools {
        tree,
        plan,
        cluster,
        mine: cilium_pools(plan, cluster),
        applied: BTreeSet::new(),
        errors: Vec::new(),
    };
    for (by, flux, objects) in groups {
        for o in objects.iter().filter(|o| is_pool(&o.value)) {
            pools.check(&by, flux, o);
        }
    }
    pools
}

/// Every pool of the plan's cluster its ipam Kustomization does not apply, at
/// that Kustomization's `spec.path`.
fn unapplied_pools(tree: &Tree, c: &str, ipam: &Applied, pools: &Pools<'_>) -> Vec<Error> {
    let text = tree.read(&ipam.flux.path).unwrap_or_default();
    let line = key_line(&text, ipam.flux.line, "path");
    let path = ipam.flux.object["spec"]["path"].as_str().unwrap_or("");
    let flux_name = &ipam.flux.name;
    pools
        .mine
        .iter()
        .filter(|pool| !pools.applied.contains(pool.name.as_str()))
        .map(|pool| {
            let message = format!(
                "pool {} of cluster {c} in plan.toml is not applied: Flux Kustomization {flux_name} (spec.path {path}) does not include it",
                pool.name,
            );
            Error::file(Code::PoolNotApplied, ipam.flux.path.clone(), line, 1, message)
        })
        .collect()
}

/// Every Flux Kustomization lying unapplied in a directory a build reaches
/// outside the cluster's own directory `own`. The cluster's own directory (a
/// bootstrap `flux-system` Kustomization applies it) is where they belong, not
/// a component; one a build applies is followed and built (the home-lab
/// `ks.yaml`); one lying there unapplied only looks as if Flux reconciled it.
fn flux_in_components(tree: &Tree, build: &ClusterBuild, own: &Path) -> Vec<Error> {
    let c = build.cluster.as_str();
    let applied: BTreeSet<(&Path, usize)> = build
        .objects()
        .filter(|o| flux_kustomization_of(&o.value).is_some())
        .map(|o| (o.source.as_path(), o.line))
        .collect();
    let mut errors = Vec::new();
    let mut scanned = BTreeSet::new();
    for a in &build.kustomizations {
        for dir in &a.dirs {
            if !dir.starts_with(own) && scanned.insert(dir.clone()) {
                let found = flux_in_component(tree, (c, own), &a.flux.name, dir);
                errors.extend(found.into_iter().filter(|e| match e {
                    Error::File { path, line, .. } => !applied.contains(&(path.as_path(), *line)),
                    _ => true,
                }));
            }
        }
    }
    errors
}

/// Flux Kustomizations in a component directory: Flux would apply them from
/// inside another build, out of sight of `kubernetes/clusters/<c>/`.
fn flux_in_component(
    tree: &Tree,
    (cluster, own): (&str, &Path),
    reached_by: &str,
    dir: &Path,
) -> Vec<Error> {
    let mut errors = Vec::new();
    let Ok(entries) = tree.read_dir(dir) else {
        return errors;
    };
    let mut files: Vec<PathBuf> = entries
        .into_iter()
        .filter(|e| e.is_file)
        .map(|e| dir.join(&e.name))
        .filter(|p| is_yaml(p))
        .collect();
    files.sort();
    for file in files {
        let Ok(text) = tree.read(&file) else {
            continue;
        };
        for (line, value) in &tree.documents(&file, &text).objects {
            if flux_kustomization_of(value).is_some() {
                // A FluxInstance is one: its operator generates a Kustomization.
                let what = if is_flux_kustomization(value) {
                    "Flux Kustomization"
                } else {
                    "FluxInstance"
                };
                errors.push(Error::file(Code::FluxInComponent, file.clone(), *line, 1, format!(
                        "{what} {} lives in component directory {} (reached by {reached_by} of cluster {cluster}); Flux Kustomizations belong in {}/",
                        value["metadata"]["name"].as_str().unwrap_or("?"),
                        dir.display(),
                        own.display()
                    )));
            }
        }
    }
    errors
}

/// Resolves and checks every cluster of the tree: each cluster of the plan, and
/// each directory of `kubernetes/clusters/` the plan does not name (Flux still
/// reconciles it, so its pools would go unchecked). The whole inclusion gate,
/// every problem of every cluster.
pub fn check_repo(tree: &Tree, plan: &Plan) -> Vec<Error> {
    resolve_repo(tree, plan).1
}

/// What every cluster applies (the clusters that could be resolved), and every
/// problem of the inclusion gate; see [`check_repo`].
pub fn resolve_repo(tree: &Tree, plan: &Plan) -> (Vec<ClusterBuild>, Vec<Error>) {
    let mut clusters: Vec<String> = plan
        .clusters
        .iter()
        .map(|c| c.name.item.to_string())
        .collect();
    let root = plan.layout.clusters_root();
    let planned: BTreeSet<&str> = plan.clusters.iter().map(|c| &*c.name.item).collect();
    let mut unplanned: Vec<String> = root
        .iter()
        .flat_map(|root| tree.read_dir(root))
        .flatten()
        .filter(|e| e.is_dir)
        .map(|e| e.name.to_string_lossy().into_owned())
        .filter(|name| !planned.contains(name.as_str()))
        .collect();
    unplanned.sort();
    clusters.extend(unplanned);
    let resolved = crate::par::map(&clusters, |c| match resolve_cluster(tree, plan, c) {
        Ok(build) => {
            let errors = check_cluster(tree, plan, &build);
            (Some(build), errors)
        }
        Err(e) => (None, e),
    });
    let mut builds = Vec::new();
    let mut errors = Vec::new();
    for (build, errs) in resolved {
        builds.extend(build);
        errors.extend(errs);
    }
    (builds, errors)
}

/// Every `dependsOn` of a cluster's Flux Kustomizations must name one the same
/// cluster defines, or Flux waits for it forever. A dependency without a
/// namespace is looked for in the dependent's; where a file writes no
/// namespace, the name alone decides (the namespace comes from whoever applies
/// it).
pub(crate) fn dangling_depends_on(
    cluster: &str,
    dir: &Path,
    ks: &[FluxKustomization],
) -> Vec<Error> {
    let mut errors = Vec::new();
    for k in ks {
        for dep in &k.depends_on {
            let want = dep.namespace.as_deref().or(k.namespace.as_deref());
            let found = ks.iter().any(|other| {
                let have = other.namespace.as_deref();
                other.name == dep.name && (want.is_none() || have.is_none() || want == have)
            });
            if !found {
                let (named, place) = match &dep.namespace {
                    Some(ns) => (format!("{ns}/{}", dep.name), format!(" in namespace {ns}")),
                    None => (dep.name.clone(), String::new()),
                };
                errors.push(Error::file(Code::DanglingDependsOn, k.path.clone(), dep.line, 1, format!(
                        "Flux Kustomization {} of cluster {cluster} depends on `{named}`, which no file in {}/ defines{place}, nor any Kustomization applied from there",
                        k.name,
                        dir.display()
                    )));
            }
        }
    }
    errors
}
