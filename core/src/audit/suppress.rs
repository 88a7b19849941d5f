//! Suppression of one audit finding by the hand-written object it is about:
//! `metadata.annotations."lbipam.dev/ignore": "<code>: <reason>"`.
//!
//! Only the findings whose [`Code::suppressible`] says so (what hand-written
//! objects ask for) can be suppressed; plan errors, stale files, what the
//! resolver cannot model and the isolation of clusters cannot. A suppression
//! without a reason, or one that suppresses nothing (an unknown code, a code
//! that cannot be suppressed, no such finding on the object), is itself a
//! finding, so a suppression cannot outlive the problem it excused.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::diag::codes::Code;
use crate::diag::error::Error;
use crate::tree::Tree;

/// The annotation key.
pub(crate) const ANNOTATION: &str = "lbipam.dev/ignore";

/// One annotation found on an object.
struct Suppression {
    path: PathBuf,
    /// The line the object's document starts on.
    doc: usize,
    /// The line of the annotation.
    line: usize,
    /// The code as written.
    code: String,
    reason: String,
    used: bool,
}

/// `errors` less every finding a hand-written object of `texts` suppresses, and
/// a finding for every suppression that has no reason or suppresses nothing.
pub(crate) fn apply(
    tree: &Tree,
    errors: Vec<Error>,
    texts: &BTreeMap<PathBuf, String>,
) -> Vec<Error> {
    let mut found = Vec::new();
    let mut starts: BTreeMap<&Path, Vec<usize>> = BTreeMap::new();
    for (path, text) in texts.iter().filter(|(_, t)| t.contains(ANNOTATION)) {
        let docs = tree.documents(path, text);
        starts.insert(path, docs.objects.iter().map(|(line, _)| *line).collect());
        for (doc, value) in docs.objects.iter() {
            let Some(written) = value["metadata"]["annotations"][ANNOTATION].as_str() else {
                continue;
            };
            let (code, reason) = written.split_once(':').unwrap_or((written, ""));
            found.push(Suppression {
                path: path.clone(),
                doc: *doc,
                line: crate::yaml::key_in_document(text, *doc, ANNOTATION).map_or(*doc, |k| k.line),
                code: code.trim().to_owned(),
                reason: reason.trim().to_owned(),
                used: false,
            });
        }
    }
    if found.is_empty() {
        return errors;
    }
    let mut kept = Vec::with_capacity(errors.len());
    for e in errors {
        let suppressed = match &e {
            Error::File {
                code, path, line, ..
            } if code.suppressible() => {
                let doc = starts
                    .get(path.as_path())
                    .and_then(|s| s.iter().rev().find(|&&start| start <= *line).copied());
                found.iter_mut().find(|s| {
                    Some(s.doc) == doc
                        && s.path == *path
                        && s.code == code.as_str()
                        && !s.reason.is_empty()
                })
            }
            _ => None,
        };
        match suppressed {
            Some(s) => s.used = true,
            None => kept.push(e),
        }
    }
    kept.extend(found.into_iter().filter_map(unused));
    kept
}

/// The finding of a suppression that suppressed nothing, if it did.
fn unused(s: Suppression) -> Option<Error> {
    let at = |code, message| Error::file(code, s.path.clone(), s.line, 1, message);
    if s.reason.is_empty() {
        return Some(at(
            Code::SuppressionWithoutReason,
            format!("`{ANNOTATION}: {}` gives no reason", s.code),
        ));
    }
    if s.used {
        return None;
    }
    let why = match Code::from_name(&s.code) {
        Some(c) if c.suppressible() => format!("this object has no `{c}` finding"),
        _ if crate::diag::codes::all().contains(&s.code.as_str()) => format!(
            "`{}` cannot be suppressed (only what hand-written objects ask for)",
            s.code
        ),
        _ => format!("`{}` is not a finding's code", s.code),
    };
    Some(at(
        Code::UnusedSuppression,
        format!("`{ANNOTATION}` suppresses nothing: {why}"),
    ))
}
