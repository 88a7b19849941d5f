//! In-place edits of the hand-written files the build partly owns: the
//! cluster-settings ConfigMap, Helm values, the Flux Kustomization document of
//! a multi-document file, a generated section of a Markdown file. Built on `crate::yaml`: every
//! edit is a splice that leaves everything it does not own byte for byte, and
//! is parsed again, so a bug here surfaces as a `YamlError`, never as a
//! broken file.

use std::ops::Range;

use yaml_edit::{Mapping, MappingEntry, YamlNode};

pub(crate) use crate::yaml::Editing;
use crate::yaml::{
    GetPath, Target, as_mapping, break_after, break_changes_meaning, child, column, error_at,
    find_entry, insertion_point, is_empty_value, is_flow, is_safe_plain, leaf_paths, line_after,
    line_ending, line_start, node_end, node_range, open_block, parse_own, position, remove_entry,
    render_block, scalar_string, set_path, splice, start, with_line_ending,
};
pub(crate) use crate::yaml::{Scalar, YamlError, yaml11_values};

mod docs;
mod marked;

pub use docs::Scope;
use docs::{DocInfo, configmaps, documents, only, select};
pub use marked::MARKER;

/// As one step of an edit, sets `data.<key>` of the single ConfigMap document to a double-quoted
/// string for each (key, value): ConfigMap values must be strings. Each key we set
/// carries [`MARKER`] as its trailing comment (added if missing).
///
/// An existing value's text alone is replaced (its comment stays); a missing key is
/// appended after the last entry of `data`, a missing or null `data` at the end of
/// the top mapping. `data` or the value being of another type is an error at that node.
pub(crate) fn configmap_data(
    editing: &mut Editing<'_>,
    entries: &[(&str, &str)],
) -> Result<(), YamlError> {
    for (key, value) in entries {
        let out = editing.text();
        let docs = documents(out, editing.file()?);
        let Some(doc) = only(out, configmaps(&docs), "ConfigMap")? else {
            return Err(error_at(out, 0, "no ConfigMap document"));
        };
        let target = Target {
            root: doc.root(),
            merged: None,
            mark: Some(MARKER),
        };
        let next = set_path(
            out,
            target,
            &["data", key],
            &Scalar::Quoted((*value).into()),
        )?;
        editing.step(next);
    }
    editing.own(
        entries
            .iter()
            .map(|(k, _)| vec!["data".to_owned(), (*k).to_owned()]),
    );
    Ok(())
}

/// As one step of an edit, deletes every `data` entry of the single ConfigMap document that carries
/// [`MARKER`] but is not in `keep`: a key the build wrote and no longer renders
/// (the setting of a pin removed from the plan, or of a renamed `setting`). The
/// entry's whole lines go, its comment included; unmarked keys are never touched.
pub(crate) fn configmap_prune(editing: &mut Editing<'_>, keep: &[&str]) -> Result<(), YamlError> {
    let keep: Vec<Vec<String>> = keep
        .iter()
        .map(|k| vec!["data".to_owned(), (*k).to_owned()])
        .collect();
    marked::prune(editing, &keep, Scope::ConfigMap)
}

/// As one step of an edit, deletes every entry of the document `scope` selects (a Helm values file, a
/// HelmRelease) that carries [`MARKER`] and whose path is neither in `keep` nor
/// a parent of a kept path: the annotation and `type` the build wrote under a
/// `helm-service` path that changed, or under a service no longer pinned. A
/// marked map (one the build created) goes once it is empty; unmarked keys and
/// maps are never touched.
pub(crate) fn values_prune(
    editing: &mut Editing<'_>,
    scope: Scope,
    keep: &[&[&str]],
) -> Result<(), YamlError> {
    let keep: Vec<Vec<String>> = keep
        .iter()
        .map(|p| p.iter().map(|s| (*s).to_owned()).collect())
        .collect();
    marked::prune(editing, &keep, scope)
}

/// As one step of an edit, sets nested keys of the document `scope` selects (a Helm values file, one
/// document, possibly empty; a HelmRelease among other documents) for each
/// (path, value). Each path segment is one whole key (`io.cilium/lb-ipam-ips`), quoted
/// only if YAML needs it. Missing keys become block mappings indented like the file
/// (2 spaces if it has no nesting yet); `key: {}` or an empty `key:` is opened into
/// a block mapping. An intermediate scalar or list is an error at that node.
pub(crate) fn values(
    editing: &mut Editing<'_>,
    scope: Scope,
    entries: &[(&[&str], Scalar)],
) -> Result<(), YamlError> {
    for (path, value) in entries {
        let unsafe_plain = matches!(value, Scalar::Plain(v) if !is_safe_plain(v));
        if path.is_empty() || unsafe_plain {
            let msg = format!("cannot write {value:?} at `{}`", path.join("."));
            return Err(YamlError::new(1, 1, msg));
        }
    }
    for (path, value) in entries {
        let out = editing.text();
        let docs = documents(out, editing.file()?);
        let doc = select(out, &docs, scope)?;
        if let Some(node) = doc.and_then(|d| d.node.as_ref())
            && as_mapping(node).is_none()
        {
            if !is_empty_value(out, node) {
                let msg = "the top must be a mapping";
                return Err(error_at(out, node_range(node).start, msg));
            }
            // `~`, `null` or `!!null` alone: the values start here.
            let block = render_block(path, value, 0, 2, line_ending(out), Some(MARKER));
            let next = open_block(out, node_range(node), &block);
            editing.step(next);
            continue;
        }
        // The same document as YAML 1.1 tools read it.
        let merged = editing.merged()?;
        let merged = match scope {
            Scope::Kind(kind) => merged
                .iter()
                .find(|v| v["kind"].as_str() == Some(kind))
                .or(merged.first()),
            _ => merged.first(),
        };
        let target = Target {
            root: doc.and_then(DocInfo::root),
            merged,
            mark: Some(MARKER),
        };
        let next = set_path(out, target, path, value)?;
        editing.step(next);
    }
    editing.own(
        entries
            .iter()
            .map(|(p, _)| p.iter().map(|s| (*s).to_owned()).collect()),
    );
    Ok(())
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
) -> Result<String, YamlError> {
    let new = NewDocument::parse(doc, kind, name)?;
    let mut editing = Editing::new(text)?;
    let docs = documents(text, editing.file()?);
    let nl = line_ending(text);
    let mut found = docs.iter().filter(|d| d.is(kind, name));
    if let Some(existing) = found.next() {
        if let Some(second) = found.next() {
            let first = position(text, existing.content.start).0;
            let msg = format!("duplicate {kind} `{name}` (first at line {first})");
            return Err(error_at(text, second.content.start, msg));
        }
        return sync_document(editing, &new, kind, name, optional);
    }
    let anchor = after
        .and_then(|a| docs.iter().find(|d| d.is(kind, a)))
        .or_else(|| docs.iter().rev().find(|d| d.node.is_some()));
    let mut at = anchor.map_or(text.len(), |d| {
        insertion_point(text, d.range.clone(), d.content.end)
    });
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
        editing.step(splice(text, at..at, &insert));
        return editing.finish();
    }
    let before = &text[..at];
    let mut insert = break_after(before).to_string();
    let last_line = before.lines().rev().map(str::trim).find(|l| !l.is_empty());
    if !new.has_separator && last_line.is_some_and(|l| l != "---") {
        insert = format!("{insert}---{nl}");
    }
    insert.push_str(&whole);
    editing.step(splice(text, at..at, &insert));
    editing.finish()
}

/// Brings the fields `new` renders into the existing document, one edit at a
/// time, then removes the `optional` paths it does not render.
fn sync_document(
    mut editing: Editing<'_>,
    new: &NewDocument,
    kind: &str,
    name: &str,
    optional: &[&[&str]],
) -> Result<String, YamlError> {
    let rendered = parse_own(&new.content)?;
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
    let mut owned: Vec<Vec<String>> = Vec::new();
    leaf_paths(&want_value, &mut Vec::new(), &mut owned);
    // Each pass fixes one field; more passes than fields means we are not converging.
    for _ in 0..=owned.len() + optional.len() + 1 {
        let out = editing.text();
        let docs = documents(out, editing.file()?);
        let Some(doc) = docs.iter().find(|d| d.is(kind, name)) else {
            return Err(error_at(
                out,
                0,
                format!("internal error: {kind} `{name}` lost"),
            ));
        };
        let have = editing
            .ours(yaml11_values(&out[doc.range.clone()]))?
            .into_iter()
            .find(|v| !v.is_null());
        let have = have.unwrap_or_default();
        let Some(root) = doc.root() else {
            return Err(error_at(
                out,
                doc.content.start,
                "the document is not a mapping",
            ));
        };
        let step = Converge {
            text: out,
            have: &have,
            source: &new.content,
            want: &want_value,
        };
        if let Some((range, with)) = step.next_edit(&root, &want, &mut Vec::new()) {
            let next = splice(out, range, &with);
            editing.step(next);
            continue;
        }
        let stale = optional
            .iter()
            .find(|p| want_value.get_path(p).is_none() && have.get_path(p).is_some());
        let Some(stale) = stale else {
            editing.own(owned);
            return editing.finish();
        };
        owned.push(stale.iter().map(|s| (*s).to_owned()).collect());
        let (parents, last) = stale.split_at(stale.len() - 1);
        let mut mapping = root;
        for key in parents {
            let next = child(&YamlNode::Mapping(mapping.clone()), key).and_then(|n| as_mapping(&n));
            mapping = next.ok_or_else(|| error_at(out, doc.content.start, "unexpected shape"))?;
        }
        let entry = find_entry(&mapping, last[0]);
        let entry = entry.ok_or_else(|| error_at(out, doc.content.start, "unexpected shape"))?;
        let next = remove_entry(out, &mapping, &entry, &stale.join("."))?;
        editing.step(next);
    }
    Err(editing.internal("the owned document does not converge"))
}

/// One step of [`sync_document`]: the existing document (its text and value)
/// against the rendered one (its text and value).
struct Converge<'a> {
    text: &'a str,
    have: &'a yaml_serde::Value,
    source: &'a str,
    want: &'a yaml_serde::Value,
}

impl Converge<'_> {
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

/// Replaces the lines strictly between the marker lines `begin` and `end` of a
/// Markdown file with `body`, so a generated section can live in a hand-written
/// file. Markers match after trimming whitespace. No begin marker: `Ok(None)`, the
/// caller appends a section. A begin without an end, an end without a begin, or a
/// second begin or end is an error.
pub(crate) fn replace_marked_section(
    text: &str,
    begin: &str,
    end: &str,
    body: &str,
) -> Result<Option<String>, YamlError> {
    let error = |line, message: String| YamlError::new(line, 1, message);
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

/// The document given to [`upsert_document`], checked, with `\n` line endings.
struct NewDocument {
    whole: String,
    content: String,
    has_separator: bool,
}

impl NewDocument {
    fn parse(doc: &str, kind: &str, name: &str) -> Result<Self, YamlError> {
        let context = |e: YamlError| YamlError {
            message: format!("in the new {kind} `{name}`: {}", e.message),
            ..e
        };
        let file = parse_own(doc).map_err(context)?;
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

#[cfg(test)]
mod tests;
