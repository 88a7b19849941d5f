//! What each cluster's Flux Kustomizations apply, worked out from the repository
//! alone — no kustomize, no flux, no cluster.
//!
//! For a cluster `c`, [`resolve_entry`] does what
//! `flux build kustomization NAME -f kubernetes/clusters/c/infrastructure.yaml --path .`
//! does, for every Flux `Kustomization` in `kubernetes/clusters/c/*.yaml`, for the
//! parts this repository uses:
//!
//! - `spec.path` is resolved against the repository root (the `flux-system`
//!   GitRepository is this repository);
//! - a `kustomization.yaml` is followed through its `resources:`, recursively, files
//!   and directories; its `namespace:` is applied to what it collects;
//! - a `spec.path` directory without `kustomization.yaml` takes every YAML file below
//!   it, as Flux generates one;
//! - `spec.targetNamespace` is applied, then `spec.postBuild` substitution of
//!   `${VAR}`, `${VAR:=default}` and `${VAR:-default}` from `substitute` and from the
//!   ConfigMaps of the cluster's own files named in `substituteFrom`.
//!
//! Anything it cannot model faithfully is an error, never a silent skip: a missing
//! file, a path leaving the repository (`..` past the root, an absolute path, a
//! symlink out), a cycle, a remote resource, a kustomize or Flux field that
//! transforms objects (`patches`, `namePrefix`, `components`, ...), an unset
//! substitution variable. Each error names the chain that led to it, e.g.
//! `kubernetes/clusters/apps/infrastructure.yaml: cilium-ipam →
//! ./kubernetes/infrastructure/networking/cilium/ipam/apps → lb-ippool-apps.yaml:
//! file not found: ...`.
//!
//! [`crate::audit::isolation`] then holds the result against the plan.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use yaml_serde::{Mapping, Value};

use super::kustomization::{self, FluxKustomization};
use crate::diag::codes::Code;
use crate::diag::error::Error;
use crate::plan::{Plan, Source};
use crate::tree::Tree;

/// One object a Flux Kustomization applies.
#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    /// The file it is written in, relative to the repo root.
    pub source: PathBuf,
    /// The line its document starts on.
    pub line: usize,
    /// How it was reached: the Kustomization's name, its `spec.path` and each
    /// `resources:` entry, as written.
    pub via: Vec<String>,
    /// The object, after namespace transforms and substitution (shared with
    /// the parse of its file until a transform changes it).
    pub value: Arc<Value>,
    /// Its YAML document as written, which Flux's substitution works on: quotes
    /// written around `"${VAR}"` survive kustomize's build, so they count.
    pub raw: String,
}

impl Object {
    /// `metadata.name`, or `""`.
    pub fn name(&self) -> &str {
        self.value["metadata"]["name"].as_str().unwrap_or("")
    }

    /// `kind`, or `""`.
    pub fn kind(&self) -> &str {
        self.value["kind"].as_str().unwrap_or("")
    }

    /// `metadata.namespace`, if set.
    pub fn namespace(&self) -> Option<&str> {
        self.value["metadata"]["namespace"].as_str()
    }

    /// Whether its document as written sets `metadata.namespace` itself, rather
    /// than a kustomization's `namespace:` or Flux's `targetNamespace` (which set
    /// it on every kind they do not know is cluster-scoped; the API server drops
    /// it from a cluster-scoped one).
    pub fn writes_namespace(&self) -> bool {
        yaml_serde::from_str::<Value>(&self.raw)
            .is_ok_and(|v| !v["metadata"]["namespace"].is_null())
    }
}

/// The build of one Flux Kustomization.
#[derive(Clone, Debug, PartialEq)]
pub struct Applied {
    /// The Flux Kustomization, as found in the cluster's files.
    pub flux: FluxKustomization,
    /// Every directory the build reached (its component directories), relative to
    /// the repo root, in the order first reached.
    pub dirs: Vec<PathBuf>,
    /// The objects it applies, in kustomize's order.
    pub objects: Vec<Object>,
    /// Its `postBuild` variables (`substitute` over `substituteFrom`), `None`
    /// without `postBuild`: Flux then leaves `${VAR}` as written.
    pub vars: Option<Vars>,
}

/// Everything Flux applies to one cluster.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterBuild {
    /// The cluster's name.
    pub cluster: String,
    /// The objects of the cluster's own files (every YAML file under `kubernetes/clusters/<c>/`):
    /// its Flux Kustomizations, `cluster-settings`, ...
    pub files: Vec<Object>,
    /// The build of each of its Flux Kustomizations, in file order.
    pub kustomizations: Vec<Applied>,
}

impl ClusterBuild {
    /// The build of the Flux Kustomization of that name.
    pub fn applied(&self, name: &str) -> Option<&Applied> {
        self.kustomizations.iter().find(|a| a.flux.name == name)
    }

    /// Every object applied to the cluster: its own files, then each build.
    pub fn objects(&self) -> impl Iterator<Item = &Object> {
        self.files
            .iter()
            .chain(self.kustomizations.iter().flat_map(|a| &a.objects))
    }
}

/// Why a Flux Kustomization cannot be built, with the chain that led there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolveError {
    /// Which problem it is.
    pub code: Code,
    /// The cluster file defining the Flux Kustomization (or the file that failed).
    pub file: PathBuf,
    /// The line in `file` it points at.
    pub line: usize,
    /// The Kustomization's name, its `spec.path` and each `resources:` entry
    /// followed, as written; empty for a problem of the file itself.
    pub chain: Vec<String>,
    /// What is wrong at the end of the chain.
    pub problem: String,
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.file.display())?;
        if !self.chain.is_empty() {
            write!(f, "{}: ", self.chain.join(" → "))?;
        }
        f.write_str(&self.problem)
    }
}

impl From<ResolveError> for Error {
    fn from(e: ResolveError) -> Error {
        let message = if e.chain.is_empty() {
            e.problem
        } else {
            format!("{}: {}", e.chain.join(" → "), e.problem)
        };
        Error::File {
            code: e.code,
            path: e.file,
            line: e.line,
            column: 1,
            message,
        }
    }
}

/// The names kustomize looks for in a directory, in its order.
const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// kustomization.yaml fields the resolver models. Every other field transforms
/// or generates objects, so the resolver refuses it rather than guess.
const KUSTOMIZE_FIELDS: [&str; 5] = ["apiVersion", "kind", "metadata", "resources", "namespace"];

/// Flux Kustomization `spec` fields that change what is applied and are not modeled.
const FLUX_TRANSFORMS: [&str; 8] = [
    "components",
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "images",
    "namePrefix",
    "nameSuffix",
    "commonMetadata",
];

/// Kinds kustomize knows to be cluster-scoped, which its namespace transform
/// leaves alone. Custom resources are not in its schema, so it namespaces them
/// all — a `CiliumLoadBalancerIPPool` included too.
const CLUSTER_SCOPED_BUILTINS: [&str; 10] = [
    "Namespace",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "APIService",
];

/// Builds every Flux Kustomization in the cluster's directory of the plan's
/// layout (the seed's `kubernetes/clusters/<cluster>/`): the objects each applies,
/// or every error met on the way. [`super::entry::resolve_cluster`] follows
/// the Kustomizations these apply.
pub fn resolve_entry(
    tree: &Tree,
    plan: &Plan,
    cluster: &str,
) -> Result<ClusterBuild, Vec<ResolveError>> {
    let dir = plan.layout.cluster_dir(cluster);
    let texts = cluster_files(tree, &dir)?;
    let mut errors = Vec::new();
    let mut files = Vec::new();
    for (path, text) in &texts {
        let parsed = tree.documents(path, text);
        let (objects, bad) = &*parsed;
        errors.extend(bad.iter().map(|e| plain(path, e)));
        files.extend(objects.iter().map(|(line, value)| Object {
            source: path.clone(),
            line: *line,
            via: Vec::new(),
            value: Arc::clone(value),
            raw: String::new(),
        }));
    }
    let ks = match kustomization::flux_kustomizations(tree, &texts) {
        Ok(ks) => ks,
        Err(_) => return Err(errors), // the parse errors are in `errors` already
    };
    let mut kustomizations = Vec::new();
    for k in ks {
        let text = texts.get(&k.path).map_or("", String::as_str);
        match build_kustomization(tree, &plan.flux.source, &k, text, &files) {
            Ok(applied) => kustomizations.push(applied),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(ClusterBuild {
            cluster: cluster.to_owned(),
            files,
            kustomizations,
        })
    } else {
        Err(errors)
    }
}

/// A parse error of a cluster file, as a [`ResolveError`] without a chain.
fn plain(path: &Path, e: &Error) -> ResolveError {
    let line = match e.location() {
        crate::diag::error::Location::File { line, .. } => line,
        crate::diag::error::Location::Plan { .. } => 1,
    };
    let code = match e {
        Error::File { code, .. } => *code,
        _ => Code::InvalidYaml,
    };
    ResolveError {
        code,
        file: path.to_owned(),
        line,
        chain: Vec::new(),
        problem: e.to_string(),
    }
}

/// The YAML files in the cluster's directory and below, by path relative to root.
fn cluster_files(tree: &Tree, dir: &Path) -> Result<BTreeMap<PathBuf, String>, Vec<ResolveError>> {
    let fail = |problem: String| {
        vec![ResolveError {
            code: Code::Unreadable,
            file: dir.to_owned(),
            line: 1,
            chain: Vec::new(),
            problem,
        }]
    };
    // Flux's bootstrap Kustomization applies the directory and everything below
    // it (a `secrets/` subdirectory with the ConfigMap `substituteFrom` names).
    let mut out = BTreeMap::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries = tree
            .read_dir(&dir)
            .map_err(|e| fail(format!("cannot read {}: {e}", dir.display())))?;
        for entry in entries {
            let rel = dir.join(&entry.name);
            if entry.is_dir {
                dirs.push(rel);
            } else if entry.is_file && is_yaml(&rel) {
                let text = tree.read(&rel).map_err(|e| {
                    // At the file that cannot be read, not at its directory.
                    vec![ResolveError {
                        code: Code::Unreadable,
                        file: rel.clone(),
                        line: 1,
                        chain: Vec::new(),
                        problem: format!("cannot read {}: {e}", rel.display()),
                    }]
                })?;
                out.insert(rel, text);
            }
        }
    }
    Ok(out)
}

pub(crate) fn is_yaml(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "yaml" || e == "yml")
}

/// The line of `key:` in the document of `text` starting at `doc_line`, or `doc_line`.
pub(crate) fn key_line(text: &str, doc_line: usize, key: &str) -> usize {
    text.lines()
        .enumerate()
        .skip(doc_line.saturating_sub(1))
        .take_while(|(i, l)| *i + 1 == doc_line || l.trim_end() != "---")
        .find(|(_, l)| {
            l.trim_start()
                .strip_prefix(key)
                .is_some_and(|r| r.starts_with(':'))
        })
        .map_or(doc_line, |(i, _)| i + 1)
}

/// Builds one Flux Kustomization.
pub(super) fn build_kustomization(
    tree: &Tree,
    own: &Source,
    k: &FluxKustomization,
    text: &str,
    cluster_objects: &[Object],
) -> Result<Applied, Vec<ResolveError>> {
    let spec = &k.object["spec"];
    let fail = |key: &str, chain: Vec<String>, (code, problem): (Code, String)| ResolveError {
        code,
        file: k.path.clone(),
        line: key_line(text, k.line, key),
        chain,
        problem,
    };
    let name = vec![k.name.clone()];
    let mut errors = Vec::new();
    for field in FLUX_TRANSFORMS {
        if spec.get(field).is_some() {
            errors.push(fail(
                field,
                name.clone(),
                (Code::UnmodelledKustomize, format!("spec.{field} is not modeled by the kustomize-free resolver (core/src/resolve.rs), so what Flux applies cannot be checked")),
            ));
        }
    }
    let source = &spec["sourceRef"];
    if source["kind"].as_str() != Some(&*own.kind.item)
        || source["name"].as_str() != Some(&*own.name.item)
    {
        errors.push(fail(
            "sourceRef",
            name.clone(),
            (Code::WrongSource, format!(
                "spec.sourceRef must be {} {} (this repository, [flux] source in plan.toml) for its path to be resolved here, found {}",
                own.kind.item,
                own.name.item,
                if source.is_null() {
                    "none".to_owned()
                } else {
                    format!(
                        "{} {}",
                        source["kind"].as_str().unwrap_or("?"),
                        source["name"].as_str().unwrap_or("?")
                    )
                }
            )),
        ));
    }
    let Some(path) = spec["path"].as_str() else {
        errors.push(fail(
            "spec",
            name,
            (Code::MissingFluxPath, "spec.path is missing or not a string; write the directory it applies, e.g. ./kubernetes/…".to_owned()),
        ));
        return Err(errors);
    };
    let mut chain = name;
    chain.push(path.to_owned());
    let mut walk = Walk {
        tree,
        stack: Vec::new(),
        dirs: Vec::new(),
        objects: Vec::new(),
        errors: Vec::new(),
    };
    match walk.locate(Path::new(""), path) {
        Ok(dir) if tree.is_dir(&dir) => walk.dir(&dir, &chain, true),
        Ok(dir) if tree.exists(&dir) => walk.fail(
            &chain,
            Code::MissingResource,
            format!("{} is a file; spec.path must be a directory", dir.display()),
        ),
        Ok(dir) => walk.fail(
            &chain,
            Code::MissingResource,
            format!("directory not found: {}", dir.display()),
        ),
        Err((code, problem)) => walk.fail(&chain, code, problem),
    }
    let Walk {
        dirs,
        mut objects,
        errors: walk_errors,
        ..
    } = walk;
    errors.extend(
        walk_errors
            .into_iter()
            .map(|(chain, code, problem, at)| match at {
                Some((file, line)) => ResolveError {
                    code,
                    file,
                    line,
                    chain,
                    problem,
                },
                None => fail("path", chain, (code, problem)),
            }),
    );

    let path_chain = || vec![k.name.clone(), path.to_owned()];
    if let Some(ns) = spec["targetNamespace"].as_str() {
        for o in &mut objects {
            set_namespace(&mut o.value, ns);
        }
    }
    let mut post_build = None;
    match substitutions(k, cluster_objects) {
        Ok(Some(vars)) => {
            for o in &mut objects {
                if let Err((line, code, problem)) = substitute(o, &vars) {
                    errors.push(fail(
                        "postBuild",
                        o.via.clone(),
                        (code, format!("{}:{line}: {problem}", o.source.display())),
                    ));
                }
            }
            post_build = Some(vars);
        }
        Ok(None) => {}
        Err(problem) => errors.push(fail(
            "postBuild",
            vec![k.name.clone()],
            (Code::MissingSubstituteFrom, problem),
        )),
    }
    let mut seen: BTreeMap<(String, String, String, String), &Object> = BTreeMap::new();
    for o in &objects {
        let api = o.value["apiVersion"].as_str().unwrap_or("");
        let group = api.rsplit_once('/').map_or("", |(g, _)| g);
        let id = (
            group.to_owned(),
            o.kind().to_owned(),
            o.namespace().unwrap_or("").to_owned(),
            o.name().to_owned(),
        );
        if let Some(first) = seen.get(&id) {
            errors.push(fail(
                "path",
                path_chain(),
                (
                    Code::DuplicateObject,
                    format!(
                        "{} {} is applied twice: from {}:{} and {}:{}",
                        o.kind(),
                        o.name(),
                        first.source.display(),
                        first.line,
                        o.source.display(),
                        o.line
                    ),
                ),
            ));
        } else {
            seen.insert(id, o);
        }
    }
    if errors.is_empty() {
        Ok(Applied {
            flux: k.clone(),
            dirs,
            objects,
            vars: post_build,
        })
    } else {
        Err(errors)
    }
}

/// The walk through `resources:` of one Flux Kustomization.
struct Walk<'a> {
    tree: &'a Tree,
    /// Directories on the current chain, to find cycles.
    stack: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
    objects: Vec<Object>,
    /// Each problem with its chain, and the file and line it is in when that
    /// is not the Flux Kustomization's `path:` (a file that cannot be read).
    errors: Vec<(Vec<String>, Code, String, Option<FileLine>)>,
}

/// A file, relative to the root, and a 1-based line in it.
type FileLine = (PathBuf, usize);

impl Walk<'_> {
    fn fail(&mut self, chain: &[String], code: Code, problem: String) {
        self.errors.push((chain.to_vec(), code, problem, None));
    }

    /// Whether something that is neither a file nor a directory (a FIFO, a
    /// socket, a device) is at `rel`: reading it says what it is.
    fn is_special(&self, rel: &Path) -> bool {
        !self.tree.is_dir(rel) && self.tree.exists(rel)
    }

    /// A problem located in `file` itself, at `line`.
    fn fail_in(&mut self, chain: &[String], file: &Path, line: usize, problem: (Code, String)) {
        let at = Some((file.to_owned(), line));
        self.errors.push((chain.to_vec(), problem.0, problem.1, at));
    }

    /// `entry` (relative to `base`, both inside the repo) as a path relative to the
    /// repo root; an error if it is remote, absolute or leaves the repository.
    fn locate(&self, base: &Path, entry: &str) -> Result<PathBuf, (Code, String)> {
        let outside = |problem| Err((Code::PathOutsideRepo, problem));
        if is_remote(entry) {
            return Err((
                Code::RemoteResource,
                format!(
                    "remote resource `{entry}`: only files of this repository can be resolved; vendor it into the repository"
                ),
            ));
        }
        let mut out = base.to_path_buf();
        for c in Path::new(entry).components() {
            match c {
                Component::CurDir => {}
                Component::Normal(part) => out.push(part),
                Component::ParentDir => {
                    if !out.pop() {
                        return outside(format!(
                            "`{entry}` leaves the repository; paths must stay inside it"
                        ));
                    }
                }
                Component::RootDir | Component::Prefix(_) => {
                    return outside(format!(
                        "`{entry}` is an absolute path; paths must be relative to the repository"
                    ));
                }
            }
        }
        // A symlink may still lead out.
        if let Some(real) = self.tree.escapes(&out) {
            return outside(format!(
                "`{entry}` leaves the repository through a symlink (to {})",
                real.display()
            ));
        }
        Ok(out)
    }

    /// A directory: its kustomization file, or — for the Flux path itself — every
    /// YAML file below it.
    fn dir(&mut self, dir: &Path, chain: &[String], flux_root: bool) {
        if let Some(at) = self.stack.iter().position(|d| d == dir) {
            let cycle: Vec<String> = self.stack[at..]
                .iter()
                .chain([&dir.to_path_buf()])
                .map(|d| d.display().to_string())
                .collect();
            return self.fail(
                chain,
                Code::KustomizeCycle,
                format!(
                    "cycle: {} includes itself ({})",
                    dir.display(),
                    cycle.join(" → ")
                ),
            );
        }
        if !self.dirs.iter().any(|d| d == dir) {
            self.dirs.push(dir.to_path_buf());
        }
        self.stack.push(dir.to_path_buf());
        let kfile = KUSTOMIZATION_FILES
            .iter()
            .map(|f| dir.join(f))
            .find(|f| self.tree.is_file(f) || self.is_special(f));
        match kfile {
            Some(kfile) => self.kustomization(dir, &kfile, chain),
            None if flux_root => self.generated(dir, chain),
            None => self.fail(
                chain,
                Code::MissingKustomization,
                format!(
                    "directory {} has no kustomization.yaml; kustomize needs one in every directory listed in resources",
                    dir.display()
                ),
            ),
        }
        self.stack.pop();
    }

    /// A directory without kustomization.yaml given as a Flux path: Flux
    /// generates one listing its YAML files and its subdirectories' builds.
    fn generated(&mut self, dir: &Path, chain: &[String]) {
        let entries = match self.tree.read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                return self.fail(
                    chain,
                    Code::Unreadable,
                    format!("cannot read {}: {e}", dir.display()),
                );
            }
        };
        let mut names: Vec<(String, bool)> = entries
            .into_iter()
            .map(|e| (e.name.to_string_lossy().into_owned(), e.is_dir))
            .collect();
        names.sort();
        for (name, is_dir) in names {
            let rel = dir.join(&name);
            let mut next = chain.to_vec();
            next.push(name);
            if is_dir {
                let has_kustomization = KUSTOMIZATION_FILES
                    .iter()
                    .any(|f| self.tree.is_file(&rel.join(f)));
                if has_kustomization {
                    self.dir(&rel, &next, false);
                } else {
                    self.generated(&rel, &next);
                }
            } else if is_yaml(&rel) {
                self.file(&rel, &next);
            }
        }
    }

    /// A kustomization file: its `resources:`, then its `namespace:`.
    fn kustomization(&mut self, dir: &Path, kfile: &Path, chain: &[String]) {
        let text = match self.tree.read(kfile) {
            Ok(t) => t,
            Err(e) => {
                let problem = format!("cannot read {}: {e}", kfile.display());
                return self.fail_in(chain, kfile, 1, (Code::of_read(&e), problem));
            }
        };
        let value: Value = match yaml_serde::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                let line = e.location().map_or(1, |l| l.line());
                let problem = format!("{} is not valid YAML: {e}", kfile.display());
                return self.fail_in(chain, kfile, line, (Code::InvalidYaml, problem));
            }
        };
        let Some(map) = value.as_mapping() else {
            let problem = format!("{} is not a YAML mapping", kfile.display());
            return self.fail(chain, Code::InvalidKustomization, problem);
        };
        for key in map.keys() {
            let key = key.as_str().unwrap_or("?");
            if !KUSTOMIZE_FIELDS.contains(&key) {
                self.fail(
                    chain,
                    Code::UnmodelledKustomize,
                    format!(
                        "{}: `{key}` is not modeled by the kustomize-free resolver (core/src/resolve.rs), so what Flux applies cannot be checked",
                        kfile.display()
                    ),
                );
            }
        }
        let start = self.objects.len();
        let resources = match map.get("resources") {
            None | Some(Value::Null) => &[][..],
            Some(Value::Sequence(list)) => list.as_slice(),
            Some(_) => {
                return self.fail(
                    chain,
                    Code::InvalidKustomization,
                    format!("{}: resources must be a list", kfile.display()),
                );
            }
        };
        for r in resources {
            let Some(entry) = r.as_str() else {
                self.fail(
                    chain,
                    Code::InvalidKustomization,
                    format!("{}: every resource must be a string", kfile.display()),
                );
                continue;
            };
            let mut next = chain.to_vec();
            next.push(entry.to_owned());
            match self.locate(dir, entry) {
                Err((code, problem)) => self.fail(&next, code, problem),
                Ok(p) if self.tree.is_dir(&p) => self.dir(&p, &next, false),
                // A FIFO or device is read, and refused by name, not "not found".
                Ok(p) if self.tree.is_file(&p) || self.is_special(&p) => self.file(&p, &next),
                Ok(p) => self.fail(
                    &next,
                    Code::MissingResource,
                    format!(
                        "file not found: {} (listed in {})",
                        p.display(),
                        kfile.display()
                    ),
                ),
            }
        }
        match map.get("namespace") {
            None | Some(Value::Null) => {}
            Some(Value::String(ns)) => {
                for o in &mut self.objects[start..] {
                    set_namespace(&mut o.value, ns);
                }
            }
            Some(_) => self.fail(
                chain,
                Code::InvalidKustomization,
                format!("{}: namespace must be a string", kfile.display()),
            ),
        }
    }

    /// A manifest file: its objects.
    fn file(&mut self, file: &Path, chain: &[String]) {
        let text = match self.tree.read(file) {
            Ok(t) => t,
            Err(e) => {
                let problem = format!("cannot read {}: {e}", file.display());
                return self.fail_in(chain, file, 1, (Code::of_read(&e), problem));
            }
        };
        let parsed = self.tree.documents(file, &text);
        let (objects, bad) = &*parsed;
        let mut raw: BTreeMap<usize, String> = crate::yaml::split(&text)
            .into_iter()
            .map(|d| (d.line, text[d.range].to_owned()))
            .collect();
        for e in bad {
            let at = match e.location() {
                crate::diag::error::Location::File { line, .. } => line,
                crate::diag::error::Location::Plan { .. } => 1,
            };
            let code = match e {
                Error::File { code, .. } => *code,
                _ => Code::InvalidYaml,
            };
            self.fail(chain, code, format!("line {at}: {e}"));
        }
        for (line, value) in objects.iter().cloned() {
            if !value.is_mapping() || value["kind"].as_str().is_none() {
                self.fail(
                    chain,
                    Code::NotAnObject,
                    format!(
                        "{}:{line}: not a Kubernetes object (no kind)",
                        file.display()
                    ),
                );
                continue;
            }
            self.objects.push(Object {
                source: file.to_path_buf(),
                line,
                via: chain.to_vec(),
                value,
                raw: raw.remove(&line).unwrap_or_default(),
            });
        }
    }
}

/// A kustomize remote resource: a URL or a git repository.
fn is_remote(entry: &str) -> bool {
    entry.contains("://")
        || entry.contains("?ref=")
        || [
            "git@",
            "git::",
            "github.com/",
            "gitlab.com/",
            "bitbucket.org/",
        ]
        .iter()
        .any(|p| entry.starts_with(p))
}

/// Sets `metadata.namespace`, as kustomize's namespace transform does.
fn set_namespace(value: &mut Arc<Value>, ns: &str) {
    let kind = value["kind"].as_str().unwrap_or("");
    if CLUSTER_SCOPED_BUILTINS.contains(&kind) || !value.is_mapping() {
        return;
    }
    let Some(map) = Arc::make_mut(value).as_mapping_mut() else {
        return;
    };
    let metadata = map
        .entry(Value::from("metadata"))
        .or_insert_with(|| Value::Mapping(Mapping::new()));
    if let Some(m) = metadata.as_mapping_mut() {
        m.insert(Value::from("namespace"), Value::from(ns));
    }
}

/// The postBuild variables of a Flux Kustomization.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Vars {
    /// The values the repository gives: `substitute` over `substituteFrom` ConfigMaps.
    pub values: BTreeMap<String, String>,
    /// Whether a `substituteFrom` Secret (encrypted, or not in git at all) may set
    /// variables whose values the repository cannot show: an unset variable is
    /// then unknown, not an error.
    pub secret: bool,
}

/// The postBuild variables of a Flux Kustomization, `None` without `postBuild`.
/// `substituteFrom` ConfigMaps are looked up among the cluster's own files, in the
/// Kustomization's namespace; `substitute` overrides them, as in Flux.
fn substitutions(
    k: &FluxKustomization,
    cluster_objects: &[Object],
) -> Result<Option<Vars>, String> {
    let post = &k.object["spec"]["postBuild"];
    if post.is_null() {
        return Ok(None);
    }
    let ns = k.object["metadata"]["namespace"]
        .as_str()
        .unwrap_or("default");
    let mut vars = BTreeMap::new();
    let mut secret = false;
    for from in post["substituteFrom"].as_sequence().into_iter().flatten() {
        let kind = from["kind"].as_str().unwrap_or("");
        let name = from["name"].as_str().unwrap_or("");
        let optional = from["optional"].as_bool().unwrap_or(false);
        let found = cluster_objects.iter().find(|o| {
            o.kind() == kind && o.name() == name && o.namespace().unwrap_or("default") == ns
        });
        match (kind, found) {
            ("ConfigMap", Some(cm)) => {
                for (key, value) in cm.value["data"].as_mapping().into_iter().flatten() {
                    if let (Some(key), Some(value)) = (key.as_str(), value.as_str()) {
                        vars.insert(key.to_owned(), value.to_owned());
                    }
                }
            }
            _ if optional => {}
            // SOPS-encrypted or created in the cluster: its values are not in git.
            ("Secret", _) => secret = true,
            _ => {
                return Err(format!(
                    "spec.postBuild.substituteFrom {kind} {name} is not defined in namespace {ns} by any file of {}",
                    k.path
                        .parent()
                        .map_or(String::new(), |p| p.display().to_string())
                ));
            }
        }
    }
    for (key, value) in post["substitute"].as_mapping().into_iter().flatten() {
        if let (Some(key), Some(value)) = (key.as_str(), value.as_str()) {
            vars.insert(key.to_owned(), value.to_owned());
        }
    }
    Ok(Some(Vars {
        values: vars,
        secret,
    }))
}

/// Flux's post-build substitution on one object: its document (comments
/// blanked) substituted as text and parsed again, as kustomize-controller does with the build's output
/// (which keeps the quoting style of the source). The namespace a kustomization
/// or `targetNamespace` set is set again. Objects that opt out with the
/// `kustomize.toolkit.fluxcd.io/substitute: disabled` annotation or label are
/// left alone.
fn substitute(o: &mut Object, vars: &Vars) -> Result<(), (usize, Code, String)> {
    const OPT_OUT: &str = "kustomize.toolkit.fluxcd.io/substitute";
    let meta = &o.value["metadata"];
    if [&meta["annotations"][OPT_OUT], &meta["labels"][OPT_OUT]]
        .iter()
        .any(|v| v.as_str() == Some("disabled"))
        || !o.raw.contains("${")
    {
        return Ok(());
    }
    // Flux substitutes kustomize's output, where comments are gone: a `${VAR}`
    // in a comment is never substituted, so it can be neither set nor unset.
    let raw = crate::yaml::blank_comments(&o.raw);
    if !raw.contains("${") {
        return Ok(());
    }
    let replaced = envsubst_with(&raw, &vars.values, vars.secret).map_err(|e| {
        let line = o.line + raw[..e.at.min(raw.len())].matches('\n').count();
        (line, e.code, e.message)
    })?;
    let mut value = yaml_serde::from_str::<Value>(&crate::yaml::go_ints(&replaced))
        .map(Arc::new)
        .map_err(|e| {
            let problem = format!("not valid YAML after substitution: {e}");
            (o.line, Code::BadSubstitution, problem)
        })?;
    if let Some(ns) = o.namespace().filter(|ns| !ns.contains("${")) {
        set_namespace(&mut value, ns);
    }
    o.value = value;
    Ok(())
}

/// `${VAR}`, `${VAR:=default}` and `${VAR:-default}` replaced from `vars`;
/// `$${...}` escapes to a literal `${...}`. An unset variable without a default is
/// an error (Flux's strict substitution), naming the variable.
pub fn envsubst(text: &str, vars: &BTreeMap<String, String>) -> Result<String, String> {
    envsubst_with(text, vars, false).map_err(|e| e.message)
}

/// Why a text cannot be substituted (where [`envsubst_with`]'s callers place
/// it; [`envsubst`] gives the message alone).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SubstError {
    /// [`Code::UnsetVariable`] or [`Code::BadSubstitution`].
    pub code: Code,
    /// What is wrong, and how to fix it.
    pub message: String,
    /// The byte offset of the reference in the text.
    pub at: usize,
}

/// [`envsubst`], leaving an unset variable without a default as written when
/// `unknown` (a Secret may set it) instead of failing.
pub(crate) fn envsubst_with(
    text: &str,
    vars: &BTreeMap<String, String>,
    unknown: bool,
) -> Result<String, SubstError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let fail = |code, message: String| SubstError {
            code,
            message,
            at: text.len() - tail.len(),
        };
        if let Some(escaped) = tail.strip_prefix("$$") {
            out.push('$');
            rest = escaped;
            continue;
        }
        let Some(body) = tail.strip_prefix("${") else {
            out.push('$');
            rest = &tail[1..];
            continue;
        };
        let Some(end) = body.find('}') else {
            let line = tail.lines().next().unwrap_or(tail);
            return Err(fail(
                Code::BadSubstitution,
                format!("unterminated `{line}`"),
            ));
        };
        let expr = &body[..end];
        let (name, default) = match expr.find(':') {
            Some(i) if expr[i..].starts_with(":=") || expr[i..].starts_with(":-") => {
                (&expr[..i], Some(&expr[i + 2..]))
            }
            _ => (expr, None),
        };
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
            && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric());
        if !valid {
            return Err(fail(
                Code::BadSubstitution,
                format!("`${{{expr}}}` is not a valid variable reference"),
            ));
        }
        match (vars.get(name), default) {
            (Some(v), _) if !v.is_empty() || default.is_none() => out.push_str(v),
            (_, Some(d)) => out.push_str(d),
            (None, None) if unknown => out.push_str(&tail[..end + 3]),
            (None, None) => return Err(fail(Code::UnsetVariable, unset(name))),
            (Some(v), None) => out.push_str(v),
        }
        rest = &body[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The error for `${name}` with no value and no default, and the ways out.
fn unset(name: &str) -> String {
    format!(
        "variable ${{{name}}} is not set by spec.postBuild (substitute or substituteFrom): set it \
         there, give it a default (`${{{name}:=value}}`), write `$${{{name}}}` for a literal \
         `${{{name}}}`, or opt the object out with the annotation \
         `kustomize.toolkit.fluxcd.io/substitute: disabled` (Flux without its \
         StrictPostBuildSubstitutions feature gate would put an empty string here)"
    )
}
