//! The documents of a multi-document YAML file.
//!
//! [`split`] cuts a text at its `---` lines, for readers that parse each
//! document on their own (the audits, the resolver); [`parsed`] lists the
//! documents of a lossless parse with their byte ranges and top nodes, for the
//! edits that splice into them.

use std::ops::Range;

use yaml_edit::{YamlFile, YamlNode};

use super::*;

/// One document of a text as [`split`] cuts it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Document {
    /// The 1-based line its text starts on (the line after its `---`).
    pub line: usize,
    /// Its text, without the `---` line.
    pub range: Range<usize>,
}

/// The documents of a multi-document YAML text, in order, cut at every line
/// that is `---` alone or followed by a space or tab: YAML forbids such a line
/// inside any scalar or collection, so no content is cut. Content written on
/// the marker line (`--- {kind: Service, ...}`, `--- |`) starts the document
/// there; a comment there does not. The text before the first `---` is a
/// document too (empty if the file starts with one).
///
/// Directives (`%YAML 1.2`, `%TAG ! tag:example.com,2000:`), which YAML allows
/// only before a document's `---`, stay with the document they precede, so it
/// is parsed with them; a `...` line ends a document (directives may follow it).
pub(crate) fn split(text: &str) -> Vec<Document> {
    let mut docs = Vec::new();
    let (mut start, mut line) = (0, 1);
    let mut offset = 0;
    // Whether the text since `start` is directives (at least one), comments
    // and blank lines only: the prologue of the next document.
    let mut directives = false;
    let mut prologue = true;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        let bare = l.trim_end();
        let marker = bare == "---" || bare.starts_with("--- ") || bare.starts_with("---\t");
        if marker && directives && prologue {
            // The directives belong to this document: it starts at them.
            (directives, prologue) = (false, false);
        } else if marker {
            docs.push(Document {
                line,
                range: start..offset,
            });
            let tail = bare[3..].trim_start_matches([' ', '\t']);
            (start, line) = if tail.is_empty() || tail.starts_with('#') {
                (offset + l.len(), i + 2)
            } else {
                (offset + (bare.len() - tail.len()), i + 1)
            };
            (directives, prologue) = (false, false);
        } else if bare == "..." || bare.starts_with("... ") || bare.starts_with("...\t") {
            // The end of a document: what follows may be the next one's prologue.
            docs.push(Document {
                line,
                range: start..offset + l.len(),
            });
            (start, line) = (offset + l.len(), i + 2);
            (directives, prologue) = (false, true);
        } else if prologue && l.starts_with('%') {
            directives = true;
        } else if prologue && !(bare.trim_start().is_empty() || bare.trim_start().starts_with('#'))
        {
            prologue = false;
        }
        offset += l.len();
    }
    docs.push(Document {
        line,
        range: start..text.len(),
    });
    docs
}

/// One document of a lossless parse.
pub(crate) struct Parsed {
    /// The whole document, from its `---` (if any) to the next one.
    pub(crate) range: Range<usize>,
    /// From the line of its first key to the end of its last entry: what an upsert
    /// replaces. Comments above and below it are not part of it.
    pub(crate) content: Range<usize>,
    /// The top node, unless the document is empty.
    pub(crate) node: Option<YamlNode>,
}

/// The documents of `file`, the lossless parse of `text`.
pub(crate) fn parsed(text: &str, file: &YamlFile) -> Vec<Parsed> {
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
        Parsed {
            range,
            content,
            node,
        }
    };
    file.documents().map(info).collect()
}

/// Where a document goes after the one at `range` whose content (see
/// [`Parsed::content`]) ends at `content_end`: at its end, but before the
/// comment lines right above the next `---`, which describe the next document.
pub(crate) fn insertion_point(text: &str, range: Range<usize>, content_end: usize) -> usize {
    let mut at = range.end;
    if text[at..].trim().is_empty() {
        return at;
    }
    while at > content_end {
        let previous = line_start(text, at - 1);
        if previous < content_end || !text[previous..at].trim_start().starts_with('#') {
            break;
        }
        at = previous;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_split_at_marker_lines_with_their_first_line() {
        let text = "a: 1\n---\nb: 2\nc: 3\n--- # x\nd: 4\n";
        let docs = split(text);
        let starts: Vec<usize> = docs.iter().map(|d| d.line).collect();
        assert_eq!(starts, [1, 3, 6]);
        assert_eq!(&text[docs[1].range.clone()], "b: 2\nc: 3\n");
        assert_eq!(&text[docs[2].range.clone()], "d: 4\n");
    }

    #[test]
    fn content_on_a_marker_line_starts_its_document_there_and_a_comment_does_not() {
        let text = "a: 1\n--- {kind: Service}\n---\t|\n  text\n--- # note\nb: 2\n";
        let docs = split(text);
        let got: Vec<(usize, &str)> = docs
            .iter()
            .map(|d| (d.line, &text[d.range.clone()]))
            .collect();
        assert_eq!(
            got,
            [
                (1, "a: 1\n"),
                (2, "{kind: Service}\n"),
                (3, "|\n  text\n"),
                (6, "b: 2\n"),
            ]
        );
    }

    #[test]
    fn a_leading_marker_leaves_an_empty_first_document() {
        let text = "---\na: 1\n";
        let docs = split(text);
        assert_eq!(
            docs[0],
            Document {
                line: 1,
                range: 0..0
            }
        );
        assert_eq!(&text[docs[1].range.clone()], "a: 1\n");
    }

    #[test]
    fn directives_after_a_document_end_marker_begin_the_next_document() {
        let text =
            "%YAML 1.1\n---\na: 1\n...\n%YAML 1.2\n%TAG ! tag:example.com,2000:\n---\nb: 2\n";
        let docs = split(text);
        assert_eq!(docs.len(), 2, "{docs:?}");
        assert!(text[docs[1].range.clone()].starts_with("%YAML 1.2\n%TAG"));
        assert_eq!(docs[1].line, 5);
    }
}
