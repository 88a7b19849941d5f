//! The strict schema check of one Kubernetes object.
//!
//! How a check works, for one object given as a generic [`yaml_serde::Value`]:
//!
//! 1. `apiVersion` + `kind` select a row of [`kinds`]: every kind of
//!    `k8s-openapi` (Kubernetes' own API), every served version of the upstream
//!    CRDs committed under `gate/crds/` (Cilium, Flux), plus kustomize's build
//!    files. A pair with no row has no type to check against: the object is
//!    *untyped* ([`Verdict::Untyped`]), which the caller counts and reports, and
//!    never a failure — a repository may hold any custom resource.
//! 2. Scope rules from the type: a cluster-scoped kind must not carry
//!    `metadata.namespace`; every API object needs a `metadata.name`.
//! 3. A Kubernetes kind (and a kustomize build file) is deserialized into its
//!    Rust type (via `serde_path_to_error`, so errors carry a field path), then
//!    serialized back and compared with the original as generic values. Wrong
//!    types, bad enum values and missing required fields fail on the way in; a
//!    field the type does not know is dropped by serde on the way in, so it is
//!    missing on the way out: that is how an unknown field is caught.
//! 4. A custom resource is validated against its CRD's `openAPIV3Schema` by
//!    [`crate::structural`], which reports unknown fields (a misspelling such
//!    as `spec.serviceSelecter`), wrong types, enum values, missing required
//!    fields, `pattern`s (a Flux `interval: 10min` fails Flux's duration
//!    pattern), bounds and lengths. Its `metadata`, which CRDs leave as a bare
//!    object, goes through step 3 as Kubernetes' `ObjectMeta`.
//!
//! What this does NOT check: for Kubernetes kinds, anything their Rust types do
//! not encode (formats, bounds, the API server's own validation); for custom
//! resources, `format`, CEL rules (`x-kubernetes-validations`) and list/map
//! semantics (see [`crate::structural`]); defaulting for neither.

use std::any::TypeId;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::LazyLock;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use lbipam_core::diag::codes::Code;
use lbipam_core::diag::error::Error;
use lbipam_core::tree::Documents;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use yaml_serde::Value;

/// Where an object of a kind lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Cluster-scoped API object: `metadata.namespace` is an error.
    Cluster,
    /// Namespaced API object. A missing `metadata.namespace` is fine: it may
    /// come from a kustomize `namespace:` or from Flux's `targetNamespace`.
    Namespaced,
    /// Not an API object at all (a `kustomization.yaml` build file): no
    /// `metadata.name` needed, no scope rule.
    BuildFile,
}

/// One `apiVersion` + `kind` the check has a type for.
pub struct KindSpec {
    /// `apiVersion`, e.g. `cilium.io/v2alpha1`.
    pub api_version: String,
    /// `kind`, e.g. `CiliumLoadBalancerIPPool`.
    pub kind: String,
    /// From the type itself (`k8s_openapi::Resource::Scope`) or the CRD's
    /// `spec.scope`.
    pub scope: Scope,
    check: Check,
}

/// How an object of a kind is checked.
#[derive(Clone, Copy)]
enum Check {
    /// Deserialize into the Rust type and serialize back.
    RoundTrip(fn(&Value) -> Result<Value, Mismatch>),
    /// Validate against a served version of an embedded CRD.
    Crd(&'static crate::crds::CrdFile, usize),
}

impl KindSpec {
    /// The row of a `k8s-openapi` type; `None` for a subresource (never an
    /// object in a manifest).
    pub(crate) fn of<K>() -> Option<KindSpec>
    where
        K: k8s_openapi::Resource + DeserializeOwned + Serialize,
        K::Scope: 'static,
    {
        let scope = if TypeId::of::<K::Scope>() == TypeId::of::<k8s_openapi::ClusterResourceScope>()
        {
            Scope::Cluster
        } else if TypeId::of::<K::Scope>() == TypeId::of::<k8s_openapi::NamespaceResourceScope>() {
            Scope::Namespaced
        } else {
            return None;
        };
        Some(KindSpec {
            api_version: K::API_VERSION.to_owned(),
            kind: K::KIND.to_owned(),
            scope,
            check: Check::RoundTrip(round_trip::<K>),
        })
    }

    /// The row of a served version of an embedded CRD.
    pub(crate) fn crd(row: crate::crds::CrdRow) -> KindSpec {
        KindSpec {
            api_version: row.api_version,
            kind: row.kind,
            scope: row.scope,
            check: Check::Crd(row.file, row.index),
        }
    }

    fn build_file(api_version: &str, kind: &str) -> KindSpec {
        KindSpec {
            api_version: api_version.to_owned(),
            kind: kind.to_owned(),
            scope: Scope::BuildFile,
            check: Check::RoundTrip(round_trip::<KustomizeFile>),
        }
    }
}

/// Every kind the check has a type for, built once.
pub fn kinds() -> &'static [KindSpec] {
    static KINDS: LazyLock<Vec<KindSpec>> = LazyLock::new(|| {
        let mut kinds = crate::kinds::typed();
        kinds.push(KindSpec::build_file(KUSTOMIZE_API, "Kustomization"));
        kinds.push(KindSpec::build_file(COMPONENT_API, "Component"));
        kinds
    });
    &KINDS
}

/// The row for `apiVersion` + `kind`, if the check has a type for it.
pub fn kind_spec(api_version: &str, kind: &str) -> Option<&'static KindSpec> {
    kinds()
        .iter()
        .find(|k| k.api_version == api_version && k.kind == kind)
}

const KUSTOMIZE_API: &str = "kustomize.config.k8s.io/v1beta1";
const COMPONENT_API: &str = "kustomize.config.k8s.io/v1alpha1";

/// What a check found out about an object that has no problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Valid against its type.
    Valid,
    /// The check has no type for its `apiVersion` + `kind`: not checked.
    Untyped,
}

/// Checks one parsed Kubernetes object strictly (see the module docs).
///
/// The input is a generic [`yaml_serde::Value`], as produced by
/// `yaml_serde::from_str::<yaml_serde::Value>`. On failure the message has
/// one line per problem, each starting with `Kind/name: ` (the kind is
/// qualified with its API group when two groups share the kind name, as
/// kubectl does: `Kustomization.kustomize.toolkit.fluxcd.io/cilium-ipam`).
/// The text is for a reader; the gate takes the problems one by one from
/// [`object_problems`], since a name may hold a line break.
pub fn check_object(obj: &Value) -> Result<Verdict, String> {
    match object_problems(obj) {
        Err(e) => Err(e),
        Ok(None) => Ok(Verdict::Untyped),
        Ok(Some((_, problems))) if problems.is_empty() => Ok(Verdict::Valid),
        Ok(Some((label, problems))) => Err(texts(&labelled(&label, &problems))),
    }
}

/// One way an object does not match its type: what kind of mismatch (the
/// gate treats two kinds apart) and its text (`unknown field spec.blockz`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// What kind it is.
    pub kind: MismatchKind,
    /// What is wrong, naming the field.
    pub text: String,
}

/// The kinds of [`Mismatch`], each reported with its own code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MismatchKind {
    /// A required field is not there; a patch may supply it.
    MissingField,
    /// A field the type does not have (a misspelling, or a field of another version).
    UnknownField,
    /// `metadata.namespace` on a cluster-scoped kind: the API server drops it.
    NamespaceOnClusterScoped,
    /// Any other mismatch: a value of the wrong type, or one its schema refuses.
    Other,
}

impl MismatchKind {
    /// The code the gate reports a mismatch of this kind with.
    pub fn code(self) -> Code {
        match self {
            MismatchKind::MissingField => Code::MissingField,
            MismatchKind::UnknownField => Code::UnknownField,
            MismatchKind::NamespaceOnClusterScoped => Code::NamespaceOnClusterScoped,
            MismatchKind::Other => Code::Schema,
        }
    }
}

impl Mismatch {
    /// A required field that is not there.
    pub(crate) fn missing(field: &str) -> Mismatch {
        Mismatch {
            kind: MismatchKind::MissingField,
            text: format!("missing required field {field}"),
        }
    }

    /// A field the type does not have: `path` and what may follow it
    /// (`spec.blockz`, `patches[0].targt, expected one of ...`).
    pub(crate) fn unknown(path_and_rest: &str) -> Mismatch {
        Mismatch {
            kind: MismatchKind::UnknownField,
            text: format!("unknown field {path_and_rest}"),
        }
    }
}

impl From<String> for Mismatch {
    fn from(text: String) -> Mismatch {
        Mismatch {
            kind: MismatchKind::Other,
            text,
        }
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Each of `problems` with its object's label: `Kind/name: problem`.
pub fn labelled(label: &str, problems: &[Mismatch]) -> Vec<Mismatch> {
    let with_label = |p: &Mismatch| Mismatch {
        kind: p.kind,
        text: format!("{label}: {p}"),
    };
    problems.iter().map(with_label).collect()
}

/// The texts of `problems`, one line each: for a reader, not for the gate.
fn texts(problems: &[Mismatch]) -> String {
    let lines: Vec<&str> = problems.iter().map(|p| p.text.as_str()).collect();
    lines.join("\n")
}

/// The problems of one object: `Err` when it is not an object at all,
/// `Ok(None)` when the check has no type for it, else its label (`Kind/name`)
/// and its problems, unlabelled (`missing required field spec.sourceRef`).
pub fn object_problems(obj: &Value) -> Result<Option<(String, Vec<Mismatch>)>, String> {
    let Some(map) = obj.as_mapping() else {
        return Err(format!(
            "not a Kubernetes object (a {}, not a mapping)",
            type_name(obj)
        ));
    };
    let api_version = map.get("apiVersion").and_then(Value::as_str);
    let kind = map.get("kind").and_then(Value::as_str);
    let name = obj
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str);
    let (Some(api_version), Some(kind)) = (api_version, kind) else {
        return Err(format!(
            "{}: apiVersion and kind must both be set to strings",
            name.unwrap_or("<unnamed object>")
        ));
    };
    let Some(spec) = kind_spec(api_version, kind) else {
        return Ok(None);
    };
    Ok(Some((label(spec, name), typed_problems(spec, obj))))
}

/// The problems of a kustomize build file (`kustomization.yaml`, whose
/// `apiVersion` and `kind` kustomize lets one leave out), one message each, labelled.
pub fn build_file_problems(obj: &Value) -> Vec<Mismatch> {
    let kind = obj.get("kind").and_then(Value::as_str);
    let spec = if kind == Some("Component") {
        KindSpec::build_file(COMPONENT_API, "Component")
    } else {
        KindSpec::build_file(KUSTOMIZE_API, "Kustomization")
    };
    labelled(&label(&spec, None), &typed_problems(&spec, obj))
}

fn typed_problems(spec: &KindSpec, obj: &Value) -> Vec<Mismatch> {
    let mut problems: Vec<Mismatch> = Vec::new();
    if spec.scope != Scope::BuildFile {
        match obj.get("metadata").and_then(|m| m.get("name")) {
            Some(Value::String(n)) if !n.is_empty() => {}
            _ => problems.push(
                "metadata.name is missing or not a non-empty string"
                    .to_owned()
                    .into(),
            ),
        }
    }
    if spec.scope == Scope::Cluster
        && let Some(ns) = obj.get("metadata").and_then(|m| m.get("namespace"))
        && !ns.is_null()
    {
        problems.push(Mismatch {
            kind: MismatchKind::NamespaceOnClusterScoped,
            text: format!(
                "metadata.namespace is set ({}) but {} is cluster-scoped",
                show(ns),
                spec.kind
            ),
        });
    }
    match spec.check {
        Check::RoundTrip(round_trip) => match round_trip(obj) {
            Err(e) => problems.push(e),
            Ok(back) => problems.extend(lost_or_changed(obj, &back)),
        },
        Check::Crd(file, index) => match file.schema(index) {
            Err(e) => problems.push(e.into()),
            Ok(schema) => {
                problems.extend(crate::structural::validate(schema, obj));
                problems.extend(metadata_problems(obj));
            }
        },
    }
    problems
}

/// Only an object's `metadata`, typed as Kubernetes' `ObjectMeta`.
#[derive(Serialize, Deserialize)]
struct MetadataOnly {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    metadata: Option<ObjectMeta>,
}

/// A custom resource's `metadata` checked as `ObjectMeta`: its CRD says only
/// "an object", but the API server reads it as one. A `metadata` that is not a
/// mapping is the structural check's to report.
fn metadata_problems(obj: &Value) -> Vec<Mismatch> {
    let Some(meta) = obj.get("metadata").filter(|m| m.is_mapping()) else {
        return Vec::new();
    };
    let mut only = yaml_serde::Mapping::new();
    only.insert(Value::String("metadata".into()), meta.clone());
    let only = Value::Mapping(only);
    match round_trip::<MetadataOnly>(&only) {
        Err(e) => vec![e],
        Ok(back) => lost_or_changed(&only, &back),
    }
}

/// Checks every document of a multi-document YAML text, read as the build reads
/// every file ([`Documents`]); `path` names it in the findings.
///
/// Empty documents (a stray `---`) are skipped, as kubectl does, but a text
/// with no object at all is a finding. Each finding is at the line its
/// document starts on and its message starts with the 1-based document
/// number; a document YAML cannot read keeps the reader's code
/// (`invalid-yaml`), a document that is no object is `not-an-object`, and each
/// mismatch with its type has the code of its [`MismatchKind`].
/// Untyped objects pass unchecked.
pub fn check_yaml(path: &Path, text: &str) -> Result<(), Vec<Error>> {
    let docs = Documents::read(path, text);
    let mut found: Vec<(usize, Error)> = docs.errors.iter().map(|e| numbered(&docs, e)).collect();
    for (line, object) in &docs.objects {
        let n = docs.number(*line);
        let finding =
            |code, m: &str| Error::file(code, path, *line, 1, format!("document {n}: {m}"));
        match object_problems(object) {
            Err(e) => found.push((*line, finding(Code::NotAnObject, &e))),
            Ok(None) => {}
            Ok(Some((label, problems))) => found.extend(
                labelled(&label, &problems)
                    .iter()
                    .map(|m| (*line, finding(m.kind.code(), &m.text))),
            ),
        }
    }
    if docs.objects.is_empty() && found.is_empty() {
        let none = Error::file(
            Code::NotAnObject,
            path,
            1,
            1,
            "no Kubernetes object in the text",
        );
        found.push((1, none));
    }
    found.sort_by_key(|(line, _)| *line);
    let found: Vec<Error> = found.into_iter().map(|(_, e)| e).collect();
    if found.is_empty() { Ok(()) } else { Err(found) }
}

/// A reader's error `e` about `docs`, with its line, its message prefixed with
/// the number of the document it is in.
fn numbered(docs: &Documents, e: &Error) -> (usize, Error) {
    let mut e = e.clone();
    let mut at = 1;
    if let Error::File { line, message, .. } = &mut e {
        at = *line;
        *message = format!("document {}: {message}", docs.number(*line));
    }
    (at, e)
}

// ---------------------------------------------------------------------------
// Typed round trip.

fn round_trip<T: DeserializeOwned + Serialize>(obj: &Value) -> Result<Value, Mismatch> {
    let typed: T = serde_path_to_error::deserialize(obj.clone()).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // `deny_unknown_fields` (kustomize types only): serde_path_to_error's
        // path already ends in the unknown key, so word it like the round
        // trip does: "unknown field patches[0].targt, expected one of ...".
        if let Some(rest) = inner
            .strip_prefix("unknown field `")
            .and_then(|r| r.split_once('`'))
            .map(|(_, rest)| rest)
        {
            Mismatch::unknown(&format!("{path}{rest}"))
        } else if let Some(field) = inner
            .strip_prefix("missing field `")
            .and_then(|r| r.strip_suffix('`'))
        {
            if path == "." {
                Mismatch::missing(field)
            } else {
                Mismatch::missing(&format!("{path}.{field}"))
            }
        } else if path == "." {
            format!("invalid object: {inner}").into()
        } else {
            format!("invalid field {path}: {inner}").into()
        }
    })?;
    yaml_serde::to_value(&typed).map_err(|e| format!("serializing back failed: {e}").into())
}

// ---------------------------------------------------------------------------
// Comparing the original with the round trip.
//
// Normalization, so that only genuinely lost or changed fields are reported:
// * An explicit `null` in the original counts as absent. serde reads `null`
//   into an `Option` as `None`, which the generated types then skip on
//   output; the API server likewise prunes nulls of non-nullable fields.
//   (`creationTimestamp: null` from `kubectl create --dry-run -o yaml` is
//   the common case.)
// * Fields present only in the round trip are ignored: they are defaults the
//   Rust type fills in (e.g. `metadata: {}`), not something the input got
//   wrong. Only the original's fields are walked.
// * Numbers compare by value: a field typed `f64` (kopium's mapping of a
//   CRD `number`) turns `1` into `1.0`. None of the kinds registered today
//   has one, but the next one might.
// * Mapping and list order: mapping keys are matched by name (the generated
//   types emit fields in their own order, maps come back sorted); lists are
//   compared index by index, since order matters in Kubernetes lists.
// Nothing else is normalized: empty mappings/lists survive as they are
// (`serviceSelector: {}` deserializes to `Some(default)` and serializes back
// to `{}`), and strings are never coerced (`"80"` vs `80` is a change, and
// a number where the type wants a string already fails deserialization).

/// The normalized comparison on its own: the problems (one per lost or
/// changed field) between an original value and its typed round trip.
pub fn lost_or_changed(orig: &Value, back: &Value) -> Vec<Mismatch> {
    let mut out = Vec::new();
    diff("", orig, back, &mut out);
    out
}

fn diff(path: &str, orig: &Value, back: &Value, out: &mut Vec<Mismatch>) {
    match (orig, back) {
        (Value::Null, _) => {}
        (Value::Mapping(o), Value::Mapping(b)) => {
            for (k, ov) in o {
                if ov.is_null() {
                    continue;
                }
                let child = join(path, k);
                match b.get(k) {
                    None => out.push(Mismatch::unknown(&child)),
                    Some(bv) => diff(&child, ov, bv, out),
                }
            }
        }
        (Value::Sequence(o), Value::Sequence(b)) => {
            if o.len() != b.len() {
                out.push(
                    format!(
                        "list {} has {} items but {} after the round trip",
                        display_path(path),
                        o.len(),
                        b.len()
                    )
                    .into(),
                );
                return;
            }
            for (i, (ov, bv)) in o.iter().zip(b).enumerate() {
                diff(&format!("{path}[{i}]"), ov, bv, out);
            }
        }
        (Value::Number(a), Value::Number(b)) => {
            let same = a == b
                || matches!((a.as_i64(), b.as_i64()), (Some(x), Some(y)) if x == y)
                || matches!((a.as_u64(), b.as_u64()), (Some(x), Some(y)) if x == y)
                || matches!((a.as_f64(), b.as_f64()), (Some(x), Some(y)) if x == y);
            if !same {
                out.push(changed(path, orig, back).into());
            }
        }
        (a, b) if a == b => {}
        _ => out.push(changed(path, orig, back).into()),
    }
}

fn changed(path: &str, orig: &Value, back: &Value) -> String {
    format!(
        "field {} changed in the round trip: {} became {}",
        display_path(path),
        show(orig),
        show(back)
    )
}

/// `spec` + `blocks` -> `spec.blocks`; keys that are not plain identifiers
/// are bracketed: `metadata.annotations["lbipam.cilium.io/ips"]`.
pub(crate) fn join(path: &str, key: &Value) -> String {
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    match key.as_str() {
        Some(s) if plain(s) && path.is_empty() => s.to_owned(),
        Some(s) if plain(s) => format!("{path}.{s}"),
        Some(s) => format!("{path}[{s:?}]"),
        None => format!("{path}[{}]", show(key)),
    }
}

fn display_path(path: &str) -> &str {
    if path.is_empty() { "(top level)" } else { path }
}

pub(crate) fn show(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        Value::Mapping(_) | Value::Sequence(_) | Value::Tagged(_) => {
            let s = serde_json::to_string(v).unwrap_or_else(|_| format!("{v:?}"));
            if s.len() > 80 {
                format!("{}…", &s[..s.floor_char_boundary(80)])
            } else {
                s
            }
        }
        other => yaml_serde::to_string(other)
            .map(|s| s.trim_end().to_owned())
            .unwrap_or_else(|_| format!("{other:?}")),
    }
}

pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Sequence(_) => "list",
        Value::Mapping(_) => "mapping",
        Value::Tagged(_) => "tagged value",
    }
}

fn group(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

/// `Kind/name`, or `Kind.group/name` when another group has the same kind.
fn label(spec: &KindSpec, name: Option<&str>) -> String {
    let ambiguous = kinds()
        .iter()
        .any(|k| k.kind == spec.kind && group(&k.api_version) != group(&spec.api_version));
    let mut s = spec.kind.clone();
    if ambiguous && !group(&spec.api_version).is_empty() {
        s.push('.');
        s.push_str(group(&spec.api_version));
    }
    if let Some(n) = name {
        s.push('/');
        s.push_str(n);
    }
    s
}

// ---------------------------------------------------------------------------
// kustomize.config.k8s.io/v1beta1 Kustomization (and v1alpha1 Component).
//
// No generated crate exists, so this is a hand-written copy of the fields of
// sigs.k8s.io/kustomize/api/types.Kustomization, strict at the top level as
// kustomize itself is (it decodes with unknown fields disallowed). The fields
// the resolver and this gate read are typed and strict all the way down; the
// rest (`replacements`, `helmCharts`, `vars`, ...) are kept as free-form YAML.
// Deprecated fields (`bases`, `patchesStrategicMerge`, `patchesJson6902`,
// `vars`, `imageTags`) still build in kustomize v5, so they are accepted.

/// A list of strings, as kustomize writes them (`resources`, `crds`, ...).
type Strings = Option<Vec<String>>;
/// A field kept as written.
type FreeForm = Option<Value>;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct KustomizeFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    api_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    metadata: Option<KustomizeMetadata>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    openapi: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resources: Strings,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bases: Strings,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    components: Strings,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    crds: Strings,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name_suffix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    labels: Option<Vec<KustomizeLabels>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    common_labels: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    common_annotations: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    patches: Option<Vec<KustomizePatch>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    patches_strategic_merge: Strings,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    patches_json6902: Option<Vec<KustomizePatch>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    images: Option<Vec<KustomizeImage>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    image_tags: Option<Vec<KustomizeImage>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    replacements: FreeForm,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    replicas: Option<Vec<KustomizeReplicas>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vars: FreeForm,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sort_options: FreeForm,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    config_map_generator: Option<Vec<KustomizeGenerator>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret_generator: Option<Vec<KustomizeGenerator>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    helm_globals: FreeForm,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    helm_charts: FreeForm,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    helm_chart_inflation_generator: FreeForm,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    generator_options: Option<KustomizeGeneratorOptions>,
    /// Transformer configuration files (e.g. which fields name a ConfigMap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    configurations: Strings,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    generators: Strings,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    transformers: Strings,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    validators: Strings,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    inventory: FreeForm,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    build_metadata: Strings,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KustomizeMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    labels: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    annotations: Option<BTreeMap<String, String>>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct KustomizeLabels {
    pairs: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    include_selectors: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    include_templates: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fields: FreeForm,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KustomizePatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    patch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target: Option<KustomizePatchTarget>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    options: Option<KustomizePatchOptions>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct KustomizePatchTarget {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    label_selector: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    annotation_selector: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct KustomizePatchOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    allow_name_change: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    allow_kind_change: Option<bool>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct KustomizeImage {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    new_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    new_tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tag_suffix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    digest: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KustomizeReplicas {
    name: String,
    count: i64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct KustomizeGenerator {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    behavior: Option<KustomizeBehavior>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    files: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    literals: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    envs: Option<Vec<String>>,
    /// Deprecated single `envs` entry, still read by kustomize v5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    env: Option<String>,
    /// Only meaningful for `secretGenerator` (e.g. `kubernetes.io/tls`).
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "type")]
    type_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    options: Option<KustomizeGeneratorOptions>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum KustomizeBehavior {
    Create,
    Replace,
    Merge,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct KustomizeGeneratorOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    labels: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    annotations: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    disable_name_suffix_hash: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    immutable: Option<bool>,
}
