//! Who applies a file: the cluster whose own directory holds it, and each
//! Flux Kustomization of a cluster that includes it.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::flux::resolve::ClusterBuild;
use crate::plan::Plan;

/// The layout's own directories of every cluster (the seed's
/// `kubernetes/clusters/<c>/…` and `bootstrap/clusters/<c>/…`): the cluster a
/// file belongs to when no Flux Kustomization applies it, in a lookup per path
/// rather than a scan of every cluster; a file elsewhere is shared.
pub(crate) struct OwnDirs(BTreeMap<PathBuf, String>);

impl OwnDirs {
    /// The own directories of the plan's clusters.
    pub(crate) fn new(plan: &Plan) -> OwnDirs {
        let mut dirs = BTreeMap::new();
        for c in plan.clusters.iter() {
            for dir in plan.layout.own_dirs(&c.name.item) {
                dirs.entry(dir).or_insert_with(|| c.name.item.to_string());
            }
        }
        OwnDirs(dirs)
    }

    /// The cluster whose own directory holds `path`.
    pub(crate) fn cluster_of(&self, path: &Path) -> Option<String> {
        path.ancestors().find_map(|d| self.0.get(d)).cloned()
    }
}

/// How one cluster applies a file: the Flux Kustomization that includes it, the
/// chain of paths that led there, and the variables Flux substitutes into it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Applier {
    /// The cluster.
    pub cluster: String,
    /// The Flux Kustomization's name.
    pub kustomization: String,
    /// Its `spec.path` and each `resources:` entry followed, joined with ` → `.
    pub via: String,
    /// Its `postBuild` variables; `None` without `postBuild`.
    pub vars: Option<crate::flux::resolve::Vars>,
}

/// Every file some cluster applies, with each way it is applied.
pub(crate) fn appliers(builds: &[ClusterBuild]) -> HashMap<PathBuf, Vec<Applier>> {
    let mut out: HashMap<PathBuf, Vec<Applier>> = HashMap::new();
    for build in builds {
        for a in &build.kustomizations {
            for o in &a.objects {
                let list = out.entry(o.source.clone()).or_default();
                let seen = list
                    .iter()
                    .any(|x| x.cluster == build.cluster && x.kustomization == a.flux.name);
                if !seen {
                    list.push(Applier {
                        cluster: build.cluster.clone(),
                        kustomization: a.flux.name.clone(),
                        via: o.via.join(" → "),
                        vars: a.vars.clone(),
                    });
                }
            }
        }
    }
    out
}
