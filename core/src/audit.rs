//! Repository-wide audits of hand-written YAML: every LoadBalancer IP a manifest
//! asks for is one the plan gives to that cluster, and every Flux `dependsOn`
//! names a Kustomization the cluster defines.
//!
//! The seed repository's two real bugs were hand-written IPs — an apps ClusterMesh
//! annotation on `10.25.12.100`, an infra Gateway on the apps pool's first address —
//! which no per-file check could see.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Component, Path, PathBuf};

use yaml_serde::Value;

use crate::check::Error;
use crate::edit::find_ip_requests;
use crate::plan::{Owner, Plan};

/// The cluster a file belongs to: `kubernetes/clusters/<c>/…` and
/// `bootstrap/clusters/<c>/…` are cluster `<c>`'s; anything else is shared.
pub fn cluster_of(path: &Path) -> Option<String> {
    let parts: Vec<&str> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => s.to_str(),
            _ => None,
        })
        .collect();
    match parts.as_slice() {
        ["kubernetes" | "bootstrap", "clusters", c, _, ..] => Some((*c).to_owned()),
        _ => None,
    }
}

/// Checks every LoadBalancer IP request in the given YAML files (path relative to
/// the repo root → text). A request in a cluster's file must be a pin of that
/// cluster or lie in one of its pools; one in a shared file must be given to some
/// cluster. `${VAR}` substitutions are resolved by Flux later and skipped here.
pub fn stray_ips(plan: &Plan, files: &BTreeMap<PathBuf, String>) -> Vec<Error> {
    let mut errors = Vec::new();
    for (path, text) in files {
        let requests = match find_ip_requests(text) {
            Ok(r) => r,
            Err(e) => {
                errors.push(Error::File {
                    path: path.clone(),
                    line: e.line,
                    column: e.column,
                    message: format!("{}: {}", path.display(), e.message),
                });
                continue;
            }
        };
        let cluster = cluster_of(path);
        for req in requests {
            let value = req.value.trim();
            if value.is_empty() || value.contains("${") {
                continue;
            }
            let at = |message: String| Error::File {
                path: path.clone(),
                line: req.line,
                column: req.column,
                message,
            };
            let Ok(addr) = value.parse::<IpAddr>() else {
                errors.push(at(format!("{} `{value}` is not an IP address", req.source)));
                continue;
            };
            // A checked plan's pins lie inside their cluster's pools, so holding
            // the address is being given it.
            let given = |c: &crate::plan::Cluster| c.holds(addr);
            let ok = match &cluster {
                Some(name) => plan.cluster(name).is_some_and(given),
                None => plan.clusters.iter().any(given),
            };
            if ok {
                continue;
            }
            let whose = match &cluster {
                Some(name) => format!("cluster {name}"),
                None => "any cluster".to_owned(),
            };
            let why = match plan.owner_of(addr) {
                _ if !crate::net::Interval::of_net(plan.network.item).contains_addr(addr) => {
                    format!("it is outside network {}", plan.network.item)
                }
                Some(owner @ Owner::Pool { .. }) => format!("it belongs to {owner}"),
                Some(owner @ Owner::Reserved(_)) => format!("it is in {owner}"),
                None => "no pool holds it".to_owned(),
            };
            errors.push(at(format!(
                "LoadBalancer IP {addr} ({}) is not given to {whose} by plan.toml: {why}",
                req.source
            )));
        }
    }
    errors
}

/// A `cluster-settings` value must not be an address of another cluster's pool.
/// Flux substitutes these into manifests (`${CLUSTERMESH_IP}`), so a key left
/// behind when a service's `setting` was renamed would still request its old
/// address — which, once pools move, is another cluster's. Other addresses
/// (the BGP peer, static hosts) are the hand-written settings' own business.
pub fn stale_settings(plan: &Plan, cluster: &str, path: &Path, text: &str) -> Vec<Error> {
    // A file the audit cannot read is an error, never a skipped check.
    let docs = match crate::edit::yaml11_values(text) {
        Ok(docs) => docs,
        Err(e) => {
            return vec![Error::File {
                path: path.to_owned(),
                line: e.line,
                column: e.column,
                message: format!("{}: {}", path.display(), e.message),
            }];
        }
    };
    let configmaps = docs
        .iter()
        .filter(|d| d["kind"].as_str() == Some("ConfigMap"));
    let data = configmaps.filter_map(|d| d.get("data").and_then(Value::as_mapping));
    let mut errors = Vec::new();
    for (key, v) in data.flat_map(|d| d.iter()) {
        let (Some(key), Some(v)) = (key.as_str(), v.as_str()) else {
            continue;
        };
        let Ok(addr) = v.trim().parse::<IpAddr>() else {
            continue;
        };
        let Some(owner @ Owner::Pool { cluster: other, .. }) = plan.owner_of(addr) else {
            continue;
        };
        if other == cluster {
            continue;
        }
        let why = format!("it belongs to {owner}");
        let line = text
            .lines()
            .position(|l| l.trim_start().starts_with(&format!("{key}:")))
            .map_or(1, |i| i + 1);
        errors.push(Error::File {
            path: path.to_owned(),
            line,
            column: 1,
            message: format!(
                "cluster-settings `{key}: {addr}` of cluster {cluster} is another cluster's address: {why}; remove the key or fix plan.toml"
            ),
        });
    }
    errors
}

/// A Flux Kustomization found in a cluster's files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FluxKustomization {
    /// `metadata.name`.
    pub name: String,
    /// `spec.dependsOn[].name`, each with the line it is written on.
    pub depends_on: Vec<(String, usize)>,
    /// The file defining it, relative to the repo root.
    pub path: PathBuf,
    /// The line its document starts on.
    pub line: usize,
    /// The whole object, for the fields the audits above do not lift out
    /// (`spec.path`, `spec.sourceRef`, `spec.postBuild`, ...).
    pub object: Value,
}

/// The documents of a multi-document YAML text, each with its first line.
pub fn documents(text: &str) -> Vec<(usize, String)> {
    let mut docs = Vec::new();
    let mut current = String::new();
    let mut start = 1;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let bare = line.trim_end();
        if bare == "---" || bare.starts_with("--- ") || bare.starts_with("---\t") {
            docs.push((start, std::mem::take(&mut current)));
            start = i + 2;
        } else {
            current.push_str(line);
        }
    }
    docs.push((start, current));
    docs
}

/// The objects of a multi-document YAML file, each with the line its document
/// starts on. Empty documents (comments only, a stray `---`) are skipped; a
/// document that is not valid YAML is an error at its line.
pub fn parse_documents(path: &Path, text: &str) -> (Vec<(usize, Value)>, Vec<Error>) {
    let mut objects = Vec::new();
    let mut errors = Vec::new();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Err(e) = crate::edit::check_line_breaks(text) {
        errors.push(Error::File {
            path: path.to_owned(),
            line: e.line,
            column: e.column,
            message: format!("{}: {}", path.display(), e.message),
        });
        return (objects, errors);
    }
    for (line, doc) in documents(text) {
        match yaml_serde::from_str::<Value>(&doc) {
            Ok(Value::Null) => {}
            Ok(value) => objects.push((line, value)),
            Err(e) => {
                let (l, c) = e.location().map_or((0, 1), |l| (l.line(), l.column()));
                errors.push(Error::File {
                    path: path.to_owned(),
                    line: line + l.saturating_sub(1),
                    column: c,
                    message: format!("{} is not valid YAML: {e}", path.display()),
                });
            }
        }
    }
    (objects, errors)
}

/// Whether an object is a Flux `Kustomization` (kustomize.toolkit.fluxcd.io),
/// as opposed to a kustomize `kustomization.yaml` build file.
pub fn is_flux_kustomization(value: &Value) -> bool {
    value["kind"].as_str() == Some("Kustomization")
        && value["apiVersion"]
            .as_str()
            .is_some_and(|a| a.starts_with("kustomize.toolkit.fluxcd.io/"))
}

/// Every Flux `Kustomization` (kustomize.toolkit.fluxcd.io) in the given files.
pub fn flux_kustomizations(
    files: &BTreeMap<PathBuf, String>,
) -> Result<Vec<FluxKustomization>, Vec<Error>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (path, text) in files {
        let (objects, bad) = parse_documents(path, text);
        errors.extend(bad);
        let docs: BTreeMap<usize, String> = documents(text).into_iter().collect();
        for (line, value) in objects {
            if !is_flux_kustomization(&value) {
                continue;
            }
            let doc = docs.get(&line).map_or("", String::as_str);
            let name = value["metadata"]["name"].as_str().unwrap_or("").to_owned();
            let depends_on = value["spec"]["dependsOn"]
                .as_sequence()
                .map(|deps| {
                    deps.iter()
                        .filter_map(|d| d["name"].as_str())
                        .map(|d| (d.to_owned(), line + line_in(doc, d)))
                        .collect()
                })
                .unwrap_or_default();
            out.push(FluxKustomization {
                name,
                depends_on,
                path: path.clone(),
                line,
                object: value,
            });
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Lines after the document's first at which `name` is written as a dependency.
fn line_in(doc: &str, name: &str) -> usize {
    doc.lines()
        .position(|l| {
            let l = l.trim().trim_start_matches('-').trim();
            l.strip_prefix("name:")
                .is_some_and(|v| v.trim().trim_matches(['"', '\'']) == name)
        })
        .unwrap_or(0)
}

/// Every `dependsOn` of a cluster's Flux Kustomizations must name one the same
/// cluster defines, or Flux waits for it forever.
pub fn dangling_depends_on(cluster: &str, ks: &[FluxKustomization]) -> Vec<Error> {
    let mut errors = Vec::new();
    for k in ks {
        for (dep, line) in &k.depends_on {
            if !ks.iter().any(|other| other.name == *dep) {
                errors.push(Error::File {
                    path: k.path.clone(),
                    line: *line,
                    column: 1,
                    message: format!(
                        "Flux Kustomization {} of cluster {cluster} depends on `{dep}`, which no file in kubernetes/clusters/{cluster}/ defines",
                        k.name
                    ),
                });
            }
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_belong_to_the_cluster_in_their_path() {
        assert_eq!(
            cluster_of(Path::new("kubernetes/clusters/apps/x.yaml")).as_deref(),
            Some("apps")
        );
        assert_eq!(
            cluster_of(Path::new("bootstrap/clusters/infra/cilium-values.yaml")).as_deref(),
            Some("infra")
        );
        assert_eq!(
            cluster_of(Path::new("kubernetes/infrastructure/a.yaml")),
            None
        );
    }

    #[test]
    fn documents_are_split_with_their_first_line() {
        let docs = documents("a: 1\n---\nb: 2\nc: 3\n--- # x\nd: 4\n");
        let starts: Vec<usize> = docs.iter().map(|(l, _)| *l).collect();
        assert_eq!(starts, [1, 3, 6]);
        assert_eq!(docs[1].1, "b: 2\nc: 3\n");
    }
}
