//! A document's text with its comments blanked: what a YAML reader that keeps no
//! comments (kustomize's output, which Flux substitutes) would have to work with,
//! at the same byte offsets and lines.

use std::borrow::Cow;

use yaml_edit::SyntaxKind;

/// `text` with each comment replaced by as many spaces, so offsets and line
/// numbers stay those of `text`. A `#` that does not start a comment (inside a
/// quoted or block scalar, or not after white space) is kept.
pub(crate) fn blank_comments(text: &str) -> Cow<'_, str> {
    if !text.contains('#') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut blanked = false;
    for (kind, token) in yaml_edit::lex(text) {
        if kind == SyntaxKind::COMMENT {
            out.extend(std::iter::repeat_n(' ', token.len()));
            blanked = true;
        } else {
            out.push_str(token);
        }
    }
    // The lexer hands back every byte; should it ever not, keep the text whole.
    if !blanked || out.len() != text.len() {
        return Cow::Borrowed(text);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::blank_comments;

    #[test]
    fn comments_are_blanked_at_their_own_offsets() {
        let text = "# ${TOP}\na: 1 # ${TAIL}\nb: 2\n";
        let out = blank_comments(text);
        assert_eq!(out.len(), text.len());
        assert!(!out.contains("${"), "{out:?}");
        assert_eq!(out.lines().nth(1).map(str::trim_end), Some("a: 1"));
        assert_eq!(out.lines().nth(2), Some("b: 2"));
    }

    #[test]
    fn a_hash_inside_a_value_is_not_a_comment() {
        for text in [
            "url: http://example.org/#${ANCHOR}\n",
            "q: \"a # ${X}\"\n",
            "q: 'a # ${X}'\n",
            "script: |\n  echo one\n  # ${X} is part of the script\n",
        ] {
            assert_eq!(blank_comments(text), text, "{text:?}");
        }
    }
}
