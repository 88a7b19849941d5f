//! Parsing that refuses what the edits and audits must not guess at: files
//! yaml-edit or its validator find broken, and files YAML 1.1 tools (kubectl,
//! Helm, Flux) would read differently from YAML 1.2 ones.
//!
//! Nothing here is kept between calls: a caller that needs a text's parse
//! again holds on to the [`Checked`] it got (the edits, for a step that changed
//! nothing), or reads it through the repository tree, the one cache.

use yaml_edit::validator::{Severity, Validator};
use yaml_edit::{Parse, YamlFile};

use super::*;

/// A text that passed [`parse`]: its lossless parse and its documents as YAML
/// 1.1 tools read them. Shareable between threads (the lossless tree is built
/// from it on demand, [`Checked::file`]), so the repository tree can keep it.
#[derive(Clone, Debug)]
pub(crate) struct Checked {
    parse: Parse<YamlFile>,
    pub(super) values: Vec<yaml_serde::Value>,
}

impl Checked {
    /// The lossless tree, a fresh view of the kept parse.
    pub(crate) fn file(&self) -> YamlFile {
        self.parse.tree()
    }

    /// Every document as [`yaml11_values`] reads it.
    pub(crate) fn into_values(self) -> Vec<yaml_serde::Value> {
        self.values
    }
}

/// Parses `text`, refusing files yaml-edit reports as broken or that break YAML 1.2
/// rules its parser lets through (bad indentation, tabs, duplicate keys, ...), and
/// files that YAML 1.1 tools (kubectl, Helm, Flux) would read differently: a line
/// break only one of the two YAML versions sees, or text libyaml cannot parse.
pub(crate) fn parse(text: &str) -> Result<Checked, YamlError> {
    check_line_breaks(text)?;
    let parsed = YamlFile::parse(text);
    if let Some(e) = parsed.positioned_errors().first() {
        let at = e.start_position(text);
        return Err(YamlError::new(at.line, at.column, e.message.clone()));
    }
    for doc in parsed.tree().documents() {
        let violations = Validator::new().validate(&doc);
        if let Some(v) = violations
            .into_iter()
            .find(|v| v.severity == Severity::Error)
        {
            let offset = v.text_range.map_or(doc.byte_range().start, |r| r.start);
            return Err(error_at(text, offset as usize, v.message));
        }
    }
    let values = yaml11_values(text)?;
    Ok(Checked {
        parse: parsed,
        values,
    })
}

/// Parses a text the build made itself — a document it rendered, or a splice
/// into a text [`parse`] accepted — only to find nodes and where the next
/// splice goes: the validator and the YAML 1.1 reading (most of a parse's cost)
/// are left to [`Editing::finish`](super::Editing::finish), which runs them on the result before anything is
/// written. An edit of several keys parses each step.
pub(crate) fn parse_own(text: &str) -> Result<YamlFile, YamlError> {
    let parsed = YamlFile::parse(text);
    if let Some(e) = parsed.positioned_errors().first() {
        let at = e.start_position(text);
        return Err(YamlError::new(at.line, at.column, e.message.clone()));
    }
    Ok(parsed.tree())
}

/// Refuses a character that YAML 1.1 readers (PyYAML, libyaml, go-yaml as used by
/// kubectl and Flux) take for a line break and YAML 1.2 readers do not — U+2028,
/// U+2029, U+0085 (NEL), a carriage return without a line feed — so a file
/// cannot show the audit one thing and the cluster another (a comment hiding an
/// annotation on its "next line").
pub(crate) fn check_line_breaks(text: &str) -> Result<(), YamlError> {
    // U+2028/U+2029 start with 0xE2, U+0085 with 0xC2: most files hold none.
    if !text.bytes().any(|b| matches!(b, 0xE2 | 0xC2 | b'\r')) {
        return Ok(());
    }
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
pub(crate) fn yaml11_values(text: &str) -> Result<Vec<yaml_serde::Value>, YamlError> {
    use serde::Deserialize;
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let shift = text.len() - body.len();
    let body = super::go_ints(body);
    yaml_serde::Deserializer::from_str(&body)
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
                YamlError::new(line, column, msg)
            }),
        })
        .collect()
}

/// One document's value as kubectl reads it, integers as go-yaml reads them
/// (`defaultMode: 0755` is 493): the tree's parse of each document and the
/// resolver's of a text after Flux's substitution.
pub(crate) fn yaml11_value(doc: &str) -> Result<yaml_serde::Value, yaml_serde::Error> {
    yaml_serde::from_str(&super::go_ints(doc))
}

/// The non-empty documents of `docs`, merge keys (`<<`) applied.
pub(crate) fn merged(mut docs: Vec<yaml_serde::Value>) -> Vec<yaml_serde::Value> {
    docs.retain(|d| !d.is_null());
    for doc in &mut docs {
        // A merge of something that is not a mapping: leave the document as written.
        let mut merged = doc.clone();
        if merged.apply_merge().is_ok() {
            *doc = merged;
        }
    }
    docs
}
