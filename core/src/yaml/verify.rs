//! The safety net under every edit: the result must parse again (as YAML 1.2
//! and 1.1) and say everything the original said outside the paths the edit
//! owns; otherwise the edit is reported as our bug and nothing is written.

use yaml_edit::YamlFile;

use super::*;

/// Parses `current`, an edit in progress of `original`: an error in a text the
/// user wrote is theirs; in one we changed, it is ours.
pub(crate) fn reparse(original: &str, current: &str) -> Result<YamlFile, YamlError> {
    if current == original {
        return parse(current);
    }
    ours(original, current, parse_own(current))
}

/// `result`, a reading of `current`, an edit in progress of `original`: an
/// error in a text we changed is ours, reported as such (see [`internal`]).
pub(crate) fn ours<T>(
    original: &str,
    current: &str,
    result: Result<T, YamlError>,
) -> Result<T, YamlError> {
    result.map_err(|e| match current == original {
        true => e,
        false => internal(original, current, e.message),
    })
}

/// An edit that would break the file or change what its user wrote, reported at
/// the first byte we changed, in the user's file: the line we would have written
/// is not theirs to fix.
pub(crate) fn internal(original: &str, out: &str, message: String) -> YamlError {
    let same = original
        .char_indices()
        .zip(out.chars())
        .find(|((_, a), b)| a != b)
        .map_or(original.len().min(out.len()), |((i, _), _)| i);
    let msg = format!(
        "internal error in lbipam-plan, nothing was written: its edit here would {message}; \
         please report this file"
    );
    error_at(original, line_start(original, same), msg)
}

/// Returns `out` if it still parses (as YAML 1.2 and as YAML 1.1) and says
/// everything `original` said outside the `owned` paths (each a key path into
/// any document): an edit that broke the file or changed what its user wrote is
/// our bug, reported as such.
pub(crate) fn finish(
    original: &str,
    out: String,
    owned: &[Vec<String>],
) -> Result<String, YamlError> {
    if out == original {
        return Ok(out);
    }
    parse(&out).map_err(|e| internal(original, &out, format!("break the file: {}", e.message)))?;
    let before = merged_documents(original)?;
    let after = merged_documents(&out)?;
    for (i, old) in before.iter().enumerate() {
        // An inserted document (an upsert) sits anywhere; the others keep their order.
        let new =
            after.get(i + usize::from(after.len() > before.len() && after.get(i) != Some(old)));
        let new = new.unwrap_or(&yaml_serde::Value::Null);
        if let Some(path) = changed(old, new, owned, &mut Vec::new()) {
            let what = format!("change `{path}`, which is not the build's");
            return Err(internal(original, &out, what));
        }
    }
    Ok(out)
}

/// The first path outside `owned` whose value differs between `old` and `new`.
pub(crate) fn changed(
    old: &yaml_serde::Value,
    new: &yaml_serde::Value,
    owned: &[Vec<String>],
    path: &mut Vec<String>,
) -> Option<String> {
    let is_owned = owned.iter().any(|o| o.as_slice() == path.as_slice());
    let leads_to_owned = owned.iter().any(|o| o.starts_with(path));
    if is_owned {
        return None;
    }
    // Nothing (null, `{}`) reads as an empty map: a map we opened on the way to
    // our keys, or one our removals emptied.
    let empty = yaml_serde::Mapping::new();
    let (old_map, new_map) = (as_map(old, &empty), as_map(new, &empty));
    let maps = old_map
        .zip(new_map)
        .filter(|_| leads_to_owned || (untag(old).is_mapping() && untag(new).is_mapping()));
    let Some((o, n)) = maps else {
        return (old != new).then(|| path.join("."));
    };
    for (k, v) in o {
        path.push(k.as_str().map_or_else(|| format!("{k:?}"), str::to_owned));
        let found = changed(v, n.get(k).unwrap_or(&yaml_serde::Value::Null), owned, path);
        path.pop();
        if found.is_some() {
            return found;
        }
    }
    let extra = n.keys().find(|k| {
        let mut p = path.clone();
        p.push(k.as_str().unwrap_or_default().to_owned());
        !o.contains_key(*k) && !owned.iter().any(|o| o.starts_with(&p))
    });
    extra.map(|k| format!("{}.{}", path.join("."), k.as_str().unwrap_or("?")))
}

pub(crate) fn as_map<'a>(
    value: &'a yaml_serde::Value,
    empty: &'a yaml_serde::Mapping,
) -> Option<&'a yaml_serde::Mapping> {
    let v = untag(value);
    v.as_mapping().or_else(|| v.is_null().then_some(empty))
}

pub(crate) fn untag(value: &yaml_serde::Value) -> &yaml_serde::Value {
    match value {
        yaml_serde::Value::Tagged(t) => untag(&t.value),
        v => v,
    }
}
