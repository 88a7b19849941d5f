//! The safety net under every edit: the result must parse again (as YAML 1.2
//! and 1.1) and say everything the original said outside the paths the edit
//! owns; otherwise the edit is reported as our bug and nothing is written.

use std::cell::OnceCell;

use yaml_edit::YamlFile;

use super::*;

/// A hand-written file being edited: the user's text, and the text so far with
/// its lossless parse and YAML 1.1 reading, each made once per text and only
/// when asked, so a step that changes nothing costs no parse (an edit of many
/// keys that are all right already parses its file once).
pub(crate) struct Editing<'a> {
    original: &'a str,
    /// The original's parse.
    before: Checked,
    text: String,
    file: OnceCell<YamlFile>,
    merged: OnceCell<Vec<yaml_serde::Value>>,
    /// The key paths (into any document) the steps so far own.
    owned: Vec<Vec<String>>,
}

impl<'a> Editing<'a> {
    /// Starts an edit of `original`, which must pass [`parse`]: an error in it
    /// is the user's.
    pub(crate) fn new(original: &'a str) -> Result<Self, YamlError> {
        let checked = parse(original)?;
        Ok(Editing {
            original,
            file: OnceCell::from(checked.file()),
            before: checked,
            text: original.to_owned(),
            merged: OnceCell::new(),
            owned: Vec::new(),
        })
    }

    /// The text so far.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// The lossless parse of the text so far; an error in a text we changed
    /// is ours.
    pub(crate) fn file(&self) -> Result<&YamlFile, YamlError> {
        if self.file.get().is_none() {
            let file = ours(self.original, &self.text, parse_own(&self.text))?;
            let _ = self.file.set(file);
        }
        self.file
            .get()
            .ok_or_else(|| internal(self.original, &self.text, "lose its parse".into()))
    }

    /// The non-empty documents of the text so far as YAML 1.1 tools read them,
    /// merge keys applied.
    pub(crate) fn merged(&self) -> Result<&[yaml_serde::Value], YamlError> {
        if self.merged.get().is_none() {
            let values = match self.text == self.original {
                true => self.before.values.clone(),
                false => ours(self.original, &self.text, yaml11_values(&self.text))?,
            };
            let _ = self.merged.set(merged(values));
        }
        Ok(self.merged.get().map_or(&[][..], Vec::as_slice))
    }

    /// `result`, a reading of the text so far: an error in a text we changed is ours.
    pub(crate) fn ours<T>(&self, result: Result<T, YamlError>) -> Result<T, YamlError> {
        ours(self.original, &self.text, result)
    }

    /// An edit that would `message` (see [`internal`]).
    pub(crate) fn internal(&self, message: &str) -> YamlError {
        internal(self.original, &self.text, message.to_owned())
    }

    /// Marks `paths` (key paths into any document) as the edit's own: they may
    /// change, and nothing else may.
    pub(crate) fn own(&mut self, paths: impl IntoIterator<Item = Vec<String>>) {
        self.owned.extend(paths);
    }

    /// Takes the text a step made; it is parsed when next asked for.
    pub(crate) fn step(&mut self, out: String) {
        if out != self.text {
            self.text = out;
            self.file = OnceCell::new();
            self.merged = OnceCell::new();
        }
    }

    /// The edited text, if it still parses (as YAML 1.2 and as YAML 1.1) and
    /// says everything the original said outside the paths the steps own
    /// ([`Editing::own`]): an edit that broke the file or changed what its user
    /// wrote is our bug, reported as such.
    pub(crate) fn finish(self) -> Result<String, YamlError> {
        self.finish_checked().map(|(text, _)| text)
    }

    /// [`Editing::finish`], with the edited text's parse, for a reader that
    /// would parse it again.
    pub(crate) fn finish_checked(self) -> Result<(String, Checked), YamlError> {
        let owned = &self.owned;
        let (original, out) = (self.original, self.text);
        if out == original {
            return Ok((out, self.before));
        }
        let checked = parse(&out)
            .map_err(|e| internal(original, &out, format!("break the file: {}", e.message)))?;
        let before = merged(self.before.into_values());
        let after = merged(checked.values.clone());
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
        Ok((out, checked))
    }
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
