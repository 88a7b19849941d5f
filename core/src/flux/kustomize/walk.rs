//! The one walker through kustomization files (see the [module docs](super)).

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use yaml_serde::{Mapping, Value};

use super::generate::{self, Behavior};
use super::patch::{self, Merged};
use super::select::Selector;
use super::transform;
use crate::diag::codes::Code;
use crate::diag::error::{Error, Location};
use crate::flux::object::Object;
use crate::tree::{Documents, Links, Tree, is_yaml};

/// The names kustomize looks for in a directory, in its order.
pub(crate) const KUSTOMIZATION_FILES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Fields the model applies.
const MODELLED: [&str; 18] = [
    "apiVersion",
    "kind",
    "metadata",
    "resources",
    "bases",
    "components",
    "namespace",
    "namePrefix",
    "nameSuffix",
    "labels",
    "commonLabels",
    "commonAnnotations",
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "configMapGenerator",
    "secretGenerator",
    "generatorOptions",
];

/// Fields read past: they change nothing the audits read.
const HARMLESS: [&str; 7] = [
    "images",
    "replicas",
    "configurations",
    "openapi",
    "crds",
    "buildMetadata",
    "sortOptions",
];

/// Fields out of the model's reach: a note each.
const OUT_OF_REACH: [&str; 8] = [
    "helmCharts",
    "helmGlobals",
    "helmChartInflationGenerator",
    "replacements",
    "vars",
    "generators",
    "transformers",
    "validators",
];

/// How the walker treats a problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strictness {
    /// Every problem is reported (the resolver).
    Strict,
    /// Problems are recorded and the walk goes on past them (the schema
    /// gate, which only needs to know which files are objects).
    Lenient,
}

/// A problem met on the way, with the chain that led there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The chain of entries followed, as written.
    pub chain: Vec<String>,
    /// Which problem it is.
    pub code: Code,
    /// What is wrong.
    pub message: String,
    /// The file and line it is in; `None`: in the Flux Kustomization, at
    /// `spec_key`.
    pub at: Option<(PathBuf, usize)>,
    /// The key of the Flux Kustomization's `spec` the problem is at, when it
    /// is in no file of the walk: `path`, or a field merged into the build.
    pub spec_key: String,
    /// Whether it is a note: something out of the model's reach, skipped.
    pub note: bool,
}

/// The walk of one build (see the module docs).
pub struct Walker<'a> {
    tree: &'a Tree,
    mode: Strictness,
    /// Directories on the current chain, to find cycles.
    stack: Vec<PathBuf>,
    /// Every directory reached, in the order first reached.
    pub dirs: Vec<PathBuf>,
    /// Every kustomization file read, in the order first read.
    pub kustomizations: Vec<PathBuf>,
    /// Every problem and note met.
    pub problems: Vec<Problem>,
    /// `dirs` and `kustomizations` as sets, for the membership tests.
    seen: std::collections::BTreeSet<PathBuf>,
    /// The kustomization the Flux Kustomization's `spec` was merged into, and
    /// how many entries of each merged list it wrote itself: the entries after
    /// them came from the spec.
    overlaid: Option<(PathBuf, std::collections::BTreeMap<&'static str, usize>)>,
    /// The field of the Flux Kustomization's `spec` the patch being applied
    /// came from, `None` when the kustomization file wrote it.
    patch_from_spec: Option<&'static str>,
}

impl<'a> Walker<'a> {
    /// A walker over `tree`.
    pub fn new(tree: &'a Tree, mode: Strictness) -> Walker<'a> {
        Walker {
            tree,
            mode,
            stack: Vec::new(),
            dirs: Vec::new(),
            kustomizations: Vec::new(),
            problems: Vec::new(),
            seen: Default::default(),
            overlaid: None,
            patch_from_spec: None,
        }
    }

    /// What `kubectl kustomize DIR` outputs for `dir` (relative to the root),
    /// with the fields of a Flux Kustomization's `spec` merged into its
    /// kustomization as kustomize-controller does (`overlay`); `flux_root`: a
    /// directory without kustomization file takes every YAML file below it,
    /// as Flux generates one.
    pub fn build(
        &mut self,
        dir: &Path,
        chain: &[String],
        overlay: Option<&Value>,
        flux_root: bool,
    ) -> Vec<Object> {
        let mut objects = Vec::new();
        let scope = Scope {
            overlay,
            flux_root,
            component: false,
        };
        if let Err((code, message)) = self.dir(dir, chain, scope, &mut objects) {
            self.fail(chain, code, message);
        }
        for o in objects.iter_mut().filter(|o| o.hashed) {
            let name = format!("{}-{}", o.name(), generate::hash(&o.value));
            transform::set(o.value_mut(), &["metadata"], "name", &name);
        }
        objects
    }

    /// `entry` relative to `base`, as a path relative to the root; refused if
    /// remote (a note), absolute or leaving the repository.
    pub fn locate(&self, base: &Path, entry: &str) -> Result<PathBuf, (Code, String)> {
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
                Component::ParentDir if out.pop() => {}
                Component::ParentDir => {
                    return outside(format!(
                        "`{entry}` leaves the repository; paths must stay inside it"
                    ));
                }
                Component::RootDir | Component::Prefix(_) => {
                    return outside(format!(
                        "`{entry}` is an absolute path; paths must be relative to the repository"
                    ));
                }
            }
        }
        if let Some(real) = self.tree.escapes(&out) {
            return outside(format!(
                "`{entry}` leaves the repository through a symlink (to {})",
                real.display()
            ));
        }
        Ok(out)
    }

    /// The kustomization file of `dir`, if any.
    pub(crate) fn kustomization_in(&self, dir: &Path) -> Option<PathBuf> {
        KUSTOMIZATION_FILES
            .iter()
            .map(|f| dir.join(f))
            .find(|f| self.tree.is_file(f) || self.is_special(f))
    }

    /// A problem of the walk as a whole: at the Flux Kustomization's `path`.
    pub(crate) fn fail(&mut self, chain: &[String], code: Code, message: String) {
        self.fail_in_spec(chain, "path", (code, message));
    }

    /// A problem with a field of the Flux Kustomization's `spec` merged into
    /// the build: at that field.
    fn fail_in_spec(&mut self, chain: &[String], key: &str, (code, message): (Code, String)) {
        self.problems.push(Problem {
            chain: chain.to_vec(),
            code,
            message,
            at: None,
            spec_key: key.to_owned(),
            note: is_note(code),
        });
    }

    /// A problem located in `file` itself, at `line`.
    fn fail_in(
        &mut self,
        chain: &[String],
        file: &Path,
        line: usize,
        (code, message): (Code, String),
    ) {
        let at = Some((file.to_owned(), line));
        self.problems.push(Problem {
            chain: chain.to_vec(),
            code,
            message,
            at,
            spec_key: String::new(),
            note: is_note(code),
        });
    }

    /// A problem with a field of `kfile`, at the first line of one of `keys`
    /// written there; one the file does not write came from the Flux
    /// Kustomization's `spec` (merged in) and is at that field there.
    fn fail_at_key(
        &mut self,
        chain: &[String],
        kfile: &Path,
        keys: &[&str],
        problem: (Code, String),
    ) {
        match key_line(self.tree, kfile, keys) {
            Some(line) => self.fail_in(chain, kfile, line, problem),
            None => self.fail_in_spec(chain, keys[0], problem),
        }
    }

    /// A problem with the entry `item` of the list `field` in `kfile`, placed at
    /// that entry's line: the fix is there. An entry the file does not list came
    /// from the Flux Kustomization's `spec` and is at that field there.
    fn fail_at_entry(
        &mut self,
        chain: &[String],
        kfile: &Path,
        (field, item): (&str, &str),
        problem: (Code, String),
    ) {
        // The kustomization Flux generates is no file: its entries come from
        // the directory `spec.path` names.
        if !self.tree.is_file(kfile) {
            return self.fail(chain, problem.0, problem.1);
        }
        let text = self.tree.read(kfile).unwrap_or_default();
        match crate::yaml::item_line(&text, field, item) {
            Some(line) => self.fail_in(chain, kfile, line, problem),
            None => self.fail_in_spec(chain, field, problem),
        }
    }

    fn strict(&self) -> bool {
        self.mode == Strictness::Strict
    }

    /// Whether something that is neither a file nor a directory (a FIFO, a
    /// socket, a device) is at `rel`: reading it says what it is.
    fn is_special(&self, rel: &Path) -> bool {
        !self.tree.is_dir(rel) && self.tree.exists(rel)
    }
}

/// A patch's text, and the file it is read from (`None`: written inline in
/// the kustomization).
struct PatchBody {
    file: Option<PathBuf>,
    text: String,
}

impl PatchBody {
    fn inline(text: &str) -> PatchBody {
        PatchBody {
            file: None,
            text: text.to_owned(),
        }
    }
}

/// What kind of directory a walk step is in.
#[derive(Clone, Copy)]
struct Scope<'v> {
    overlay: Option<&'v Value>,
    flux_root: bool,
    component: bool,
}

impl Walker<'_> {
    /// A directory: its kustomization (or Flux's generated one), accumulated
    /// into `res`. A directory that cannot be built at all (a cycle, no
    /// kustomization file) is returned, for the caller to place where the
    /// directory is listed: the fix is there.
    fn dir(
        &mut self,
        dir: &Path,
        chain: &[String],
        scope: Scope<'_>,
        res: &mut Vec<Object>,
    ) -> Result<(), (Code, String)> {
        if let Some(at) = self.stack.iter().position(|d| d == dir) {
            let cycle: Vec<String> = self.stack[at..]
                .iter()
                .chain([&dir.to_path_buf()])
                .map(|d| d.display().to_string())
                .collect();
            let message = format!(
                "cycle: {} includes itself ({})",
                dir.display(),
                cycle.join(" → ")
            );
            return Err((Code::KustomizeCycle, message));
        }
        if self.seen.insert(dir.to_path_buf()) {
            self.dirs.push(dir.to_path_buf());
        }
        let kfile = self.kustomization_in(dir);
        let (mut k, kfile) = match kfile {
            Some(kfile) => match self.load(&kfile, chain) {
                Some(k) => (k, kfile),
                None => return Ok(()),
            },
            None if scope.flux_root => {
                (self.generated(dir, chain), dir.join("(generated by Flux)"))
            }
            None => {
                let message = format!(
                    "directory {} has no kustomization.yaml; kustomize needs one in every directory listed in resources",
                    dir.display()
                );
                return Err((Code::MissingKustomization, message));
            }
        };
        if let Some(overlay) = scope.overlay {
            self.overlaid = Some((kfile.clone(), merge_overlay(&mut k, overlay)));
        }
        self.check_kind(&k, &kfile, chain, scope.component);
        self.stack.push(dir.to_path_buf());
        self.accumulate(dir, &k, &kfile, chain, res);
        self.stack.pop();
        Ok(())
    }

    /// A kustomization file read and parsed, or `None` (reported).
    fn load(&mut self, kfile: &Path, chain: &[String]) -> Option<Mapping> {
        if self.seen.insert(kfile.to_path_buf()) {
            self.kustomizations.push(kfile.to_path_buf());
        }
        let text = match self.tree.read(kfile) {
            Ok(t) => t,
            Err(e) => {
                let problem = format!("cannot read {}: {e}", kfile.display());
                self.fail_in(chain, kfile, 1, (Code::of_read(&e), problem));
                return None;
            }
        };
        // Parsed once, by the tree: the resolver and the gate read the same file.
        let docs = self.tree.documents(kfile, &text);
        if let Some(Error::File {
            code,
            line,
            message,
            ..
        }) = docs.errors.first()
        {
            self.fail_in(chain, kfile, *line, (*code, message.clone()));
            return None;
        }
        // Kustomize reads the first document (an empty one too) and ignores the rest.
        let first = docs
            .objects
            .first()
            .filter(|(line, _)| docs.number(*line) == 1);
        if let Some((line, _)) = docs.objects.get(usize::from(first.is_some())) {
            let problem = format!(
                "{}: the YAML document at line {line} is ignored: kustomize reads only a kustomization file's first document",
                kfile.display()
            );
            self.fail_in(chain, kfile, *line, (Code::IgnoredDocument, problem));
        }
        let at = first.map_or(1, |(line, _)| *line);
        match first.map(|(_, v)| &**v) {
            Some(Value::Mapping(m)) if !is_empty(m) => Some(m.clone()),
            None | Some(Value::Mapping(_)) => {
                let problem = format!(
                    "{} is empty: its first YAML document sets nothing but apiVersion and kind, and kustomize refuses such a file",
                    kfile.display()
                );
                self.fail_in(chain, kfile, at, (Code::InvalidKustomization, problem));
                None
            }
            Some(_) => {
                let problem = format!("{} is not a YAML mapping", kfile.display());
                self.fail_in(chain, kfile, at, (Code::InvalidKustomization, problem));
                None
            }
        }
    }

    /// A component must say `kind: Component`, and nothing else may.
    fn check_kind(&mut self, k: &Mapping, kfile: &Path, chain: &[String], component: bool) {
        let kind = k
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("Kustomization");
        let want = if component {
            "Component"
        } else {
            "Kustomization"
        };
        if self.strict() && kind != want {
            let message = format!("{}: kind {kind}, expected {want} here", kfile.display());
            let line = key_line(self.tree, kfile, &["kind"]).unwrap_or(1);
            self.fail_in(chain, kfile, line, (Code::InvalidKustomization, message));
        }
    }

    /// kustomize's accumulation of one kustomization: its resources, its
    /// components, its generators, then its transformers, into `res`.
    fn accumulate(
        &mut self,
        dir: &Path,
        k: &Mapping,
        kfile: &Path,
        chain: &[String],
        res: &mut Vec<Object>,
    ) {
        self.check_fields(k, kfile, chain);
        for (field, entry, _) in self.entries(k, &["resources", "bases"], kfile, chain) {
            let mut next = chain.to_vec();
            next.push(entry.clone());
            let mut own = Vec::new();
            if let Err(problem) = self.resource(dir, &entry, kfile, &next, &mut own) {
                self.fail_at_entry(&next, kfile, (&field, &entry), problem);
            }
            res.extend(own);
        }
        let components = self.entries(k, &["components"], kfile, chain);
        for (field, entry, i) in components {
            let from_spec = self.is_from_spec(kfile, "components", i);
            let listed = match from_spec {
                true => "the Flux Kustomization's spec.components".to_owned(),
                false => kfile.display().to_string(),
            };
            let mut next = chain.to_vec();
            next.push(entry.clone());
            let found = match self.locate(dir, &entry) {
                Ok(p) if self.tree.is_dir(&p) => {
                    let scope = Scope {
                        overlay: None,
                        flux_root: false,
                        component: true,
                    };
                    self.dir(&p, &next, scope, res)
                }
                Ok(p) => Err((
                    Code::MissingResource,
                    format!(
                        "component directory not found: {} (listed in {listed})",
                        p.display()
                    ),
                )),
                Err(problem) => Err(problem),
            };
            match found {
                Err(problem) if from_spec => self.fail_in_spec(&next, "components", problem),
                Err(problem) => self.fail_at_entry(&next, kfile, (&field, &entry), problem),
                Ok(()) => {}
            }
        }
        self.generators(dir, k, kfile, chain, res);
        self.transformers(dir, k, kfile, chain, res);
    }

    /// The string entries of list fields, each with its index in its list,
    /// each refused by name if not a string.
    fn entries(
        &mut self,
        k: &Mapping,
        fields: &[&str],
        kfile: &Path,
        chain: &[String],
    ) -> Vec<(String, String, usize)> {
        let mut out = Vec::new();
        for field in fields {
            match k.get(*field) {
                None | Some(Value::Null) => {}
                Some(Value::Sequence(list)) => {
                    for (i, r) in list.iter().enumerate() {
                        match r.as_str() {
                            Some(s) => out.push(((*field).to_owned(), s.to_owned(), i)),
                            None => self.fail_at_key(
                                chain,
                                kfile,
                                &[field],
                                (
                                    Code::InvalidKustomization,
                                    format!(
                                        "{}: every entry of {field} must be a string",
                                        kfile.display()
                                    ),
                                ),
                            ),
                        }
                    }
                }
                Some(_) => self.fail_at_key(
                    chain,
                    kfile,
                    &[field],
                    (
                        Code::InvalidKustomization,
                        format!("{}: {field} must be a list", kfile.display()),
                    ),
                ),
            }
        }
        out
    }

    /// A field outside the model: a note if out of reach, an error if unknown.
    fn check_fields(&mut self, k: &Mapping, kfile: &Path, chain: &[String]) {
        for field in ["namespace", "namePrefix", "nameSuffix"] {
            if k.get(field).is_some_and(|v| !v.is_null() && !v.is_string()) {
                let message = format!("{}: {field} must be a string", kfile.display());
                self.fail_at_key(
                    chain,
                    kfile,
                    &[field],
                    (Code::InvalidKustomization, message),
                );
            }
        }
        for key in k.keys() {
            let key = key.as_str().unwrap_or("?");
            if MODELLED.contains(&key) || HARMLESS.contains(&key) {
                continue;
            }
            if OUT_OF_REACH.contains(&key) {
                let message = format!(
                    "{}: `{key}` is out of the kustomize model's reach: what it adds or changes is not audited",
                    kfile.display()
                );
                self.fail_at_key(chain, kfile, &[key], (Code::UnmodelledKustomize, message));
            } else if self.strict() {
                let message = format!("{}: `{key}` is not a kustomization field", kfile.display());
                self.fail_at_key(chain, kfile, &[key], (Code::InvalidKustomization, message));
            }
        }
    }

    /// One `resources:` entry: a file's objects, or a directory's build.
    fn resource(
        &mut self,
        dir: &Path,
        entry: &str,
        kfile: &Path,
        chain: &[String],
        res: &mut Vec<Object>,
    ) -> Result<(), (Code, String)> {
        let p = self.locate(dir, entry)?;
        if self.tree.is_dir(&p) {
            let scope = Scope {
                overlay: None,
                flux_root: false,
                component: false,
            };
            self.dir(&p, chain, scope, res)?;
        } else if self.tree.is_file(&p) || self.is_special(&p) {
            // A FIFO or device is read, and refused by name, not "not found".
            self.file(&p, chain, res);
        } else {
            let listed = kfile.display();
            let message = format!("file not found: {} (listed in {listed})", p.display());
            return Err((Code::MissingResource, message));
        }
        Ok(())
    }

    /// The kustomization Flux generates for a directory without one: every
    /// YAML file below it, and each subdirectory holding a kustomization file.
    fn generated(&mut self, dir: &Path, chain: &[String]) -> Mapping {
        let mut k = Mapping::new();
        let resources = self.list_generated(dir, chain).into_iter().map(Value::from);
        k.insert("resources".into(), Value::Sequence(resources.collect()));
        k
    }

    /// What Flux lists for `dir`, relative to it and in path order: every YAML
    /// file below it, not descending into a subdirectory with a kustomization
    /// file, which is listed itself.
    fn list_generated(&mut self, dir: &Path, chain: &[String]) -> Vec<String> {
        let kustomized = std::cell::RefCell::new(Vec::new());
        let walked = self.tree.walk(&[dir.to_path_buf()], Links::Follow, |sub| {
            let own = self.kustomization_in(sub).is_none();
            if !own {
                kustomized.borrow_mut().push(sub.to_path_buf());
            }
            own
        });
        for e in walked.refused {
            let code = Code::from_name(e.code()).unwrap_or(Code::Unreadable);
            self.fail(chain, code, e.to_string());
        }
        let mut listed: Vec<PathBuf> = walked.files.into_iter().filter(|f| is_yaml(f)).collect();
        listed.extend(kustomized.into_inner());
        listed.sort();
        let relative = |p: &PathBuf| p.strip_prefix(dir).unwrap_or(p).display().to_string();
        listed.iter().map(relative).collect()
    }

    /// A manifest file: its objects.
    fn file(&mut self, file: &Path, chain: &[String], res: &mut Vec<Object>) {
        let text = match self.tree.read(file) {
            Ok(t) => t,
            Err(e) => {
                let problem = format!("cannot read {}: {e}", file.display());
                return self.fail_in(chain, file, 1, (Code::of_read(&e), problem));
            }
        };
        let parsed = self.tree.documents(file, &text);
        let Documents {
            objects,
            errors: bad,
            ..
        } = &*parsed;
        // At the broken file, not at the Flux Kustomization whose build read it.
        for e in bad {
            let (at, code) = located(e);
            self.fail_in(chain, file, at, (code, e.to_string()));
        }
        for (line, value) in objects.iter().cloned() {
            if !value.is_mapping() || value["kind"].as_str().is_none() {
                let message = "not a Kubernetes object (no kind)".to_owned();
                self.fail_in(chain, file, line, (Code::NotAnObject, message));
                continue;
            }
            let raw = parsed.source(line).unwrap_or_default().to_owned();
            res.push(Object::read(
                file.to_path_buf(),
                line,
                chain.to_vec(),
                value,
                raw,
            ));
        }
    }
}

/// The line and code of a parse error.
fn located(e: &Error) -> (usize, Code) {
    let line = match e.location() {
        Location::File { line, .. } => line,
        Location::Plan { .. } => 1,
    };
    let code = match e {
        Error::File { code, .. } => *code,
        _ => Code::InvalidYaml,
    };
    (line, code)
}

/// A kustomize remote resource: a URL or a git repository.
pub(crate) fn is_remote(entry: &str) -> bool {
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

/// The fields of a Flux Kustomization's `spec` merged into the kustomization
/// at its path, as kustomize-controller does: `targetNamespace` as
/// `namespace`, patches and components appended, `namePrefix`/`nameSuffix`
/// set.
fn merge_overlay(k: &mut Mapping, spec: &Value) -> std::collections::BTreeMap<&'static str, usize> {
    let mut own = std::collections::BTreeMap::new();
    if let Some(ns) = spec["targetNamespace"].as_str() {
        k.insert("namespace".into(), ns.into());
    }
    for field in [
        "patches",
        "patchesStrategicMerge",
        "patchesJson6902",
        "components",
    ] {
        if let Some(extra) = spec[field].as_sequence() {
            let list = k
                .entry(field.into())
                .or_insert_with(|| Value::Sequence(Vec::new()));
            // A key written without a value (`patches:`) is an empty list.
            if list.is_null() {
                *list = Value::Sequence(Vec::new());
            }
            if let Some(list) = list.as_sequence_mut() {
                own.insert(field, list.len());
                list.extend(extra.iter().cloned());
            }
        }
    }
    for field in ["namePrefix", "nameSuffix"] {
        if let Some(v) = spec[field].as_str() {
            k.insert(field.into(), v.into());
        }
    }
    own
}

impl Walker<'_> {
    /// The kustomization's generated ConfigMaps and Secrets, joined to `res`.
    fn generators(
        &mut self,
        dir: &Path,
        k: &Mapping,
        kfile: &Path,
        chain: &[String],
        res: &mut Vec<Object>,
    ) {
        if !k.contains_key("configMapGenerator") && !k.contains_key("secretGenerator") {
            return;
        }
        let kv = Value::Mapping(k.clone());
        let tree = self.tree;
        let mut read = |entry: &str| -> Result<String, String> {
            let p = self.locate(dir, entry).map_err(|(_, m)| m)?;
            tree.read(&p)
                .map_err(|e| format!("cannot read {}: {e}", p.display()))
        };
        let generated = match generate::generate(&kv, &mut read) {
            Ok(g) => g,
            Err(e) => {
                let line = kustomization_line(self.tree, kfile);
                let problem = (Code::InvalidGenerator, format!("{}: {e}", kfile.display()));
                return self.fail_in(chain, kfile, line, problem);
            }
        };
        let line = kustomization_line(self.tree, kfile);
        for g in generated {
            let mut o = Object::read(
                kfile.to_path_buf(),
                line,
                chain.to_vec(),
                Arc::new(g.value),
                String::new(),
            );
            o.hashed = g.hashed;
            o.transformed = true;
            o.data_files = g
                .files
                .iter()
                .filter_map(|(key, file)| Some((key.clone(), self.locate(dir, file).ok()?)))
                .collect();
            if g.behavior == Behavior::Create {
                res.push(o);
                continue;
            }
            let same = res.iter_mut().find(|r| {
                r.kind() == o.kind() && r.name() == o.name() && r.namespace() == o.namespace()
            });
            match same {
                Some(r) => join(r, &o, g.behavior),
                None => {
                    let message = format!(
                        "{}: {} {} to merge or replace is not in the build",
                        kfile.display(),
                        o.kind(),
                        o.name()
                    );
                    self.fail_in(chain, kfile, line, (Code::InvalidGenerator, message));
                }
            }
        }
    }
}

/// The line of the first generator in a kustomization file.
/// The fields a kustomization writes its patches in; Flux's `spec.patches` is
/// merged into the first.
const PATCH_KEYS: &[&str] = &["patches", "patchesStrategicMerge", "patchesJson6902"];

fn kustomization_line(tree: &Tree, kfile: &Path) -> usize {
    key_line(tree, kfile, &["configMapGenerator", "secretGenerator"]).unwrap_or(1)
}

/// The first line of `kfile` writing one of `keys`, if it writes any.
fn key_line(tree: &Tree, kfile: &Path, keys: &[&str]) -> Option<usize> {
    let text = tree.read(kfile).unwrap_or_default();
    let lines = keys
        .iter()
        .filter_map(|k| crate::yaml::top_key_in_text(&text, k));
    lines.map(|at| at.line).min()
}

/// A generator's `behavior: merge` or `replace` on the object it names.
fn join(old: &mut Object, new: &Object, behavior: Behavior) {
    let hashed = old.hashed;
    match behavior {
        Behavior::Replace => old.data_files = new.data_files.clone(),
        _ => {
            let kept = |(k, _): &&(String, PathBuf)| new.data_files.iter().all(|(n, _)| n != k);
            let mut files: Vec<_> = old.data_files.iter().filter(kept).cloned().collect();
            files.extend(new.data_files.iter().cloned());
            old.data_files = files;
        }
    }
    let v = old.value_mut();
    match behavior {
        Behavior::Replace => v["data"] = new.value["data"].clone(),
        _ => {
            let mut data = v["data"].as_mapping().cloned().unwrap_or_default();
            data.extend(new.value["data"].as_mapping().cloned().unwrap_or_default());
            if let Some(m) = v.as_mapping_mut() {
                m.insert("data".into(), Value::Mapping(data));
            }
        }
    }
    for field in ["labels", "annotations"] {
        if let Some(extra) = new.value["metadata"][field].as_mapping() {
            let mut pairs = Mapping::new();
            pairs.extend(extra.clone());
            if let Some(meta) = v.get_mut("metadata").and_then(Value::as_mapping_mut) {
                let m = meta
                    .entry(field.into())
                    .or_insert_with(|| Value::Mapping(Mapping::new()));
                if let Some(m) = m.as_mapping_mut() {
                    m.extend(pairs);
                }
            }
        }
    }
    old.hashed = hashed;
}

impl Walker<'_> {
    /// The kustomization's transformers, in kustomize's order.
    fn transformers(
        &mut self,
        dir: &Path,
        k: &Mapping,
        kfile: &Path,
        chain: &[String],
        res: &mut Vec<Object>,
    ) {
        let list = |f: &str| {
            k.get(f)
                .and_then(Value::as_sequence)
                .cloned()
                .unwrap_or_default()
        };
        let text = |f: &str| k.get(f).and_then(Value::as_str).map(str::to_owned);
        for (i, p) in list("patchesStrategicMerge").iter().enumerate() {
            let Some(s) = p.as_str() else { continue };
            self.patch_from_spec = self.spec_field(kfile, "patchesStrategicMerge", i);
            let body = self.patch_text(dir, s, kfile, chain, true);
            self.apply(body, None, kfile, chain, res);
        }
        for (i, p) in list("patches").iter().enumerate() {
            self.patch_from_spec = self.spec_field(kfile, "patches", i);
            self.patch_entry(dir, p, kfile, chain, res);
        }
        self.patch_from_spec = None;
        if let Some(ns) = text("namespace") {
            transform::namespace(res, &ns);
        }
        let (prefix, suffix) = (
            text("namePrefix").unwrap_or_default(),
            text("nameSuffix").unwrap_or_default(),
        );
        if !prefix.is_empty() || !suffix.is_empty() {
            transform::affix(res, &prefix, &suffix);
        }
        if let Some(pairs) = k.get("commonLabels").and_then(Value::as_mapping) {
            transform::labels(res, pairs, true, true);
        }
        for l in list("labels") {
            if let Some(pairs) = l["pairs"].as_mapping() {
                let selectors = l["includeSelectors"].as_bool() == Some(true);
                transform::labels(
                    res,
                    pairs,
                    selectors,
                    l["includeTemplates"].as_bool() == Some(true),
                );
            }
        }
        if let Some(pairs) = k.get("commonAnnotations").and_then(Value::as_mapping) {
            transform::annotations(res, pairs);
        }
        for (i, p) in list("patchesJson6902").iter().enumerate() {
            self.patch_from_spec = self.spec_field(kfile, "patchesJson6902", i);
            self.patch_entry(dir, p, kfile, chain, res);
        }
        self.patch_from_spec = None;
    }

    /// One `patches:` (or `patchesJson6902:`) entry: `patch:` or `path:`, and
    /// an optional `target:`.
    fn patch_entry(
        &mut self,
        dir: &Path,
        p: &Value,
        kfile: &Path,
        chain: &[String],
        res: &mut Vec<Object>,
    ) {
        let body = match (p["patch"].as_str(), p["path"].as_str()) {
            (Some(inline), _) => Some(PatchBody::inline(inline)),
            (None, Some(path)) => self.patch_text(dir, path, kfile, chain, false),
            (None, None) => {
                self.fail_patch(chain, kfile, "a patch without `patch` or `path`".to_owned());
                None
            }
        };
        let target = match p
            .get("target")
            .filter(|t| !t.is_null())
            .map(Selector::parse)
        {
            None => None,
            Some(Ok(s)) => Some(s),
            Some(Err(e)) => {
                return self.fail_patch(chain, kfile, e.to_string());
            }
        };
        self.apply(body, target.as_ref(), kfile, chain, res);
    }

    /// A patch file's text, or (for `patchesStrategicMerge`) the entry itself
    /// when it is inline YAML rather than a path.
    fn patch_text(
        &mut self,
        dir: &Path,
        entry: &str,
        kfile: &Path,
        chain: &[String],
        inline_ok: bool,
    ) -> Option<PatchBody> {
        if inline_ok && entry.contains('\n') {
            return Some(PatchBody::inline(entry));
        }
        let read =
            self.locate(dir, entry)
                .map_err(|(_, m)| m)
                .and_then(|p| match self.tree.read(&p) {
                    Ok(text) => Ok(PatchBody {
                        file: Some(p),
                        text,
                    }),
                    Err(e) => Err(format!("cannot read patch {}: {e}", p.display())),
                });
        match read {
            Ok(body) => Some(body),
            Err(e) => {
                self.fail_patch(chain, kfile, e.to_string());
                None
            }
        }
    }

    /// A patch applied: to its target's objects, or (strategic merge without a
    /// target) to the object each document names.
    fn apply(
        &mut self,
        body: Option<PatchBody>,
        target: Option<&Selector>,
        kfile: &Path,
        chain: &[String],
        res: &mut Vec<Object>,
    ) {
        let Some(body) = body else { return };
        let Some(docs) = self.patch_documents(&body, kfile, chain) else {
            return;
        };
        for doc in docs.objects.iter().map(|(_, doc)| &**doc) {
            let outcome = match (doc, target) {
                (Value::Sequence(ops), Some(t)) => {
                    self.each(res, t, |v| patch::json6902(v, ops).map(Merged::Kept))
                }
                (Value::Sequence(_), None) => Err("a JSON 6902 patch needs a `target`".to_owned()),
                (Value::Mapping(_), Some(t)) => {
                    let doc = without_identity(doc);
                    self.each(res, t, |v| Ok(smp(v, &doc)))
                }
                (Value::Mapping(_), None) => self.by_identity(res, doc),
                _ => Err("a patch must be a mapping or a list of operations".to_owned()),
            };
            if let Err(e) = outcome
                && self.strict()
            {
                self.fail_patch(chain, kfile, e.to_string());
            }
        }
    }

    /// Whether entry `i` of the list `field` of `kfile` came from the Flux
    /// Kustomization's `spec`, merged after the file's own entries.
    fn is_from_spec(&self, kfile: &Path, field: &str, i: usize) -> bool {
        self.overlaid.as_ref().is_some_and(|(overlaid, own)| {
            overlaid == kfile && own.get(field).is_some_and(|n| i >= *n)
        })
    }

    /// `field`, when entry `i` of that list of `kfile` came from the spec.
    fn spec_field(&self, kfile: &Path, field: &'static str, i: usize) -> Option<&'static str> {
        self.is_from_spec(kfile, field, i).then_some(field)
    }

    /// A problem with the patch being applied: at the `spec` field of the Flux
    /// Kustomization it came from, else at the kustomization's patches.
    fn fail_patch(&mut self, chain: &[String], kfile: &Path, message: String) {
        match self.patch_from_spec {
            Some(field) => self.fail_in_spec(chain, field, (Code::InvalidPatch, message)),
            None => {
                let message = format!("{}: {message}", kfile.display());
                self.fail_at_key(chain, kfile, PATCH_KEYS, (Code::InvalidPatch, message));
            }
        }
    }

    /// A patch's documents: a patch file's as the tree parses it (once, and
    /// a problem at its line there), an inline patch's at the kustomization.
    fn patch_documents(
        &mut self,
        body: &PatchBody,
        kfile: &Path,
        chain: &[String],
    ) -> Option<Arc<Documents>> {
        let docs = match &body.file {
            Some(file) => self.tree.documents(file, &body.text),
            None => Arc::new(Documents::read(kfile, &body.text)),
        };
        let Some(e) = docs.errors.first() else {
            return Some(docs);
        };
        match &body.file {
            // The parse error names the file: "… is not valid YAML: …".
            Some(file) => self.fail_in(
                chain,
                file,
                located(e).0,
                (Code::InvalidPatch, e.to_string()),
            ),
            None => self.fail_patch(chain, kfile, format!("a patch is not valid YAML: {e}")),
        }
        None
    }

    /// `f` on every object `target` selects; deleted objects leave the build.
    fn each(
        &self,
        res: &mut Vec<Object>,
        target: &Selector,
        f: impl Fn(&Value) -> Result<Merged, String>,
    ) -> Result<(), String> {
        let mut keep = Vec::with_capacity(res.len());
        let mut failed = None;
        for mut o in res.drain(..) {
            if !target.matches(&o) {
                keep.push(o);
                continue;
            }
            match f(&o.value) {
                Ok(Merged::Kept(v)) => {
                    o.value = Arc::new(v);
                    o.patched = true;
                    o.transformed = true;
                    keep.push(o);
                }
                Ok(Merged::Deleted) => {}
                Err(e) => {
                    failed.get_or_insert(format!("{} {}: {e}", o.kind(), o.name()));
                    keep.push(o);
                }
            }
        }
        *res = keep;
        failed.map_or(Ok(()), Err)
    }

    /// A strategic-merge patch on the object of its own kind, name and namespace.
    fn by_identity(&self, res: &mut Vec<Object>, doc: &Value) -> Result<(), String> {
        let api = doc["apiVersion"].as_str().unwrap_or("");
        let kind = doc["kind"].as_str().unwrap_or("");
        let name = doc["metadata"]["name"].as_str().unwrap_or("");
        let ns = doc["metadata"]["namespace"].as_str();
        let at = res.iter().position(|o| {
            o.value["apiVersion"].as_str() == Some(api)
                && o.kind() == kind
                && (o.org_name == name || o.name() == name)
                && (ns.is_none_or(|n| {
                    o.effective_namespace(Some(n)) == o.effective_namespace(o.namespace())
                        || Some(n) == o.org_namespace.as_deref()
                }))
        });
        let Some(i) = at else {
            return Err(format!(
                "no object of the build is {kind} {name}: the patch has no target"
            ));
        };
        match smp(&res[i].value, doc) {
            Merged::Kept(v) => {
                res[i].value = Arc::new(v);
                res[i].patched = true;
                res[i].transformed = true;
            }
            Merged::Deleted => {
                res.remove(i);
            }
        }
        Ok(())
    }
}

/// A strategic merge of `doc` into `value`, with the merge keys of its kind.
fn smp(value: &Value, doc: &Value) -> Merged {
    let api = value["apiVersion"].as_str().unwrap_or("");
    let group = api.rsplit_once('/').map_or("", |(g, _)| g);
    patch::strategic_merge(value, doc, patch::builtin_group(group))
}

/// A patch applied by target keeps the target's identity: kustomize sets the
/// patch's kind, name and namespace to each target's.
fn without_identity(doc: &Value) -> Value {
    let mut doc = doc.clone();
    if let Some(m) = doc.as_mapping_mut() {
        m.remove("apiVersion");
        m.remove("kind");
        if let Some(meta) = m.get_mut("metadata").and_then(Value::as_mapping_mut) {
            meta.remove("name");
            meta.remove("namespace");
        }
    }
    doc
}

/// Findings of the walk that are notes (errors only with `[audit] strict`):
/// content the model leaves alone rather than content that is wrong.
fn is_note(code: Code) -> bool {
    matches!(
        code,
        Code::RemoteResource
            | Code::UnmodelledKustomize
            | Code::IgnoredDocument
            | Code::WrongSource
    )
}

/// A kustomization kustomize calls empty: nothing but `apiVersion` and `kind`
/// (`resources: []` is something, as kustomize counts).
fn is_empty(k: &Mapping) -> bool {
    k.keys()
        .all(|key| matches!(key.as_str(), Some("apiVersion" | "kind")))
}
