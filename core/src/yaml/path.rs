//! Nodes found by key path, and the splices that set, add or remove a key
//! while every other byte of the file stays as it was.

use std::ops::Range;

use yaml_edit::{Mapping, MappingEntry, YamlNode};

use super::*;

/// The trailing comment every line an edit writes ends in (`None`: none): how
/// a caller tells the keys it wrote from hand-written ones later.
pub(crate) type Mark = Option<&'static str>;

pub(crate) fn as_mapping(node: &YamlNode) -> Option<Mapping> {
    node.as_mapping()
        .cloned()
        .or_else(|| node.as_tagged()?.as_mapping())
}

pub(crate) fn find_entry(mapping: &Mapping, key: &str) -> Option<MappingEntry> {
    mapping
        .entries()
        .find(|e| scalar_string(e.key_node()).as_deref() == Some(key))
}

/// The value under `key` if `node` is a mapping.
pub(crate) fn child(node: &YamlNode, key: &str) -> Option<YamlNode> {
    find_entry(&as_mapping(node)?, key)?.value_node()
}

pub(crate) fn scalar_string(node: Option<YamlNode>) -> Option<String> {
    match node? {
        YamlNode::Scalar(s) if !s.is_null() => Some(s.as_string()),
        YamlNode::TaggedNode(t) => t.value().filter(|s| !s.is_null()).map(|s| s.as_string()),
        _ => None,
    }
}

/// `{...}` in the text (yaml-edit's `is_flow_style` calls a parsed `{}` block).
pub(crate) fn is_flow(text: &str, mapping: &Mapping) -> bool {
    text[mapping.byte_range().start as usize..].starts_with('{')
}

pub(crate) fn node_range(node: &YamlNode) -> Range<usize> {
    node.byte_range().start as usize..node.byte_range().end as usize
}

pub(crate) fn start(entry: &MappingEntry) -> usize {
    entry.byte_range().start as usize
}

/// Where an entry's value ends (its own range runs on over comments below it).
pub(crate) fn node_end(entry: &MappingEntry) -> usize {
    entry
        .value_node()
        .map_or(entry.byte_range().end as usize, |v| node_range(&v).end)
        .max(start(entry))
}

/// Looking up a path of keys in a YAML value.
pub(crate) trait GetPath {
    fn get_path<S: AsRef<str>>(&self, path: &[S]) -> Option<&yaml_serde::Value>;
}

impl GetPath for yaml_serde::Value {
    fn get_path<S: AsRef<str>>(&self, path: &[S]) -> Option<&yaml_serde::Value> {
        path.iter().try_fold(self, |v, k| v.get(k.as_ref()))
    }
}

/// Every path to a scalar or list in `value` (what a rendered document owns).
pub(crate) fn leaf_paths(
    value: &yaml_serde::Value,
    path: &mut Vec<String>,
    out: &mut Vec<Vec<String>>,
) {
    match value.as_mapping() {
        Some(m) if !m.is_empty() => {
            for (k, v) in m {
                path.push(k.as_str().unwrap_or_default().to_owned());
                leaf_paths(v, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

/// Where [`set_path`] works: the document's top mapping (`None`: no content
/// yet), the same document as YAML 1.1 tools read it with merge keys applied
/// (to see keys a `<<` brings in), and the [`Mark`] written keys carry.
pub(crate) struct Target<'a> {
    pub(crate) root: Option<Mapping>,
    pub(crate) merged: Option<&'a yaml_serde::Value>,
    pub(crate) mark: Mark,
}

/// Sets `path` below the target's root.
pub(crate) fn set_path(
    text: &str,
    target: Target,
    path: &[&str],
    value: &Scalar,
) -> Result<String, YamlError> {
    let nl = line_ending(text);
    let mark = target.mark;
    let Some(mut mapping) = target.root else {
        let block = render_block(path, value, 0, 2, nl, mark);
        return Ok(format!("{text}{}{block}", break_after(text)));
    };
    let unit = indent_unit(text, &mapping);
    let mut merged = target.merged;
    for (depth, key) in path.iter().enumerate() {
        let (here, rest) = (&path[..=depth], &path[depth + 1..]);
        let Some(entry) = find_entry(&mapping, key) else {
            refuse_merged(text, &mapping, merged, here, rest)?;
            return insert_entry(text, &mapping, &path[depth..], value, (unit, mark));
        };
        merged = merged.and_then(|m| m.get(*key));
        let Some(node) = entry.value_node() else {
            return Err(error_at(text, start(&entry), "a key without a value"));
        };
        if rest.is_empty() {
            return replace_scalar(text, &entry, &node, value, here, mark);
        }
        if is_empty_value(text, &node) {
            if is_flow(text, &mapping) {
                let msg = format!("cannot add `{}` inside a flow mapping", path.join("."));
                return Err(error_at(text, node_range(&node).start, msg));
            }
            let indent = column(text, start(&entry)) + unit;
            let block = render_block(rest, value, indent, unit, nl, mark);
            return Ok(open_block(text, node_range(&node), &block));
        }
        mapping = as_mapping(&node).ok_or_else(|| wrong_type(text, &node, here, "a mapping"))?;
    }
    Err(error_at(text, 0, "an empty key path"))
}

/// A key we would add to a mapping that also takes keys from a merge key (`<<`)
/// must not hide a merged map: our `annotations:` would replace the merged
/// `annotations` whole, and its other keys (an external-dns hostname) would
/// silently leave the Service. A merged scalar we set (`type`) is ours to override.
pub(crate) fn refuse_merged(
    text: &str,
    mapping: &Mapping,
    merged: Option<&yaml_serde::Value>,
    here: &[&str],
    rest: &[&str],
) -> Result<(), YamlError> {
    let Some(merge) = find_entry(mapping, "<<") else {
        return Ok(());
    };
    let key = here[here.len() - 1];
    let hidden = merged.and_then(|m| m.get(key));
    if rest.is_empty() || hidden.is_none_or(yaml_serde::Value::is_null) {
        return Ok(());
    }
    let parent = here[..here.len() - 1].join(".");
    let line = position(text, start(&merge)).0;
    let msg = format!(
        "`{}` comes from the merge key `<<` on line {line}; adding `{}` here would \
         replace the whole merged `{key}` and drop its other keys: write `{key}:` out \
         under `{parent}` with the merged entries, then build again",
        here.join("."),
        rest.join("."),
    );
    Err(error_at(text, start(&merge), msg))
}

/// Appends the entries for `rest` after the last entry of `mapping`, with its
/// indentation; `(unit, mark)`: the indentation step and the [`Mark`] lines
/// carry.
pub(crate) fn insert_entry(
    text: &str,
    mapping: &Mapping,
    rest: &[&str],
    value: &Scalar,
    (unit, mark): (usize, Mark),
) -> Result<String, YamlError> {
    let nl = line_ending(text);
    let range = mapping.byte_range().start as usize..mapping.byte_range().end as usize;
    let (Some(first), Some(last)) = (mapping.entries().next(), mapping.entries().last()) else {
        return Ok(open_block(
            text,
            range,
            &render_block(rest, value, 0, unit, nl, mark),
        ));
    };
    if is_flow(text, mapping) {
        let msg = format!("cannot add `{}` to a flow mapping", rest.join("."));
        return Err(error_at(text, range.start, msg));
    }
    let indent = column(text, start(&first));
    let block = render_block(rest, value, indent, unit, nl, mark);
    // Comment lines indented deeper than the entries belong to the last one.
    let mut at = last.byte_range().end as usize;
    while let Some(line) = text[at..].split_inclusive('\n').next() {
        let code = line.trim_start_matches(' ');
        if !code.starts_with('#') || line.len() - code.len() <= indent {
            break;
        }
        at += line.len();
    }
    if at == text.len() && break_changes_meaning(text) {
        // A `|` scalar ends the file without a line break: one after it would
        // join its value, so the new entry goes before the last one instead.
        let at = line_start(text, start(&last));
        return Ok(splice(text, at..at, &block));
    }
    Ok(splice(
        text,
        at..at,
        &format!("{}{block}", break_after(&text[..at])),
    ))
}

/// Replaces a scalar's text; a value already equal is left as written. With
/// a `mark`, the key's line ends in it afterwards.
pub(crate) fn replace_scalar(
    text: &str,
    entry: &MappingEntry,
    node: &YamlNode,
    value: &Scalar,
    path: &[&str],
    mark: Mark,
) -> Result<String, YamlError> {
    let range = node_range(node);
    let rendered = render_value(value);
    let scalar = match node {
        YamlNode::Scalar(s) => s.clone(),
        YamlNode::TaggedNode(t) if t.value().is_some() => {
            let out = splice(text, range.clone(), &rendered);
            return Ok(add_marker(out, range.start + rendered.len(), mark));
        }
        _ => return Err(wrong_type(text, node, path, "a scalar")),
    };
    if range.is_empty() {
        // `key:` and nothing, or a comment: the value goes right after the colon.
        let key_end = entry
            .key_node()
            .map_or(start(entry), |key| node_range(&key).end);
        let colon = text[key_end..]
            .find(':')
            .map_or(range.start, |i| key_end + i + 1);
        let out = splice(text, colon..colon, &format!(" {rendered}"));
        return Ok(add_marker(out, colon + 1 + rendered.len(), mark));
    }
    let equal = match value {
        Scalar::Quoted(v) => (scalar.is_quoted() || scalar.is_block()) && scalar.as_string() == *v,
        Scalar::Plain(v) => scalar.value() == *v,
    };
    if equal {
        let after = if scalar.is_block() {
            range.start
        } else {
            range.end
        };
        return Ok(add_marker(text.to_string(), after, mark));
    }
    anchors_unaliased(text, entry, &path.join("."), "changes", "changed too")?;
    // A block scalar's range holds the line break ending it, which stays.
    let end = range.start + text[range.clone()].trim_end_matches(['\r', '\n']).len();
    let out = splice(text, range.start..end, &rendered);
    Ok(add_marker(out, range.start + rendered.len(), mark))
}

/// `text` with the `mark` comment at the end of the line holding `offset` (the
/// end of a value we own), unless that line's comment already carries it.
pub(crate) fn add_marker(text: String, offset: usize, mark: Mark) -> String {
    let Some(comment) = mark else {
        return text;
    };
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line_end = if text[..line_end].ends_with('\r') {
        line_end - 1
    } else {
        line_end
    };
    if tail_carries(&text[offset..line_end], comment) {
        return text;
    }
    splice(&text, line_end..line_end, &format!(" {comment}"))
}

/// Whether the rest of a line after a value (`  # comment`, or after `:` or a
/// block scalar's `|`) is a comment carrying `comment`.
pub(crate) fn tail_carries(tail: &str, comment: &str) -> bool {
    let code = tail.trim_start_matches([':', ' ', '\t']);
    let code = code.trim_start_matches(|c: char| "|>+-0123456789".contains(c));
    let code = code.trim_start_matches([' ', '\t']);
    code.starts_with('#') && code.contains(comment)
}

/// `path: value` as nested block lines, the first at `indent`, each level `unit`
/// deeper; with a `mark`, every line (the maps we create too) ends in it.
pub(crate) fn render_block(
    path: &[&str],
    value: &Scalar,
    indent: usize,
    unit: usize,
    nl: &str,
    mark: Mark,
) -> String {
    let mut out = String::new();
    let marker = mark.map_or_else(String::new, |m| format!(" {m}"));
    for (depth, key) in path.iter().enumerate() {
        let pad = " ".repeat(indent + depth * unit);
        let value = if depth + 1 == path.len() {
            format!(" {}", render_value(value))
        } else {
            String::new()
        };
        out.push_str(&format!("{pad}{}:{value}{marker}{nl}", render_key(key)));
    }
    out
}

/// The file's indentation step, from its first nested block mapping; 2 if none.
pub(crate) fn indent_unit(text: &str, root: &Mapping) -> usize {
    let nested = root.entries().find_map(|entry| {
        let child = as_mapping(&entry.value_node()?).filter(|m| !is_flow(text, m))?;
        column(text, start(&child.entries().next()?)).checked_sub(column(text, start(&entry)))
    });
    nested.filter(|unit| *unit > 0).unwrap_or(2)
}

/// `{}`, `!!map {}`, `~`, `null`, `!!null` or nothing at all (`key:`): a value
/// we may turn into a block mapping (a `!!map` tag goes with the `{}`).
pub(crate) fn is_empty_value(text: &str, node: &YamlNode) -> bool {
    match node {
        YamlNode::Mapping(m) => is_flow(text, m) && m.is_empty(),
        YamlNode::Scalar(s) => s.is_null() && !s.is_quoted(),
        YamlNode::TaggedNode(t) => {
            let tag = t.tag().unwrap_or_default();
            let empty_map = t
                .as_mapping()
                .is_some_and(|m| is_flow(text, &m) && m.is_empty());
            let null = t.value().is_some_and(|s| s.is_null() && !s.is_quoted());
            (tag == "!!map" && empty_map)
                || (tag == "!!null" && null)
                || (tag == "!!null" && t.value().is_none() && t.as_mapping().is_none())
        }
        _ => false,
    }
}

pub(crate) fn wrong_type(text: &str, node: &YamlNode, path: &[&str], expected: &str) -> YamlError {
    let found = match node {
        YamlNode::Scalar(_) => "a scalar",
        YamlNode::Mapping(_) => "a mapping",
        YamlNode::Sequence(_) => "a list",
        YamlNode::Alias(_) => "an alias",
        YamlNode::TaggedNode(_) => "a tagged value",
    };
    let msg = format!("`{}` is {found}, expected {expected}", path.join("."));
    error_at(text, node_range(node).start, msg)
}

/// `text` without the lines of one block-mapping entry with a scalar value.
pub(crate) fn remove_entry(
    text: &str,
    mapping: &Mapping,
    entry: &MappingEntry,
    shown: &str,
) -> Result<String, YamlError> {
    if is_flow(text, mapping) {
        let msg = format!("cannot remove `{shown}` from a flow mapping");
        return Err(error_at(text, start(entry), msg));
    }
    let from = line_start(text, start(entry));
    anchors_unused(text, entry, shown)?;
    // The entry's own range runs on over comments below it; its value's does not.
    let end = entry
        .value_node()
        .map_or(entry.byte_range().end as usize, |v| node_range(&v).end);
    // A block scalar's range already ends after its last line break.
    let to = if text[..end].ends_with('\n') {
        end
    } else {
        text[end..].find('\n').map_or(text.len(), |i| end + i + 1)
    };
    Ok(splice(text, from..to, ""))
}

/// Refuses to remove an entry whose anchor (`&gw`) an alias (`*gw`) elsewhere
/// uses: the alias would dangle.
pub(crate) fn anchors_unused(
    text: &str,
    entry: &MappingEntry,
    shown: &str,
) -> Result<(), YamlError> {
    anchors_unaliased(text, entry, shown, "no longer writes", "left undefined")
}

/// Refuses to edit an entry whose anchor an alias elsewhere uses: `verb` says
/// what the build does to the entry, `fate` what would happen to the alias.
pub(crate) fn anchors_unaliased(
    text: &str,
    entry: &MappingEntry,
    shown: &str,
    verb: &str,
    fate: &str,
) -> Result<(), YamlError> {
    let key_end = entry
        .key_node()
        .map_or(start(entry), |k| node_range(&k).end);
    let value_end = node_end(entry);
    let head = &text[key_end..value_end.max(key_end)];
    let anchors = head
        .split_whitespace()
        .take_while(|t| !t.starts_with(['"', '\'', '#', '|', '>']))
        .filter_map(|t| t.strip_prefix('&'));
    for anchor in anchors {
        let alias = format!("*{anchor}");
        let used = text.match_indices(&alias).find(|(i, _)| {
            let end = i + alias.len();
            let ends = text[end..]
                .chars()
                .next()
                .is_none_or(|c| c.is_whitespace() || ",]}".contains(c));
            (*i < start(entry) || *i >= value_end) && ends
        });
        if let Some((at, _)) = used {
            let line = position(text, at).0;
            let msg = format!(
                "the build {verb} `{shown}`, but its anchor `&{anchor}` is used by \
                 `{alias}` on line {line}, which would be {fate}: write the value there \
                 instead of `{alias}` (or move the anchor to a key of your own), then build again"
            );
            return Err(error_at(text, start(entry), msg));
        }
    }
    Ok(())
}
