//! The documents of a file being edited: each with the kind and name of the
//! object it holds, and the one an edit works on.

use std::ops::Range;

use yaml_edit::{Mapping, YamlFile, YamlNode};

use crate::yaml::{YamlError, child, error_at, scalar_string};

pub(super) fn configmaps(docs: &[DocInfo]) -> impl Iterator<Item = &DocInfo> {
    docs.iter()
        .filter(|d| d.kind.as_deref() == Some("ConfigMap"))
}

/// Which document of a file an edit works on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The one ConfigMap (cluster-settings).
    ConfigMap,
    /// The one non-empty document (a Helm values file).
    Single,
    /// The one document of this kind among others (a `HelmRelease` beside its
    /// `HelmRepository`); in a file of one document, that document, whatever
    /// its kind.
    Kind(&'static str),
}

pub(super) fn select<'d>(
    text: &str,
    docs: &'d [DocInfo],
    scope: Scope,
) -> Result<Option<&'d DocInfo>, YamlError> {
    match scope {
        Scope::ConfigMap => only(text, configmaps(docs), "ConfigMap"),
        Scope::Single => only(text, docs.iter().filter(|d| d.node.is_some()), "document"),
        Scope::Kind(kind) => {
            let of_kind = docs.iter().filter(|d| d.kind.as_deref() == Some(kind));
            if of_kind.clone().next().is_some() {
                return only(text, of_kind, kind);
            }
            let content = docs.iter().filter(|d| d.node.is_some());
            match content.clone().count() {
                0 | 1 => only(text, content, "document"),
                n => Err(error_at(
                    text,
                    0,
                    format!("no {kind} among the file's {n} documents"),
                )),
            }
        }
    }
}

/// One document of a file, with the Kubernetes object it holds, if any.
pub(super) struct DocInfo {
    /// The whole document, from its `---` (if any) to the next one.
    pub(super) range: Range<usize>,
    /// From the line of its first key to the end of its last entry: what an upsert
    /// replaces. Comments above and below it are not part of it.
    pub(super) content: Range<usize>,
    /// The top node, unless the document is empty.
    pub(super) node: Option<YamlNode>,
    pub(super) kind: Option<String>,
    pub(super) name: Option<String>,
}

/// The one document `docs` yields, if any; a second one is an error at it.
pub(super) fn only<'d>(
    text: &str,
    mut docs: impl Iterator<Item = &'d DocInfo>,
    what: &str,
) -> Result<Option<&'d DocInfo>, YamlError> {
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
    pub(super) fn root(&self) -> Option<Mapping> {
        self.node.as_ref()?.as_mapping().cloned()
    }

    pub(super) fn is(&self, kind: &str, name: &str) -> bool {
        self.kind.as_deref() == Some(kind) && self.name.as_deref() == Some(name)
    }
}

/// The documents of `file`, the lossless parse of `text`, with the `kind` and
/// `metadata.name` of each.
pub(super) fn documents(text: &str, file: &YamlFile) -> Vec<DocInfo> {
    let info = |doc: crate::yaml::Parsed| {
        let kind = doc
            .node
            .as_ref()
            .and_then(|n| scalar_string(child(n, "kind")));
        let metadata = doc.node.as_ref().and_then(|n| child(n, "metadata"));
        let name = metadata.and_then(|m| scalar_string(child(&m, "name")));
        DocInfo {
            range: doc.range,
            content: doc.content,
            node: doc.node,
            kind,
            name,
        }
    };
    crate::yaml::parsed(text, file)
        .into_iter()
        .map(info)
        .collect()
}
