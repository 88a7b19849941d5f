//! Taking over a hand-written file (`[layout] take-over`): the build may write a
//! generated file where one without the header is, only when the objects there
//! are what it renders — the same pools with the same addresses, the same
//! resources — so the rewrite changes how the file is written, never what
//! Cilium hands out.

use std::path::Path;

use yaml_serde::{Mapping, Value};

use crate::audit::isolation::{is_pool, pool_blocks};
use crate::tree::Documents;

/// Why the hand-written `existing` text at `path` may not be replaced by
/// `ours`, or `None` when its objects are ours, compared as Cilium and kustomize
/// read them: pool blocks as blocks (`start: 10.0.0.5` and `stop: "10.0.0.5"` are
/// one range however quoted or ordered in the mapping), `disabled: false` and an
/// absent `serviceSelector` as their defaults, `allowFirstLastIPs` only where a
/// `cidr` block makes it matter, `./` before a kustomization resource as nothing.
pub fn mismatch(path: &Path, existing: &str, ours: &str) -> Option<String> {
    let have = Documents::read(path, existing);
    if let Some(e) = have.errors.first() {
        return Some(format!("it cannot be read as YAML ({e})"));
    }
    let want = Documents::read(path, ours);
    let have: Vec<Value> = have.objects.iter().map(|(_, v)| normal(v)).collect();
    let want: Vec<Value> = want.objects.iter().map(|(_, v)| normal(v)).collect();
    for w in &want {
        match have.iter().find(|h| same_object(h, w)) {
            None => return Some(format!("it has no {}", named(w))),
            Some(h) if h != w => {
                return Some(format!(
                    "its {} is `{}` where plan.toml renders `{}`",
                    named(w),
                    flow(h),
                    flow(w)
                ));
            }
            Some(_) => {}
        }
    }
    have.iter()
        .find(|h| !want.iter().any(|w| same_object(h, w)))
        .map(|h| {
            format!(
                "it also holds {}, which plan.toml does not render",
                named(h)
            )
        })
}

fn same_object(a: &Value, b: &Value) -> bool {
    a["kind"] == b["kind"] && a["metadata"]["name"] == b["metadata"]["name"]
}

fn named(v: &Value) -> String {
    let kind = v["kind"].as_str().unwrap_or("document");
    match v["metadata"]["name"].as_str() {
        Some(name) => format!("{kind} {name}"),
        None => kind.to_owned(),
    }
}

/// One line of YAML, for a message.
fn flow(v: &Value) -> String {
    let text = yaml_serde::to_string(v).unwrap_or_default();
    let line: Vec<&str> = text.lines().map(str::trim).collect();
    line.join(" ").chars().take(400).collect()
}

/// The object as the API reads it, in the terms [`mismatch`] compares.
fn normal(v: &Value) -> Value {
    let mut v = v.clone();
    if is_pool(&v) {
        normal_pool(&mut v);
    } else if v["kind"].as_str() == Some("Kustomization")
        && v["apiVersion"]
            .as_str()
            .is_some_and(|a| a.starts_with("kustomize.config.k8s.io/"))
        && let Some(list) = v.get_mut("resources").and_then(Value::as_sequence_mut)
    {
        for r in list.iter_mut() {
            if let Some(s) = r.as_str() {
                *r = Value::from(s.trim_start_matches("./"));
            }
        }
    }
    v
}

fn normal_pool(v: &mut Value) {
    let blocks = pool_blocks(v);
    let Some(spec) = v.get_mut("spec").and_then(Value::as_mapping_mut) else {
        return;
    };
    if let Ok(blocks) = blocks {
        let cidr = blocks
            .iter()
            .any(|b| matches!(b, crate::net::Block::Cidr(_)));
        let list = blocks.iter().map(|b| Value::from(b.to_string())).collect();
        spec.insert("blocks".into(), Value::Sequence(list));
        if !cidr {
            spec.remove("allowFirstLastIPs");
        }
    }
    if spec.get("disabled").and_then(Value::as_bool) == Some(false) {
        spec.remove("disabled");
    }
    if spec.get("serviceSelector").is_none_or(Value::is_null) {
        spec.insert("serviceSelector".into(), Value::Mapping(Mapping::new()));
    }
}
