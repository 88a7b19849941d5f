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
use yaml_edit::{AnchorRegistry, Mapping, MappingEntry, YamlFile, YamlNode};

mod marked;

/// The trailing comment on every key the build writes into a hand-written file
/// (and on every map it creates for one): what the build owns, and removes once
/// the plan no longer renders it. Keys without it are never removed.
pub const MARKER: &str = "# managed by lbipam-plan";

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
/// string for each (key, value): ConfigMap values must be strings. Each key we set
/// carries [`MARKER`] as its trailing comment (added if missing).
///
/// An existing value's text alone is replaced (its comment stays); a missing key is
/// appended after the last entry of `data`, a missing or null `data` at the end of
/// the top mapping. `data` or the value being of another type is an error at that node.
pub fn set_configmap_data(text: &str, entries: &[(&str, &str)]) -> Result<String, EditError> {
    let mut out = text.to_string();
    for (key, value) in entries {
        let file = reparse(text, &out)?;
        let docs = documents(&out, &file);
        let Some(doc) = only(&out, configmaps(&docs), "ConfigMap")? else {
            return Err(error_at(&out, 0, "no ConfigMap document"));
        };
        let target = Target {
            root: doc.root(),
            merged: None,
            mark: true,
        };
        out = set_path(
            &out,
            target,
            &["data", key],
            &Scalar::Quoted((*value).into()),
        )?;
    }
    let owned: Vec<Vec<String>> = entries
        .iter()
        .map(|(k, _)| vec!["data".to_owned(), (*k).to_owned()])
        .collect();
    finish(text, out, &owned)
}

fn configmaps(docs: &[DocInfo]) -> impl Iterator<Item = &DocInfo> {
    docs.iter()
        .filter(|d| d.kind.as_deref() == Some("ConfigMap"))
}

/// Which document of a file an edit works on.
#[derive(Clone, Copy, Debug)]
enum Scope {
    /// The one ConfigMap (cluster-settings).
    ConfigMap,
    /// The one non-empty document (Helm values).
    Single,
}

fn select<'d>(
    text: &str,
    docs: &'d [DocInfo],
    scope: Scope,
) -> Result<Option<&'d DocInfo>, EditError> {
    match scope {
        Scope::ConfigMap => only(text, configmaps(docs), "ConfigMap"),
        Scope::Single => only(text, docs.iter().filter(|d| d.node.is_some()), "document"),
    }
}

/// Deletes every `data` entry of the single ConfigMap document that carries
/// [`MARKER`] but is not in `keep`: a key the build wrote and no longer renders
/// (the setting of a pin removed from the plan, or of a renamed `setting`). The
/// entry's whole lines go, its comment included; unmarked keys are never touched.
pub fn prune_configmap_data(text: &str, keep: &[&str]) -> Result<String, EditError> {
    let keep: Vec<Vec<String>> = keep
        .iter()
        .map(|k| vec!["data".to_owned(), (*k).to_owned()])
        .collect();
    marked::prune(text, &keep, Scope::ConfigMap)
}

/// Deletes every entry of a Helm values file that carries [`MARKER`] and whose
/// path is neither in `keep` nor a parent of a kept path: the annotation and
/// `type` the build wrote under a `helm-service` path that changed, or under a
/// service no longer pinned. A marked map (one the build created) goes once it
/// is empty; unmarked keys and maps are never touched.
pub fn prune_values(text: &str, keep: &[&[&str]]) -> Result<String, EditError> {
    let keep: Vec<Vec<String>> = keep
        .iter()
        .map(|p| p.iter().map(|s| (*s).to_owned()).collect())
        .collect();
    marked::prune(text, &keep, Scope::Single)
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
        let file = reparse(text, &out)?;
        let docs = documents(&out, &file);
        let doc = select(&out, &docs, Scope::Single)?;
        if let Some(node) = doc.and_then(|d| d.node.as_ref())
            && as_mapping(node).is_none()
        {
            if !is_empty_value(&out, node) {
                let msg = "the top must be a mapping";
                return Err(error_at(&out, node_range(node).start, msg));
            }
            // `~`, `null` or `!!null` alone: the values start here.
            let block = render_block(path, value, 0, 2, line_ending(&out), true);
            out = open_block(&out, node_range(node), &block);
            continue;
        }
        let merged = merged_documents(&out)?;
        let target = Target {
            root: doc.and_then(DocInfo::root),
            merged: merged.first(),
            mark: true,
        };
        out = set_path(&out, target, path, value)?;
    }
    let owned: Vec<Vec<String>> = entries
        .iter()
        .map(|(p, _)| p.iter().map(|s| (*s).to_owned()).collect())
        .collect();
    finish(text, out, &owned)
}

/// Creates or updates one Kubernetes object (`kind`, `metadata.name`) in a
/// multi-document file, leaving all other documents, separators and comments alone.
///
/// Present: we own only the fields `doc` renders. Each that differs is set in
/// place (a scalar's text alone, so its comment stays; a list or a missing field
/// as a whole); fields the user added (labels, `retryInterval`, comments) stay,
/// and each path of `optional` that `doc` does not render is removed. Equal:
/// `text` is returned unchanged. Absent: `doc` is inserted with a `---` after
/// the document `after` (same kind) if present, else after the last document, but
/// before the comment lines right above the next `---`, which belong to the next one.
pub fn upsert_document(
    text: &str,
    kind: &str,
    name: &str,
    doc: &str,
    after: Option<&str>,
    optional: &[&[&str]],
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
        return sync_document(text, &new, kind, name, optional);
    }
    let anchor = after
        .and_then(|a| docs.iter().find(|d| d.is(kind, a)))
        .or_else(|| docs.iter().rev().find(|d| d.node.is_some()));
    let mut at = anchor.map_or(text.len(), |d| insertion_point(text, d));
    let whole = with_line_ending(&new.whole, nl);
    let last = docs.iter().rev().find(|d| d.node.is_some());
    if let Some(last) = last.filter(|_| at == text.len() && break_changes_meaning(text)) {
        // The file ends in a `|` scalar without a line break: a document after it
        // would add one to its value, so ours goes before the last document.
        at = last.range.start;
        let separator = if new.has_separator { "" } else { "---\n" };
        let insert = if text[at..].starts_with("---") {
            format!("{}{whole}", with_line_ending(separator, nl))
        } else {
            format!("{whole}---{nl}")
        };
        return finish(text, splice(text, at..at, &insert), &[]);
    }
    let before = &text[..at];
    let mut insert = break_after(before).to_string();
    let last_line = before.lines().rev().map(str::trim).find(|l| !l.is_empty());
    if !new.has_separator && last_line.is_some_and(|l| l != "---") {
        insert = format!("{insert}---{nl}");
    }
    insert.push_str(&whole);
    finish(text, splice(text, at..at, &insert), &[])
}

/// Brings the fields `new` renders into the existing document, one edit at a
/// time, then removes the `optional` paths it does not render.
fn sync_document(
    text: &str,
    new: &NewDocument,
    kind: &str,
    name: &str,
    optional: &[&[&str]],
) -> Result<String, EditError> {
    let rendered = parse(&new.content)?;
    let rendered = documents(&new.content, &rendered);
    let Some(want) = rendered.first().and_then(DocInfo::root) else {
        return Err(error_at(
            &new.content,
            0,
            "the new document is not a mapping",
        ));
    };
    let want_value = yaml11_values(&new.content)?.into_iter().next();
    let want_value = want_value.unwrap_or_default();
    let mut out = text.to_string();
    let mut owned: Vec<Vec<String>> = Vec::new();
    leaf_paths(&want_value, &mut Vec::new(), &mut owned);
    // Each pass fixes one field; more passes than fields means we are not converging.
    for _ in 0..=owned.len() + optional.len() + 1 {
        let file = reparse(text, &out)?;
        let docs = documents(&out, &file);
        let Some(doc) = docs.iter().find(|d| d.is(kind, name)) else {
            return Err(error_at(
                &out,
                0,
                format!("internal error: {kind} `{name}` lost"),
            ));
        };
        let have = yaml11_values(&out[doc.range.clone()])?
            .into_iter()
            .find(|v| !v.is_null());
        let have = have.unwrap_or_default();
        let Some(root) = doc.root() else {
            return Err(error_at(
                &out,
                doc.content.start,
                "the document is not a mapping",
            ));
        };
        let sync = Sync {
            text: &out,
            have: &have,
            source: &new.content,
            want: &want_value,
        };
        if let Some((range, with)) = sync.next_edit(&root, &want, &mut Vec::new()) {
            out = splice(&out, range, &with);
            continue;
        }
        let stale = optional
            .iter()
            .find(|p| want_value.get_path(p).is_none() && have.get_path(p).is_some());
        let Some(stale) = stale else {
            return finish(text, out, &owned);
        };
        owned.push(stale.iter().map(|s| (*s).to_owned()).collect());
        let (parents, last) = stale.split_at(stale.len() - 1);
        let mut mapping = root;
        for key in parents {
            let next = child(&YamlNode::Mapping(mapping.clone()), key).and_then(|n| as_mapping(&n));
            mapping = next.ok_or_else(|| error_at(&out, doc.content.start, "unexpected shape"))?;
        }
        let entry = find_entry(&mapping, last[0]);
        let entry = entry.ok_or_else(|| error_at(&out, doc.content.start, "unexpected shape"))?;
        out = remove_entry(&out, &mapping, &entry, &stale.join("."))?;
    }
    Err(internal(
        text,
        &out,
        "the owned document does not converge".into(),
    ))
}

/// Every path to a scalar or list in `value` (what a rendered document owns).
fn leaf_paths(value: &yaml_serde::Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
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

/// Looking up a path of keys in a YAML value.
trait GetPath {
    fn get_path<S: AsRef<str>>(&self, path: &[S]) -> Option<&yaml_serde::Value>;
}

impl GetPath for yaml_serde::Value {
    fn get_path<S: AsRef<str>>(&self, path: &[S]) -> Option<&yaml_serde::Value> {
        path.iter().try_fold(self, |v, k| v.get(k.as_ref()))
    }
}

/// One step of [`sync_document`]: the existing document (its text and value)
/// against the rendered one (its text and value).
struct Sync<'a> {
    text: &'a str,
    have: &'a yaml_serde::Value,
    source: &'a str,
    want: &'a yaml_serde::Value,
}

impl Sync<'_> {
    /// The first splice that brings `have` closer to `want`, if any.
    fn next_edit(
        &self,
        have: &Mapping,
        want: &Mapping,
        path: &mut Vec<String>,
    ) -> Option<(Range<usize>, String)> {
        for wanted in want.entries() {
            let key = scalar_string(wanted.key_node())?;
            path.push(key.clone());
            let edit = self.entry_edit(have, &wanted, &key, path);
            path.pop();
            if edit.is_some() {
                return edit;
            }
        }
        None
    }

    fn entry_edit(
        &self,
        have: &Mapping,
        wanted: &MappingEntry,
        key: &str,
        path: &mut Vec<String>,
    ) -> Option<(Range<usize>, String)> {
        let Some(entry) = find_entry(have, key) else {
            return Some(self.append(have, wanted));
        };
        if self.have.get_path(path) == self.want.get_path(path) {
            return None;
        }
        let (node, want_node) = (entry.value_node()?, wanted.value_node()?);
        let block = |n: &YamlNode, t: &str| as_mapping(n).filter(|m| !is_flow(t, m));
        if let (Some(h), Some(w)) = (block(&node, self.text), block(&want_node, self.source)) {
            return self.next_edit(&h, &w, path);
        }
        let single = |n: &YamlNode| matches!(n, YamlNode::Scalar(s) if !s.is_block());
        if single(&node) && single(&want_node) && !node_range(&node).is_empty() {
            let with = self.source[node_range(&want_node)].to_string();
            return Some((node_range(&node), with));
        }
        let from = line_start(self.text, start(&entry));
        let to = line_after(self.text, node_range(&node).end.max(start(&entry)));
        Some((
            from..to,
            self.lines_of(wanted, column(self.text, start(&entry))),
        ))
    }

    /// Appends a rendered entry after the last entry of `have`.
    fn append(&self, have: &Mapping, wanted: &MappingEntry) -> (Range<usize>, String) {
        let last = have.entries().last();
        let indent = have
            .entries()
            .next()
            .map_or(0, |e| column(self.text, start(&e)));
        let at = last.map_or(have.byte_range().end as usize, |e| node_end(&e));
        let at = if at == self.text.len() {
            at
        } else {
            line_after(self.text, at)
        };
        let lines = self.lines_of(wanted, indent);
        (at..at, format!("{}{lines}", break_after(&self.text[..at])))
    }

    /// A rendered entry's lines, moved to `indent`, with the file's line ending.
    fn lines_of(&self, entry: &MappingEntry, indent: usize) -> String {
        let from = line_start(self.source, start(entry));
        let to = line_after(self.source, node_end(entry));
        let own = column(self.source, start(entry));
        let pad = " ".repeat(indent);
        let nl = line_ending(self.text);
        self.source[from..to]
            .lines()
            .map(|l| format!("{pad}{}{nl}", l.get(own..).unwrap_or(l.trim_start())))
            .collect()
    }
}

/// Where an entry's value ends (its own range runs on over comments below it).
fn node_end(entry: &MappingEntry) -> usize {
    entry
        .value_node()
        .map_or(entry.byte_range().end as usize, |v| node_range(&v).end)
        .max(start(entry))
}

/// The offset after the line break ending the line that holds `offset - 1`.
fn line_after(text: &str, offset: usize) -> usize {
    if text[..offset].ends_with('\n') {
        return offset;
    }
    text[offset..]
        .find('\n')
        .map_or(text.len(), |i| offset + i + 1)
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
/// addresses whose `type` is not IPAddress). Empty values are skipped. A value
/// written as an alias (`*lbIP`) is resolved to its anchor and reported at the
/// alias; a tagged value (`!!str 10.0.0.5`) counts as its scalar.
pub fn find_ip_requests(text: &str) -> Result<Vec<IpRequest>, EditError> {
    let file = parse(text)?;
    let text = &Positions::new(text);
    let mut found = Vec::new();
    let registries = file.documents().map(|d| AnchorRegistry::from_document(&d));
    for (doc, anchors) in documents(text.text, &file).into_iter().zip(registries) {
        let Some(root) = doc.node else { continue };
        let finder = Finder {
            text,
            anchors: &anchors,
        };
        finder.collect(&root, &mut found);
        let addresses = child(&root, "spec").and_then(|spec| child(&spec, "addresses"));
        let Some(YamlNode::Sequence(addresses)) =
            addresses.filter(|_| doc.kind.as_deref() == Some("Gateway"))
        else {
            continue;
        };
        for address in addresses.values() {
            let kind = scalar_string(child(&address, "type"));
            if let (Some(value), None | Some("IPAddress")) =
                (child(&address, "value"), kind.as_deref())
            {
                finder.push(&value, false, "Gateway spec.addresses", &mut found);
            }
        }
    }
    found.sort_by_key(|r| (r.line, r.column));
    Ok(found)
}

/// Walks one document for IP requests, resolving aliases through its anchors.
struct Finder<'a> {
    text: &'a Positions<'a>,
    anchors: &'a AnchorRegistry,
}

impl Finder<'_> {
    fn collect(&self, node: &YamlNode, found: &mut Vec<IpRequest>) {
        if let Some(mapping) = as_mapping(node) {
            for entry in mapping.entries() {
                let Some(value) = entry.value_node() else {
                    continue;
                };
                let key = scalar_string(entry.key_node());
                let annotation = IP_ANNOTATIONS
                    .iter()
                    .find(|(k, _)| key.as_deref() == Some(*k));
                match annotation {
                    Some((_, source)) => self.push(&value, true, source, found),
                    None if key.as_deref() == Some("loadBalancerIP") => {
                        self.push(&value, false, "loadBalancerIP", found)
                    }
                    None => self.collect(&value, found),
                }
            }
        } else if let Some(sequence) = node
            .as_sequence()
            .cloned()
            .or_else(|| node.as_tagged()?.as_sequence())
        {
            sequence
                .values()
                .for_each(|item| self.collect(&item, found));
        }
    }

    /// Pushes the requests of a request value: a scalar, a tagged scalar, or an
    /// alias of one (at the alias, its anchor's value).
    fn push(&self, node: &YamlNode, list: bool, source: &'static str, found: &mut Vec<IpRequest>) {
        match node {
            YamlNode::Scalar(s) => push_requests(self.text, s, list, source, found),
            YamlNode::TaggedNode(t) => {
                if let Some(s) = t.value() {
                    push_requests(self.text, &s, list, source, found);
                }
            }
            YamlNode::Alias(alias) => {
                let Ok(target) = self.anchors.resolve_alias(alias) else {
                    return;
                };
                let scalar = match target {
                    YamlNode::Scalar(s) => s,
                    YamlNode::TaggedNode(t) => match t.value() {
                        Some(s) => s,
                        None => return,
                    },
                    _ => return,
                };
                let at = node.byte_range().start as usize;
                push_values(self.text, &scalar.as_string(), list, source, at, found);
            }
            _ => {}
        }
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
    if text.text.get(inner..inner + value.len()) != Some(value.as_str()) {
        return push_values(text, &value, list, source, start, found);
    }
    let items: Vec<&str> = if list {
        value.split(',').collect()
    } else {
        vec![value.as_str()]
    };
    let mut offset = inner;
    for item in items {
        let lead = item.len() - item.trim_start().len();
        push_item(text, item, offset + lead, source, found);
        offset += item.len() + 1;
    }
}

/// Pushes the items of `value`, all at byte `at` (a value not spelled literally
/// there: escaped, folded, or reached through an alias).
fn push_values(
    text: &Positions<'_>,
    value: &str,
    list: bool,
    source: &'static str,
    at: usize,
    found: &mut Vec<IpRequest>,
) {
    let items: Vec<&str> = if list {
        value.split(',').collect()
    } else {
        vec![value]
    };
    for item in items {
        push_item(text, item, at, source, found);
    }
}

fn push_item(
    text: &Positions<'_>,
    item: &str,
    at: usize,
    source: &'static str,
    found: &mut Vec<IpRequest>,
) {
    if item.trim().is_empty() {
        return;
    }
    let (line, column) = text.at(at);
    found.push(IpRequest {
        line,
        column,
        value: item.trim().to_string(),
        source,
    });
}

// ---------------------------------------------------------------------------
// Setting a nested key, one splice at a time

/// Where [`set_path`] works: the document's top mapping (`None`: no content
/// yet), the same document as YAML 1.1 tools read it with merge keys applied
/// (to see keys a `<<` brings in), and whether written keys carry [`MARKER`].
struct Target<'a> {
    root: Option<Mapping>,
    merged: Option<&'a yaml_serde::Value>,
    mark: bool,
}

/// Sets `path` below the target's root.
fn set_path(
    text: &str,
    target: Target,
    path: &[&str],
    value: &Scalar,
) -> Result<String, EditError> {
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
fn refuse_merged(
    text: &str,
    mapping: &Mapping,
    merged: Option<&yaml_serde::Value>,
    here: &[&str],
    rest: &[&str],
) -> Result<(), EditError> {
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
/// indentation; `(unit, mark)`: the indentation step and whether lines carry
/// [`MARKER`].
fn insert_entry(
    text: &str,
    mapping: &Mapping,
    rest: &[&str],
    value: &Scalar,
    (unit, mark): (usize, bool),
) -> Result<String, EditError> {
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

/// Whether ending `text` with a line break changes what it says: a block scalar
/// whose last line has none would gain one in its value.
fn break_changes_meaning(text: &str) -> bool {
    if break_after(text).is_empty() {
        return false;
    }
    let with_break = format!("{text}{}", line_ending(text));
    yaml11_values(text).ok() != yaml11_values(&with_break).ok()
}

/// Replaces the empty value at `range` (`{}`, `~`, `null` or nothing) by `block`,
/// below its line: the value goes, the rest of the line (a comment) stays.
fn open_block(text: &str, range: Range<usize>, block: &str) -> String {
    // An empty value holds no `#`: one in its range is a comment that stays.
    let value = &text[range.clone()];
    let value = value.find('#').map_or(value, |i| value[..i].trim_end());
    let range = range.start..range.start + value.len();
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

/// Replaces a scalar's text; a value already equal is left as written. With
/// `mark`, the key's line ends in [`MARKER`] afterwards.
fn replace_scalar(
    text: &str,
    entry: &MappingEntry,
    node: &YamlNode,
    value: &Scalar,
    path: &[&str],
    mark: bool,
) -> Result<String, EditError> {
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

/// `text` with [`MARKER`] at the end of the line holding `offset` (the end of a
/// value we own), unless that line's comment already carries it.
fn add_marker(text: String, offset: usize, mark: bool) -> String {
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line_end = if text[..line_end].ends_with('\r') {
        line_end - 1
    } else {
        line_end
    };
    if !mark || marked::tail_is_marked(&text[offset..line_end]) {
        return text;
    }
    splice(&text, line_end..line_end, &format!(" {MARKER}"))
}

/// `path: value` as nested block lines, the first at `indent`, each level `unit`
/// deeper; with `mark`, every line (the maps we create too) ends in [`MARKER`].
fn render_block(
    path: &[&str],
    value: &Scalar,
    indent: usize,
    unit: usize,
    nl: &str,
    mark: bool,
) -> String {
    let mut out = String::new();
    let marker = if mark {
        format!(" {MARKER}")
    } else {
        String::new()
    };
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

/// `{}`, `!!map {}`, `~`, `null`, `!!null` or nothing at all (`key:`): a value
/// we may turn into a block mapping (a `!!map` tag goes with the `{}`).
fn is_empty_value(text: &str, node: &YamlNode) -> bool {
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
            .or_else(|| doc.as_tagged().map(YamlNode::TaggedNode))
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
/// rules its parser lets through (bad indentation, tabs, duplicate keys, ...), and
/// files that YAML 1.1 tools (kubectl, Helm, Flux) would read differently: a line
/// break only one of the two YAML versions sees, or text libyaml cannot parse.
fn parse(text: &str) -> Result<YamlFile, EditError> {
    check_line_breaks(text)?;
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
    yaml11_values(text)?;
    Ok(file)
}

/// Refuses a character that YAML 1.1 readers (PyYAML, libyaml, go-yaml as used by
/// kubectl and Flux) take for a line break and YAML 1.2 readers do not — U+2028,
/// U+2029, U+0085 (NEL), a carriage return without a line feed — so a file
/// cannot show the audit one thing and the cluster another (a comment hiding an
/// annotation on its "next line").
pub fn check_line_breaks(text: &str) -> Result<(), EditError> {
    let bytes = text.as_bytes();
    for (i, c) in text.char_indices() {
        let name = match c {
            '\u{2028}' => "U+2028 (LINE SEPARATOR)",
            '\u{2029}' => "U+2029 (PARAGRAPH SEPARATOR)",
            '\u{85}' => "U+0085 (NEXT LINE)",
            '\r' if bytes.get(i + 1) != Some(&b'\n') => "a carriage return without a line feed",
            _ => continue,
        };
        let msg = format!(
            "{name}: YAML 1.1 tools (kubectl, Helm, Flux) read it as a line break, YAML 1.2 \
             does not, so they would read this file differently; replace it with a space \
             or a real line break"
        );
        return Err(error_at(text, i, msg));
    }
    Ok(())
}

/// Every document of `text` as libyaml — the YAML 1.1 parser family of kubectl,
/// Helm and Flux — reads it (a leading byte order mark skipped; an empty
/// document is `Null`).
pub fn yaml11_values(text: &str) -> Result<Vec<yaml_serde::Value>, EditError> {
    use serde::Deserialize;
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let shift = text.len() - body.len();
    yaml_serde::Deserializer::from_str(body)
        .map(|doc| match yaml_serde::Value::deserialize(doc) {
            // A well-formed scalar whose core tag libyaml's reader maps strictly
            // (`--- !!null` with no text): parsed, just not typed as we need.
            Err(e) if e.to_string().starts_with("invalid value") => Ok(yaml_serde::Value::Null),
            result => result.map_err(|e| {
                let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
                let column = if line == 1 {
                    column + shift.min(1)
                } else {
                    column
                };
                let msg = format!("not readable as YAML 1.1 (as kubectl and Helm read it): {e}");
                EditError::new(line, column, msg)
            }),
        })
        .collect()
}

/// The non-empty documents of `text` as YAML 1.1 tools read them, merge keys
/// (`<<`) applied.
fn merged_documents(text: &str) -> Result<Vec<yaml_serde::Value>, EditError> {
    let mut docs = yaml11_values(text)?;
    docs.retain(|d| !d.is_null());
    for doc in &mut docs {
        // A merge of something that is not a mapping: leave the document as written.
        let mut merged = doc.clone();
        if merged.apply_merge().is_ok() {
            *doc = merged;
        }
    }
    Ok(docs)
}

/// Parses `current`, an edit in progress of `original`: an error in a text the
/// user wrote is theirs; in one we changed, it is ours.
fn reparse(original: &str, current: &str) -> Result<YamlFile, EditError> {
    if current == original {
        return parse(current);
    }
    parse(current).map_err(|e| internal(original, current, e.message))
}

/// An edit that would break the file or change what its user wrote, reported at
/// the first byte we changed, in the user's file: the line we would have written
/// is not theirs to fix.
fn internal(original: &str, out: &str, message: String) -> EditError {
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
fn finish(original: &str, out: String, owned: &[Vec<String>]) -> Result<String, EditError> {
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
fn changed(
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

fn as_map<'a>(
    value: &'a yaml_serde::Value,
    empty: &'a yaml_serde::Mapping,
) -> Option<&'a yaml_serde::Mapping> {
    let v = untag(value);
    v.as_mapping().or_else(|| v.is_null().then_some(empty))
}

fn untag(value: &yaml_serde::Value) -> &yaml_serde::Value {
    match value {
        yaml_serde::Value::Tagged(t) => untag(&t.value),
        v => v,
    }
}

/// Refuses to remove an entry whose anchor (`&gw`) an alias (`*gw`) elsewhere
/// uses: the alias would dangle.
fn anchors_unused(text: &str, entry: &MappingEntry, shown: &str) -> Result<(), EditError> {
    anchors_unaliased(text, entry, shown, "no longer writes", "left undefined")
}

/// Refuses to edit an entry whose anchor an alias elsewhere uses: `verb` says
/// what the build does to the entry, `fate` what would happen to the alias.
fn anchors_unaliased(
    text: &str,
    entry: &MappingEntry,
    shown: &str,
    verb: &str,
    fate: &str,
) -> Result<(), EditError> {
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
    TIMEZONE: "Europe/Berlin"   # keep # managed by lbipam-plan

    LB_POOL_START: "10.0.20.1"  # managed by lbipam-plan
    MOTD: |
        Welcome
        home
    LB_POOL_STOP: "10.0.20.50" # managed by lbipam-plan
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
            "kind: ConfigMap\ndata:\n  A: \"1\"   # todo # managed by lbipam-plan\n  B: \"2\" # managed by lbipam-plan\n"
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
        // Equal but unmarked: only the marker is added.
        let unmarked = "kind: ConfigMap\ndata:\n  A: \"1\"\n";
        let out = set_configmap_data(unmarked, &[("A", "1")]).unwrap();
        assert_eq!(
            out,
            "kind: ConfigMap\ndata:\n  A: \"1\" # managed by lbipam-plan\n"
        );
        // A plain 8080 is an integer, not the string a ConfigMap needs: quoted.
        let port = set_configmap_data(
            "kind: ConfigMap\ndata:\n  PORT: 8080 # x\n",
            &[("PORT", "8080")],
        );
        assert_eq!(
            port.unwrap(),
            "kind: ConfigMap\ndata:\n  PORT: \"8080\" # x # managed by lbipam-plan\n"
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
        let data = "data: # managed by lbipam-plan\n  LB_POOL_START: \"10.0.20.1\" # managed by lbipam-plan\n  Z: \"2\" # managed by lbipam-plan\n";
        let expected = MULTI.replace("immutable: false\n", &format!("immutable: false\n{data}"));
        assert_eq!(out.unwrap(), expected);
        assert_eq!(objects(&expected), 2);
        let text = "kind: ConfigMap\r\nmetadata:\r\n  name: s\r\n";
        let out = set_configmap_data(text, &[("A", "1")]).unwrap();
        assert_eq!(
            out,
            format!(
                "{text}data: # managed by lbipam-plan\r\n  A: \"1\" # managed by lbipam-plan\r\n"
            )
        );
    }

    #[test]
    fn configmap_values_are_escaped() {
        let tricky = "say \"hi\"\nC:\\temp\tbell\u{7}";
        let out = set_configmap_data(SETTINGS, &[("MOTD", tricky)]).unwrap();
        let line =
            "    MOTD: \"say \\\"hi\\\"\\nC:\\\\temp\\tbell\\u0007\" # managed by lbipam-plan\n";
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
        assert!(upsert_document("a: [1\n", "X", "y", doc, None, &[]).is_err());
    }

    #[test]
    fn pruning_configmap_keys_drops_marked_lines_only() {
        let text = "kind: ConfigMap\r\ndata:\r\n  KEEP: \"1\" # mine\r\n  GONE: \"10.0.0.1\" # managed by lbipam-plan\r\n  # trailing note\r\n  LAST: x # managed by lbipam-plan\r\n  HAND: \"10.0.0.2\"\r\n";
        let out = prune_configmap_data(text, &["LAST", "ABSENT"]).expect("edit");
        assert_eq!(
            out,
            "kind: ConfigMap\r\ndata:\r\n  KEEP: \"1\" # mine\r\n  # trailing note\r\n  LAST: x # managed by lbipam-plan\r\n  HAND: \"10.0.0.2\"\r\n"
        );
        assert_eq!(prune_configmap_data(&out, &["LAST"]).expect("no-op"), out);
        let block = "kind: ConfigMap\ndata:\n  GONE: >- # managed by lbipam-plan\n    10.25.11.100\n  KEEP: \"keep-me\"\n  K2: | # managed by lbipam-plan\n    x\n\n  NEXT: \"keep\"\n";
        assert_eq!(
            prune_configmap_data(block, &[]).expect("edit"),
            // The blank line after `x` is part of the literal block, so it goes too.
            "kind: ConfigMap\ndata:\n  KEEP: \"keep-me\"\n  NEXT: \"keep\"\n"
        );
        // Marked keys inside a flow mapping the build keeps are not searched.
        let flow = "kind: ConfigMap\ndata: {GONE: \"1\", KEEP: \"2\"} # managed by lbipam-plan\n";
        assert_eq!(prune_configmap_data(flow, &["KEEP"]).expect("kept"), flow);
    }

    #[test]
    fn pruning_helm_values_drops_marked_lines_and_emptied_marked_maps() {
        let text = "# values\nclustermesh:\n  apiserver:\n    service:\n      type: LoadBalancer # keep\n      annotations:\n        lbipam.cilium.io/ips: \"10.25.11.100\" # managed by lbipam-plan\n        io.cilium/lb-ipam-ips: \"10.25.11.105\"\nhubble: # managed by lbipam-plan\n  service: # managed by lbipam-plan\n    type: LoadBalancer # managed by lbipam-plan\n";
        let kept: &[&str] = &["clustermesh", "apiserver", "service", "type"];
        assert_eq!(
            prune_values(text, &[kept]).expect("edit"),
            "# values\nclustermesh:\n  apiserver:\n    service:\n      type: LoadBalancer # keep\n      annotations:\n        io.cilium/lb-ipam-ips: \"10.25.11.105\"\n"
        );
        let hubble: &[&str] = &["hubble", "service", "type"];
        let out = prune_values(text, &[hubble]).expect("edit");
        assert!(out.ends_with("hubble: # managed by lbipam-plan\n  service: # managed by lbipam-plan\n    type: LoadBalancer # managed by lbipam-plan\n"), "{out}");
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
  apiserver: # managed by lbipam-plan
    service: # managed by lbipam-plan
      type: LoadBalancer # managed by lbipam-plan
      annotations: # managed by lbipam-plan
        io.cilium/lb-ipam-ips: "10.0.10.5" # managed by lbipam-plan

hubble:
  ui:
    enabled: true
    service:
      annotations:   # filled in by lbipam-plan
        io.cilium/lb-ipam-ips: "10.0.10.6" # managed by lbipam-plan
      type: LoadBalancer # managed by lbipam-plan
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
        let service = "        loadBalancerIP: \"10.0.10.7\" # managed by lbipam-plan\n";
        let webhooks = "    admissionWebhooks: # managed by lbipam-plan\n        service: # managed by lbipam-plan\n            type: ClusterIP # managed by lbipam-plan\n";
        assert_eq!(out, format!("{text}{service}{webhooks}"));
        valid(&out);
        // A byte order mark takes no column.
        let bom = set_values("\u{feff}a: 1\n", &[(&["b"], plain("x"))]).unwrap();
        assert_eq!(bom, "\u{feff}a: 1\nb: x # managed by lbipam-plan\n");
    }

    #[test]
    fn values_into_an_empty_file_or_empty_document() {
        let entries: [(&[&str], Scalar); 2] = [
            (&["service", "annotations", LB_IPS], quoted("10.0.0.9")),
            (&["service", "type"], plain("LoadBalancer")),
        ];
        let expected = "service: # managed by lbipam-plan\n  annotations: # managed by lbipam-plan\n    io.cilium/lb-ipam-ips: \"10.0.0.9\" # managed by lbipam-plan\n  type: LoadBalancer # managed by lbipam-plan\n";
        assert_eq!(set_values("", &entries).unwrap(), expected);
        assert_eq!(set_values("{}\n", &entries).unwrap(), expected);
        let commented = set_values("# values\n", &entries).unwrap();
        assert_eq!(commented, format!("# values\n{expected}"));
        let null = set_values("service:  # todo\nother: 1\n", &entries[1..]).unwrap();
        assert_eq!(
            null,
            "service:  # todo\n  type: LoadBalancer # managed by lbipam-plan\nother: 1\n"
        );
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
        let added = "  \"true\": 1 # managed by lbipam-plan\n  \"8080\": x # managed by lbipam-plan\n  \"key: with colon\": y # managed by lbipam-plan\n  app.kubernetes.io/name: z # managed by lbipam-plan\n";
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
        upsert_document(text, "Kustomization", name, doc, after, &[])
    }

    #[test]
    fn upsert_replaces_only_the_documents_own_content() {
        let text = flux();
        let new = kustomization("cilium-core", "5m");
        let out = upsert(&text, "cilium-core", &new, None).unwrap();
        // Only the rendered field that differs changes; the user's fields stay.
        assert_eq!(out, text.replacen("interval: 10m", "interval: 5m", 1));
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
