//! What the builds say of each HelmRelease beyond its own file: the chart a
//! `spec.chartRef` names through an OCIRepository written elsewhere, and the
//! files its `valuesFrom` reads — the values file of a `configMapGenerator`,
//! which the cluster applies as the release's values, read chart by chart like
//! `spec.values`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::appliers::Applier;
use super::chart_values::last_segment;
use super::requests::Role;
use crate::diag::codes::Code;
use crate::diag::error::Error;
use crate::flux::object::Object;
use crate::flux::resolve::ClusterBuild;

/// A file a HelmRelease reads as its values (`valuesFrom` a generated ConfigMap).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ValuesFile {
    /// The chart the release installs, when the builds name it.
    pub chart: Option<String>,
    /// `<namespace>/<name>` of the release, for the messages.
    pub release: String,
    /// How each cluster applies the release (and with it these values).
    pub appliers: Vec<Applier>,
}

/// The charts and values files of every HelmRelease the clusters apply.
#[derive(Debug, Default)]
pub(crate) struct Releases {
    /// The chart of each HelmRelease, by its file and `metadata.name` as written,
    /// where only the builds know it (`spec.chartRef` to an OCIRepository of
    /// another file).
    pub charts: HashMap<(PathBuf, String), String>,
    /// The files read through `valuesFrom`, by path.
    pub values_files: HashMap<PathBuf, ValuesFile>,
    /// Values a release reads that may ask for an address but are not audited
    /// (a hand-written ConfigMap's data): each a warning at its file and line.
    pub unread: Vec<Error>,
}

impl Releases {
    /// Every HelmRelease of `builds`, each looked up among the objects of its
    /// own cluster.
    pub(crate) fn new(builds: &[ClusterBuild]) -> Releases {
        let mut out = Releases::default();
        for build in builds {
            let objects: Vec<&Object> = build.objects().collect();
            for a in &build.kustomizations {
                let applier = Applier {
                    cluster: build.cluster.clone(),
                    kustomization: a.flux.name.clone(),
                    via: String::new(),
                    vars: a.vars.clone(),
                };
                for o in a.objects.iter().filter(|o| is_helm_release(o)) {
                    out.add(o, &objects, &applier);
                }
            }
        }
        out
    }

    /// Calls `f` with what `path` is to the clusters: the values of a release,
    /// or manifests whose releases may name their chart elsewhere.
    pub(crate) fn with_role<T>(&self, path: &Path, f: impl FnOnce(&Role<'_>) -> T) -> T {
        if let Some(values) = self.values_files.get(path) {
            return f(&Role::Values(values.chart.as_deref()));
        }
        let chart = |name: &str| {
            self.charts
                .get(&(path.to_owned(), name.to_owned()))
                .cloned()
        };
        f(&Role::Manifests(Some(&chart)))
    }

    fn add(&mut self, release: &Object, objects: &[&Object], applier: &Applier) {
        let chart = chart_of(release, objects);
        if let Some(chart) = &chart
            && release.value["spec"]["chart"].is_null()
        {
            let key = (release.source.clone(), release.org_name.clone());
            self.charts.insert(key, chart.clone());
        }
        let ns = release.namespace();
        let name = format!("{}/{}", ns.unwrap_or("default"), release.name());
        let (files, unread) = values_files(release, objects);
        for map in unread {
            let message = format!(
                "the values ConfigMap {} that HelmRelease {name} reads asks for a LoadBalancer IP, but only values a configMapGenerator reads from a file are audited (manual/build.md, \"HelmRelease values\")",
                map.name()
            );
            let note = Error::file(
                Code::UnauditedValues,
                map.source.clone(),
                map.line,
                1,
                message,
            );
            if !self.unread.contains(&note) {
                self.unread.push(note);
            }
        }
        for file in files {
            let applier = Applier {
                via: release_via(release),
                ..applier.clone()
            };
            let entry = self.values_files.entry(file).or_insert_with(|| ValuesFile {
                chart: chart.clone(),
                release: name.clone(),
                appliers: Vec::new(),
            });
            let seen = entry
                .appliers
                .iter()
                .any(|x| x.cluster == applier.cluster && x.kustomization == applier.kustomization);
            if !seen {
                entry.appliers.push(applier);
            }
        }
    }
}

fn is_helm_release(o: &Object) -> bool {
    o.kind() == "HelmRelease"
        && o.value["apiVersion"]
            .as_str()
            .is_some_and(|a| a.starts_with("helm.toolkit.fluxcd.io/"))
}

/// How the release was reached, ending at the release itself.
fn release_via(release: &Object) -> String {
    let mut via = release.via.clone();
    via.push(format!("HelmRelease {} valuesFrom", release.name()));
    via.join(" → ")
}

/// The chart a release installs: `spec.chart.spec.chart`, or the URL of the
/// OCIRepository its `spec.chartRef` names in the same cluster.
pub(crate) fn chart_of(release: &Object, objects: &[&Object]) -> Option<String> {
    let spec = &release.value["spec"];
    if let Some(chart) = spec["chart"]["spec"]["chart"].as_str() {
        return Some(last_segment(chart));
    }
    let chart_ref = &spec["chartRef"];
    if chart_ref["kind"].as_str() != Some("OCIRepository") {
        return None;
    }
    let ns = chart_ref["namespace"].as_str().or(release.namespace());
    let repo = find(objects, "OCIRepository", chart_ref["name"].as_str()?, ns)?;
    repo.value["spec"]["url"].as_str().map(last_segment)
}

/// The files a release's `valuesFrom` reads: for each ConfigMap entry, the file
/// a generator read into its `valuesKey` (`values.yaml` unless set); and the
/// ConfigMaps whose values, written in the object, may ask for an address.
fn values_files<'a>(release: &Object, objects: &[&'a Object]) -> (Vec<PathBuf>, Vec<&'a Object>) {
    let entries = release.value["spec"]["valuesFrom"].as_sequence();
    let (mut out, mut unread) = (Vec::new(), Vec::new());
    for entry in entries.into_iter().flatten() {
        if entry["kind"].as_str() != Some("ConfigMap") {
            continue;
        }
        let Some(name) = entry["name"].as_str() else {
            continue;
        };
        let key = entry["valuesKey"].as_str().unwrap_or("values.yaml");
        let Some(map) = find(objects, "ConfigMap", name, release.namespace()) else {
            continue;
        };
        match map.data_files.iter().find(|(k, _)| k == key) {
            Some((_, file)) => out.push(file.clone()),
            None => {
                let text = map.value["data"][key].as_str().unwrap_or("");
                if super::requests::may_ask_for_ips(text) {
                    unread.push(map);
                }
            }
        }
    }
    (out, unread)
}

/// The object of that kind and name in namespace `ns`. A hashed generated name
/// is matched as written too: a repository that keeps the hash rewrites
/// `valuesFrom` with a kustomize `configurations:` name reference (Flux's
/// documented way), which the model does not read.
fn find<'a>(
    objects: &[&'a Object],
    kind: &str,
    name: &str,
    ns: Option<&str>,
) -> Option<&'a Object> {
    let named = |o: &&&Object| o.name() == name || (o.hashed && o.org_name == name);
    objects
        .iter()
        .filter(|o| o.kind() == kind && o.namespace() == ns)
        .find(named)
        .copied()
}
