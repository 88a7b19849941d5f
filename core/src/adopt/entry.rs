//! The Flux entries of a repository: where `flux bootstrap` (or flux-operator)
//! starts each cluster, the directories the clusters are read from.

use std::path::{Path, PathBuf};

use crate::flux::kustomization::flux_kustomization_of;
use crate::tree::{Links, Tree, is_yaml};

/// A Flux entry: the `flux-system` Kustomization `flux bootstrap` writes, or a
/// flux-operator FluxInstance standing for it, whose path is the cluster's own
/// directory.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub(crate) dir: PathBuf,
    pub(crate) file: PathBuf,
    /// What the entry is, for the notes: "the `flux-system` Kustomization" or
    /// "the FluxInstance `flux`".
    pub(crate) what: String,
    pub(crate) source: [String; 3],
}

/// Every Flux entry of the repository (its YAML files outside hidden
/// directories and `target/`), in path order.
pub(crate) fn entries(tree: &Tree) -> Vec<Entry> {
    let enter = |dir: &Path| {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        !name.starts_with('.') && dir != Path::new("target")
    };
    let walked = tree.walk(&[PathBuf::new()], Links::Skip, enter);
    let yaml = walked
        .files
        .iter()
        .filter(|f| is_yaml(f) && tree.is_file(f));
    let mut out: Vec<Entry> = yaml.flat_map(|f| entry_in(tree, f)).collect();
    out.sort_by(|a, b| a.dir.cmp(&b.dir));
    out
}

/// The Flux entries in one file: the `flux-system` Kustomization `flux
/// bootstrap` writes, or a flux-operator FluxInstance in `flux-system`, taken
/// as the Kustomization of that name its operator generates.
fn entry_in(tree: &Tree, rel: &Path) -> Vec<Entry> {
    let Ok(text) = tree.read(rel) else {
        return Vec::new();
    };
    // An instance without a namespace is in flux-system without naming it.
    if !text.contains("flux-system") && !text.contains("FluxInstance") {
        return Vec::new();
    }
    let docs = tree.documents(rel, &text);
    docs.objects
        .iter()
        .filter_map(|(_, written)| Some((written, flux_kustomization_of(written)?)))
        .filter(|(_, v)| v["metadata"]["name"].as_str() == Some("flux-system"))
        .filter_map(|(written, v)| {
            let path = v["spec"]["path"].as_str()?;
            let dir = path.trim_start_matches("./").trim_end_matches('/');
            let namespace = v["metadata"]["namespace"].as_str().unwrap_or("flux-system");
            let src = &v["spec"]["sourceRef"];
            let text = |v: &yaml_serde::Value, or: &str| v.as_str().unwrap_or(or).to_owned();
            let what = match written["kind"].as_str() {
                Some("FluxInstance") => {
                    let name = written["metadata"]["name"].as_str().unwrap_or("?");
                    format!("the FluxInstance `{}`", crate::text::one_line(name))
                }
                _ => "the `flux-system` Kustomization".to_owned(),
            };
            Some(Entry {
                dir: PathBuf::from(if dir.is_empty() { "." } else { dir }),
                file: rel.to_owned(),
                what,
                source: [
                    text(&src["kind"], "GitRepository"),
                    text(&src["name"], "flux-system"),
                    text(&src["namespace"], namespace),
                ],
            })
        })
        .collect()
}
