//! Which files of a repository are Kubernetes objects: the ones a kustomization
//! or a Flux path includes as resources, and which patches may change them.
//!
//! A YAML file is not an object because of its name: a Helm chart's
//! `templates/*.yaml` and `values.yaml`, a SOPS-encrypted values file, a
//! kustomize `configurations:` file are YAML too. Kustomize and Flux decide what
//! is applied, so this walk follows what they follow:
//!
//! - every kustomization file (`kustomization.yaml`, `kustomization.yml`,
//!   `Kustomization`) under `kubernetes/`: its `resources:` (and the deprecated
//!   `bases:`), `components:` and `crds:`, files and directories, recursively;
//! - each cluster's directory (`kubernetes/clusters/<cluster>`), which Flux's
//!   bootstrap applies;
//! - the `spec.path` of every Flux `Kustomization` (and `spec.sync.path` of a
//!   flux-operator `FluxInstance`) found in an included file: its kustomization
//!   file, or — as Flux generates one when there is none — every YAML file below.
//!
//! Unlike core's resolver ([`lbipam_core::flux::resolve`]), which refuses whatever it
//! cannot model so that the isolation check never guesses, this walk only needs
//! to know *which files* are objects, so it reads past `patches`, `components`,
//! `configurations` and the like. What a patch may supply is recorded as a
//! [`Target`] on every file below the kustomization that declares it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Component, Path, PathBuf};

use lbipam_core::flux::kustomization::is_flux_kustomization;
use lbipam_core::plan::Plan;
use lbipam_core::tree::parse_documents;
use yaml_serde::Value;

/// The names kustomize looks for in a directory, in its order.
const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// The objects a patch (or a replacement) of a kustomization may change;
/// `None` matches anything.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target {
    /// API group (`""` for the core group).
    pub group: Option<String>,
    /// API version, without the group.
    pub version: Option<String>,
    /// Kind.
    pub kind: Option<String>,
    /// Name; kustomize reads it as a regular expression, so a name with regex
    /// syntax in it matches everything here.
    pub name: Option<String>,
}

impl Target {
    /// Whether an object may be changed by this patch.
    pub fn matches(&self, object: &Value) -> bool {
        let api = object["apiVersion"].as_str().unwrap_or("");
        let (group, version) = api.rsplit_once('/').unwrap_or(("", api));
        let same = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        let name = object["metadata"]["name"].as_str().unwrap_or("");
        let name_ok = match &self.name {
            Some(n) if n.contains(|c: char| "^$.*+?()[]{}|\\".contains(c)) => true,
            other => same(other, name),
        };
        same(&self.group, group)
            && same(&self.version, version)
            && same(&self.kind, object["kind"].as_str().unwrap_or(""))
            && name_ok
    }

    fn from_selector(selector: &Value) -> Target {
        let field = |k: &str| selector[k].as_str().map(str::to_owned);
        Target {
            group: field("group"),
            version: field("version"),
            kind: field("kind"),
            name: field("name"),
        }
    }

    /// A strategic-merge patch names its target itself; anything unreadable
    /// (a JSON 6902 list without a target) may touch every object.
    fn from_patch_text(text: &str) -> Vec<Target> {
        let (objects, errors) = parse_documents(Path::new("patch"), text);
        if !errors.is_empty() || objects.is_empty() {
            return vec![Target::default()];
        }
        objects
            .iter()
            .map(|(_, patch)| {
                if !patch.is_mapping() {
                    return Target::default();
                }
                let api = patch["apiVersion"].as_str().unwrap_or("");
                let (group, version) = api.rsplit_once('/').unwrap_or(("", api));
                Target {
                    group: (!api.is_empty()).then(|| group.to_owned()),
                    version: (!api.is_empty()).then(|| version.to_owned()),
                    kind: patch["kind"].as_str().map(str::to_owned),
                    name: patch["metadata"]["name"].as_str().map(str::to_owned),
                }
            })
            .collect()
    }
}

/// The result of the walk.
#[derive(Debug, Default)]
pub struct Resources {
    /// Every file included as a resource, relative to the root, with the
    /// targets of the patches of the kustomizations above it.
    pub files: BTreeMap<PathBuf, BTreeSet<Target>>,
    /// Every kustomization file, relative to the root.
    pub kustomizations: BTreeSet<PathBuf>,
    /// References the walk could not follow (not found, remote, outside the
    /// repository): core's resolver and inclusion gate judge those.
    pub unfollowed: BTreeSet<String>,
}

/// Walks the repository at `root` (see the module docs).
pub fn resources(root: &Path, plan: &Plan) -> Resources {
    let roots = plan.layout.audit_roots();
    let mut walk = Walk {
        root,
        roots: &roots,
        out: Resources::default(),
        stack: Vec::new(),
        flux_done: BTreeSet::new(),
    };
    for kfile in kustomization_files(root, &roots) {
        let dir = kfile.parent().unwrap_or(Path::new("")).to_path_buf();
        walk.kustomization(&dir, &kfile, &BTreeSet::new());
    }
    for cluster in plan.clusters.iter() {
        let dir = plan.layout.cluster_dir(&cluster.name.item);
        if root.join(&dir).is_dir() {
            walk.flux_path(&dir, &BTreeSet::new());
        }
    }
    walk.follow_flux();
    walk.out
}

/// Every kustomization file under the audited directories, sorted.
fn kustomization_files(root: &Path, roots: &[PathBuf]) -> Vec<PathBuf> {
    files_under(root, roots, |rel| {
        rel.file_name()
            .is_some_and(|n| KUSTOMIZATION_FILES.iter().any(|k| n == *k))
    })
}

/// Every file under `roots` (relative to `root`) that `keep` accepts, sorted;
/// symbolic links to directories are not followed.
pub(crate) fn files_under(
    root: &Path,
    roots: &[PathBuf],
    keep: impl Fn(&Path) -> bool,
) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = roots.to_vec();
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = fs::read_dir(root.join(&dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let rel = dir.join(entry.file_name());
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                dirs.push(rel);
            } else if keep(&rel) {
                out.push(rel);
            }
        }
    }
    out.sort();
    out
}

fn kustomization_in(root: &Path, dir: &Path) -> Option<PathBuf> {
    KUSTOMIZATION_FILES
        .iter()
        .map(|f| dir.join(f))
        .find(|f| root.join(f).is_file())
}

struct Walk<'a> {
    root: &'a Path,
    /// The layout's audited directories: Flux paths outside them are not followed.
    roots: &'a [PathBuf],
    out: Resources,
    /// Directories on the current chain, to stop at a cycle.
    stack: Vec<PathBuf>,
    /// Flux objects (file, line) whose path has been walked.
    flux_done: BTreeSet<(PathBuf, usize)>,
}

impl Walk<'_> {
    /// A Flux path: its kustomization file, or every YAML file below it.
    fn flux_path(&mut self, dir: &Path, targets: &BTreeSet<Target>) {
        match kustomization_in(self.root, dir) {
            Some(kfile) => self.kustomization(dir, &kfile, targets),
            None => self.generated(dir, targets),
        }
    }

    /// What Flux generates for a directory without a kustomization file.
    fn generated(&mut self, dir: &Path, targets: &BTreeSet<Target>) {
        let Ok(entries) = fs::read_dir(self.root.join(dir)) else {
            return;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let rel = dir.join(entry.file_name());
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                self.flux_path(&rel, targets);
            } else if rel.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                self.file(&rel, targets);
            }
        }
    }

    fn kustomization(&mut self, dir: &Path, kfile: &Path, inherited: &BTreeSet<Target>) {
        if self.stack.iter().any(|d| d == dir) {
            return; // a cycle; the resolver reports it
        }
        self.out.kustomizations.insert(kfile.to_path_buf());
        let Ok(text) = lbipam_core::read::text(&self.root.join(kfile)) else {
            return;
        };
        let Ok(k) = yaml_serde::from_str::<Value>(&text) else {
            return; // the schema check reports it
        };
        self.stack.push(dir.to_path_buf());
        let mut targets = inherited.clone();
        targets.extend(self.patch_targets(dir, &k));
        for c in strings(&k["components"]) {
            targets.extend(self.component_targets(dir, c, kfile));
        }
        let entries = ["resources", "bases", "crds", "components"]
            .iter()
            .flat_map(|key| strings(&k[*key]));
        for entry in entries {
            let Some(path) = self.locate(dir, entry, kfile) else {
                continue;
            };
            if self.root.join(&path).is_dir() {
                match kustomization_in(self.root, &path) {
                    Some(sub) => self.kustomization(&path, &sub, &targets),
                    None => self.unfollowed(kfile, entry, "a directory without kustomization.yaml"),
                }
            } else {
                self.file(&path, &targets);
            }
        }
        self.stack.pop();
    }

    /// The objects the patches (and replacements) of a kustomization may change.
    fn patch_targets(&self, dir: &Path, k: &Value) -> Vec<Target> {
        let mut out = Vec::new();
        for p in list(&k["patches"])
            .iter()
            .chain(list(&k["patchesJson6902"]))
        {
            out.extend(self.one_patch(dir, p));
        }
        for p in list(&k["patchesStrategicMerge"]) {
            let text = p.as_str().unwrap_or("");
            let file = lbipam_core::read::text(&self.root.join(dir).join(text));
            out.extend(Target::from_patch_text(file.as_deref().unwrap_or(text)));
        }
        for r in list(&k["replacements"]) {
            out.extend(
                list(&r["targets"])
                    .iter()
                    .map(|t| Target::from_selector(&t["select"])),
            );
        }
        out
    }

    /// The patch targets of a component, which apply to the resources of the
    /// kustomization including it.
    fn component_targets(&mut self, dir: &Path, entry: &str, from: &Path) -> Vec<Target> {
        let component = self
            .locate(dir, entry, from)
            .and_then(|cdir| Some((kustomization_in(self.root, &cdir)?, cdir)))
            .and_then(|(cfile, cdir)| {
                Some((lbipam_core::read::text(&self.root.join(cfile)).ok()?, cdir))
            })
            .and_then(|(text, cdir)| Some((yaml_serde::from_str::<Value>(&text).ok()?, cdir)));
        component.map_or_else(Vec::new, |(c, cdir)| self.patch_targets(&cdir, &c))
    }

    fn one_patch(&self, dir: &Path, p: &Value) -> Vec<Target> {
        if p["target"].is_mapping() {
            return vec![Target::from_selector(&p["target"])];
        }
        if let Some(text) = p["patch"].as_str() {
            return Target::from_patch_text(text);
        }
        match p["path"]
            .as_str()
            .map(|f| lbipam_core::read::text(&self.root.join(dir).join(f)))
        {
            Some(Ok(text)) => Target::from_patch_text(&text),
            _ => vec![Target::default()],
        }
    }

    fn file(&mut self, path: &Path, targets: &BTreeSet<Target>) {
        if !self.root.join(path).is_file() {
            return self.unfollowed(path, "", "not found");
        }
        let entry = self.out.files.entry(path.to_path_buf()).or_default();
        entry.extend(targets.iter().cloned());
    }

    /// Follows the path of every Flux object of an included file, until no new
    /// file is included.
    fn follow_flux(&mut self) {
        loop {
            let mut found = Vec::new();
            for (path, targets) in &self.out.files {
                let Ok(text) = lbipam_core::read::text(&self.root.join(path)) else {
                    continue;
                };
                for (line, object) in parse_documents(path, &text).0 {
                    if !self.flux_done.contains(&(path.clone(), line))
                        && let Some(flux_path) = flux_path_of(&object)
                    {
                        found.push((path.clone(), line, flux_path, targets.clone(), object));
                    }
                }
            }
            if found.is_empty() {
                return;
            }
            for (file, line, flux_path, mut targets, object) in found {
                self.flux_done.insert((file.clone(), line));
                let Some(dir) = self.locate(Path::new(""), &flux_path, &file) else {
                    continue;
                };
                let spec = &object["spec"];
                targets.extend(self.patch_targets(&dir, spec));
                for c in strings(&spec["components"]) {
                    targets.extend(self.component_targets(&dir, c, &file));
                }
                if !self.roots.iter().any(|r| dir.starts_with(r)) {
                    self.unfollowed(&file, &flux_path, "outside the audited directories");
                } else if self.root.join(&dir).is_dir() {
                    self.flux_path(&dir, &targets);
                    for c in strings(&spec["components"]) {
                        if let Some(cdir) = self.locate(&dir, c, &file) {
                            self.flux_path(&cdir, &targets);
                        }
                    }
                } else {
                    self.unfollowed(&file, &flux_path, "not a directory of this repository");
                }
            }
        }
    }

    /// `entry`, relative to `base`, as a path relative to the root; `None`
    /// (noted) if it is remote or leaves the repository.
    fn locate(&mut self, base: &Path, entry: &str, from: &Path) -> Option<PathBuf> {
        if entry.contains("://") || entry.starts_with("git@") || entry.starts_with("github.com/") {
            self.unfollowed(from, entry, "remote");
            return None;
        }
        let mut out = base.to_path_buf();
        for c in Path::new(entry).components() {
            match c {
                Component::CurDir => {}
                Component::Normal(part) => out.push(part),
                Component::ParentDir if out.pop() => {}
                _ => {
                    self.unfollowed(from, entry, "outside the repository");
                    return None;
                }
            }
        }
        if !self.root.join(&out).exists() {
            self.unfollowed(from, entry, "not found");
            return None;
        }
        Some(out)
    }

    fn unfollowed(&mut self, from: &Path, entry: &str, why: &str) {
        let what = if entry.is_empty() {
            String::new()
        } else {
            format!("{entry}: ")
        };
        self.out
            .unfollowed
            .insert(format!("{}: {what}{why}", from.display()));
    }
}

/// The directory a Flux object applies: a Flux Kustomization's `spec.path`, or
/// a flux-operator FluxInstance's `spec.sync.path`.
fn flux_path_of(object: &Value) -> Option<String> {
    if is_flux_kustomization(object) {
        return object["spec"]["path"].as_str().map(str::to_owned);
    }
    let instance = object["kind"].as_str() == Some("FluxInstance")
        && object["apiVersion"]
            .as_str()
            .is_some_and(|a| a.starts_with("fluxcd.controlplane.io/"));
    instance
        .then(|| object["spec"]["sync"]["path"].as_str().map(str::to_owned))
        .flatten()
}

fn list(v: &Value) -> &[Value] {
    v.as_sequence().map_or(&[], Vec::as_slice)
}

fn strings(v: &Value) -> impl Iterator<Item = &str> {
    list(v).iter().filter_map(Value::as_str)
}
