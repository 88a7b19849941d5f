//! In-place edits of hand-written YAML and Markdown files.
//!
//! We own only a few keys or documents in files people also edit by hand, so
//! every edit is a text splice: yaml-edit parses the file losslessly to find
//! nodes and their byte ranges, and we replace or insert text there. Everything
//! else (comments, blank lines, key order, indentation, anchors, flow style,
//! CRLF line endings, `---` markers) stays byte-for-byte the same. New lines
//! copy their siblings' indentation and the file's line ending. We refuse to
//! edit files that do not parse, and parse every result again, so a bug here
//! surfaces as an [`EditError`], never as a broken file.

use std::fmt;
use std::ops::Range;

use yaml_edit::validator::{Severity, Validator};
use yaml_edit::{Mapping, MappingEntry, YamlFile, YamlNode};

/// A problem in a hand-written YAML file, 1-based position, so a user can jump to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for EditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for EditError {}

impl EditError {
    fn new(line: usize, column: usize, message: impl Into<String>) -> Self {
        let message = message.into();
        EditError {
            line,
            column,
            message,
        }
    }
}

/// A scalar value we write: a double-quoted string (IPs, ConfigMap values, which
/// must stay strings) or a plain scalar (e.g. `LoadBalancer`, `true`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scalar {
    Quoted(String),
    Plain(String),
}

/// A LoadBalancer IP request found in a YAML file, for an audit of stray
/// hand-written IPs that would clash with the planned pools.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpRequest {
    pub line: usize,
    pub column: usize,
    pub value: String,
    pub source: &'static str,
}

/// Sets `data.<key>` of the single ConfigMap document in `text` to a double-quoted
/// string for each (key, value): ConfigMap values must be strings.
///
/// An existing value's text alone is replaced (its comment stays); a missing key is
/// appended after the last entry of `data`, a missing `data` at the end of the top
/// mapping. `data` or the value being of another type is an error at that node.
pub fn set_configmap_data(text: &str, entries: &[(&str, &str)]) -> Result<String, EditError> {
    let mut out = text.to_string();
    for (key, value) in entries {
        let file = parse(&out)?;
        let docs = documents(&out, &file);
        let configmaps = docs
            .iter()
            .filter(|d| d.kind.as_deref() == Some("ConfigMap"));
        let Some(doc) = only(&out, configmaps, "ConfigMap")? else {
            return Err(error_at(&out, 0, "no ConfigMap document"));
        };
        out = set_path(
            &out,
            doc.root(),
            &["data", key],
            &Scalar::Quoted((*value).into()),
        )?;
    }
    finish(text, out)
}

/// Deletes `data.<key>` from the single ConfigMap document for each key present —
/// the entry's whole line, trailing comment included; absent keys are ignored.
/// For keys the build owns but no longer writes, e.g. the setting of a pin that
/// was removed from the plan, which would otherwise linger with a stale address.
pub fn remove_configmap_data(text: &str, keys: &[&str]) -> Result<String, EditError> {
    let mut out = text.to_string();
    for key in keys {
        let file = parse(&out)?;
        let docs = documents(&out, &file);
        let configmaps = docs
            .iter()
            .filter(|d| d.kind.as_deref() == Some("ConfigMap"));
        let data = only(&out, configmaps, "ConfigMap")?
            .and_then(DocInfo::root)
            .and_then(|root| find_entry(&root, "data")?.value_node())
            .and_then(|node| as_mapping(&node));
        let Some(data) = data else { continue };
        let Some(entry) = find_entry(&data, key) else {
            continue;
        };
        out = remove_entry(&out, &data, &entry, &format!("data.{key}"))?;
    }
    finish(text, out)
}

/// Deletes the scalar at each nested key path of a Helm values file, if present —
/// the entry's whole line, trailing comment included. For values the build owns
/// but no longer writes: the annotation of a pin removed from the plan, or the
/// other of Cilium's two LB-IPAM annotation keys after `ip-annotation` changed.
pub fn remove_values(text: &str, paths: &[&[&str]]) -> Result<String, EditError> {
    let mut out = text.to_string();
    'paths: for path in paths {
        let Some((last, parents)) = path.split_last() else {
            continue;
        };
        let file = parse(&out)?;
        let docs = documents(&out, &file);
        let doc = only(&out, docs.iter().filter(|d| d.node.is_some()), "document")?;
        let Some(mut mapping) = doc.and_then(DocInfo::root) else {
            continue;
        };
        for key in parents {
            let next = find_entry(&mapping, key)
                .and_then(|e| e.value_node())
                .and_then(|n| as_mapping(&n));
            match next {
                Some(m) => mapping = m,
                None => continue 'paths,
            }
        }
        let Some(entry) = find_entry(&mapping, last) else {
            continue;
        };
        if entry
            .value_node()
            .is_some_and(|v| as_mapping(&v).is_some() || v.as_sequence().is_some())
        {
            let msg = format!("`{}` is not a scalar; not removing it", path.join("."));
            return Err(error_at(&out, start(&entry), msg));
        }
        out = remove_entry(&out, &mapping, &entry, &path.join("."))?;
    }
    finish(text, out)
}

/// `text` without the lines of one block-mapping entry with a scalar value.
fn remove_entry(
    text: &str,
    mapping: &Mapping,
    entry: &MappingEntry,
    shown: &str,
) -> Result<String, EditError> {
    if is_flow(text, mapping) {
        let msg = format!("cannot remove `{shown}` from a flow mapping");
        return Err(error_at(text, start(entry), msg));
    }
    let from = line_start(text, start(entry));
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

/// Sets nested keys of a Helm values file (one document, possibly empty) for each
/// (path, value). Each path segment is one whole key (`io.cilium/lb-ipam-ips`), quoted
/// only if YAML needs it. Missing keys become block mappings indented like the file
/// (2 spaces if it has no nesting yet); `key: {}` or an empty `key:` is opened into
/// a block mapping. An intermediate scalar or list is an error at that node.
pub fn set_values(text: &str, entries: &[(&[&str], Scalar)]) -> Result<String, EditError> {
    for (path, value) in entries {
        let unsafe_plain = matches!(value, Scalar::Plain(v) if !is_safe_plain(v));
        if path.is_empty() || unsafe_plain {
            let msg = format!("cannot write {value:?} at `{}`", path.join("."));
            return Err(EditError::new(1, 1, msg));
        }
    }
    let mut out = text.to_string();
    for (path, value) in entries {
        let file = parse(&out)?;
        let docs = documents(&out, &file);
        let doc = only(&out, docs.iter().filter(|d| d.node.is_some()), "document")?;
        if let Some(doc) = doc
            && doc.root().is_none()
        {
            return Err(error_at(
                &out,
                doc.content.start,
                "the top must be a mapping",
            ));
        }
        out = set_path(&out, doc.and_then(DocInfo::root), path, value)?;
    }
    finish(text, out)
}

/// Creates or replaces one Kubernetes object (`kind`, `metadata.name`) in a
/// multi-document file, leaving all other documents, separators and comments alone.
///
/// Present and different: the document's content (its first to its last key; the
/// comments above and below it stay) becomes the content of `doc`. Present and
/// equal: `text` is returned unchanged. Absent: `doc` is inserted with a `---` after
/// the document `after` (same kind) if present, else after the last document, but
/// before the comment lines right above the next `---`, which belong to the next one.
pub fn upsert_document(
    text: &str,
    kind: &str,
    name: &str,
    doc: &str,
    after: Option<&str>,
) -> Result<String, EditError> {
    let new = NewDocument::parse(doc, kind, name)?;
    let file = parse(text)?;
    let docs = documents(text, &file);
    let nl = line_ending(text);
    let mut found = docs.iter().filter(|d| d.is(kind, name));
    if let Some(existing) = found.next() {
        if let Some(second) = found.next() {
            let first = position(text, existing.content.start).0;
            let msg = format!("duplicate {kind} `{name}` (first at line {first})");
            return Err(error_at(text, second.content.start, msg));
        }
        let old = with_line_ending(&text[existing.content.clone()], "\n");
        if old.trim_end_matches('\n') == new.content.trim_end_matches('\n') {
            return Ok(text.to_string());
        }
        let content = with_line_ending(&new.content, nl);
        return finish(text, splice(text, existing.content.clone(), &content));
    }
    let anchor = after
        .and_then(|a| docs.iter().find(|d| d.is(kind, a)))
        .or_else(|| docs.iter().rev().find(|d| d.node.is_some()));
    let at = anchor.map_or(text.len(), |d| insertion_point(text, d));
    let before = &text[..at];
    let mut insert = break_after(before).to_string();
    let last_line = before.lines().rev().map(str::trim).find(|l| !l.is_empty());
    if !new.has_separator && last_line.is_some_and(|l| l != "---") {
        insert = format!("{insert}---{nl}");
    }
    insert.push_str(&with_line_ending(&new.whole, nl));
    finish(text, splice(text, at..at, &insert))
}

/// Replaces the lines strictly between the marker lines `begin` and `end` of a
/// Markdown file with `body`, so a generated section can live in a hand-written
/// file. Markers match after trimming whitespace. No begin marker: `Ok(None)`, the
/// caller appends a section. A begin without an end, an end without a begin, or a
/// second begin or end is an error.
pub fn replace_marked_section(
    text: &str,
    begin: &str,
    end: &str,
    body: &str,
) -> Result<Option<String>, EditError> {
    let error = |line, message: String| EditError::new(line, 1, message);
    let (mut start, mut stop) = (None::<(usize, usize)>, None);
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        if line.trim() == begin.trim() {
            if let Some((first, _)) = start {
                return Err(error(
                    index + 1,
                    format!("second `{begin}` (first at line {first})"),
                ));
            }
            start = Some((index + 1, offset + line.len()));
        } else if line.trim() == end.trim() {
            if start.is_none() || stop.is_some() {
                return Err(error(index + 1, format!("unexpected `{end}`")));
            }
            stop = Some(offset);
        }
        offset += line.len();
    }
    let (line, start) = match start {
        None => return Ok(None),
        Some(found) => found,
    };
    let stop = stop.ok_or_else(|| error(line, format!("`{begin}` without `{end}`")))?;
    let body = format!("{body}{}", break_after(body));
    Ok(Some(splice(
        text,
        start..stop,
        &with_line_ending(&body, line_ending(text)),
    )))
}

/// Annotation keys through which a Service asks Cilium LB-IPAM for specific IPs
/// (the primary first, then its alias), each with how a request names its source.
pub const IP_ANNOTATIONS: [(&str, &str); 2] = [
    ("lbipam.cilium.io/ips", "annotation lbipam.cilium.io/ips"),
    ("io.cilium/lb-ipam-ips", "annotation io.cilium/lb-ipam-ips"),
];

/// Lists every LoadBalancer IP requested in `text`, in file order and unquoted:
/// LB-IPAM annotations anywhere (one request per comma-separated item),
/// `loadBalancerIP` keys anywhere, and `spec.addresses[].value` of Gateways (except
/// addresses whose `type` is not IPAddress). Empty values are skipped, aliases not
/// followed.
pub fn find_ip_requests(text: &str) -> Result<Vec<IpRequest>, EditError> {
    let file = parse(text)?;
    let text = &Positions::new(text);
    let mut found = Vec::new();
    for doc in documents(text.text, &file) {
        let Some(root) = doc.node else { continue };
        collect_ip_requests(text, &root, &mut found);
        let addresses = child(&root, "spec").and_then(|spec| child(&spec, "addresses"));
        let Some(YamlNode::Sequence(addresses)) =
            addresses.filter(|_| doc.kind.as_deref() == Some("Gateway"))
        else {
            continue;
        };
        for address in addresses.values() {
            let kind = scalar_string(child(&address, "type"));
            if let (Some(YamlNode::Scalar(value)), None | Some("IPAddress")) =
                (child(&address, "value"), kind.as_deref())
            {
                push_requests(text, &value, false, "Gateway spec.addresses", &mut found);
            }
        }
    }
    found.sort_by_key(|r| (r.line, r.column));
    Ok(found)
}

fn collect_ip_requests(text: &Positions<'_>, node: &YamlNode, found: &mut Vec<IpRequest>) {
    if let Some(mapping) = as_mapping(node) {
        for entry in mapping.entries() {
            let Some(value) = entry.value_node() else {
                continue;
            };
            let key = scalar_string(entry.key_node());
            let annotation = IP_ANNOTATIONS
                .iter()
                .find(|(k, _)| key.as_deref() == Some(*k));
            match (&value, annotation) {
                (YamlNode::Scalar(s), Some((_, source))) => {
                    push_requests(text, s, true, source, found)
                }
                (YamlNode::Scalar(s), None) if key.as_deref() == Some("loadBalancerIP") => {
                    push_requests(text, s, false, "loadBalancerIP", found)
                }
                _ => collect_ip_requests(text, &value, found),
            }
        }
    } else if let Some(sequence) = node
        .as_sequence()
        .cloned()
        .or_else(|| node.as_tagged()?.as_sequence())
    {
        sequence
            .values()
            .for_each(|item| collect_ip_requests(text, &item, found));
    }
}

/// Pushes the (comma-separated, if `list`) items of `scalar`, each at its own column
/// when the source spells the value literally (no escapes, no line folding).
fn push_requests(
    text: &Positions<'_>,
    scalar: &yaml_edit::Scalar,
    list: bool,
    source: &'static str,
    found: &mut Vec<IpRequest>,
) {
    if scalar.is_null() {
        return;
    }
    let value = scalar.as_string();
    let start = scalar.byte_range().start as usize;
    let inner = start + usize::from(scalar.is_quoted());
    let literal = text.text.get(inner..inner + value.len()) == Some(value.as_str());
    let items = if list {
        value.split(',').collect()
    } else {
        vec![value.as_str()]
    };
    let mut offset = inner;
    for item in items {
        let lead = item.len() - item.trim_start().len();
        let (line, column) = text.at(if literal { offset + lead } else { start });
        offset += item.len() + 1;
        if !item.trim().is_empty() {
            found.push(IpRequest {
                line,
                column,
                value: item.trim().to_string(),
                source,
            });
        }
    }
}

// ---------------------------------------------------------------------------
// Setting a nested key, one splice at a time

/// Sets `path` below `root` (`None`: the file has no content yet).
fn set_path(
    text: &str,
    root: Option<Mapping>,
    path: &[&str],
    value: &Scalar,
) -> Result<String, EditError> {
    let nl = line_ending(text);
    let Some(mut mapping) = root else {
        let block = render_block(path, value, 0, 2, nl);
        return Ok(format!("{text}{}{block}", break_after(text)));
    };
    let unit = indent_unit(text, &mapping);
    for (depth, key) in path.iter().enumerate() {
        let (here, rest) = (&path[..=depth], &path[depth + 1..]);
        let Some(entry) = find_entry(&mapping, key) else {
            return insert_entry(text, &mapping, &path[depth..], value, unit);
        };
        let Some(node) = entry.value_node() else {
            return Err(error_at(text, start(&entry), "a key without a value"));
        };
        if rest.is_empty() {
            return replace_scalar(text, &entry, &node, value, here);
        }
        if is_empty_value(text, &node) {
            if is_flow(text, &mapping) {
                let msg = format!("cannot add `{}` inside a flow mapping", path.join("."));
                return Err(error_at(text, node_range(&node).start, msg));
            }
            let block = render_block(rest, value, column(text, start(&entry)) + unit, unit, nl);
            return Ok(open_block(text, node_range(&node), &block));
        }
        mapping = as_mapping(&node).ok_or_else(|| wrong_type(text, &node, here, "a mapping"))?;
    }
    Err(error_at(text, 0, "an empty key path"))
}

/// Appends the entries for `rest` after the last entry of `mapping`, with its indentation.
fn insert_entry(
    text: &str,
    mapping: &Mapping,
    rest: &[&str],
    value: &Scalar,
    unit: usize,
) -> Result<String, EditError> {
    let nl = line_ending(text);
    let range = mapping.byte_range().start as usize..mapping.byte_range().end as usize;
    let (Some(first), Some(last)) = (mapping.entries().next(), mapping.entries().last()) else {
        return Ok(open_block(
            text,
            range,
            &render_block(rest, value, 0, unit, nl),
        ));
    };
    if is_flow(text, mapping) {
        let msg = format!("cannot add `{}` to a flow mapping", rest.join("."));
        return Err(error_at(text, range.start, msg));
    }
    let indent = column(text, start(&first));
    // Comment lines indented deeper than the entries belong to the last one.
    let mut at = last.byte_range().end as usize;
    while let Some(line) = text[at..].split_inclusive('\n').next() {
        let code = line.trim_start_matches(' ');
        if !code.starts_with('#') || line.len() - code.len() <= indent {
            break;
        }
        at += line.len();
    }
    let block = render_block(rest, value, indent, unit, nl);
    Ok(splice(
        text,
        at..at,
        &format!("{}{block}", break_after(&text[..at])),
    ))
}

/// Replaces the empty value at `range` (`{}` or nothing) by `block`, below its line:
/// the `{}` goes, the rest of the line (a comment) stays.
fn open_block(text: &str, range: Range<usize>, block: &str) -> String {
    let cut = text[..range.start].trim_end_matches(' ').len();
    let line_end = text[range.end..]
        .find('\n')
        .map_or(text.len(), |i| range.end + i + 1);
    let mut tail = text[range.end..line_end].to_string();
    if !tail.ends_with('\n') {
        tail.push_str(line_ending(text));
    }
    if (cut == 0 || text[..cut].ends_with('\n')) && tail.trim().is_empty() {
        tail.clear(); // the `{}` was alone on its line: the block takes the line
    }
    splice(text, cut..line_end, &format!("{tail}{block}"))
}

/// Replaces a scalar's text; a value already equal is left as written.
fn replace_scalar(
    text: &str,
    entry: &MappingEntry,
    node: &YamlNode,
    value: &Scalar,
    path: &[&str],
) -> Result<String, EditError> {
    let range = node_range(node);
    let rendered = render_value(value);
    let scalar = match node {
        YamlNode::Scalar(s) => s,
        YamlNode::TaggedNode(t) if t.value().is_some() => {
            return Ok(splice(text, range, &rendered));
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
        return Ok(splice(text, colon..colon, &format!(" {rendered}")));
    }
    let equal = match value {
        Scalar::Quoted(v) => (scalar.is_quoted() || scalar.is_block()) && scalar.as_string() == *v,
        Scalar::Plain(v) => scalar.value() == *v,
    };
    if equal {
        return Ok(text.to_string());
    }
    // A block scalar's range holds the line break ending it, which stays.
    let end = range.start + text[range.clone()].trim_end_matches(['\r', '\n']).len();
    Ok(splice(text, range.start..end, &rendered))
}

/// `path: value` as nested block lines, the first at `indent`, each level `unit` deeper.
fn render_block(path: &[&str], value: &Scalar, indent: usize, unit: usize, nl: &str) -> String {
    let mut out = String::new();
    for (depth, key) in path.iter().enumerate() {
        let pad = " ".repeat(indent + depth * unit);
        let value = if depth + 1 == path.len() {
            format!(" {}", render_value(value))
        } else {
            String::new()
        };
        out.push_str(&format!("{pad}{}:{value}{nl}", render_key(key)));
    }
    out
}

fn render_value(value: &Scalar) -> String {
    match value {
        Scalar::Quoted(v) => double_quote(v),
        Scalar::Plain(v) => v.clone(),
    }
}

/// A key as a plain scalar if that reads back as the same string, else quoted.
fn render_key(key: &str) -> String {
    let typed = ["true", "false", "null", "yes", "no", "on", "off", "y", "n"];
    let starts_ok = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '/');
    let chars_ok = key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c));
    if starts_ok && chars_ok && !typed.contains(&key.to_ascii_lowercase().as_str()) {
        key.to_string()
    } else {
        double_quote(key)
    }
}

/// Whether `v` reads back as itself when written plain, in block or flow context.
fn is_safe_plain(v: &str) -> bool {
    let first_ok = v.starts_with(|c: char| !"-?:,[]{}#&*!|>'\"%@`".contains(c))
        || (v.len() > 1 && v.starts_with('-') && !v[1..].starts_with(' '));
    first_ok
        && v.trim() == v
        && !v.contains(": ")
        && !v.contains(" #")
        && !v.ends_with(':')
        && !v.contains(|c: char| c.is_control() || ",[]{}".contains(c))
}

/// A YAML double-quoted string: escapes `"`, `\` and every character YAML does not
/// allow printed (controls, U+FFFE, U+FFFF) or that readers take for a line break.
fn double_quote(v: &str) -> String {
    let mut out = String::from('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control()
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                ) =>
            {
                out.push_str(&format!("\\u{:04X}", u32::from(c)))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The file's indentation step, from its first nested block mapping; 2 if none.
fn indent_unit(text: &str, root: &Mapping) -> usize {
    let nested = root.entries().find_map(|entry| {
        let child = as_mapping(&entry.value_node()?).filter(|m| !is_flow(text, m))?;
        column(text, start(&child.entries().next()?)).checked_sub(column(text, start(&entry)))
    });
    nested.filter(|unit| *unit > 0).unwrap_or(2)
}

/// `{}` or nothing at all (`key:`): a value we may turn into a block mapping.
fn is_empty_value(text: &str, node: &YamlNode) -> bool {
    match node {
        YamlNode::Mapping(m) => is_flow(text, m) && m.is_empty(),
        YamlNode::Scalar(s) => s.is_null() && node_range(node).is_empty(),
        _ => false,
    }
}

fn wrong_type(text: &str, node: &YamlNode, path: &[&str], expected: &str) -> EditError {
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

// ---------------------------------------------------------------------------
// Documents

/// What we need to know about one document of a (multi-document) file.
struct DocInfo {
    /// The whole document, from its `---` (if any) to the next one.
    range: Range<usize>,
    /// From the line of its first key to the end of its last entry: what an upsert
    /// replaces. Comments above and below it are not part of it.
    content: Range<usize>,
    /// The top node, unless the document is empty.
    node: Option<YamlNode>,
    kind: Option<String>,
    name: Option<String>,
}

/// The one document `docs` yields, if any; a second one is an error at it.
fn only<'d>(
    text: &str,
    mut docs: impl Iterator<Item = &'d DocInfo>,
    what: &str,
) -> Result<Option<&'d DocInfo>, EditError> {
    let first = docs.next();
    match docs.next() {
        Some(second) => Err(error_at(
            text,
            second.content.start,
            format!("a second {what}"),
        )),
        None => Ok(first),
    }
}

impl DocInfo {
    /// The top mapping, if the top node is one.
    fn root(&self) -> Option<Mapping> {
        self.node.as_ref()?.as_mapping().cloned()
    }

    fn is(&self, kind: &str, name: &str) -> bool {
        self.kind.as_deref() == Some(kind) && self.name.as_deref() == Some(name)
    }
}

fn documents(text: &str, file: &YamlFile) -> Vec<DocInfo> {
    let info = |doc: yaml_edit::Document| {
        let range = doc.byte_range().start as usize..doc.byte_range().end as usize;
        let root = doc.as_mapping();
        let scalar = || {
            doc.as_scalar()
                .filter(|s| !s.byte_range().is_empty())
                .map(YamlNode::Scalar)
        };
        let node = root.clone().map(YamlNode::Mapping);
        let node = node
            .or_else(|| doc.as_sequence().map(YamlNode::Sequence))
            .or_else(scalar);
        let content = node.as_ref().map_or(range.end..range.end, |node| {
            let node_range = node_range(node);
            let line = line_start(text, node_range.start);
            let begin = if text[line..node_range.start].trim().is_empty() {
                line
            } else {
                node_range.start
            };
            let last = root
                .as_ref()
                .filter(|m| !is_flow(text, m))
                .and_then(|m| m.entries().last());
            begin..last.map_or(node_range.end, |e| e.byte_range().end as usize)
        });
        let kind = node.as_ref().and_then(|n| scalar_string(child(n, "kind")));
        let metadata = node.as_ref().and_then(|n| child(n, "metadata"));
        let name = metadata.and_then(|m| scalar_string(child(&m, "name")));
        DocInfo {
            range,
            content,
            node,
            kind,
            name,
        }
    };
    file.documents().map(info).collect()
}

/// Where a document goes after `doc`: at its end, but before the comment lines
/// right above the next `---`, which describe the next document.
fn insertion_point(text: &str, doc: &DocInfo) -> usize {
    let mut at = doc.range.end;
    if text[at..].trim().is_empty() {
        return at;
    }
    while at > doc.content.end {
        let previous = line_start(text, at - 1);
        if previous < doc.content.end || !text[previous..at].trim_start().starts_with('#') {
            break;
        }
        at = previous;
    }
    at
}

/// The document given to [`upsert_document`], checked, with `\n` line endings.
struct NewDocument {
    whole: String,
    content: String,
    has_separator: bool,
}

impl NewDocument {
    fn parse(doc: &str, kind: &str, name: &str) -> Result<Self, EditError> {
        let context = |e: EditError| EditError {
            message: format!("in the new {kind} `{name}`: {}", e.message),
            ..e
        };
        let file = parse(doc).map_err(context)?;
        let docs = documents(doc, &file);
        let found =
            only(doc, docs.iter().filter(|d| d.node.is_some()), "document").map_err(context)?;
        let Some(found) = found.filter(|d| d.is(kind, name)) else {
            return Err(context(error_at(
                doc,
                0,
                "expected exactly this one object",
            )));
        };
        let content = with_line_ending(&doc[found.content.clone()], "\n");
        let whole = with_line_ending(&format!("{doc}{}", break_after(doc)), "\n");
        let first_line = whole.lines().next().unwrap_or_default().trim_end();
        let has_separator = first_line == "---" || first_line.starts_with("--- ");
        Ok(NewDocument {
            whole,
            content,
            has_separator,
        })
    }
}

// ---------------------------------------------------------------------------
// Parsing and text helpers

/// Parses `text`, refusing files yaml-edit reports as broken or that break YAML 1.2
/// rules its parser lets through (bad indentation, tabs, duplicate keys, ...).
fn parse(text: &str) -> Result<YamlFile, EditError> {
    let parsed = YamlFile::parse(text);
    if let Some(e) = parsed.positioned_errors().first() {
        let at = e.start_position(text);
        return Err(EditError::new(at.line, at.column, e.message.clone()));
    }
    let file = parsed.tree();
    for doc in file.documents() {
        let violations = Validator::new().validate(&doc);
        if let Some(v) = violations
            .into_iter()
            .find(|v| v.severity == Severity::Error)
        {
            let offset = v.text_range.map_or(doc.byte_range().start, |r| r.start);
            return Err(error_at(text, offset as usize, v.message));
        }
    }
    Ok(file)
}

/// Returns `out` if it still parses: an edit that broke the file is our bug.
fn finish(original: &str, out: String) -> Result<String, EditError> {
    if out != original {
        let broken = |e: EditError| EditError {
            message: format!("internal error, the edit broke the file: {}", e.message),
            ..e
        };
        parse(&out).map_err(broken)?;
    }
    Ok(out)
}

fn as_mapping(node: &YamlNode) -> Option<Mapping> {
    node.as_mapping()
        .cloned()
        .or_else(|| node.as_tagged()?.as_mapping())
}

fn find_entry(mapping: &Mapping, key: &str) -> Option<MappingEntry> {
    mapping
        .entries()
        .find(|e| scalar_string(e.key_node()).as_deref() == Some(key))
}

/// The value under `key` if `node` is a mapping.
fn child(node: &YamlNode, key: &str) -> Option<YamlNode> {
    find_entry(&as_mapping(node)?, key)?.value_node()
}

fn scalar_string(node: Option<YamlNode>) -> Option<String> {
    match node? {
        YamlNode::Scalar(s) if !s.is_null() => Some(s.as_string()),
        YamlNode::TaggedNode(t) => t.value().filter(|s| !s.is_null()).map(|s| s.as_string()),
        _ => None,
    }
}

/// `{...}` in the text (yaml-edit's `is_flow_style` calls a parsed `{}` block).
fn is_flow(text: &str, mapping: &Mapping) -> bool {
    text[mapping.byte_range().start as usize..].starts_with('{')
}

fn node_range(node: &YamlNode) -> Range<usize> {
    node.byte_range().start as usize..node.byte_range().end as usize
}

fn start(entry: &MappingEntry) -> usize {
    entry.byte_range().start as usize
}

fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

/// 0-based, in characters; a byte order mark takes no column.
fn column(text: &str, offset: usize) -> usize {
    let line = &text[line_start(text, offset)..offset];
    line.chars().filter(|c| *c != '\u{feff}').count()
}

fn position(text: &str, offset: usize) -> (usize, usize) {
    let at = yaml_edit::byte_offset_to_line_column(text, offset);
    (at.line, at.column)
}

/// Line and column of many offsets of one text, as [`position`] gives them
/// (YAML line breaks `\n`, `\r`, `\r\n`; columns in characters; a byte order
/// mark starting a line takes none), in O(log n) each: `position` indexes the
/// whole text again on every call, quadratic over a file of many requests.
struct Positions<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
    /// Offsets of the bytes that continue a multi-byte character.
    continuations: Vec<usize>,
}

impl<'a> Positions<'a> {
    fn new(text: &'a str) -> Positions<'a> {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        let mut continuations = Vec::new();
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
                line_starts.push(i + 1);
            } else if b & 0xc0 == 0x80 {
                continuations.push(i);
            }
        }
        Positions {
            text,
            line_starts,
            continuations,
        }
    }

    /// 1-based line and column of `offset`.
    fn at(&self, offset: usize) -> (usize, usize) {
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let offset = offset.clamp(start, self.text.len());
        let continuations = self.continuations.partition_point(|&i| i < offset)
            - self.continuations.partition_point(|&i| i < start);
        let chars = offset - start - continuations;
        let line_text = &self.text[start..];
        let boms = (line_text.len() - line_text.trim_start_matches('\u{feff}').len()) / 3;
        (line + 1, chars - chars.min(boms) + 1)
    }
}

fn error_at(text: &str, offset: usize, message: impl Into<String>) -> EditError {
    let (line, column) = position(text, offset);
    EditError::new(line, column, message)
}

/// The file's line ending: CRLF if it has any, so inserted lines match.
fn line_ending(text: &str) -> &'static str {
    if text.contains("\r\n") { "\r\n" } else { "\n" }
}

/// `text` with `nl` line endings.
fn with_line_ending(text: &str, nl: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', nl)
}

/// The line break needed before a new line can follow `before`.
fn break_after(before: &str) -> &'static str {
    match before.chars().last() {
        None | Some('\n') => "",
        Some(_) => line_ending(before),
    }
}

fn splice(text: &str, range: Range<usize>, with: &str) -> String {
    format!("{}{with}{}", &text[..range.start], &text[range.end..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use yaml_serde::Value;

    #[test]
    fn positions_from_one_index_equal_yaml_edits_own_at_every_offset() {
        let text = "\u{feff}a: é\r\nb: \"x\"\rc: ü\n\u{feff}d: 1\n\nz";
        let index = Positions::new(text);
        for offset in 0..=text.len() + 2 {
            let want = yaml_edit::byte_offset_to_line_column(text, offset);
            assert_eq!(
                index.at(offset),
                (want.line, want.column),
                "offset {offset}"
            );
        }
    }

    /// Checks `text` with yaml-edit (and its validator) and an independent parser,
    /// returning the documents as the independent parser reads them.
    fn valid(text: &str) -> Vec<Value> {
        if let Err(e) = parse(text) {
            panic!("yaml-edit rejects the output: {e}\n{text}");
        }
        yaml_serde::Deserializer::from_str(text)
            .map(|doc| Value::deserialize(doc).unwrap_or_else(|e| panic!("{e}\n{text}")))
            .collect()
    }

    /// Non-empty documents (a trailing `---` starts an empty one).
    fn objects(text: &str) -> usize {
        valid(text).iter().filter(|d| !d.is_null()).count()
    }

    fn crlf(text: &str) -> String {
        text.replace('\n', "\r\n")
    }

    fn error_position<T: fmt::Debug>(result: Result<T, EditError>) -> (usize, usize) {
        let e = result.unwrap_err();
        (e.line, e.column)
    }

    fn plain(s: &str) -> Scalar {
        Scalar::Plain(s.into())
    }

    fn quoted(s: &str) -> Scalar {
        Scalar::Quoted(s.into())
    }

    const SETTINGS: &str = r#"# Cluster-wide settings substituted by Flux postBuild.
apiVersion: v1
kind: ConfigMap
metadata:
    name: cluster-settings
    namespace: flux-system
data:
    # Hand-written, not ours:
    CLUSTER_NAME: home
    TIMEZONE: "Europe/Berlin"   # keep

    LB_POOL_START: '10.0.10.1'  # managed by lbipam-plan
    MOTD: |
        Welcome
        home
    # OLD_KEY: "x"
"#;

    const SETTINGS_EDITED: &str = r#"# Cluster-wide settings substituted by Flux postBuild.
apiVersion: v1
kind: ConfigMap
metadata:
    name: cluster-settings
    namespace: flux-system
data:
    # Hand-written, not ours:
    CLUSTER_NAME: home
    TIMEZONE: "Europe/Berlin"   # keep

    LB_POOL_START: "10.0.20.1"  # managed by lbipam-plan
    MOTD: |
        Welcome
        home
    LB_POOL_STOP: "10.0.20.50"
    # OLD_KEY: "x"
"#;

    const POOL: [(&str, &str); 3] = [
        ("LB_POOL_START", "10.0.20.1"),
        ("LB_POOL_STOP", "10.0.20.50"),
        ("TIMEZONE", "Europe/Berlin"),
    ];

    #[test]
    fn configmap_replaces_and_inserts_keeping_everything_else() {
        let out = set_configmap_data(SETTINGS, &POOL).unwrap();
        assert_eq!(out, SETTINGS_EDITED);
        assert_eq!(
            valid(&out)[0]["data"]["LB_POOL_STOP"],
            Value::from("10.0.20.50")
        );
        assert_eq!(
            set_configmap_data(&crlf(SETTINGS), &POOL).unwrap(),
            crlf(SETTINGS_EDITED)
        );
        // `key:` with no value yet, maybe a comment.
        let empty = "kind: ConfigMap\ndata:\n  A:   # todo\n  B:\n";
        let out = set_configmap_data(empty, &[("A", "1"), ("B", "2")]).unwrap();
        assert_eq!(
            out,
            "kind: ConfigMap\ndata:\n  A: \"1\"   # todo\n  B: \"2\"\n"
        );
    }

    #[test]
    fn configmap_already_set_is_a_no_op() {
        assert_eq!(
            set_configmap_data(SETTINGS_EDITED, &POOL).unwrap(),
            SETTINGS_EDITED
        );
        // Semantically equal but single-quoted: left as the user wrote it.
        let same = [("LB_POOL_START", "10.0.10.1")];
        assert_eq!(set_configmap_data(SETTINGS, &same).unwrap(), SETTINGS);
        // A plain 8080 is an integer, not the string a ConfigMap needs: quoted.
        let port = set_configmap_data(
            "kind: ConfigMap\ndata:\n  PORT: 8080 # x\n",
            &[("PORT", "8080")],
        );
        assert_eq!(
            port.unwrap(),
            "kind: ConfigMap\ndata:\n  PORT: \"8080\" # x\n"
        );
    }

    const MULTI: &str = r#"---
# Settings for the lab cluster
apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-settings
  labels: &labels {app.kubernetes.io/part-of: infra, tier: base}
  annotations:
    copied: *labels
immutable: false
---
apiVersion: v1
kind: Namespace
metadata:
  name: infra
---
"#;

    #[test]
    fn configmap_without_data_gets_a_block_at_the_end_of_its_document() {
        let out = set_configmap_data(MULTI, &[("LB_POOL_START", "10.0.20.1"), ("Z", "2")]);
        let data = "data:\n  LB_POOL_START: \"10.0.20.1\"\n  Z: \"2\"\n";
        let expected = MULTI.replace("immutable: false\n", &format!("immutable: false\n{data}"));
        assert_eq!(out.unwrap(), expected);
        assert_eq!(objects(&expected), 2);
        let text = "kind: ConfigMap\r\nmetadata:\r\n  name: s\r\n";
        let out = set_configmap_data(text, &[("A", "1")]).unwrap();
        assert_eq!(out, format!("{text}data:\r\n  A: \"1\"\r\n"));
    }

    #[test]
    fn configmap_values_are_escaped() {
        let tricky = "say \"hi\"\nC:\\temp\tbell\u{7}";
        let out = set_configmap_data(SETTINGS, &[("MOTD", tricky)]).unwrap();
        let line = "    MOTD: \"say \\\"hi\\\"\\nC:\\\\temp\\tbell\\u0007\"\n";
        assert!(out.contains(&format!("{line}    # OLD_KEY")), "{out}");
        assert_eq!(valid(&out)[0]["data"]["MOTD"], Value::from(tricky));
        assert_eq!(set_configmap_data(&out, &[("MOTD", tricky)]).unwrap(), out);
    }

    #[test]
    fn configmap_errors_point_at_the_offending_node() {
        let list = "kind: ConfigMap\ndata:\n  LB_POOL_START:\n    - 10.0.0.1\n";
        let e = set_configmap_data(list, &[("LB_POOL_START", "x")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "4:5: `data.LB_POOL_START` is a list, expected a scalar"
        );
        let e = set_configmap_data("kind: ConfigMap\ndata: none\n", &[("A", "1")]).unwrap_err();
        assert_eq!(e.to_string(), "2:7: `data` is a scalar, expected a mapping");
        assert!(set_configmap_data("kind: Secret\n", &[("A", "1")]).is_err());
        let two = "kind: ConfigMap\n---\nkind: ConfigMap\n";
        assert_eq!(
            error_position(set_configmap_data(two, &[("A", "1")])),
            (3, 1)
        );
    }

    #[test]
    fn malformed_files_are_refused() {
        let unclosed = "kind: ConfigMap\ndata: {A: \"1\"\n";
        assert!(set_configmap_data(unclosed, &[("A", "2")]).is_err());
        let indent = "kind: ConfigMap\ndata:\n  A: \"1\"\n B: \"2\"\n";
        assert_eq!(
            error_position(set_configmap_data(indent, &[("A", "2")])),
            (4, 1)
        );
        assert_eq!(error_position(find_ip_requests("a:\n\tb: 1\n")), (2, 1));
        let doc = "kind: X\nmetadata: {name: y}\n";
        assert!(upsert_document("a: [1\n", "X", "y", doc, None).is_err());
    }

    #[test]
    fn removing_configmap_keys_drops_their_lines_and_keeps_the_rest() {
        let text = "kind: ConfigMap\r\ndata:\r\n  KEEP: \"1\" # mine\r\n  GONE: \"10.0.0.1\" # managed\r\n  # trailing note\r\n  LAST: x\r\n";
        let out = remove_configmap_data(text, &["GONE", "ABSENT"]).expect("edit");
        assert_eq!(
            out,
            "kind: ConfigMap\r\ndata:\r\n  KEEP: \"1\" # mine\r\n  # trailing note\r\n  LAST: x\r\n"
        );
        assert_eq!(remove_configmap_data(&out, &["GONE"]).expect("no-op"), out);
        let block = "kind: ConfigMap\ndata:\n  GONE: >-\n    10.25.11.100\n  KEEP: \"keep-me\"\n  K2: |\n    x\n\n  NEXT: \"keep\"\n";
        assert_eq!(
            remove_configmap_data(block, &["GONE", "K2"]).expect("edit"),
            // The blank line after `x` is part of the literal block, so it goes too.
            "kind: ConfigMap\ndata:\n  KEEP: \"keep-me\"\n  NEXT: \"keep\"\n"
        );
        let flow = "kind: ConfigMap\ndata: {GONE: \"1\", KEEP: \"2\"}\n";
        assert!(remove_configmap_data(flow, &["GONE"]).is_err());
    }

    #[test]
    fn removing_a_helm_value_drops_its_line_only() {
        let text = "# values\nclustermesh:\n  apiserver:\n    service:\n      type: LoadBalancer # keep\n      annotations:\n        lbipam.cilium.io/ips: \"10.25.11.100\" # old key\n        io.cilium/lb-ipam-ips: \"10.25.11.105\"\n";
        let old: &[&str] = &[
            "clustermesh",
            "apiserver",
            "service",
            "annotations",
            "lbipam.cilium.io/ips",
        ];
        let absent: &[&str] = &["hubble", "ui", "service", "annotations", "x"];
        assert_eq!(
            remove_values(text, &[old, absent]).expect("edit"),
            "# values\nclustermesh:\n  apiserver:\n    service:\n      type: LoadBalancer # keep\n      annotations:\n        io.cilium/lb-ipam-ips: \"10.25.11.105\"\n"
        );
        let mapping: &[&str] = &["clustermesh", "apiserver"];
        assert!(
            remove_values(text, &[mapping]).is_err(),
            "only scalars are removed"
        );
    }

    const CILIUM: &str = r#"# Cilium Helm values for the home cluster.
# Docs: https://docs.cilium.io/en/stable/helm-reference/

cluster:
  name: home   # must match clustermesh config
  id: 1

kubeProxyReplacement: true
k8sServiceHost: &apiHost 192.168.1.10
bgpControlPlane:
  peer: *apiHost
l2announcements:
  interfaces:
    - ^eth[0-9]+

ipam:
  mode: kubernetes
  operator: {clusterPoolIPv4PodCIDRList: ["10.42.0.0/16"]}

# --- Cluster mesh ------------------------------------------------------
clustermesh:
  useAPIServer: true
  config:
    enabled: false
    # clusters: []

hubble:
  ui:
    enabled: true
    service:
      annotations: {}   # filled in by lbipam-plan
      type: ClusterIP
"#;

    const CILIUM_EDITED: &str = r#"# Cilium Helm values for the home cluster.
# Docs: https://docs.cilium.io/en/stable/helm-reference/

cluster:
  name: home   # must match clustermesh config
  id: 1

kubeProxyReplacement: true
k8sServiceHost: &apiHost 192.168.1.10
bgpControlPlane:
  peer: *apiHost
l2announcements:
  interfaces:
    - ^eth[0-9]+

ipam:
  mode: kubernetes
  operator: {clusterPoolIPv4PodCIDRList: ["10.42.0.0/16"]}

# --- Cluster mesh ------------------------------------------------------
clustermesh:
  useAPIServer: true
  config:
    enabled: false
    # clusters: []
  apiserver:
    service:
      type: LoadBalancer
      annotations:
        io.cilium/lb-ipam-ips: "10.0.10.5"

hubble:
  ui:
    enabled: true
    service:
      annotations:   # filled in by lbipam-plan
        io.cilium/lb-ipam-ips: "10.0.10.6"
      type: LoadBalancer
"#;

    const LB_IPS: &str = "io.cilium/lb-ipam-ips";

    fn cilium_entries() -> Vec<(&'static [&'static str], Scalar)> {
        vec![
            (
                &["clustermesh", "apiserver", "service", "type"],
                plain("LoadBalancer"),
            ),
            (
                &["clustermesh", "apiserver", "service", "annotations", LB_IPS],
                quoted("10.0.10.5"),
            ),
            (
                &["hubble", "ui", "service", "annotations", LB_IPS],
                quoted("10.0.10.6"),
            ),
            (&["hubble", "ui", "service", "type"], plain("LoadBalancer")),
        ]
    }

    #[test]
    fn values_creates_missing_levels_and_opens_empty_flow_mappings() {
        let out = set_values(CILIUM, &cilium_entries()).unwrap();
        assert_eq!(out, CILIUM_EDITED);
        let service = &valid(&out)[0]["clustermesh"]["apiserver"]["service"];
        assert_eq!(service["annotations"][LB_IPS], Value::from("10.0.10.5"));
        assert_eq!(set_values(&out, &cilium_entries()).unwrap(), out);
        let crlf_out = set_values(&crlf(CILIUM), &cilium_entries()).unwrap();
        assert_eq!(crlf_out, crlf(CILIUM_EDITED));
    }

    #[test]
    fn values_follow_four_space_indentation_and_unindented_lists() {
        let text = "controller:\n    extraArgs:\n    - --enable-ssl-passthrough\n    service:\n        externalTrafficPolicy: Local\n";
        let entries: [(&[&str], Scalar); 2] = [
            (
                &["controller", "service", "loadBalancerIP"],
                quoted("10.0.10.7"),
            ),
            (
                &["controller", "admissionWebhooks", "service", "type"],
                plain("ClusterIP"),
            ),
        ];
        let out = set_values(text, &entries).unwrap();
        let service = "        loadBalancerIP: \"10.0.10.7\"\n";
        let webhooks = "    admissionWebhooks:\n        service:\n            type: ClusterIP\n";
        assert_eq!(out, format!("{text}{service}{webhooks}"));
        valid(&out);
        // A byte order mark takes no column.
        let bom = set_values("\u{feff}a: 1\n", &[(&["b"], plain("x"))]).unwrap();
        assert_eq!(bom, "\u{feff}a: 1\nb: x\n");
    }

    #[test]
    fn values_into_an_empty_file_or_empty_document() {
        let entries: [(&[&str], Scalar); 2] = [
            (&["service", "annotations", LB_IPS], quoted("10.0.0.9")),
            (&["service", "type"], plain("LoadBalancer")),
        ];
        let expected = "service:\n  annotations:\n    io.cilium/lb-ipam-ips: \"10.0.0.9\"\n  type: LoadBalancer\n";
        assert_eq!(set_values("", &entries).unwrap(), expected);
        assert_eq!(set_values("{}\n", &entries).unwrap(), expected);
        let commented = set_values("# values\n", &entries).unwrap();
        assert_eq!(commented, format!("# values\n{expected}"));
        let null = set_values("service:  # todo\nother: 1\n", &entries[1..]).unwrap();
        assert_eq!(null, "service:  # todo\n  type: LoadBalancer\nother: 1\n");
    }

    #[test]
    fn values_keys_are_quoted_only_when_needed() {
        let entries: [(&[&str], Scalar); 4] = [
            (&["a", "true"], plain("1")),
            (&["a", "8080"], plain("x")),
            (&["a", "key: with colon"], plain("y")),
            (&["a", "app.kubernetes.io/name"], plain("z")),
        ];
        let out = set_values("a:\n  b: 0\n", &entries).unwrap();
        let added =
            "  \"true\": 1\n  \"8080\": x\n  \"key: with colon\": y\n  app.kubernetes.io/name: z\n";
        assert_eq!(out, format!("a:\n  b: 0\n{added}"));
        let a = &valid(&out)[0]["a"];
        assert_eq!(a["key: with colon"], Value::from("y"));
        assert_eq!(a["true"], Value::from(1));
    }

    #[test]
    fn values_wrong_types_and_unwritable_values_are_errors() {
        let set =
            |text: &str, path: &[&str], value: &str| set_values(text, &[(path, plain(value))]);
        let e = set("service: LoadBalancer\n", &["service", "type"], "x").unwrap_err();
        assert_eq!(
            e.to_string(),
            "1:10: `service` is a scalar, expected a mapping"
        );
        let e = set(
            "ingress:\n  hosts:\n    - a\n",
            &["ingress", "hosts", "x"],
            "y",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "3:5: `ingress.hosts` is a list, expected a mapping"
        );
        let e = set(CILIUM, &["hubble", "ui"], "x").unwrap_err();
        assert_eq!(e.message, "`hubble.ui` is a mapping, expected a scalar");
        assert!(set(CILIUM, &["ipam", "operator", "new"], "x").is_err()); // non-empty flow
        assert!(set("a: 1\n", &["b"], "x: y").is_err());
        assert!(set("a: 1\n", &["b"], "- x").is_err());
        assert!(set("a: 1\n---\nb: 2\n", &["c"], "x").is_err());
    }

    fn kustomization(name: &str, interval: &str) -> String {
        format!(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: {interval}\n  path: ./infra/{name}\n  prune: true\n"
        )
    }

    /// A hand-written Flux file: a header comment, comments between documents,
    /// an anchor and an alias, a flow sequence.
    fn flux() -> String {
        let core = kustomization("cilium-core", "10m");
        let apps = kustomization("apps", "1h");
        format!(
            "# Flux Kustomizations for the home cluster.\n---\n{core}  retryInterval: &retry 2m   # hand-tuned\n  timeout: *retry\n# cilium-core must be Ready before anything else\n\n# Apps, applied after cilium-core.\n---\n{apps}  dependsOn: [{{name: cilium-core}}]\n"
        )
    }

    fn upsert(text: &str, name: &str, doc: &str, after: Option<&str>) -> Result<String, EditError> {
        upsert_document(text, "Kustomization", name, doc, after)
    }

    #[test]
    fn upsert_replaces_only_the_documents_own_content() {
        let text = flux();
        let new = kustomization("cilium-core", "5m");
        let out = upsert(&text, "cilium-core", &new, None).unwrap();
        let hand_tuned = "  retryInterval: &retry 2m   # hand-tuned\n  timeout: *retry\n";
        let old = format!("{}{hand_tuned}", kustomization("cilium-core", "10m"));
        assert_eq!(out, text.replace(&old, &new));
        assert_eq!(valid(&out)[0]["spec"]["interval"], Value::from("5m"));
        // Equal: byte-identical, also for a CRLF file and a doc given with CRLF.
        assert_eq!(upsert(&out, "cilium-core", &new, None).unwrap(), out);
        let crlf_out = crlf(&out);
        assert_eq!(
            upsert(&crlf_out, "cilium-core", &crlf(&new), None).unwrap(),
            crlf_out
        );
    }

    #[test]
    fn upsert_inserts_after_the_named_document_before_the_next_ones_comments() {
        let text = flux();
        let new = kustomization("cilium-config", "10m");
        let out = upsert(&text, "cilium-config", &new, Some("cilium-core")).unwrap();
        let comment = "# Apps, applied after cilium-core.\n";
        assert_eq!(out, text.replace(comment, &format!("---\n{new}{comment}")));
        let names: Vec<Value> = valid(&out)
            .iter()
            .map(|d| d["metadata"]["name"].clone())
            .collect();
        assert_eq!(
            names,
            ["cilium-core", "cilium-config", "apps"].map(Value::from)
        );
        // An unknown `after`: appended at the end.
        let out = upsert(&text, "cilium-config", &new, Some("nope")).unwrap();
        assert_eq!(out, format!("{text}---\n{new}"));
    }

    #[test]
    fn upsert_appends_keeping_leading_and_trailing_separators_and_crlf() {
        let apps = kustomization("apps", "1h");
        let new = kustomization("cilium-core", "5m");
        let out = upsert(
            &crlf(&format!("---\n{apps}---\n")),
            "cilium-core",
            &new,
            None,
        )
        .unwrap();
        assert_eq!(out, crlf(&format!("---\n{apps}---\n{new}---\n")));
        assert_eq!(objects(&out), 2);
        assert_eq!(upsert("", "cilium-core", &new, None).unwrap(), new);
        let no_newline = "kind: A\nmetadata: {name: a}";
        let out = upsert(no_newline, "cilium-core", &new, None).unwrap();
        assert_eq!(out, format!("{no_newline}\n---\n{new}"));
    }

    #[test]
    fn upsert_refuses_duplicates_and_mismatched_documents() {
        let text = format!("{}---\n{}", flux(), kustomization("apps", "2h"));
        let e = upsert(&text, "apps", &kustomization("apps", "3h"), None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "29:1: duplicate Kustomization `apps` (first at line 18)"
        );
        assert!(upsert(&flux(), "apps", &kustomization("other", "1h"), None).is_err());
    }

    const README: &str = "# Home cluster\n\nIntro.\n\n<!-- BEGIN lbipam-plan -->\nold table\n<!-- END lbipam-plan -->\n\nFooter.\n";
    const BEGIN: &str = "<!-- BEGIN lbipam-plan -->";
    const END: &str = "<!-- END lbipam-plan -->";

    #[test]
    fn marked_section_is_replaced_between_markers() {
        let section = |text: &str, body: &str| replace_marked_section(text, BEGIN, END, body);
        let table = "| pool | range |\n|---|---|";
        let expected = README.replace("old table\n", &format!("{table}\n"));
        assert_eq!(section(README, table).unwrap(), Some(expected));
        let expected = crlf(&README.replace("old table", "new"));
        assert_eq!(section(&crlf(README), "new\n").unwrap(), Some(expected));
        assert_eq!(section("# Title\n", "x").unwrap(), None);
        assert_eq!(
            error_position(section(&format!("{BEGIN}\nx\n"), "y")),
            (1, 1)
        );
        assert_eq!(
            error_position(section(&format!("{BEGIN}\n{BEGIN}\n{END}\n"), "y")),
            (2, 1)
        );
        assert_eq!(
            error_position(section(&format!("{END}\n{BEGIN}\n{END}\n"), "y")),
            (1, 1)
        );
    }

    const IPS: &str = r#"apiVersion: v1
kind: Service
metadata:
  name: dns
  annotations:
    lbipam.cilium.io/ips: "10.0.10.53, 10.0.10.54"
    external-dns.alpha.kubernetes.io/hostname: dns.home
spec:
  type: LoadBalancer
  loadBalancerIP: 10.0.10.50
---
# Helm values embedded in a HelmRelease
spec:
  values:
    controller:
      service:
        annotations: {"io.cilium/lb-ipam-ips": '10.0.10.60'}
        loadBalancerIP: ""
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: public
spec:
  gatewayClassName: cilium
  addresses:
  - type: IPAddress
    value: 10.0.10.80
  - value: "10.0.10.81"
  - type: Hostname
    value: gw.home
"#;

    #[test]
    fn ip_requests_are_found_with_positions() {
        let found = find_ip_requests(IPS).unwrap();
        let got: Vec<_> = found
            .iter()
            .map(|r| (r.line, r.column, r.value.as_str(), r.source))
            .collect();
        let annotation = "annotation lbipam.cilium.io/ips";
        let gateway = "Gateway spec.addresses";
        let expected = [
            (6, 28, "10.0.10.53", annotation),
            (6, 40, "10.0.10.54", annotation),
            (10, 19, "10.0.10.50", "loadBalancerIP"),
            (17, 49, "10.0.10.60", "annotation io.cilium/lb-ipam-ips"),
            (28, 12, "10.0.10.80", gateway),
            (29, 13, "10.0.10.81", gateway),
        ];
        assert_eq!(got, expected);
        assert_eq!(find_ip_requests(&crlf(IPS)).unwrap(), found);
    }
}
