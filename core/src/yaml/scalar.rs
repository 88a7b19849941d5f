//! Scalars and keys written so that YAML reads them back as the same strings.

/// A scalar value we write: a double-quoted string (IPs, ConfigMap values, which
/// must stay strings) or a plain scalar (e.g. `LoadBalancer`, `true`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scalar {
    Quoted(String),
    Plain(String),
}

pub(crate) fn render_value(value: &Scalar) -> String {
    match value {
        Scalar::Quoted(v) => double_quote(v),
        Scalar::Plain(v) => v.clone(),
    }
}

/// A key as a plain scalar if that reads back as the same string, else quoted.
pub(crate) fn render_key(key: &str) -> String {
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
pub(crate) fn is_safe_plain(v: &str) -> bool {
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
pub(crate) fn double_quote(v: &str) -> String {
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
