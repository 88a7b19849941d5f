//! Where the build puts each file of the plan's clusters, and what may not
//! be there: two outputs on one path, an output or a layout directory that
//! leaves the repository. Every path still comes from [`Layout`]'s templates.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::layout::Layout;
use super::spanned::{At, Str};
use crate::diag::Span;
use crate::diag::error::{Error, Subject};
use crate::plan::Cluster;

impl Layout {
    /// The cluster's pool files, each with the plan pools it holds, in plan order.
    pub(crate) fn pool_files<'a>(&self, cluster: &'a Cluster) -> Vec<(PathBuf, Vec<&'a str>)> {
        let mut out: Vec<(PathBuf, Vec<&str>)> = Vec::new();
        for pool in cluster.pools.iter() {
            let file = self.pool_file(&cluster.name.item, &pool.name.item);
            match out.iter_mut().find(|(f, _)| *f == file) {
                Some((_, pools)) => pools.push(&pool.name.item),
                None => out.push((file, vec![&pool.name.item])),
            }
        }
        out
    }

    /// Every file the build writes or edits for `clusters`, with what it is and
    /// the layout value that puts it there, in the order the artifacts want them.
    pub fn placed<'a>(&'a self, clusters: &[Cluster]) -> Vec<Placed<'a>> {
        let mut out = Vec::new();
        let mut put = |path: PathBuf, what: String, whole: bool, key, value| {
            out.push(Placed {
                path,
                what,
                whole,
                key,
                value,
            })
        };
        for c in clusters {
            let name = &*c.name.item;
            for (path, pools) in self.pool_files(c) {
                let what = format!("the pool file of {} (cluster {name})", pools.join(", "));
                put(path, what, true, "pool-file", &self.pool_file);
            }
            let what = format!("the component kustomization.yaml of cluster {name}");
            let path = self.component_kustomization(name);
            put(path, what, true, "pools-dir", &self.pools_dir);
        }
        for c in clusters {
            let name = &*c.name.item;
            let what = format!("the Flux Kustomization file of cluster {name}");
            put(
                self.flux_file(name),
                what,
                false,
                "flux-file",
                &self.flux_file,
            );
            if let Some(file) = self.settings_file(name) {
                let what = format!("the settings ConfigMap file of cluster {name}");
                put(file, what, false, "settings-file", &self.settings_file);
            }
            if let Some(values) = self.helm_values(name) {
                let what = format!("the Cilium Helm values of cluster {name}");
                put(values.file, what, false, "helm-values", &self.helm_values);
            }
        }
        if let Some(doc) = self.architecture() {
            let what = "the architecture document".to_owned();
            put(doc, what, false, "docs-dir", &self.docs_dir);
        }
        for (doc, what) in [
            (self.summary(), "allocation summary"),
            (self.ip_map(), "address map"),
        ] {
            if let Some(doc) = doc {
                put(
                    doc,
                    format!("the generated {what}"),
                    true,
                    "docs-dir",
                    &self.docs_dir,
                );
            }
        }
        out
    }

    /// Two outputs on one path: the build could write only one of them, so each
    /// second one is a plan error at the value that put it there, naming both.
    pub(crate) fn collisions(&self, clusters: &[Cluster]) -> Vec<Error> {
        let mut first: BTreeMap<PathBuf, Placed<'_>> = BTreeMap::new();
        let mut errors = Vec::new();
        for p in self.placed(clusters) {
            let Some(earlier) = first.get(&p.path) else {
                first.insert(p.path.clone(), p);
                continue;
            };
            let keys = if earlier.key == p.key {
                p.key.to_owned()
            } else {
                format!("{} or {}", earlier.key, p.key)
            };
            let reason = format!(
                "{} and {} are both {}: two outputs cannot share one file; change {keys} (or a name) so each has its own",
                earlier.what,
                p.what,
                p.path.display()
            );
            // At the value written in plan.toml, if one of the two is.
            let at = if p.value.span == Span::default() {
                earlier
            } else {
                &p
            };
            errors.push(at.error(reason));
        }
        errors
    }

    /// The layout values whose paths lead out of the repository at `root`
    /// through a symbolic link on disk (`kubernetes -> /`): every write, edit,
    /// audit walk and stale-file search must stay inside it. One plan error per
    /// value, at the value, naming the link and where it leads.
    pub fn escapes(&self, root: &Path, clusters: &[Cluster]) -> Vec<Error> {
        let Ok(home) = root.canonicalize() else {
            return Vec::new();
        };
        let mut paths: Vec<(PathBuf, &'static str, &At<Str>)> = self
            .placed(clusters)
            .into_iter()
            .map(|p| (p.path, p.key, p.value))
            .collect();
        paths.extend(
            self.audit
                .iter()
                .map(|a| (PathBuf::from(&*a.item), "audit", a)),
        );
        paths.push((
            self.generated_root().join("x"),
            "pools-dir",
            &self.pools_dir,
        ));
        // Where the resolver starts.
        for c in clusters {
            let dir = self.cluster_dir(&c.name.item);
            paths.push((dir, "cluster-dir", &self.cluster_dir));
        }
        let mut checked: BTreeMap<PathBuf, Option<PathBuf>> = BTreeMap::new();
        let mut reported = BTreeSet::new();
        let mut errors = Vec::new();
        for (path, key, value) in paths {
            let mut at = PathBuf::new();
            for part in path.components() {
                at.push(part);
                let out = checked
                    .entry(at.clone())
                    .or_insert_with(|| leads_out(root, &home, &at));
                if let Some(target) = out.clone() {
                    if reported.insert((value.span.start, value.span.end, at.clone())) {
                        let reason = format!(
                            "{} is a symbolic link to {}, outside the repository: the build reads and writes only inside it; replace the link with what it points to",
                            at.display(),
                            target.display()
                        );
                        let problem = (crate::diag::codes::Code::PathOutsideRepo, reason);
                        errors.push(value_error((key, value), &at, problem));
                    }
                    break;
                }
            }
        }
        errors
    }
}

/// Where `root/rel` leads when it is a symbolic link out of the repository
/// (whose real path is `home`).
fn leads_out(root: &Path, home: &Path, rel: &Path) -> Option<PathBuf> {
    let path = root.join(rel);
    let is_link = std::fs::symlink_metadata(&path)
        .ok()?
        .file_type()
        .is_symlink();
    if !is_link {
        return None;
    }
    // A dangling link leads nowhere yet; the write step refuses to write through it.
    let target = path.canonicalize().ok()?;
    (!target.starts_with(home)).then_some(target)
}

/// One file the build writes or edits (see [`Layout::placed`]).
#[derive(Clone, Debug)]
pub struct Placed<'a> {
    /// The file, relative to the repository root.
    pub path: PathBuf,
    /// What it is, in words: `the pool file of apps-pool (cluster apps)`.
    pub what: String,
    /// Whether the build writes it whole (else it edits a hand-written file).
    pub whole: bool,
    /// The `[layout]` key that puts it there.
    pub key: &'static str,
    /// That key's value in the plan.
    pub value: &'a At<Str>,
}

impl Placed<'_> {
    /// A problem with putting this output at its path (see [`value_error`]).
    pub(crate) fn error(&self, reason: String) -> Error {
        let problem = (crate::diag::codes::Code::WriteRefused, reason);
        value_error((self.key, self.value), &self.path, problem)
    }
}

/// A problem with the layout value of `key` about `path`: a plan error at the
/// value, or, when the value is the default (not in plan.toml), an error at
/// `path` naming the key and its default.
fn value_error(
    (key, value): (&str, &At<Str>),
    path: &Path,
    (code, reason): (crate::diag::codes::Code, String),
) -> Error {
    if value.span != Span::default() {
        return Error::BadValue {
            span: value.span,
            what: Subject::LayoutPath,
            value: value.item.to_string(),
            reason,
        };
    }
    let message = format!(
        "{}: {reason} ([layout] {key} is its default, `{}`; set it in plan.toml)",
        path.display(),
        value.item
    );
    Error::file(code, path.to_owned(), 1, 1, message)
}
