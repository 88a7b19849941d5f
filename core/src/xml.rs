//! Text as XML: the one escaper of the crate and the CLI, for the SVG address
//! map and the JUnit report alike.

/// `s` as XML character data or an attribute value: markup escaped, and the
/// characters XML 1.0 cannot hold at all (most control characters, U+FFFE and
/// U+FFFF) shown as `\u{…}`, so a hostile name stays visible and the document
/// stays well-formed.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {
                out.push_str(&c.escape_unicode().to_string())
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_is_escaped_and_characters_xml_cannot_hold_are_shown() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>\u{1}\u{ffff}\n"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;\\u{1}\\u{ffff}\n"
        );
    }
}
