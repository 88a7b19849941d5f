//! Where each file of the GitOps repository lives, relative to the repo root: the
//! one place paths are spelled. The templates come from plan.toml's `[layout]`
//! ([`Layout`], defaulting to the seed repository's); everything else asks here.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use crate::diag::error::{Error, Subject};
use crate::plan::spanned::{At, List, Str};

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
