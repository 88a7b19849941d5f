//! Where each file of the GitOps repository lives, relative to the repo root: the
//! one place paths are spelled. The templates come from plan.toml's `[layout]`
//! ([`Layout`], defaulting to the seed repository's); everything else asks here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::diag::error::{Error, Subject};
use std::borrow::Cow;

use crate::plan::{At, Cluster, List, Span, Str};

/// `[layout]`: where things are in the repository. Paths are relative to the
/// repository root; `{cluster}` and `{pool}` stand for a cluster's and a pool's
/// name. The defaults are the seed repository's layout (see [`Layout::DEFAULT`]);
/// every path the build writes, edits or reads comes from here, through the
/// methods below.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The generated component directory of a cluster's pools.
    pub pools_dir: At<Str>,
    /// The pool manifest in it; with `{pool}`, one file per pool.
    pub pool_file: At<Str>,
    /// The cluster's own Flux directory (what `flux bootstrap` applies).
    pub cluster_dir: At<Str>,
    /// The file holding the managed Flux Kustomization.
    pub flux_file: At<Str>,
    /// The managed Flux Kustomization's name.
    pub flux_name: At<Str>,
    /// The file of the settings ConfigMap the build writes keys into.
    pub settings_file: At<Str>,
    /// That ConfigMap's name; empty: no settings ConfigMap.
    pub settings_name: At<Str>,
    /// Cilium's Helm values: a values file, or `FILE#spec.values` for the values
    /// inside a HelmRelease; empty: none.
    pub helm_values: At<Str>,
    /// Where the generated docs go; empty: no docs.
    pub docs_dir: At<Str>,
    /// The directories whose YAML files the audits read.
    pub audit: List<At<Str>>,
    /// Globs (relative to the repo root) of YAML files the audits skip: content
    /// that is YAML by name only, such as templates of a tool other than Helm.
    pub exclude: List<At<Str>>,
    /// Hand-written files the build may take over (`take-over`, which
    /// `lbipam init` writes): a generated file goes there although the file there
    /// has no header, when its objects are what the plan renders, address for
    /// address (else the build refuses, as for any hand-written file).
    pub take_over: List<At<Str>>,
}

impl Layout {
    /// `[layout]` when the plan leaves it out: the seed repository's.
    pub const DEFAULT: Layout = Layout {
        pools_dir: At::new(Cow::Borrowed(
            "kubernetes/infrastructure/networking/cilium/ipam/{cluster}",
        )),
        pool_file: At::new(Cow::Borrowed("lb-ippool-{cluster}.yaml")),
        cluster_dir: At::new(Cow::Borrowed("kubernetes/clusters/{cluster}")),
        flux_file: At::new(Cow::Borrowed(
            "kubernetes/clusters/{cluster}/infrastructure.yaml",
        )),
        flux_name: At::new(Cow::Borrowed("cilium-ipam")),
        settings_file: At::new(Cow::Borrowed(
            "kubernetes/clusters/{cluster}/cluster-settings.yaml",
        )),
        settings_name: At::new(Cow::Borrowed("cluster-settings")),
        helm_values: At::new(Cow::Borrowed(
            "bootstrap/clusters/{cluster}/cilium-values.yaml",
        )),
        docs_dir: At::new(Cow::Borrowed("docs")),
        audit: Cow::Borrowed(&[
            At::new(Cow::Borrowed("kubernetes")),
            At::new(Cow::Borrowed("bootstrap")),
        ]),
        exclude: Cow::Borrowed(&[]),
        take_over: Cow::Borrowed(&[]),
    };
}

/// The file that is the single source of truth.
pub const PLAN_FILE: &str = "plan.toml";

/// The generated allocation summary, in the docs directory.
pub(crate) const IP_SUMMARY: &str = "IP-ALLOCATION-SUMMARY.md";

/// The generated address map, in the docs directory (the summary embeds it).
pub(crate) const IP_MAP_NAME: &str = "ip-map.svg";

/// The hand-written architecture document with one generated section.
const ARCHITECTURE: &str = "architecture.md";

/// The component `kustomization.yaml` beside the pool files.
pub(crate) const COMPONENT_KUSTOMIZATION: &str = "kustomization.yaml";

/// `template` with `{cluster}` (and `{pool}`) filled in.
fn fill(template: &str, cluster: &str, pool: &str) -> String {
    template
        .replace("{cluster}", cluster)
        .replace("{pool}", pool)
}

/// The directories of `template` before its first placeholder.
fn fixed_prefix(template: &str) -> PathBuf {
    Path::new(template)
        .components()
        .take_while(|c| !c.as_os_str().to_string_lossy().contains('{'))
        .collect()
}

/// Cilium's Helm values of a cluster: the file, and the key path inside it
/// under which the values live (empty for a plain values file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelmValues {
    /// The file, relative to the repo root.
    pub file: PathBuf,
    /// `["spec", "values"]` for `FILE#spec.values` (a HelmRelease), else empty.
    pub prefix: Vec<String>,
}

impl Layout {
    /// The cluster's generated component directory.
    pub fn pools_dir(&self, cluster: &str) -> PathBuf {
        PathBuf::from(fill(&self.pools_dir.item, cluster, ""))
    }

    /// The pool file holding plan pool `pool` of `cluster`.
    pub fn pool_file(&self, cluster: &str, pool: &str) -> PathBuf {
        self.pools_dir(cluster)
            .join(fill(&self.pool_file.item, cluster, pool))
    }

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

    /// Whether `path` (relative to the root) is listed in `take-over`.
    pub(crate) fn takes_over(&self, path: &Path) -> bool {
        self.take_over.iter().any(|t| Path::new(&*t.item) == path)
    }

    /// The component `kustomization.yaml` listing the pool files.
    pub(crate) fn component_kustomization(&self, cluster: &str) -> PathBuf {
        self.pools_dir(cluster).join(COMPONENT_KUSTOMIZATION)
    }

    /// The cluster's `CiliumBGPAdvertisement`, beside its pools. A pool file
    /// name cannot be it: `.bgp` holds a dot, which a pool name never does.
    pub(crate) fn bgp_advertisement_file(&self, cluster: &str) -> PathBuf {
        self.pools_dir(cluster).join("advertisement.bgp.yaml")
    }

    /// The cluster's `CiliumL2AnnouncementPolicy`, beside its pools.
    pub(crate) fn l2_policy_file(&self, cluster: &str) -> PathBuf {
        self.pools_dir(cluster).join("announcement.l2.yaml")
    }

    /// Where generated component files may be found: the pools directory up to
    /// its first placeholder (the seed's `.../cilium/ipam`).
    pub(crate) fn generated_root(&self) -> PathBuf {
        fixed_prefix(&self.pools_dir.item)
    }

    /// The Flux path of the cluster's component, as Flux wants it (`./`-relative).
    pub(crate) fn flux_path(&self, cluster: &str) -> String {
        format!("./{}", self.pools_dir(cluster).display())
    }

    /// The cluster's own Flux directory.
    pub fn cluster_dir(&self, cluster: &str) -> PathBuf {
        PathBuf::from(fill(&self.cluster_dir.item, cluster, ""))
    }

    /// The directory holding one Flux directory per cluster, when cluster
    /// directories are named after their cluster (the seed's `kubernetes/clusters`).
    pub(crate) fn clusters_root(&self) -> Option<PathBuf> {
        let (dir, last) = self.cluster_dir.item.rsplit_once('/')?;
        (last == "{cluster}" && !dir.contains('{')).then(|| PathBuf::from(dir))
    }

    /// The file holding the managed Flux Kustomization of the cluster.
    pub fn flux_file(&self, cluster: &str) -> PathBuf {
        PathBuf::from(fill(&self.flux_file.item, cluster, ""))
    }

    /// The managed Flux Kustomization's name.
    pub fn flux_name(&self) -> &str {
        &self.flux_name.item
    }

    /// The cluster's settings ConfigMap file, if the layout has one.
    pub fn settings_file(&self, cluster: &str) -> Option<PathBuf> {
        (!self.settings_name.item.is_empty())
            .then(|| PathBuf::from(fill(&self.settings_file.item, cluster, "")))
    }

    /// The settings ConfigMap's name, if the layout has one.
    pub(crate) fn settings_name(&self) -> Option<&str> {
        Some(&*self.settings_name.item).filter(|n| !n.is_empty())
    }

    /// The cluster's Cilium Helm values, if the layout has them.
    pub fn helm_values(&self, cluster: &str) -> Option<HelmValues> {
        let spec = &*self.helm_values.item;
        if spec.is_empty() {
            return None;
        }
        let (file, prefix) = spec.split_once('#').unwrap_or((spec, ""));
        Some(HelmValues {
            file: PathBuf::from(fill(file, cluster, "")),
            prefix: prefix
                .split('.')
                .filter(|k| !k.is_empty())
                .map(str::to_owned)
                .collect(),
        })
    }

    /// Directories whose files belong to the cluster even when no Flux
    /// Kustomization applies them: its Flux directory, and the directory of its
    /// Helm values when that is per cluster (the seed's `bootstrap/clusters/<c>`).
    pub(crate) fn own_dirs(&self, cluster: &str) -> Vec<PathBuf> {
        let mut dirs = vec![self.cluster_dir(cluster)];
        let template = self.helm_values.item.split('#').next().unwrap_or("");
        let per_cluster = Path::new(template)
            .parent()
            .is_some_and(|d| d.to_string_lossy().contains("{cluster}"));
        if let (true, Some(values)) = (per_cluster, self.helm_values(cluster))
            && let Some(dir) = values.file.parent()
        {
            dirs.push(dir.to_path_buf());
        }
        dirs
    }

    fn doc(&self, name: &str) -> Option<PathBuf> {
        let dir = &*self.docs_dir.item;
        (!dir.is_empty()).then(|| Path::new(dir).join(name))
    }

    /// The generated allocation summary, if the layout has docs.
    pub fn summary(&self) -> Option<PathBuf> {
        self.doc(IP_SUMMARY)
    }

    /// The generated address map, if the layout has docs.
    pub fn ip_map(&self) -> Option<PathBuf> {
        self.doc(IP_MAP_NAME)
    }

    /// The architecture document with a generated section, if the layout has docs.
    pub fn architecture(&self) -> Option<PathBuf> {
        self.doc(ARCHITECTURE)
    }

    /// Where files an earlier build generated may be left over: the audited
    /// directories and the pools' root, searched whole, and the generated docs,
    /// where this layout and the default one put them (for a layout that has
    /// moved or dropped its docs).
    pub(crate) fn generated_roots(&self) -> (Vec<PathBuf>, Vec<PathBuf>) {
        let mut dirs = self.audit_roots();
        dirs.push(self.generated_root());
        let mut docs = Vec::new();
        for dir in [&self.docs_dir, &Layout::DEFAULT.docs_dir] {
            if !dir.item.is_empty() {
                let dir = Path::new(&*dir.item);
                docs.extend([dir.join(IP_SUMMARY), dir.join(IP_MAP_NAME)]);
            }
        }
        docs.sort();
        docs.dedup();
        (dirs, docs)
    }

    /// The directories whose YAML files the audits read.
    pub fn audit_roots(&self) -> Vec<PathBuf> {
        self.audit.iter().map(|r| PathBuf::from(&*r.item)).collect()
    }

    /// What a change to must re-run the build script, for `rerun-if-changed`:
    /// the audited directories, the architecture document, each cluster's
    /// hand-written files the build edits and its generated pool directory (which
    /// may lie outside the audited directories), and the generated docs.
    pub fn inputs(&self, clusters: &[&str]) -> Vec<PathBuf> {
        let mut out = self.audit_roots();
        out.extend(self.architecture());
        for c in clusters {
            out.push(self.cluster_dir(c));
            out.push(self.flux_file(c));
            out.extend(self.settings_file(c));
            out.extend(self.helm_values(c).map(|v| v.file));
            // Generated files too: a hand edit must re-run the build (and fail it
            // in check mode) even when it lies outside the audited directories.
            out.push(self.pools_dir(c));
        }
        out.extend(self.summary());
        out.extend(self.ip_map());
        let mut seen = std::collections::BTreeSet::new();
        out.retain(|p| seen.insert(p.clone()));
        out
    }

    /// What is wrong with the layout for a plan of `clusters` clusters: a path
    /// that is absolute, leaves the repository or names no cluster where each
    /// cluster needs its own file, a placeholder other than `{cluster}` and
    /// `{pool}`, a Helm values key path other than `spec.values`-style keys.
    pub fn problems(&self, clusters: usize) -> Vec<Error> {
        let mut errors = Vec::new();
        let bad = |at: &At<Str>, reason: String| Error::BadValue {
            span: at.span,
            what: Subject::LayoutPath,
            value: at.item.to_string(),
            reason,
        };
        for (key, at) in self.templates() {
            let path = at.item.split('#').next().unwrap_or("");
            if let Some(reason) = control_problem(key, &at.item).or_else(|| path_problem(key, path))
            {
                errors.push(bad(at, reason));
            }
        }
        for (key, at) in [
            ("flux-name", &self.flux_name),
            ("settings-name", &self.settings_name),
        ] {
            errors.extend(control_problem(key, &at.item).map(|r| bad(at, r)));
        }
        // The audited directories are walked whole (and searched for stale
        // generated files to delete): they must be the repository's own.
        for at in self.audit.iter() {
            let reason = control_problem("audit", &at.item)
                .or_else(|| path_problem("audit", &at.item))
                .or_else(|| {
                    at.item.contains(['{', '}']).then(|| {
                        "an audit directory is one directory, without placeholders".to_owned()
                    })
                });
            errors.extend(reason.map(|r| bad(at, r)));
        }
        for at in self.take_over.iter() {
            let reason = control_problem("take-over", &at.item)
                .or_else(|| path_problem("take-over", &at.item));
            errors.extend(reason.map(|r| bad(at, r)));
        }
        for at in self.exclude.iter() {
            let reason = control_problem("exclude", &at.item).or_else(|| glob_problem(&at.item));
            errors.extend(reason.map(|r| Error::BadValue {
                span: at.span,
                what: Subject::Glob,
                value: at.item.to_string(),
                reason: r,
            }));
        }
        // Two clusters must not share a file the build writes or edits.
        let per_cluster = [
            ("pools-dir", &self.pools_dir),
            ("flux-file", &self.flux_file),
            ("settings-file", &self.settings_file),
            ("helm-values", &self.helm_values),
            ("cluster-dir", &self.cluster_dir),
        ];
        for (key, at) in per_cluster {
            let unused = at.item.is_empty()
                || (key == "settings-file" && self.settings_name.item.is_empty());
            if clusters > 1 && !unused && !at.item.contains("{cluster}") {
                errors.push(bad(
                    at,
                    format!("with more than one cluster, {key} must contain {{cluster}}, or the clusters would share one file"),
                ));
            }
        }
        if self.pool_file.item.contains('/') || self.pool_file.item.is_empty() {
            errors.push(bad(
                &self.pool_file,
                "pool-file is a file name in pools-dir, without `/`".to_owned(),
            ));
        }
        errors
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

    /// Every path template, with the key it is written under, for the checks.
    pub fn templates(&self) -> [(&'static str, &At<Str>); 7] {
        [
            ("pools-dir", &self.pools_dir),
            ("pool-file", &self.pool_file),
            ("cluster-dir", &self.cluster_dir),
            ("flux-file", &self.flux_file),
            ("settings-file", &self.settings_file),
            ("helm-values", &self.helm_values),
            ("docs-dir", &self.docs_dir),
        ]
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
    pub fn error(&self, reason: String) -> Error {
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

/// Why a layout value of `key` cannot be used when it holds a control character
/// (a line break, a tab, NUL) or a Unicode line or paragraph separator: such a
/// path would break every line it is printed on — a cargo directive, a report.
fn control_problem(key: &str, value: &str) -> Option<String> {
    let bad = value
        .chars()
        .find(|&c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))?;
    Some(format!(
        "{key} must not contain control characters (it has {})",
        bad.escape_unicode()
    ))
}

/// Why an `exclude` glob cannot be used: it is matched against paths relative
/// to the repository root, so an absolute one or one with `..` matches nothing
/// the audit reads and only looks as if it excluded something.
fn glob_problem(glob: &str) -> Option<String> {
    if glob.starts_with('/') || Path::new(glob).is_absolute() {
        return Some("exclude globs are relative to the repository root".to_owned());
    }
    glob.split(['/', '\\'])
        .any(|part| part == "..")
        .then(|| "exclude globs must stay inside the repository (no `..`)".to_owned())
}

/// Why a path template of `key` cannot be used, if it cannot.
fn path_problem(key: &str, path: &str) -> Option<String> {
    use std::path::Component;
    let p = Path::new(path);
    if p.is_absolute() {
        return Some(format!("{key} must be relative to the repository root"));
    }
    if p.components().any(|c| matches!(c, Component::ParentDir)) {
        return Some(format!("{key} must stay inside the repository (no `..`)"));
    }
    let rest = path.replace("{cluster}", "").replace("{pool}", "");
    if rest.contains(['{', '}']) {
        return Some(format!(
            "{key} may use only the placeholders {{cluster}} and {{pool}}"
        ));
    }
    if path.contains("{pool}") && key != "pool-file" {
        return Some(format!("only pool-file may use {{pool}}, not {key}"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_layout_is_the_seed_repositorys() {
        let l = Layout::DEFAULT;
        assert_eq!(
            l.pool_file("apps", "apps-pool"),
            Path::new("kubernetes/infrastructure/networking/cilium/ipam/apps/lb-ippool-apps.yaml")
        );
        assert_eq!(
            l.flux_path("apps"),
            "./kubernetes/infrastructure/networking/cilium/ipam/apps"
        );
        assert_eq!(
            l.clusters_root(),
            Some(PathBuf::from("kubernetes/clusters"))
        );
        assert_eq!(
            l.generated_root(),
            Path::new("kubernetes/infrastructure/networking/cilium/ipam")
        );
        assert_eq!(
            l.own_dirs("apps"),
            [
                PathBuf::from("kubernetes/clusters/apps"),
                PathBuf::from("bootstrap/clusters/apps")
            ]
        );
    }

    #[test]
    fn helm_values_inside_a_helm_release_have_a_key_prefix() {
        let mut l = Layout::DEFAULT;
        l.helm_values =
            At::new("kubernetes/apps/kube-system/cilium/app/helmrelease.yaml#spec.values".into());
        let v = l.helm_values("main").expect("values");
        assert_eq!(v.prefix, ["spec", "values"]);
        assert_eq!(
            l.own_dirs("main"),
            [PathBuf::from("kubernetes/clusters/main")]
        );
    }
}
