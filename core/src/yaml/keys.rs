//! Where a key is written, found in the text without parsing it.
//!
//! The values the audits judge come from the YAML 1.1 reader, which keeps no
//! positions; a finding still points at the key it is about. Searching the
//! lines is enough for that and costs nothing next to a lossless parse. A key
//! is found in block style (`key: v`, `- key: v`), quoted (`"key": v`) and in
//! flow style (`{a: 1, key: v}`); when it is not found the caller falls back
//! to the document's first line.

/// A line holding a key: where the key and its value start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KeyAt<'a> {
    /// 1-based line.
    pub(crate) line: usize,
    /// 1-based column of the key (of its opening quote, when quoted).
    pub(crate) column: usize,
    /// 1-based column of the value (the end of the line when it has none).
    pub(crate) value_column: usize,
    /// The rest of the line after the key's colon, trimmed.
    pub(crate) value: &'a str,
}

/// Every line from 1-based line `from` to the end of `text` that holds `key`,
/// in order (the first occurrence on each line).
pub(crate) fn keys_from<'a>(
    text: &'a str,
    from: usize,
    key: &'a str,
) -> impl Iterator<Item = KeyAt<'a>> + 'a {
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1))
        .filter_map(move |(i, line)| key_on(line, key).map(|at| KeyAt { line: i + 1, ..at }))
}

/// The first line holding `key` anywhere in `text`.
pub(crate) fn key_in_text<'a>(text: &'a str, key: &'a str) -> Option<KeyAt<'a>> {
    keys_from(text, 1, key).next()
}

/// Whether `line` holds YAML: neither blank nor only a comment.
fn is_content(line: &str) -> bool {
    let bare = line.trim_start();
    !bare.is_empty() && !bare.starts_with('#')
}

/// The first line holding `key` as a key of the top mapping (at column 1), in
/// a file of one document: a kustomization's `resources:`, not the one inside
/// an inline patch above it. In a file written in flow style (its first
/// content line starts with `{`), the first line holding `key` anywhere.
pub(crate) fn top_key_in_text<'a>(text: &'a str, key: &'a str) -> Option<KeyAt<'a>> {
    // Flow style starts its first content line with `{`.
    let first = text
        .lines()
        .map(str::trim_start)
        .find(|l| is_content(l) && !l.starts_with("---") && !l.starts_with('%'));
    let block = first.is_some_and(|l| !l.starts_with('{'));
    match block {
        true => keys_from(text, 1, key).find(|at| at.column == 1),
        false => key_in_text(text, key),
    }
}

/// The first line holding `key` in the document that starts on 1-based line
/// `doc` (up to the next `---`).
pub(crate) fn key_in_document<'a>(text: &'a str, doc: usize, key: &'a str) -> Option<KeyAt<'a>> {
    let end = document_end(text, doc);
    keys_from(text, doc, key)
        .take_while(|at| at.line < end)
        .next()
}

/// The 1-based line of the `---` after the document starting on line `doc`.
fn document_end(text: &str, doc: usize) -> usize {
    text.lines()
        .enumerate()
        .skip(doc)
        .find(|(_, l)| l.trim_end() == "---" || l.starts_with("--- "))
        .map_or(usize::MAX, |(i, _)| i + 1)
}

/// The first line holding `key` as a key of the mapping under the top-level
/// `parent` of the document that starts on 1-based line `doc`: a Flux
/// Kustomization's `spec.path`, not a JSON patch operation's `path:` inside
/// its `spec.patches`.
pub(crate) fn child_key_in_document<'a>(
    text: &'a str,
    doc: usize,
    (parent, key): (&'a str, &'a str),
) -> Option<KeyAt<'a>> {
    let end = document_end(text, doc);
    let at = keys_from(text, doc, parent)
        .take_while(|at| at.line < end)
        .find(|at| at.column == 1)?;
    let first_child = text.lines().skip(at.line).find(|l| is_content(l))?;
    let indent = first_child.len() - first_child.trim_start().len();
    if indent == 0 {
        return None; // `parent: {…}` in flow style, or empty
    }
    // The mapping ends at the first content line indented less than its keys.
    let within = text
        .lines()
        .enumerate()
        .skip(at.line)
        .find(|(_, l)| is_content(l) && l.len() - l.trim_start().len() < indent)
        .map_or(end, |(i, _)| (i + 1).min(end));
    keys_from(text, at.line + 1, key)
        .take_while(|k| k.line < within)
        .find(|k| k.column == indent + 1)
}

/// The 1-based line of the entry `item` of the list under the top-level `key`
/// ([`top_key_in_text`]): a block item (`- item`, quoted or not, a comment after
/// it), or the key's own line for a flow list (`key: [a, item]`); `None` when
/// the block list does not hold it.
pub(crate) fn item_line(text: &str, key: &str, item: &str) -> Option<usize> {
    let at = top_key_in_text(text, key)?;
    let key_indent = at.column - 1;
    for (i, line) in text.lines().enumerate().skip(at.line) {
        let bare = line.trim_start();
        let indent = line.len() - bare.len();
        if !is_content(bare) {
            continue;
        }
        let Some(rest) = bare.strip_prefix('-').filter(|_| indent >= key_indent) else {
            break; // the next key: the list has ended
        };
        let rest = rest.split(" #").next().unwrap_or(rest).trim();
        if rest.trim_matches(|c| c == '"' || c == '\'') == item {
            return Some(i + 1);
        }
    }
    (at.value.starts_with('[') && at.value.contains(item)).then_some(at.line)
}

/// `key` on one line, at a key's place: the line's start after indentation and
/// `- `, or after `{` or `,` in a flow mapping; followed by `:` and a blank or
/// the end of the line. `line` is left 0.
fn key_on<'a>(line: &'a str, key: &str) -> Option<KeyAt<'a>> {
    let mut search = 0;
    while let Some(found) = line[search..].find(key) {
        let start = search + found;
        search = start + key.len();
        let (open, close) = quotes_around(line, start, start + key.len());
        if !at_key_place(&line[..start - open]) {
            continue;
        }
        let after = &line[start + key.len() + close..];
        let Some(rest) = after.strip_prefix(':') else {
            continue;
        };
        if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
            continue;
        }
        let value = rest.trim();
        let value_at = line.len() - rest.len() + (rest.len() - rest.trim_start().len());
        return Some(KeyAt {
            line: 0,
            column: column(line, start - open),
            value_column: column(line, value_at),
            value,
        });
    }
    None
}

/// Whether a matching quote stands right before `start` and right after `end`:
/// the bytes each side takes (0 or 1).
fn quotes_around(line: &str, start: usize, end: usize) -> (usize, usize) {
    let before = line[..start].chars().next_back();
    let after = line[end..].chars().next();
    match (before, after) {
        (Some(q @ ('"' | '\'')), Some(a)) if a == q => (1, 1),
        _ => (0, 0),
    }
}

/// Whether what precedes a key leaves it at a key's place.
fn at_key_place(before: &str) -> bool {
    let before = before.trim_end_matches([' ', '\t']);
    let before = before.trim_end_matches(['-', ' ', '\t']);
    before.trim().is_empty() || before.ends_with(['{', ','])
}

/// The 1-based column of byte `at`, counting characters.
fn column(line: &str, at: usize) -> usize {
    line[..at].chars().count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, key: &str) -> Option<(usize, usize, usize, String)> {
        key_in_text(text, key).map(|k| (k.line, k.column, k.value_column, k.value.to_owned()))
    }

    #[test]
    fn a_list_item_is_found_under_its_own_key_only() {
        let text = "resources:\n  - a.yaml\n  - \"b.yaml\" # why\ncomponents:\n- c\n- a.yaml\n";
        assert_eq!(item_line(text, "resources", "b.yaml"), Some(3));
        assert_eq!(item_line(text, "components", "a.yaml"), Some(6));
        // Not in its list: none.
        assert_eq!(item_line(text, "resources", "c"), None);
        assert_eq!(item_line("resources: [a, b]\n", "resources", "b"), Some(1));
        assert_eq!(item_line(text, "patches", "a.yaml"), None);
    }

    #[test]
    fn a_key_of_spec_is_found_below_the_same_key_in_a_patch_operation() {
        let text = "---\nkind: Kustomization\nspec:\n  patches:\n    - patch: |\n        - op: add\n          path: /x\n  path: ./apps\n---\nspec:\n  path: ./other\n";
        let at = |key| child_key_in_document(text, 1, ("spec", key)).map(|k| k.line);
        assert_eq!(at("path"), Some(8));
        assert_eq!(at("patches"), Some(4));
        assert_eq!(at("missing"), None);
        let status = "spec:\n  interval: 1m\nstatus:\n  path: x\n";
        let under = child_key_in_document(status, 1, ("spec", "path"));
        assert_eq!(under, None, "not a key of a later mapping");
        let next = child_key_in_document(text, 9, ("spec", "path")).map(|k| k.line);
        assert_eq!(next, Some(11), "the next document's own");
    }

    #[test]
    fn a_top_level_key_is_found_below_the_same_key_nested_in_an_inline_patch() {
        let text = "patches:
  - patch: |
      resources:
        - x
resources:
  - x
";
        assert_eq!(top_key_in_text(text, "resources").map(|k| k.line), Some(5));
        assert_eq!(item_line(text, "resources", "x"), Some(6));
        // A block-style file that does not write the key at the top has none.
        let nested = "patches:\n  - patch: |\n      resources:\n        - x\n";
        assert_eq!(top_key_in_text(nested, "resources"), None);
        // Flow style has no key at column 1: the first one anywhere.
        let flow = "{patches: [], resources: [x]}\n";
        assert_eq!(top_key_in_text(flow, "resources").map(|k| k.line), Some(1));
        let wrapped = "{patches: [],\nresources: [x,\ny]}\n";
        assert_eq!(
            top_key_in_text(wrapped, "resources").map(|k| k.line),
            Some(2)
        );
    }

    #[test]
    fn a_block_key_is_found_after_its_indentation_and_list_dash() {
        let text = "a: 1\nspec:\n  - name: x\n    port: 80\n";
        assert_eq!(at(text, "name"), Some((3, 5, 11, "x".into())));
        assert_eq!(at(text, "port"), Some((4, 5, 11, "80".into())));
        assert_eq!(at(text, "spec"), Some((2, 1, 6, String::new())));
    }

    #[test]
    fn a_quoted_or_flow_key_is_found_and_a_key_in_a_value_is_not() {
        let text =
            "note: set ipFamilyPolicy: x\nspec: {type: LB, ipFamilyPolicy: PreferDualStack}\n";
        assert_eq!(
            at(text, "ipFamilyPolicy"),
            Some((2, 18, 34, "PreferDualStack}".into()))
        );
        let quoted = "metadata:\n  annotations:\n    \"lbipam.io/allow\": stray-ip\n";
        assert_eq!(
            at(quoted, "lbipam.io/allow"),
            Some((3, 5, 24, "stray-ip".into()))
        );
    }

    #[test]
    fn a_key_must_be_followed_by_a_colon_and_a_blank() {
        assert_eq!(at("names: x\nname:x\nurl: http://a\n", "name"), None);
        assert_eq!(at("url: http://a\n", "http"), None);
        assert_eq!(at("app.kubernetes.io/name: x\n", "name"), None);
    }

    #[test]
    fn a_key_in_a_document_is_not_looked_for_past_its_end() {
        let text = "kind: A\n---\nkind: B\npath: ./b\n---\npath: ./c\n";
        assert_eq!(key_in_document(text, 3, "path").map(|k| k.line), Some(4));
        assert_eq!(key_in_document(text, 1, "path"), None);
        assert_eq!(key_in_document(text, 6, "path").map(|k| k.line), Some(6));
        let lines: Vec<usize> = keys_from(text, 2, "kind").map(|k| k.line).collect();
        assert_eq!(lines, [3]);
    }
}
