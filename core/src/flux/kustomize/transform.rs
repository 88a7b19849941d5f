//! kustomize's transformers that change names and metadata: `namespace`,
//! `namePrefix`/`nameSuffix`, `labels`/`commonLabels` and `commonAnnotations`,
//! as `kubectl kustomize` applies them (checked on the fixtures of
//! core/tests/fixtures/kustomize). Name references (a Deployment's ConfigMap
//! volume, a RoleBinding's subjects) are not rewritten: the audits read none.

use yaml_serde::{Mapping, Value};

use super::super::object::Object;

/// `namespace:` on every object whose kind kustomize does not know to be
/// cluster-scoped; a `Namespace` object is renamed to it.
pub(crate) fn namespace(objects: &mut [Object], ns: &str) {
    for o in objects {
        o.set_namespace(ns);
    }
}

/// `namePrefix` and `nameSuffix`, on every kind but `Namespace` and
/// `CustomResourceDefinition`.
pub(crate) fn affix(objects: &mut [Object], prefix: &str, suffix: &str) {
    for o in objects {
        if matches!(o.kind(), "Namespace" | "CustomResourceDefinition") {
            continue;
        }
        let name = format!("{prefix}{}{suffix}", o.name());
        set(o.value_mut(), &["metadata"], "name", &name);
    }
}

/// Workload kinds whose pod template (and selector) labels kustomize sets.
const WORKLOADS: [&str; 5] = [
    "Deployment",
    "ReplicaSet",
    "DaemonSet",
    "StatefulSet",
    "ReplicationController",
];

/// Labels on `metadata.labels`; with `selectors` on selectors and templates
/// too (`commonLabels`, `includeSelectors`), with `templates` on templates.
pub(crate) fn labels(objects: &mut [Object], pairs: &Mapping, selectors: bool, templates: bool) {
    for o in objects {
        let kind = o.kind().to_owned();
        let v = o.value_mut();
        merge(v, &["metadata", "labels"], pairs);
        let workload = WORKLOADS.contains(&kind.as_str());
        if selectors && kind == "Service" {
            merge(v, &["spec", "selector"], pairs);
        }
        if selectors && workload {
            merge(v, &["spec", "selector", "matchLabels"], pairs);
        }
        if (selectors || templates) && (workload || kind == "Job") {
            merge(v, &["spec", "template", "metadata", "labels"], pairs);
        }
        if (selectors || templates) && kind == "CronJob" {
            merge(
                v,
                &[
                    "spec",
                    "jobTemplate",
                    "spec",
                    "template",
                    "metadata",
                    "labels",
                ],
                pairs,
            );
        }
    }
}

/// `commonAnnotations` on `metadata.annotations` and pod templates.
pub(crate) fn annotations(objects: &mut [Object], pairs: &Mapping) {
    for o in objects {
        let kind = o.kind().to_owned();
        let v = o.value_mut();
        merge(v, &["metadata", "annotations"], pairs);
        if WORKLOADS.contains(&kind.as_str()) || kind == "Job" {
            merge(v, &["spec", "template", "metadata", "annotations"], pairs);
        }
        if kind == "CronJob" {
            merge(
                v,
                &[
                    "spec",
                    "jobTemplate",
                    "spec",
                    "template",
                    "metadata",
                    "annotations",
                ],
                pairs,
            );
        }
    }
}

/// The mapping at `path` in `v`, made if missing.
fn map_at<'v>(v: &'v mut Value, path: &[&str]) -> Option<&'v mut Mapping> {
    let mut at = v;
    for key in path {
        let m = at.as_mapping_mut()?;
        at = m
            .entry(Value::from(*key))
            .or_insert_with(|| Value::Mapping(Mapping::new()));
        if at.is_null() {
            *at = Value::Mapping(Mapping::new());
        }
    }
    at.as_mapping_mut()
}

fn merge(v: &mut Value, path: &[&str], pairs: &Mapping) {
    if let Some(m) = map_at(v, path) {
        for (k, val) in pairs {
            m.insert(k.clone(), Value::from(scalar_text(val)));
        }
    }
}

/// `key` set to `value` in the mapping at `path`.
pub(crate) fn set(v: &mut Value, path: &[&str], key: &str, value: &str) {
    if let Some(m) = map_at(v, path) {
        m.insert(Value::from(key), Value::from(value));
    }
}

/// A label or annotation value as the string Kubernetes stores.
fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}
