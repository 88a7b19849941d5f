//! kustomize's two kinds of patch, on one object's value.
//!
//! Strategic merge: maps merge key by key (a `null` deletes the key); a list
//! of a Kubernetes kind that has a patch merge key (`containers` by `name`, a
//! Service's `ports` by `port`, ...) merges element by element — the patch's
//! elements first, in the patch's order, then the rest of the original's, as
//! kustomize orders them — and every other list is replaced; `$patch: delete`
//! removes an element (or, at the top, the object), `$patch: replace` replaces
//! a map. Kinds kustomize has no schema for (custom resources) have no merge
//! keys: their lists are replaced (checked against `kubectl kustomize`).
//!
//! JSON 6902: `add`, `remove`, `replace`, `move`, `copy` and `test` at JSON
//! pointers (`~0`, `~1` escapes, `-` for a list's end).

use yaml_serde::{Mapping, Value};

/// API groups whose kinds kustomize knows (its built-in schema).
const BUILTIN_GROUPS: [&str; 12] = [
    "",
    "apps",
    "batch",
    "networking.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "autoscaling",
    "storage.k8s.io",
    "scheduling.k8s.io",
    "apiextensions.k8s.io",
    "admissionregistration.k8s.io",
    "coordination.k8s.io",
];

/// A list's merge key for a built-in kind, by the list's field name (and, for
/// `ports`, whether it is a Service's).
fn merge_key(field: &str, service: bool) -> Option<&'static str> {
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets"
        | "resourceClaims" => "name",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "hostAliases" => "ip",
        "topologySpreadConstraints" => "topologyKey",
        "ports" if service => "port",
        "ports" => "containerPort",
        _ => return None,
    })
}

/// Whether kustomize knows `group`'s kinds (and so their merge keys).
pub(crate) fn builtin_group(group: &str) -> bool {
    BUILTIN_GROUPS.contains(&group) || group.ends_with(".k8s.io") && !group.contains("x-k8s")
}

/// What a strategic-merge patch makes of an object.
#[derive(Debug, PartialEq)]
pub(crate) enum Merged {
    /// The object, patched.
    Kept(Value),
    /// `$patch: delete` at the top: the object is gone.
    Deleted,
}

/// `patch` merged into `base` by kustomize's strategic-merge rules.
pub(crate) fn strategic_merge(base: &Value, patch: &Value, builtin: bool) -> Merged {
    if directive(patch) == Some("delete") {
        return Merged::Deleted;
    }
    let service = base["kind"].as_str() == Some("Service");
    Merged::Kept(merge_value(base, patch, builtin, service, ""))
}

fn directive(v: &Value) -> Option<&str> {
    v.get("$patch").and_then(Value::as_str)
}

/// `patch` without its `$…` directives, as kustomize writes a new value.
fn clean(patch: &Value) -> Value {
    match patch {
        Value::Mapping(m) => Value::Mapping(
            m.iter()
                .filter(|(k, _)| !k.as_str().is_some_and(|k| k.starts_with('$')))
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), clean(v)))
                .collect(),
        ),
        Value::Sequence(s) => Value::Sequence(
            s.iter()
                .filter(|v| directive(v) != Some("delete"))
                .map(clean)
                .collect(),
        ),
        Value::Tagged(t) => clean(&t.value),
        other => other.clone(),
    }
}

fn merge_value(base: &Value, patch: &Value, builtin: bool, service: bool, field: &str) -> Value {
    match (base, patch) {
        (Value::Mapping(b), Value::Mapping(p)) if directive(patch) != Some("replace") => {
            Value::Mapping(merge_map(b, p, builtin, service))
        }
        (Value::Sequence(b), Value::Sequence(p)) if builtin => match merge_key(field, service) {
            Some(key) if p.iter().all(Value::is_mapping) => merge_list(b, p, key, service),
            _ => clean(patch),
        },
        _ => clean(patch),
    }
}

fn merge_map(base: &Mapping, patch: &Mapping, builtin: bool, service: bool) -> Mapping {
    let mut out = base.clone();
    for (k, v) in patch {
        let Some(key) = k.as_str() else {
            out.insert(k.clone(), clean(v));
            continue;
        };
        if key.starts_with('$') {
            continue;
        }
        if v.is_null() {
            out.remove(k);
            continue;
        }
        let merged = match base.get(k) {
            Some(old) => merge_value(old, v, builtin, service, key),
            None => clean(v),
        };
        out.insert(k.clone(), merged);
    }
    out
}

/// A list merged by `key`: the patch's elements (merged with the original's of
/// the same key) in the patch's order, then the original's others.
fn merge_list(base: &[Value], patch: &[Value], key: &str, service: bool) -> Value {
    let mut out = Vec::new();
    let mut used = vec![false; base.len()];
    for p in patch {
        let at = base
            .iter()
            .position(|b| !b[key].is_null() && b[key] == p[key]);
        if let Some(i) = at {
            used[i] = true;
        }
        match (directive(p), at) {
            (Some("delete"), _) => {}
            (Some("replace"), _) | (_, None) => out.push(clean(p)),
            (_, Some(i)) => out.push(merge_value(&base[i], p, true, service, "")),
        }
    }
    out.extend(
        base.iter()
            .zip(used)
            .filter(|(_, u)| !u)
            .map(|(b, _)| b.clone()),
    );
    Value::Sequence(out)
}

/// The operations of a JSON 6902 patch applied in order, or why one fails.
pub(crate) fn json6902(value: &Value, ops: &[Value]) -> Result<Value, String> {
    let mut doc = value.clone();
    for op in ops {
        let name = op["op"].as_str().ok_or("an operation without `op`")?;
        let path = op["path"]
            .as_str()
            .ok_or_else(|| format!("`{name}` without `path`"))?;
        let from = || {
            op["from"]
                .as_str()
                .ok_or_else(|| format!("`{name}` without `from`"))
        };
        match name {
            "add" => add(&mut doc, path, op["value"].clone())?,
            "remove" => drop(remove(&mut doc, path)?),
            "replace" => {
                remove(&mut doc, path)?;
                add(&mut doc, path, op["value"].clone())?;
            }
            "move" => {
                let v = remove(&mut doc, from()?)?;
                add(&mut doc, path, v)?;
            }
            "copy" => {
                let v = get(&doc, from()?)?.clone();
                add(&mut doc, path, v)?;
            }
            "test" => {
                if *get(&doc, path)? != op["value"] {
                    return Err(format!("test failed at {path}"));
                }
            }
            other => return Err(format!("unknown operation `{other}`")),
        }
    }
    Ok(doc)
}

/// The reference tokens of a JSON pointer.
fn tokens(path: &str) -> Result<Vec<String>, String> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| format!("`{path}` is not a JSON pointer"))?;
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn get<'v>(doc: &'v Value, path: &str) -> Result<&'v Value, String> {
    let mut at = doc;
    for t in tokens(path)? {
        at = match at {
            Value::Mapping(m) => m.get(t.as_str()),
            Value::Sequence(s) => t.parse::<usize>().ok().and_then(|i| s.get(i)),
            _ => None,
        }
        .ok_or_else(|| format!("{path}: no such path"))?;
    }
    Ok(at)
}

/// The parent of `path`'s last token, and that token.
fn parent<'v>(doc: &'v mut Value, path: &str) -> Result<(&'v mut Value, String), String> {
    let mut toks = tokens(path)?;
    let last = toks
        .pop()
        .ok_or_else(|| format!("`{path}`: the whole document"))?;
    let mut at = doc;
    for t in toks {
        at = match at {
            Value::Mapping(m) => m.get_mut(t.as_str()),
            Value::Sequence(s) => t.parse::<usize>().ok().and_then(|i| s.get_mut(i)),
            _ => None,
        }
        .ok_or_else(|| format!("{path}: no such path"))?;
    }
    Ok((at, last))
}

fn add(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    if path.is_empty() {
        *doc = value;
        return Ok(());
    }
    let (at, last) = parent(doc, path)?;
    match at {
        Value::Mapping(m) => {
            m.insert(Value::from(last), value);
        }
        Value::Sequence(s) if last == "-" => s.push(value),
        Value::Sequence(s) => match last.parse::<usize>() {
            Ok(i) if i <= s.len() => s.insert(i, value),
            _ => return Err(format!("{path}: index out of range")),
        },
        _ => return Err(format!("{path}: the parent is not a map or list")),
    }
    Ok(())
}

fn remove(doc: &mut Value, path: &str) -> Result<Value, String> {
    let (at, last) = parent(doc, path)?;
    let gone = match at {
        Value::Mapping(m) => m.remove(last.as_str()),
        Value::Sequence(s) => match last.parse::<usize>() {
            Ok(i) if i < s.len() => Some(s.remove(i)),
            _ => None,
        },
        _ => None,
    };
    gone.ok_or_else(|| format!("{path}: no such path"))
}
