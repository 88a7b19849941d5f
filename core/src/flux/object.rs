//! One object of a build: where it is written, how it was reached, and what
//! the model made of it.

use std::path::PathBuf;
use std::sync::Arc;

use yaml_serde::Value;

/// One object a kustomization or Flux Kustomization applies.
#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    /// The file it is written in, relative to the repo root (for a generated
    /// ConfigMap or Secret: the kustomization file generating it).
    pub source: PathBuf,
    /// The line its document starts on.
    pub line: usize,
    /// How it was reached: the Kustomization's name, its `spec.path` and each
    /// `resources:` (or `components:`) entry, as written.
    pub via: Vec<String>,
    /// The object, after kustomize's and Flux's transforms and substitution
    /// (shared with the parse of its file until a transform changes it).
    pub value: Arc<Value>,
    /// Its YAML document as written, which Flux's substitution works on: quotes
    /// written around `"${VAR}"` survive kustomize's build, so they count.
    /// Empty for a generated object.
    pub raw: String,
    /// `metadata.name` as written, which patch targets also match.
    pub org_name: String,
    /// `metadata.namespace` as written.
    pub org_namespace: Option<String>,
    /// Whether a generator made it and its name gets kustomize's content hash.
    pub hashed: bool,
    /// For a generated object: the data keys read from a file (`files:`),
    /// each with the file, relative to the repo root. The cluster applying the
    /// object applies what those files hold.
    pub data_files: Vec<(String, PathBuf)>,
    /// Whether a patch changed it (the schema gate lets a patch supply a
    /// required field the file leaves out).
    pub patched: bool,
    /// Whether a transform other than a namespace changed it since it was
    /// read: Flux's substitution then works on the value, not the document.
    pub transformed: bool,
}

/// Kinds kustomize knows to be cluster-scoped, which its namespace transform
/// leaves alone. Custom resources are not in its schema, so it namespaces them
/// all — a `CiliumLoadBalancerIPPool` included.
pub(crate) const CLUSTER_SCOPED_BUILTINS: [&str; 10] = [
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

impl Object {
    /// An object read from `source` at `line`, as written.
    pub(crate) fn read(
        source: PathBuf,
        line: usize,
        via: Vec<String>,
        value: Arc<Value>,
        raw: String,
    ) -> Object {
        let org_name = value["metadata"]["name"].as_str().unwrap_or("").to_owned();
        let org_namespace = value["metadata"]["namespace"].as_str().map(str::to_owned);
        Object {
            source,
            line,
            via,
            value,
            raw,
            org_name,
            org_namespace,
            hashed: false,
            data_files: Vec::new(),
            patched: false,
            transformed: false,
        }
    }

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

    /// The API group (`""` for the core group) and version of `apiVersion`.
    pub(crate) fn group_version(&self) -> (&str, &str) {
        let api = self.value["apiVersion"].as_str().unwrap_or("");
        api.rsplit_once('/').unwrap_or(("", api))
    }

    /// Whether kustomize knows the kind to be cluster-scoped.
    pub(crate) fn cluster_scoped(&self) -> bool {
        CLUSTER_SCOPED_BUILTINS.contains(&self.kind())
    }

    /// A namespace as kustomize compares it: `default` when unset, nothing for
    /// a kind it knows is cluster-scoped.
    pub(crate) fn effective_namespace(&self, ns: Option<&str>) -> String {
        if self.cluster_scoped() {
            return String::new();
        }
        ns.filter(|n| !n.is_empty()).unwrap_or("default").to_owned()
    }

    /// Whether its document as written sets `metadata.namespace` itself, rather
    /// than a kustomization's `namespace:` or Flux's `targetNamespace` (which set
    /// it on every kind they do not know is cluster-scoped; the API server drops
    /// it from a cluster-scoped one).
    pub fn writes_namespace(&self) -> bool {
        self.org_namespace.is_some()
    }

    /// The object's value, to change (copied from the parse on first change).
    pub(crate) fn value_mut(&mut self) -> &mut Value {
        self.transformed = true;
        Arc::make_mut(&mut self.value)
    }

    /// `metadata.namespace` set, as kustomize's namespace transform and Flux's
    /// `targetNamespace` do (a `Namespace` object is renamed instead).
    pub(crate) fn set_namespace(&mut self, ns: &str) {
        let field = if self.kind() == "Namespace" {
            "name"
        } else {
            "namespace"
        };
        if self.kind() != "Namespace" && self.cluster_scoped() {
            return;
        }
        if let Some(m) = Arc::make_mut(&mut self.value).as_mapping_mut() {
            let meta = m
                .entry(Value::from("metadata"))
                .or_insert_with(|| Value::Mapping(Default::default()));
            if let Some(meta) = meta.as_mapping_mut() {
                meta.insert(Value::from(field), Value::from(ns));
            }
        }
    }
}
