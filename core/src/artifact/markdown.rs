//! Free text in generated Markdown: escaped, or a code span where it can be one.

/// Escapes free text (notes) for a Markdown table cell: it cannot end the cell,
/// start a new line, or open HTML.
pub(crate) fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' | '\n' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Free text as a Markdown code span when it can be one (`clustermesh.apiserver.service`),
/// else escaped text: a backtick would end the span early, a `|` would end the
/// table cell even inside it, and `<`, `&` or a line break are never shown raw.
pub(crate) fn md_code(s: &str) -> String {
    let plain = !s.is_empty()
        && s.trim() == s
        && !s.contains(|c: char| "`|<>&\\".contains(c) || c.is_control());
    if plain {
        format!("`{s}`")
    } else {
        md_escape(s)
    }
}
