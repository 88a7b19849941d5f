//! kustomize's `configMapGenerator` and `secretGenerator`, and the content hash
//! it appends to a generated name (`<name>-<hash>`), computed as kustomize's
//! `api/hasher` does: SHA-256 of the JSON encoding (keys sorted, HTML
//! characters escaped as Go's encoder does) of `kind`, `name`, `data` (and
//! `binaryData`; for a Secret `type`), its first ten hex digits with
//! `0 1 3 a e` mapped to `g h k m t`. kustomize 5 encodes the name as `""`
//! and leaves `immutable` out (both checked against `kubectl kustomize`: the
//! generators fixture of core/tests/fixtures/kustomize).

use base64::Engine as _;
use sha2::{Digest, Sha256};
use yaml_serde::{Mapping, Value};

/// How a generated object joins objects of the same name (`behavior`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Behavior {
    Create,
    Merge,
    Replace,
}

/// One generated ConfigMap or Secret, before it joins the build.
#[derive(Debug)]
pub(crate) struct Generated {
    pub value: Value,
    pub behavior: Behavior,
    /// Whether its name gets the content hash.
    pub hashed: bool,
    /// The data keys read from a file (`files:`), each with the file as written.
    pub files: Vec<(String, String)>,
}

/// Reads a file a generator names, relative to the kustomization.
pub(crate) type ReadFile<'a> = dyn FnMut(&str) -> Result<String, String> + 'a;

/// The ConfigMaps and Secrets of a kustomization's generators, in kustomize's
/// order (ConfigMaps, then Secrets).
pub(crate) fn generate(k: &Value, read: &mut ReadFile<'_>) -> Result<Vec<Generated>, String> {
    let options = &k["generatorOptions"];
    let mut out = Vec::new();
    for (field, kind) in [
        ("configMapGenerator", "ConfigMap"),
        ("secretGenerator", "Secret"),
    ] {
        for g in k[field].as_sequence().into_iter().flatten() {
            out.push(one(kind, g, options, read).map_err(|e| format!("{field}: {e}"))?);
        }
    }
    Ok(out)
}

fn one(
    kind: &str,
    g: &Value,
    options: &Value,
    read: &mut ReadFile<'_>,
) -> Result<Generated, String> {
    let name = g["name"].as_str().ok_or("an entry without `name`")?;
    let mut data = Mapping::new();
    let mut files = Vec::new();
    for env in strings(&g["envs"]).chain(g["env"].as_str()) {
        for (key, value) in env_file(&read(env)?)? {
            data.insert(key.into(), value.into());
        }
    }
    for lit in strings(&g["literals"]) {
        let (key, value) = lit
            .split_once('=')
            .ok_or_else(|| format!("literal `{lit}` is not KEY=VALUE"))?;
        data.insert(key.into(), unquote(value).into());
    }
    for file in strings(&g["files"]) {
        let (key, path) = file
            .split_once('=')
            .unwrap_or_else(|| (file.rsplit('/').next().unwrap_or(file), file));
        data.insert(key.into(), read(path)?.into());
        files.push((key.to_owned(), path.to_owned()));
    }
    let own = &g["options"];
    let mut meta = Mapping::new();
    meta.insert("name".into(), name.into());
    if let Some(ns) = g["namespace"].as_str() {
        meta.insert("namespace".into(), ns.into());
    }
    for field in ["labels", "annotations"] {
        let mut merged = options[field].as_mapping().cloned().unwrap_or_default();
        merged.extend(own[field].as_mapping().cloned().unwrap_or_default());
        if !merged.is_empty() {
            meta.insert(field.into(), Value::Mapping(merged));
        }
    }
    let mut object = Mapping::new();
    object.insert("apiVersion".into(), "v1".into());
    object.insert("kind".into(), kind.into());
    object.insert("metadata".into(), Value::Mapping(meta));
    if kind == "Secret" {
        let b64 =
            |v: &Value| base64::engine::general_purpose::STANDARD.encode(v.as_str().unwrap_or(""));
        data = data
            .iter()
            .map(|(k, v)| (k.clone(), b64(v).into()))
            .collect();
        object.insert("type".into(), g["type"].as_str().unwrap_or("Opaque").into());
    }
    if !data.is_empty() {
        object.insert("data".into(), Value::Mapping(data));
    }
    let flag = |f: &str| own[f].as_bool().or(options[f].as_bool());
    if let Some(true) = flag("immutable") {
        object.insert("immutable".into(), true.into());
    }
    let behavior = match g["behavior"].as_str().unwrap_or("create") {
        "create" => Behavior::Create,
        "merge" => Behavior::Merge,
        "replace" => Behavior::Replace,
        other => return Err(format!("unknown behavior `{other}`")),
    };
    Ok(Generated {
        value: Value::Mapping(object),
        behavior,
        hashed: flag("disableNameSuffixHash") != Some(true),
        files,
    })
}

fn strings(v: &Value) -> impl Iterator<Item = &str> {
    v.as_sequence()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

/// A literal's value without one pair of surrounding quotes, as kustomize reads it.
fn unquote(v: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    v
}

/// The `KEY=VALUE` lines of an env file (blank lines and `#` comments skipped).
fn env_file(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line.split_once('=').ok_or_else(|| {
            format!("env line `{line}` has no `=` (a value from the environment is not modelled)")
        })?;
        out.push((key.to_owned(), value.to_owned()));
    }
    Ok(out)
}

/// kustomize's content hash of a generated ConfigMap or Secret.
pub(crate) fn hash(object: &Value) -> String {
    let kind = object["kind"].as_str().unwrap_or("");
    let mut fields: Vec<(&str, String)> = vec![
        ("data", json_map(&object["data"])),
        ("kind", json_string(kind)),
        ("name", json_string("")),
    ];
    if kind == "Secret" {
        fields.push(("type", json_string(object["type"].as_str().unwrap_or(""))));
    } else if object["binaryData"]
        .as_mapping()
        .is_some_and(|m| !m.is_empty())
    {
        fields.push(("binaryData", json_map(&object["binaryData"])));
    }
    fields.sort_by(|a, b| a.0.cmp(b.0));
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{v}", json_string(k)))
        .collect();
    let digest = Sha256::digest(format!("{{{}}}", body.join(",")).as_bytes());
    let hex: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    hex.chars()
        .map(|c| match c {
            '0' => 'g',
            '1' => 'h',
            '3' => 'k',
            'a' => 'm',
            'e' => 't',
            c => c,
        })
        .collect()
}

/// A map of strings as Go's `json.Marshal` writes it (keys sorted); `null`
/// for none.
fn json_map(v: &Value) -> String {
    let Some(m) = v.as_mapping() else {
        return "null".to_owned();
    };
    let mut pairs: Vec<(String, String)> = m
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().unwrap_or("").to_owned(),
                v.as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    pairs.sort();
    let body: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}:{}", json_string(k), json_string(v)))
        .collect();
    format!("{{{}}}", body.join(","))
}

/// A string as Go's `json.Marshal` writes it, HTML-escaping included.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
