//! Following a cluster's Flux entry: a Flux `Kustomization` that a build applies
//! (the home-lab `kubernetes/apps/<ns>/<app>/ks.yaml`, applied by the cluster's
//! entry Kustomization) is itself built, with its own `spec.path`,
//! `targetNamespace` and `postBuild`, recursively, as Flux reconciles it.
//!
//! A Kustomization is built once, by its namespace and name: one applied again
//! (the bootstrap `flux-system` applying its own directory, a child listed by two
//! parents) is not built twice. One applied by its own descendants is a cycle,
//! reported with the chain.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::collections::VecDeque;
use std::sync::Arc;

use super::kustomization::{FluxKustomization, dependencies, flux_kustomization_of};
use super::object::Object;
use super::resolve::{Applied, ClusterBuild, Sources, build_in_order, resolve_entry};
use crate::diag::codes::Code;
use crate::diag::error::Error;
use crate::plan::Plan;
use crate::tree::Tree;

/// Everything Flux applies to `cluster`: the Flux Kustomizations of its
/// directory (`resolve_entry`) and every Flux Kustomization their builds
/// apply, built in turn; or every error met on the way.
pub fn resolve_cluster(
    tree: &Tree,
    plan: &Plan,
    cluster: &str,
) -> Result<ClusterBuild, Vec<Error>> {
    let mut build = resolve_entry(tree, plan, cluster)?;
    let (children, mut errors, mut notes) = follow(tree, plan, &build.kustomizations, &build.files);
    if plan.audit.strict.item {
        errors.append(&mut notes);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    build.kustomizations.extend(children);
    build.notes.extend(notes);
    Ok(build)
}

/// A Flux Kustomization's identity: its namespace and name.
type Key = (String, String);

fn key_of(value: &yaml_serde::Value) -> Key {
    let meta = &value["metadata"];
    let ns = meta["namespace"].as_str().unwrap_or("default");
    let name = meta["name"].as_str().unwrap_or("");
    (ns.to_owned(), name.to_owned())
}

/// The builds of every Flux Kustomization reached from `top` (the builds of the
/// cluster's entry), breadth first, the errors of those that cannot be
/// built. `files` are the objects of the cluster's own directory; a child finds
/// its `substituteFrom` ConfigMaps among them and among every object applied
/// before it.
fn follow(
    tree: &Tree,
    plan: &Plan,
    top: &[Applied],
    files: &[Object],
) -> (Vec<Applied>, Vec<Error>, Vec<Error>) {
    let mut built: BTreeSet<Key> = top.iter().map(|a| key_of(&a.flux.object)).collect();
    let mut sources = Sources::default();
    sources.extend(files);
    sources.extend(top.iter().flat_map(|a| &a.objects));
    // The Flux Kustomizations still to build, each with the chain above it.
    let mut queue: VecDeque<(Object, Vec<Key>)> = VecDeque::new();
    for a in top {
        queue.extend(children_of(a, &[]));
    }
    let (mut out, mut errors, mut notes) = (Vec::new(), Vec::new(), Vec::new());
    // Level by level, in the order of the one queue a breadth-first walk
    // keeps: each level's builds see the objects of every build before them.
    while !queue.is_empty() {
        let mut level = Vec::new();
        for (o, chain) in std::mem::take(&mut queue) {
            let key = key_of(&o.value);
            if chain.last() == Some(&key) {
                continue; // a Kustomization applying itself: Flux's bootstrap
            }
            if chain.contains(&key) {
                errors.push(cycle(&o, &chain, &key));
                continue;
            }
            if built.insert(key) {
                let text = tree.read(&o.source).unwrap_or_default();
                level.push(((child(&o), text), chain));
            }
        }
        let (ks, chains): (Vec<_>, Vec<_>) = level.into_iter().unzip();
        let builds = build_in_order(tree, plan, ks, &mut sources, true);
        for ((built, skipped), chain) in builds.into_iter().zip(chains) {
            notes.extend(skipped);
            match built {
                Ok(a) => {
                    queue.extend(children_of(&a, &chain));
                    out.push(a);
                }
                Err(e) => errors.extend(e),
            }
        }
    }
    (out, errors, notes)
}

/// The Flux Kustomizations a build applies (a `FluxInstance` as the one its
/// operator generates), each with the chain down to it.
fn children_of(a: &Applied, above: &[Key]) -> Vec<(Object, Vec<Key>)> {
    let mut chain = above.to_vec();
    chain.push(key_of(&a.flux.object));
    let as_flux = |o: &Object| {
        let value = match flux_kustomization_of(&o.value)? {
            Cow::Borrowed(_) => o.value.clone(),
            Cow::Owned(generated) => Arc::new(generated),
        };
        Some(Object { value, ..o.clone() })
    };
    a.objects
        .iter()
        .filter_map(as_flux)
        .map(|o| (o, chain.clone()))
        .collect()
}

/// A Flux Kustomization as a build applies it: after the parent's namespace
/// transforms and substitution, defined at its object's file and line.
fn child(o: &Object) -> FluxKustomization {
    let depends_on = dependencies(&o.value, o.line, &o.raw);
    FluxKustomization {
        name: o.name().to_owned(),
        namespace: o.namespace().map(str::to_owned),
        depends_on,
        path: o.source.clone(),
        line: o.line,
        object: (*o.value).clone(),
    }
}

/// The error for a Flux Kustomization applied by one of its own descendants.
fn cycle(o: &Object, chain: &[Key], key: &Key) -> Error {
    let at = chain.iter().position(|k| k == key).unwrap_or(0);
    let names: Vec<&str> = chain[at..]
        .iter()
        .chain([key])
        .map(|(_, n)| n.as_str())
        .collect();
    let problem = format!(
        "Flux Kustomization {} is applied by its own descendants ({}): a cycle Flux never settles; apply each Kustomization from one parent",
        key.1,
        names.join(" → ")
    );
    super::resolve::finding(Code::FluxCycle, &o.source, o.line, &[], &problem)
}
