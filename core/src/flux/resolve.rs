//! What each cluster's Flux Kustomizations apply, worked out from the repository
//! alone — no kustomize, no flux, no cluster.
//!
//! For a cluster `c`, `resolve_entry` does what
//! `flux build kustomization NAME -f kubernetes/clusters/c/infrastructure.yaml --path .`
//! does, for every Flux `Kustomization` in the cluster's directory:
//!
//! - `spec.path` is resolved against the repository root (the `[flux] source`
//!   of the plan is this repository; a Kustomization of another source is a
//!   note: what it applies is out of reach);
//! - the directory is built as kustomize builds it ([`super::kustomize`]:
//!   resources, components, generators, patches, namespace, prefixes, labels,
//!   annotations), with the Kustomization's `spec.targetNamespace`,
//!   `spec.patches` (and the deprecated patch fields), `spec.components` and
//!   `spec.namePrefix`/`spec.nameSuffix` merged into its kustomization as
//!   kustomize-controller does; a directory without kustomization file takes
//!   every YAML file below it, as Flux generates one;
//! - `spec.commonMetadata` labels and annotations are set on every object;
//! - `spec.postBuild` substitution of `${VAR}`, `${VAR:=default}` and
//!   `${VAR:-default}` from `substitute` and from the ConfigMaps of the
//!   cluster's own files named in `substituteFrom` (one marked `optional: true`
//!   may be missing).
//!
//! What it cannot model faithfully is an error, never a silent skip: a missing
//! file, a path leaving the repository (`..` past the root, an absolute path, a
//! symlink out), a cycle, a patch without target, an unset substitution
//! variable. What is out of its reach — a remote resource, `helmCharts`,
//! `replacements`, another source — is a note ([`ClusterBuild::notes`]),
//! an error when the plan says `[audit] strict = true`. Each names the chain
//! that led to it, e.g. `…/cilium/ipam/apps/kustomization.yaml:6:1:
//! cilium-ipam → ./kubernetes/infrastructure/networking/cilium/ipam/apps →
//! lb-ippool-apps.yaml: file not found: ...`, at the entry that lists the
//! missing file.
//!
//! The isolation audit (`audit::isolation`) then holds the result against the plan.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use yaml_serde::Value;

use super::kustomization::{self, FluxKustomization};
use super::kustomize::{Strictness, Walker};
use super::object::Object;
use crate::diag::codes::Code;
use crate::diag::error::{Error, Related};
use crate::plan::Plan;
use crate::tree::{Documents, Links, Tree, is_yaml};

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
    /// What the builds skipped as out of the model's reach (a remote base,
    /// `helmCharts`, another source): notes, errors under `[audit] strict`.
    pub notes: Vec<Error>,
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

/// A finding of the resolver: `problem` at `file:line`, after the chain that
/// led there (the Kustomization's name, its `spec.path` and each `resources:`
/// entry followed, as written), e.g. `cilium-ipam → ./kubernetes/ipam → pool.yaml:
/// file not found: ...`. An empty chain is a problem of the file itself.
pub(crate) fn finding(
    code: Code,
    file: impl Into<PathBuf>,
    line: usize,
    chain: &[String],
    problem: &str,
) -> Error {
    let message = if chain.is_empty() {
        problem.to_owned()
    } else {
        format!("{}: {problem}", chain.join(" → "))
    };
    Error::file(code, file, line, 1, message)
}

/// `error`, found in a file Flux Kustomization `k` applies, pointing back at
/// `k`: the finding is where the fix is, and the Kustomization is why it matters.
fn applied_by(error: Error, k: &FluxKustomization) -> Error {
    error.with_related(Related {
        path: k.path.clone(),
        line: k.line,
        column: 1,
        label: "applied by this Flux Kustomization".to_owned(),
    })
}

/// Builds every Flux Kustomization in the cluster's directory of the plan's
/// layout (the seed's `kubernetes/clusters/<cluster>/`): the objects each applies,
/// or every error met on the way. [`super::entry::resolve_cluster`] follows
/// the Kustomizations these apply.
pub(crate) fn resolve_entry(
    tree: &Tree,
    plan: &Plan,
    cluster: &str,
) -> Result<ClusterBuild, Vec<Error>> {
    let dir = plan.layout.cluster_dir(cluster);
    let texts = cluster_files(tree, &dir)?;
    let mut errors = Vec::new();
    let mut files = Vec::new();
    for (path, text) in &texts {
        let parsed = tree.documents(path, text);
        let Documents {
            objects,
            errors: bad,
            ..
        } = &*parsed;
        errors.extend(bad.iter().cloned());
        files.extend(objects.iter().map(|(line, value)| {
            Object::read(
                path.clone(),
                *line,
                Vec::new(),
                Arc::clone(value),
                parsed.source(*line).unwrap_or_default().to_owned(),
            )
        }));
    }
    let ks = match kustomization::flux_kustomizations(tree, &texts) {
        Ok(ks) => ks,
        Err(_) => return Err(errors), // the parse errors are in `errors` already
    };
    let mut kustomizations = Vec::new();
    let mut notes = Vec::new();
    let mut sources = Sources::default();
    sources.extend(&files);
    let ks: Vec<_> = ks
        .into_iter()
        .map(|k| {
            let text = texts.get(&k.path).cloned().unwrap_or_default();
            (k, text)
        })
        .collect();
    for (built, skipped) in build_in_order(tree, plan, ks, &mut sources, false) {
        match built {
            Ok(applied) => kustomizations.push(applied),
            Err(e) => errors.extend(e),
        }
        notes.extend(skipped);
    }
    if plan.audit.strict.item {
        errors.append(&mut notes);
    }
    if errors.is_empty() {
        Ok(ClusterBuild {
            cluster: cluster.to_owned(),
            files,
            kustomizations,
            notes,
        })
    } else {
        Err(errors)
    }
}

/// The YAML files in the cluster's directory and below, by path relative to root.
fn cluster_files(tree: &Tree, dir: &Path) -> Result<BTreeMap<PathBuf, String>, Vec<Error>> {
    // Flux's bootstrap Kustomization applies the directory and everything below
    // it (a `secrets/` subdirectory with the ConfigMap `substituteFrom` names).
    if let Err(e) = tree.read_dir(dir) {
        return Err(vec![Error::unreadable(dir, &e)]);
    }
    // A symlink the walk refuses is reported by the audit, which lists these
    // directories too.
    let walked = tree.walk(&[dir.to_path_buf()], Links::Follow, |_| true);
    let mut out = BTreeMap::new();
    for rel in walked.files.into_iter().filter(|f| is_yaml(f)) {
        // At the file that cannot be read, not at its directory.
        let text = tree
            .read(&rel)
            .map_err(|e| vec![Error::unreadable(&rel, &e)])?;
        out.insert(rel, text);
    }
    Ok(out)
}

/// The line of `key:` in the document of `text` starting at `doc_line`, or `doc_line`.
pub(crate) fn key_line(text: &str, doc_line: usize, key: &str) -> usize {
    crate::yaml::key_in_document(text, doc_line, key).map_or(doc_line, |k| k.line)
}

/// One Flux Kustomization's build (or why it cannot be built), and its notes:
/// what is out of the model's reach.
pub(super) type Build = (Result<Applied, Vec<Error>>, Vec<Error>);

/// Builds Flux Kustomizations in order: each is kustomize's build of its
/// `spec.path` with its `spec` fields merged in, `spec.commonMetadata`, then
/// `postBuild` substitution from `sources` as the builds before it left them (`grow`: whether each build's ConfigMaps and Secrets
/// join them for the next). The kustomize builds, which need no sources, run
/// on every core; substitution, which does, follows in order. Notes (what is
/// out of the model's reach) are returned beside each build.
pub(super) fn build_in_order(
    tree: &Tree,
    plan: &Plan,
    ks: Vec<(FluxKustomization, String)>,
    sources: &mut Sources,
    grow: bool,
) -> Vec<Build> {
    let walked = crate::par::map(&ks, |(k, text)| walk_kustomization(tree, plan, k, text));
    let mut out = Vec::with_capacity(ks.len());
    for ((k, text), walked) in ks.into_iter().zip(walked) {
        let built = walked.finish(k, &text, sources);
        if let (Ok(a), true) = (&built.0, grow) {
            sources.extend(&a.objects);
        }
        out.push(built);
    }
    out
}

/// A Flux Kustomization's build before `postBuild`: all of it that depends on
/// no other Kustomization.
enum Unsubstituted {
    /// Nothing to substitute in: a Kustomization of another source (a note),
    /// or one without `spec.path` (an error).
    Done(Build),
    /// Kustomize's build of `spec.path` with `commonMetadata` applied.
    Built {
        path: String,
        dirs: Vec<PathBuf>,
        objects: Vec<Object>,
        errors: Vec<Error>,
        notes: Vec<Error>,
    },
}

/// The error or note `(code, problem)` at `key` of Kustomization `k` in `text`.
fn kustomization_error(
    k: &FluxKustomization,
    text: &str,
    key: &str,
    chain: Vec<String>,
    (code, problem): (Code, String),
) -> Error {
    let line = crate::yaml::child_key_in_document(text, k.line, ("spec", key))
        .map_or_else(|| key_line(text, k.line, key), |at| at.line);
    finding(code, &k.path, line, &chain, &problem)
}

fn walk_kustomization(
    tree: &Tree,
    plan: &Plan,
    k: &FluxKustomization,
    text: &str,
) -> Unsubstituted {
    let spec = &k.object["spec"];
    let fail = |key: &str, chain, found| kustomization_error(k, text, key, chain, found);
    let name = vec![k.name.clone()];
    if let Some(note) = foreign_source(plan, k, text) {
        let empty = Applied {
            flux: k.clone(),
            dirs: Vec::new(),
            objects: Vec::new(),
            vars: None,
        };
        return Unsubstituted::Done((Ok(empty), vec![note]));
    }
    let Some(path) = kustomization::applied_path(&k.object) else {
        let problem = "spec.path is missing or not a string; write the directory it applies, e.g. ./kubernetes/…";
        let e = fail("spec", name, (Code::MissingFluxPath, problem.to_owned()));
        return Unsubstituted::Done((Err(vec![e]), Vec::new()));
    };
    let mut chain = name;
    chain.push(path.to_owned());
    let mut walk = Walker::new(tree, Strictness::Strict);
    let mut objects = match walk.locate(Path::new(""), path) {
        Ok(dir) if tree.is_dir(&dir) => walk.build(&dir, &chain, Some(spec), true),
        Ok(dir) => {
            let problem = if tree.exists(&dir) {
                format!("{} is a file; spec.path must be a directory", dir.display())
            } else {
                format!("directory not found: {}", dir.display())
            };
            walk.fail(&chain, Code::MissingResource, problem);
            Vec::new()
        }
        Err((code, problem)) => {
            walk.fail(&chain, code, problem);
            Vec::new()
        }
    };
    let (mut errors, mut notes) = (Vec::new(), Vec::new());
    for p in std::mem::take(&mut walk.problems) {
        let e = match p.at {
            Some((file, line)) => applied_by(finding(p.code, file, line, &p.chain, &p.message), k),
            None => fail(&p.spec_key, p.chain, (p.code, p.message)),
        };
        if p.note {
            notes.push(e)
        } else {
            errors.push(e)
        }
    }
    common_metadata(&mut objects, &spec["commonMetadata"]);
    Unsubstituted::Built {
        path: path.to_owned(),
        dirs: walk.dirs,
        objects,
        errors,
        notes,
    }
}

/// The note for a Kustomization whose `spec.sourceRef` is not this
/// repository, `None` when it is.
fn foreign_source(plan: &Plan, k: &FluxKustomization, text: &str) -> Option<Error> {
    let own = &plan.flux.source;
    let source = &k.object["spec"]["sourceRef"];
    if source["kind"].as_str() == Some(&*own.kind.item)
        && source["name"].as_str() == Some(&*own.name.item)
    {
        return None;
    }
    let found = if source.is_null() {
        "none".to_owned()
    } else {
        format!(
            "{} {}",
            source["kind"].as_str().unwrap_or("?"),
            source["name"].as_str().unwrap_or("?")
        )
    };
    let problem = format!(
        "spec.sourceRef must be {} {} (this repository, [flux] source in plan.toml) for its path to be resolved here, found {found}; what it applies is not audited",
        own.kind.item, own.name.item
    );
    let chain = vec![k.name.clone()];
    Some(kustomization_error(
        k,
        text,
        "sourceRef",
        chain,
        (Code::WrongSource, problem),
    ))
}

impl Unsubstituted {
    /// The build after `postBuild` substitution from `sources`, and the
    /// check that no object is applied twice.
    fn finish(self, k: FluxKustomization, text: &str, sources: &Sources) -> Build {
        let (path, dirs, mut objects, mut errors, notes) = match self {
            Unsubstituted::Done(done) => return done,
            Unsubstituted::Built {
                path,
                dirs,
                objects,
                errors,
                notes,
            } => (path, dirs, objects, errors, notes),
        };
        let fail = |key: &str, chain, found| kustomization_error(&k, text, key, chain, found);
        let mut post_build = None;
        match substitutions(&k, sources) {
            Ok(Some(vars)) => {
                for o in &mut objects {
                    if let Err((line, code, problem)) = substitute(o, &vars) {
                        let problem = format!("{}:{line}: {problem}", o.source.display());
                        errors.push(fail("postBuild", o.via.clone(), (code, problem)));
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
        let path_chain = vec![k.name.clone(), path];
        errors.extend(
            duplicates(&objects)
                .into_iter()
                .map(|p| fail("path", path_chain.clone(), (Code::DuplicateObject, p))),
        );
        if !errors.is_empty() {
            return (Err(errors), notes);
        }
        let applied = Applied {
            flux: k,
            dirs,
            objects,
            vars: post_build,
        };
        (Ok(applied), notes)
    }
}

/// Flux's `spec.commonMetadata`: labels and annotations on every object's
/// metadata (selectors and templates are left alone).
fn common_metadata(objects: &mut [Object], meta: &Value) {
    for field in ["labels", "annotations"] {
        let Some(pairs) = meta[field].as_mapping() else {
            continue;
        };
        for o in objects.iter_mut() {
            for (key, value) in pairs {
                let (Some(key), Some(value)) = (key.as_str(), value.as_str()) else {
                    continue;
                };
                crate::flux::kustomize::transform::set(
                    o.value_mut(),
                    &["metadata", field],
                    key,
                    value,
                );
            }
        }
    }
}

/// An object applied twice by one build, for each one.
fn duplicates(objects: &[Object]) -> Vec<String> {
    let mut seen: std::collections::HashMap<(String, String, String, String), &Object> =
        std::collections::HashMap::new();
    let mut out = Vec::new();
    for o in objects {
        let id = (
            o.group_version().0.to_owned(),
            o.kind().to_owned(),
            o.namespace().unwrap_or("").to_owned(),
            o.name().to_owned(),
        );
        if let Some(first) = seen.get(&id) {
            out.push(format!(
                "{} {} is applied twice: from {}:{} and {}:{}",
                o.kind(),
                o.name(),
                first.source.display(),
                first.line,
                o.source.display(),
                o.line
            ));
        } else {
            seen.insert(id, o);
        }
    }
    out
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

/// The ConfigMaps and Secrets a Flux Kustomization may substitute from, by
/// kind, namespace and name: the cluster's own files and what was applied
/// before it, the first applied winning. Kept as a map because every
/// Kustomization of a fleet looks its `substituteFrom` up here.
#[derive(Default)]
pub(super) struct Sources {
    by_key: std::collections::HashMap<(String, String, String), Object>,
}

impl Sources {
    /// Adds the ConfigMaps and Secrets among `objects` not already known.
    pub(super) fn extend<'a>(&mut self, objects: impl IntoIterator<Item = &'a Object>) {
        for o in objects {
            if matches!(o.kind(), "ConfigMap" | "Secret") {
                let ns = o.namespace().unwrap_or("default");
                let key = (o.kind().to_owned(), ns.to_owned(), o.name().to_owned());
                self.by_key.entry(key).or_insert_with(|| o.clone());
            }
        }
    }

    fn get(&self, kind: &str, ns: &str, name: &str) -> Option<&Object> {
        let key = (kind.to_owned(), ns.to_owned(), name.to_owned());
        self.by_key.get(&key)
    }
}

/// The postBuild variables of a Flux Kustomization, `None` without `postBuild`.
/// `substituteFrom` ConfigMaps are looked up among the cluster's own files, in the
/// Kustomization's namespace; `substitute` overrides them, as in Flux.
fn substitutions(k: &FluxKustomization, sources: &Sources) -> Result<Option<Vars>, String> {
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
        let found = sources.get(kind, ns, name);
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
    {
        return Ok(());
    }
    if o.transformed {
        if !holds_var(&o.value) {
            return Ok(());
        }
        let mut value = (*o.value).clone();
        substitute_value(&mut value, vars, &o.raw).map_err(|e| (o.line, e.code, e.message))?;
        o.value = Arc::new(value);
        return Ok(());
    }
    if !o.raw.contains("${") {
        return Ok(());
    }
    // Flux substitutes kustomize's output, where comments are gone: a `${VAR}`
    // in a comment is never substituted, so it can be neither set nor unset.
    let raw = crate::yaml::blank_comments(&o.raw);
    if !raw.contains("${") {
        return Ok(());
    }
    let replaced = envsubst_with(&raw, &vars.values, vars.secret).map_err(|e| {
        let line = o.line + crate::text::LineIndex::new(&raw).line_of(e.at);
        (line, e.code, e.message)
    })?;
    let value = crate::yaml::yaml11_value(&replaced)
        .map(Arc::new)
        .map_err(|e| {
            let problem = format!("not valid YAML after substitution: {e}");
            (o.line, Code::BadSubstitution, problem)
        })?;
    let ns = o
        .namespace()
        .filter(|ns| !ns.contains("${"))
        .map(str::to_owned);
    o.value = value;
    if let Some(ns) = ns {
        o.set_namespace(&ns);
    }
    Ok(())
}

/// Whether a string of `v` holds `${`: all [`substitute_value`] looks at.
fn holds_var(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains("${"),
        Value::Mapping(m) => m.values().any(holds_var),
        Value::Sequence(list) => list.iter().any(holds_var),
        _ => false,
    }
}

/// Flux's substitution on a value a transform changed (its document as
/// written is no longer what kustomize outputs): every string holding `${`,
/// substituted; a result written unquoted in the document is read again as a
/// YAML scalar (`${PORT}` → `8080`, a number), as kustomize's output would be.
fn substitute_value(v: &mut Value, vars: &Vars, raw: &str) -> Result<(), SubstError> {
    match v {
        Value::String(s) if s.contains("${") => {
            let replaced = envsubst_with(s, &vars.values, vars.secret)?;
            let quoted = raw.contains(&format!("\"{s}\"")) || raw.contains(&format!("'{s}'"));
            let typed = (!quoted && !raw.is_empty())
                .then(|| crate::yaml::yaml11_value(&replaced).ok())
                .flatten()
                .filter(|t| matches!(t, Value::Bool(_) | Value::Number(_) | Value::Null));
            *v = typed.unwrap_or(Value::String(replaced));
        }
        Value::Mapping(m) => {
            for (_, value) in m.iter_mut() {
                substitute_value(value, vars, raw)?;
            }
        }
        Value::Sequence(list) => {
            for value in list {
                substitute_value(value, vars, raw)?;
            }
        }
        _ => {}
    }
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
