//! kustomize's `target:` selector: which objects a patch (or a Flux patch)
//! applies to. Group, version and kind compare as strings (empty matches any);
//! name and namespace are regular expressions anchored at both ends, matched
//! against the object's original and current names; `labelSelector` and
//! `annotationSelector` use Kubernetes' label-selector syntax.

use regex::Regex;
use yaml_serde::Value;

use super::super::object::Object;

/// A parsed `target:`.
#[derive(Debug)]
pub(crate) struct Selector {
    group: Option<String>,
    version: Option<String>,
    kind: Option<String>,
    name: Option<Regex>,
    namespace: Option<Regex>,
    labels: Vec<Requirement>,
    annotations: Vec<Requirement>,
}

/// One requirement of a label selector.
#[derive(Debug)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    Absent(String),
}

impl Selector {
    /// The selector of a `target:` mapping, or why it cannot be read.
    pub(crate) fn parse(target: &Value) -> Result<Selector, String> {
        if !target.is_mapping() {
            return Err("`target` must be a mapping".to_owned());
        }
        let field = |k: &str| {
            target[k]
                .as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let regex = |k: &str| -> Result<Option<Regex>, String> {
            field(k)
                .map(|r| Regex::new(&format!("^(?:{r})$")).map_err(|e| format!("target.{k}: {e}")))
                .transpose()
        };
        Ok(Selector {
            group: field("group"),
            version: field("version"),
            kind: field("kind"),
            name: regex("name")?,
            namespace: regex("namespace")?,
            labels: requirements(&field("labelSelector").unwrap_or_default())?,
            annotations: requirements(&field("annotationSelector").unwrap_or_default())?,
        })
    }

    /// Whether the selector picks `o`.
    pub(crate) fn matches(&self, o: &Object) -> bool {
        let (group, version) = o.group_version();
        let same = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        let name_ok = self
            .name
            .as_ref()
            .is_none_or(|r| r.is_match(&o.org_name) || r.is_match(o.name()));
        let ns_ok = self.namespace.as_ref().is_none_or(|r| {
            r.is_match(&o.effective_namespace(o.org_namespace.as_deref()))
                || r.is_match(&o.effective_namespace(o.namespace()))
        });
        same(&self.group, group)
            && same(&self.version, version)
            && same(&self.kind, o.kind())
            && name_ok
            && ns_ok
            && holds(&self.labels, &o.value["metadata"]["labels"])
            && holds(&self.annotations, &o.value["metadata"]["annotations"])
    }
}

/// Whether every requirement holds for the map `values`.
fn holds(reqs: &[Requirement], values: &Value) -> bool {
    let get = |k: &str| {
        values[k]
            .as_str()
            .map(str::to_owned)
            .or_else(|| scalar(&values[k]))
    };
    reqs.iter().all(|r| match r {
        Requirement::Equals(k, v) => get(k).as_deref() == Some(v),
        Requirement::NotEquals(k, v) => get(k).as_deref() != Some(v),
        Requirement::In(k, vs) => get(k).is_some_and(|x| vs.contains(&x)),
        Requirement::NotIn(k, vs) => get(k).is_none_or(|x| !vs.contains(&x)),
        Requirement::Exists(k) => get(k).is_some(),
        Requirement::Absent(k) => get(k).is_none(),
    })
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A label selector's requirements: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
/// `a notin (x)`, `a`, `!a`, joined by commas.
fn requirements(text: &str) -> Result<Vec<Requirement>, String> {
    let mut out = Vec::new();
    for part in split_top(text) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        out.push(requirement(part).ok_or_else(|| format!("cannot read selector `{part}`"))?);
    }
    Ok(out)
}

fn requirement(part: &str) -> Option<Requirement> {
    let set = |rest: &str| -> Option<Vec<String>> {
        let inner = rest.trim().strip_prefix('(')?.strip_suffix(')')?;
        Some(inner.split(',').map(|v| v.trim().to_owned()).collect())
    };
    if let Some((k, v)) = part.split_once("!=") {
        return Some(Requirement::NotEquals(k.trim().into(), v.trim().into()));
    }
    if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
        return Some(Requirement::Equals(k.trim().into(), v.trim().into()));
    }
    if let Some((k, rest)) = part.split_once(" notin ") {
        return Some(Requirement::NotIn(k.trim().into(), set(rest)?));
    }
    if let Some((k, rest)) = part.split_once(" in ") {
        return Some(Requirement::In(k.trim().into(), set(rest)?));
    }
    match part.strip_prefix('!') {
        Some(k) => Some(Requirement::Absent(k.trim().into())),
        None if !part.contains(' ') => Some(Requirement::Exists(part.into())),
        None => None,
    }
}

/// `text` split at the commas outside parentheses.
fn split_top(text: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0usize, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}
