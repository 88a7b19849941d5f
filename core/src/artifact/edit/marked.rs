//! Keys the build owns in hand-written files carry a visible marker comment, so
//! it knows without guessing which ones to remove when the plan stops rendering
//! them.

use yaml_edit::{Mapping, MappingEntry, YamlNode};

use super::docs::{Scope, documents, select};
use crate::yaml::{
    Editing, YamlError, as_mapping, is_flow, node_range, remove_entry, scalar_string, start,
    tail_carries,
};

/// The trailing comment on every key the build writes into a hand-written file
/// (and on every map it creates for one): what the build owns, and removes once
/// the plan no longer renders it. Keys without it are never removed.
pub const MARKER: &str = "# managed by lbipam-plan";

/// Whether the line of `entry`'s key ends in a comment carrying [`MARKER`].
pub(super) fn is_marked(text: &str, entry: &MappingEntry) -> bool {
    let key_end = entry
        .key_node()
        .map_or(start(entry), |k| node_range(&k).end);
    let eol = |at: usize| text[at..].find('\n').map_or(text.len(), |i| at + i);
    let key_eol = eol(key_end);
    let tail = match entry.value_node() {
        Some(YamlNode::Scalar(s)) if s.is_block() => {
            let at = s.byte_range().start as usize;
            &text[at..eol(at)]
        }
        Some(v) if node_range(&v).start < key_eol && !node_range(&v).is_empty() => {
            let end = node_range(&v).end;
            &text[end..eol(end)]
        }
        _ => &text[key_end..key_eol],
    };
    tail_carries(tail.trim_end_matches('\r'), MARKER)
}

/// `text` without the marked entries of the document `scope` selects whose path
/// is not kept (equal to, or a parent of, a path in `keep`): a marked scalar goes;
/// a marked map goes once it is empty (the build created it); anything else is
/// searched below. One entry at a time, each removal parsed again.
pub(super) fn prune(
    editing: &mut Editing<'_>,
    keep: &[Vec<String>],
    scope: Scope,
) -> Result<(), YamlError> {
    let mut removed = Vec::new();
    loop {
        let out = editing.text();
        let docs = documents(out, editing.file()?);
        let Some(root) = select(out, &docs, scope)?.and_then(|d| d.root()) else {
            break;
        };
        let Some((mapping, entry, path)) = first_stale(out, &root, keep, &mut Vec::new()) else {
            break;
        };
        let next = remove_entry(out, &mapping, &entry, &path.join("."))?;
        editing.step(next);
        removed.push(path);
    }
    editing.own(removed);
    Ok(())
}

/// The first marked, no longer rendered entry below `mapping`, with the mapping
/// holding it and its dotted path.
fn first_stale(
    text: &str,
    mapping: &Mapping,
    keep: &[Vec<String>],
    path: &mut Vec<String>,
) -> Option<(Mapping, MappingEntry, Vec<String>)> {
    for entry in mapping.entries() {
        let Some(key) = scalar_string(entry.key_node()) else {
            continue;
        };
        path.push(key);
        let kept = keep.iter().any(|k| k.starts_with(path));
        let value = entry.value_node();
        let child = value
            .as_ref()
            .and_then(as_mapping)
            .filter(|m| !is_flow(text, m) && !m.is_empty());
        let found = match child {
            Some(child) => first_stale(text, &child, keep, path),
            None if !kept && is_marked(text, &entry) && !is_list(value.as_ref()) => {
                Some((mapping.clone(), entry, path.clone()))
            }
            None => None,
        };
        path.pop();
        if found.is_some() {
            return found;
        }
    }
    None
}

fn is_list(node: Option<&YamlNode>) -> bool {
    node.is_some_and(|n| n.as_sequence().is_some())
}
