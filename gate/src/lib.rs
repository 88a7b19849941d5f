#![warn(unreachable_pub)]
//! The strict schema gate of lbipam-plan, as a library a repository's tests call.
//!
//! Every Kubernetes object of the repository — generated or hand-written — is
//! checked against its type: Kubernetes' own (`k8s-openapi`, every kind) and the
//! upstream CRDs' schemas (Cilium, Flux; [`structural`]). An unknown or
//! misspelled field, a wrong type or enum value or a missing required field is
//! a problem ([`schema`] explains how and what it does not check). A namespace
//! written on a cluster-scoped kind is a warning (the API server drops it); one
//! that kustomize's `namespace:` or Flux's `targetNamespace` set — they set it on
//! every kind they do not know is cluster-scoped — is nothing. Real content is
//! not a problem either:
//!
//! - only files a kustomization or a Flux path includes as resources are objects
//!   ([`lbipam_core::flux::reach`]); a Helm chart's templates, a `values.yaml`, a kustomize
//!   `configurations:` file are not read;
//! - an object of a kind the gate has no type for is counted, not failed;
//! - an object a kustomization patches is not failed for a missing required
//!   field, which the patch may supply;
//! - a SOPS-encrypted object is checked as Flux applies it, decrypted: without
//!   its `sops` key, each `ENC[…]` value standing for a value of its type.
//!
//! [`check_repository`] checks the files as written; [`check_applied`] checks
//! what core's resolver says each cluster's Flux Kustomizations apply, after
//! kustomize's namespace and Flux's post-build substitution.
//!
//! [`gate`] is the whole gate a repository's `tests/gate.rs` calls, through
//! [`verify`]: core's check in check mode (`generate::load`, then
//! `generate::build_files`, as [`lbipam_core::verify`] runs it: plan, audits of
//! what each cluster applies, committed files == plan) and both schema checks.
//!
//! ```no_run
//! // tests/gate.rs
//! #[test]
//! fn the_repository_is_what_plan_toml_says() {
//!     lbipam_gate::gate(env!("CARGO_MANIFEST_DIR"));
//! }
//! ```
//!
//! This crate is a workspace member of its own so that its heavy dependency
//! (`k8s-openapi`) is not copied into the trybuild project of the root crate's
//! compile-fail tests.

mod crds;
mod kinds;
pub mod schema;
mod sops;
pub mod structural;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lbipam_core::diag::codes::Code;
use lbipam_core::diag::error::Error;
use lbipam_core::flux::entry::resolve_cluster;
use lbipam_core::plan::Plan;
use lbipam_core::tree::{Links, Tree, is_yaml};
use yaml_serde::Value;

use schema::{Mismatch, MismatchKind as Kind, build_file_problems, object_problems};

/// What a schema gate checked and found.
#[derive(Debug, Default)]
pub struct SchemaReport {
    /// Objects checked against their type, by `apiVersion kind`.
    pub checked: BTreeMap<String, usize>,
    /// Objects of kinds the gate has no type for, by `apiVersion kind`: not checked.
    pub untyped: BTreeMap<String, usize>,
    /// Objects a kustomization patches that lack a required field the patch
    /// may supply: the rest of such an object is not checked either (the
    /// typed check stops at the first missing field).
    pub left_to_patches: usize,
    /// YAML files in the audited directories that no kustomization or Flux path
    /// includes: not read.
    pub not_resources: Vec<PathBuf>,
    /// References the walk could not follow (see [`lbipam_core::flux::reach::Resources`]), each
    /// with the walker's code: core's resolver judges them, the summary lists them.
    /// A path outside `[layout] audit` (`outside-audit`), which nothing else
    /// judges, is among the warnings instead.
    pub unfollowed: Vec<Error>,
    /// Every problem, each at the line its document starts on: the code of its
    /// mismatch for an object that does not match its type, core's own code
    /// for a file that cannot be read or parsed.
    pub problems: Vec<Error>,
    /// Why a cluster cannot be built, at the resolver's place with its code:
    /// core's audit, which runs the same resolver, reports each too, so
    /// [`verify`] adds only those it has not.
    pub unbuilt: Vec<Error>,
    /// What is harmless but worth fixing, in the same form: a namespace written
    /// on a cluster-scoped kind (the API server drops it), a Flux path outside
    /// `[layout] audit` (`outside-audit`).
    pub warnings: Vec<Error>,
}

/// Where an object is: its file and line, and the cluster applying it when
/// the check is of what a cluster applies.
struct At<'a> {
    cluster: Option<&'a str>,
    path: &'a Path,
    line: usize,
}

impl At<'_> {
    /// The finding `message` about the object here, with code `code`.
    fn finding(&self, code: Code, message: &str) -> Error {
        let message = match self.cluster {
            Some(c) => format!("{message} (as cluster {c} applies it)"),
            None => message.to_owned(),
        };
        Error::file(code, self.path, self.line, 1, message)
    }
}

impl SchemaReport {
    /// The problems, then why clusters cannot be built, one line each:
    /// `FILE:LINE: message`.
    pub fn problem_texts(&self) -> Vec<String> {
        self.problems
            .iter()
            .chain(&self.unbuilt)
            .map(one_line)
            .collect()
    }

    /// One object at `at`, which a patch may have changed.
    fn object(&mut self, at: &At<'_>, value: &Value, patched: bool) {
        self.object_placed(at, value, patched, true);
    }

    /// Each of `mismatches` a problem at `at`, with its kind's code.
    fn mismatches(&mut self, at: &At<'_>, mismatches: Vec<Mismatch>) {
        let problems = mismatches
            .iter()
            .map(|m| at.finding(m.kind.code(), &m.text));
        self.problems.extend(problems);
    }

    /// [`SchemaReport::object`], for an object whose namespace its file may not have
    /// written (`in_file` false: a kustomize or Flux transformer set it, which
    /// is how such a tool treats a kind it does not know is cluster-scoped).
    fn object_placed(&mut self, at: &At<'_>, value: &Value, patched: bool, in_file: bool) {
        let value = sops::decrypted_shape(value);
        let (label, mut problems) = match object_problems(&value) {
            Err(e) => return self.problems.push(at.finding(Code::NotAnObject, &e)),
            Ok(None) => {
                *self.untyped.entry(api_kind(&value)).or_default() += 1;
                return;
            }
            Ok(Some(found)) => found,
        };
        *self.checked.entry(api_kind(&value)).or_default() += 1;
        if patched {
            let before = problems.len();
            problems.retain(|p| p.kind != Kind::MissingField);
            self.left_to_patches += usize::from(problems.len() < before);
        }
        for p in problems {
            let message = format!("{label}: {}", p.text);
            match p.kind {
                Kind::NamespaceOnClusterScoped if in_file => self
                    .warnings
                    .push(at.finding(Code::NamespaceOnClusterScoped, &message)),
                Kind::NamespaceOnClusterScoped => {}
                kind => self.problems.push(at.finding(kind.code(), &message)),
            }
        }
    }

    /// The counts, in one paragraph, for the test output.
    pub fn summary(&self) -> String {
        let objects: usize = self.checked.values().sum();
        let mut s = format!(
            "schema gate: checked {objects} objects of {} kinds",
            self.checked.len()
        );
        let untyped: usize = self.untyped.values().sum();
        if untyped > 0 {
            let kinds: Vec<String> = self
                .untyped
                .iter()
                .map(|(kind, n)| format!("{kind} ({n})"))
                .collect();
            let _ = write!(
                s,
                "; skipped {untyped} objects of kinds the gate has no type for: {}",
                kinds.join(", ")
            );
        }
        if self.left_to_patches > 0 {
            let _ = write!(
                s,
                "; {} patched objects lack required fields their patches may supply (checked no further)",
                self.left_to_patches
            );
        }
        if !self.not_resources.is_empty() {
            let _ = write!(
                s,
                "; {} YAML files in the audited directories are no resource of a kustomization or Flux path (not read)",
                self.not_resources.len()
            );
        }
        if !self.unfollowed.is_empty() {
            let shown: Vec<String> = self.unfollowed.iter().map(one_line).collect();
            let _ = write!(s, "; references not followed: {}", shown.join("; "));
        }
        for w in &self.warnings {
            let _ = write!(s, "\nwarning[{}]: {}", w.code(), one_line(w));
        }
        s
    }
}

fn api_kind(value: &Value) -> String {
    format!(
        "{} {}",
        value["apiVersion"].as_str().unwrap_or("?"),
        value["kind"].as_str().unwrap_or("?")
    )
}

/// `apiVersion kind` of a kustomize build file, which may leave both out.
fn build_file_kind(value: &Value) -> String {
    match value["kind"].as_str() {
        Some("Component") => "kustomize.config.k8s.io/v1alpha1 Component".to_owned(),
        _ => "kustomize.config.k8s.io/v1beta1 Kustomization".to_owned(),
    }
}

/// The schema gate on the files as written: every object of every file a
/// kustomization or Flux path of the repository at `root` includes, and every
/// kustomization file. `clusters` are the plan's clusters, whose directories
/// (per the plan's layout) Flux's bootstrap applies.
pub fn check_repository(root: &Path, plan: &Plan) -> SchemaReport {
    let tree = Tree::disk(root);
    let resources = lbipam_core::flux::reach::resources(&tree, plan);
    // A Flux path outside `[layout] audit` is judged nowhere else: a warning,
    // so `--format json` gives it its code. The other references core's
    // resolver judges, for what a cluster applies.
    let (outside, unfollowed): (Vec<Error>, Vec<Error>) = resources
        .unfollowed
        .iter()
        .cloned()
        .partition(|e| e.code() == Code::OutsideAudit.as_str());
    let mut report = SchemaReport {
        unfollowed,
        warnings: outside,
        ..SchemaReport::default()
    };
    for kfile in &resources.kustomizations {
        for (line, value) in documents(&tree, kfile, &mut report) {
            *report.checked.entry(build_file_kind(&value)).or_default() += 1;
            let at = At {
                cluster: None,
                path: kfile,
                line,
            };
            report.mismatches(&at, build_file_problems(&value));
        }
    }
    for (file, patched) in &resources.files {
        for (line, value) in documents(&tree, file, &mut report) {
            let at = At {
                cluster: None,
                path: file,
                line,
            };
            report.object(&at, &value, patched.contains(&line));
        }
    }
    report.not_resources = yaml_files(&tree, &plan.layout.audit_roots())
        .into_iter()
        .filter(|f| !resources.files.contains_key(f) && !resources.kustomizations.contains(f))
        .collect();
    report
}

/// The documents of a file as the tree reads them (parsed once, shared with the
/// walk that found the file), its read and parse errors added to the report.
fn documents(tree: &Tree, file: &Path, report: &mut SchemaReport) -> Vec<(usize, Arc<Value>)> {
    let text = match tree.read(file) {
        Ok(text) => text,
        Err(e) => {
            report.problems.push(Error::unreadable(file, &e));
            return Vec::new();
        }
    };
    let docs = tree.documents(file, &text);
    report.problems.extend(docs.errors.iter().cloned());
    docs.objects.clone()
}

/// Every YAML file under the audited directories, relative to the root, sorted.
fn yaml_files(tree: &Tree, roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut files = tree.walk(roots, Links::Follow, |_| true).files;
    files.retain(|rel| is_yaml(rel));
    files
}

/// What a passing gate says: the warnings of the build and of the schema
/// checks, and the schema checks' counts.
#[derive(Clone, Debug, Default)]
pub struct Passed {
    /// The warnings (core's check's, then the schema checks'), in a
    /// report without errors.
    pub warnings: lbipam_core::diag::Report,
    /// The schema checks' counts, one paragraph each.
    pub summary: String,
}

/// The whole gate of the repository at `root`, the one verdict `lbipam check`
/// and `tests/gate.rs` share: core's check (plan, audits, committed files ==
/// plan, as [`lbipam_core::verify`] runs it), then both schema checks, each
/// problem a finding with its code at its file and line. Only a plan that does
/// not compile stops it early (there is then no layout to read files by);
/// otherwise core's findings and the schema checks' come in one report, except
/// that a tree with stale files is not checked as applied. `Err`
/// is the report of every problem found, with every warning.
///
/// ```no_run
/// match lbipam_gate::verify(std::path::Path::new(".")) {
///     Ok(passed) => eprintln!("{}", passed.summary),
///     Err(report) => eprintln!("{}", report.render_all()),
/// }
/// ```
pub fn verify(root: &Path) -> Result<Passed, lbipam_core::diag::Report> {
    let plan = lbipam_core::generate::load(root)?;
    let core = lbipam_core::generate::build_files(root, &plan, lbipam_core::Mode::Check);
    let mut report = match core {
        Ok(summary) => summary.warnings,
        Err(report) => report,
    };
    let mut checks = vec![check_repository(root, &plan)];
    // A stale tree is not what Flux would apply once built: its applied view
    // would only repeat the stale files in other words.
    let stale = report
        .errors
        .iter()
        .any(|e| e.code() == lbipam_core::diag::codes::STALE);
    if !stale {
        checks.push(check_applied(root, &plan));
    }
    let mut summaries = Vec::new();
    for schema in checks {
        summaries.push(schema.summary());
        add_unseen(&mut report.errors, schema.problems);
        let known = |e: &Error| report.errors.iter().any(|r| same_finding(r, e));
        let unbuilt: Vec<Error> = schema.unbuilt.into_iter().filter(|e| !known(e)).collect();
        report.errors.extend(unbuilt);
        add_unseen(&mut report.warnings, schema.warnings);
    }
    if report.errors.is_empty() {
        return Ok(Passed {
            warnings: report,
            summary: summaries.join("\n"),
        });
    }
    report.check_mode = true;
    Err(report)
}

/// Appends the findings `to` does not hold yet: core's audit and the schema
/// check read the same files, and an unreadable one is one finding, not two.
fn add_unseen(to: &mut Vec<Error>, found: Vec<Error>) {
    for e in found {
        if !to.contains(&e) {
            to.push(e);
        }
    }
}

/// Whether `a` and `b` are one finding in other words: one code at one place,
/// involving the same other places (a resolver error as core's audit and as
/// the schema check word it).
fn same_finding(a: &Error, b: &Error) -> bool {
    a.code() == b.code() && a.location() == b.location() && a.related_files() == b.related_files()
}

/// `FILE:LINE: message`: a finding on one line, as the counts list them.
fn one_line(e: &Error) -> String {
    lbipam_core::diag::Report::default().line(e)
}

/// Why the resolver cannot build cluster `c`, as a problem of the schema
/// check, with the resolver's code and place.
fn unbuilt(c: &str, e: &Error) -> Error {
    let mut error = e.clone();
    if let Error::File { message, .. } = &mut error {
        *message = format!("cluster {c}: cannot be built: {message}");
    }
    error
}

/// [`verify`] as text: `Ok` holds the schema checks' counts, `Err` the whole
/// report as the build prints it.
///
/// ```no_run
/// if let Err(text) = lbipam_gate::check(std::path::Path::new(".")) {
///     eprintln!("{text}");
/// }
/// ```
pub fn check(root: &Path) -> Result<String, String> {
    verify(root)
        .map(|p| p.summary)
        .map_err(|report| report.render_all())
}

/// The whole gate for a repository's `tests/gate.rs`: panics with every problem
/// unless plan.toml is valid, every audit of what each cluster applies passes,
/// the committed files are what plan.toml renders (core's check), and
/// every object passes the schema checks as written and as applied. `root` is
/// the directory holding plan.toml. Prints the schema gate's counts.
pub fn gate(root: impl AsRef<Path>) {
    match check(root.as_ref()) {
        Ok(summary) => eprintln!("{summary}"),
        Err(report) => panic!("{report}"),
    }
}

/// The schema gate on what Flux applies: every object core's resolver says the
/// Flux Kustomizations of each of `clusters` apply, from the repository at
/// `root`. A cluster the resolver cannot build is a problem.
pub fn check_applied(root: &Path, plan: &Plan) -> SchemaReport {
    let mut report = SchemaReport::default();
    // One tree for every cluster: a file two clusters apply is parsed once.
    let tree = Tree::disk(root);
    for c in plan.clusters.iter().map(|c| &*c.name.item) {
        match resolve_cluster(&tree, plan, c) {
            Err(errors) => report.unbuilt.extend(errors.iter().map(|e| unbuilt(c, e))),
            Ok(build) => {
                for o in build.objects() {
                    let at = At {
                        cluster: Some(c),
                        path: &o.source,
                        line: o.line,
                    };
                    let in_file = o.namespace().is_none() || o.writes_namespace();
                    report.object_placed(&at, &o.value, false, in_file);
                }
            }
        }
    }
    report
}
