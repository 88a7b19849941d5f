//! The Flux `Kustomization` objects (kustomize.toolkit.fluxcd.io) of a cluster's
//! files: what the resolver starts from.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::PathBuf;

use yaml_serde::Value;

use crate::diag::error::Error;
use crate::tree::{Documents, Tree};

/// A Flux Kustomization found in a cluster's files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FluxKustomization {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`, if the file writes one.
    pub namespace: Option<String>,
    /// `spec.dependsOn[]`: its name, its namespace if it gives one, and the
    /// line it is written on.
    pub depends_on: Vec<Dependency>,
    /// The file defining it, relative to the repo root.
    pub path: PathBuf,
    /// The line its document starts on.
    pub line: usize,
    /// The whole object, for the fields the audits above do not lift out
    /// (`spec.path`, `spec.sourceRef`, `spec.postBuild`, ...).
    pub object: Value,
}

/// One `spec.dependsOn` entry of a Flux Kustomization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dependency {
    /// `name`.
    pub name: String,
    /// `namespace`; without it Flux looks in the dependent's namespace.
    pub namespace: Option<String>,
    /// The line `name` is written on.
    pub line: usize,
}

/// Whether an object is a Flux `Kustomization` (kustomize.toolkit.fluxcd.io),
/// as opposed to a kustomize `kustomization.yaml` build file.
pub(crate) fn is_flux_kustomization(value: &Value) -> bool {
    value["kind"].as_str() == Some("Kustomization")
        && value["apiVersion"]
            .as_str()
            .is_some_and(|a| a.starts_with("kustomize.toolkit.fluxcd.io/"))
}

/// Whether an object is a flux-operator `FluxInstance` (fluxcd.controlplane.io).
fn is_flux_instance(value: &Value) -> bool {
    value["kind"].as_str() == Some("FluxInstance")
        && value["apiVersion"]
            .as_str()
            .is_some_and(|a| a.starts_with("fluxcd.controlplane.io/"))
}

/// The directory a Flux object applies, as written: a Flux Kustomization's
/// `spec.path`, or a flux-operator `FluxInstance`'s `spec.sync.path` (the
/// Kustomization the operator generates applies it). `None` for any other
/// object, and for a path that is not a string.
pub(crate) fn applied_path(value: &Value) -> Option<&str> {
    if is_flux_kustomization(value) {
        value["spec"]["path"].as_str()
    } else if is_flux_instance(value) {
        value["spec"]["sync"]["path"].as_str()
    } else {
        None
    }
}

/// The namespace a `FluxInstance` that does not name one is applied in: the
/// operator's own, where its documentation installs every instance.
const OPERATOR_NAMESPACE: &str = "flux-system";

/// The Flux Kustomization an object stands for: the object itself for a Flux
/// Kustomization; for a `FluxInstance` with `spec.sync`, the one its operator
/// generates, which (like `flux bootstrap`) is named after the instance's
/// namespace, lives in it, and applies `sync.path` from the source of
/// `sync.kind` of the same name. `None` for any other object.
pub(crate) fn flux_kustomization_of(value: &Value) -> Option<Cow<'_, Value>> {
    if is_flux_kustomization(value) {
        return Some(Cow::Borrowed(value));
    }
    if !is_flux_instance(value) || !value["spec"]["sync"].is_mapping() {
        return None;
    }
    let namespace = value["metadata"]["namespace"]
        .as_str()
        .unwrap_or(OPERATOR_NAMESPACE);
    let entries = |pairs: Vec<(&str, Value)>| {
        Value::Mapping(
            pairs
                .into_iter()
                .map(|(k, v)| (Value::from(k), v))
                .collect(),
        )
    };
    let path = applied_path(value).map_or(Value::Null, Value::from);
    let source = entries(vec![
        ("kind", value["spec"]["sync"]["kind"].clone()),
        ("name", Value::from(namespace)),
    ]);
    let metadata = entries(vec![
        ("name", Value::from(namespace)),
        ("namespace", Value::from(namespace)),
    ]);
    Some(Cow::Owned(entries(vec![
        ("apiVersion", Value::from("kustomize.toolkit.fluxcd.io/v1")),
        ("kind", Value::from("Kustomization")),
        ("metadata", metadata),
        ("spec", entries(vec![("path", path), ("sourceRef", source)])),
    ])))
}

/// Every Flux `Kustomization` (kustomize.toolkit.fluxcd.io) in the given files
/// of `tree`.
pub(crate) fn flux_kustomizations(
    tree: &Tree,
    files: &BTreeMap<PathBuf, String>,
) -> Result<Vec<FluxKustomization>, Vec<Error>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (path, text) in files {
        let parsed = tree.documents(path, text);
        let Documents {
            objects,
            errors: bad,
            ..
        } = &*parsed;
        errors.extend(bad.iter().cloned());
        for &(line, ref value) in objects.iter() {
            let Some(value) = flux_kustomization_of(value) else {
                continue;
            };
            let doc = parsed.source(line).unwrap_or_default();
            let name = value["metadata"]["name"].as_str().unwrap_or("").to_owned();
            let depends_on = dependencies(&value, line, doc);
            let namespace = value["metadata"]["namespace"].as_str().map(str::to_owned);
            out.push(FluxKustomization {
                name,
                namespace,
                depends_on,
                path: path.clone(),
                line,
                object: value.into_owned(),
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
/// The `spec.dependsOn` entries of a Flux Kustomization whose document, `doc`,
/// starts on `line`, each at the line its name is written on.
pub(crate) fn dependencies(value: &Value, line: usize, doc: &str) -> Vec<Dependency> {
    let Some(deps) = value["spec"]["dependsOn"].as_sequence() else {
        return Vec::new();
    };
    deps.iter()
        .filter_map(|d| Some((d["name"].as_str()?, d["namespace"].as_str())))
        .map(|(d, ns)| Dependency {
            name: d.to_owned(),
            namespace: ns.map(str::to_owned),
            line: line + line_in(doc, d),
        })
        .collect()
}

pub(crate) fn line_in(doc: &str, name: &str) -> usize {
    crate::yaml::keys_from(doc, 1, "name")
        .find(|k| k.value.trim_matches(['"', '\'']) == name)
        .map_or(0, |k| k.line - 1)
}
