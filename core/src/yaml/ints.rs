//! Integers as Kubernetes reads them. kubectl and the API machinery read YAML
//! with go-yaml (YAML 1.1): a plain scalar is an integer when, underscores
//! dropped, Go's `strconv.ParseInt(s, 0, 64)` takes it — `0755` and `0o755`
//! octal, `0x1F` hex, `0b101` binary, `1_000` decimal. A YAML 1.2 reader takes
//! some of these for strings; this gives them the value Kubernetes gives them.

use std::borrow::Cow;

use yaml_edit::SyntaxKind;

/// The integer go-yaml reads a plain scalar as, if it reads an integer.
pub(crate) fn go_int(plain: &str) -> Option<i64> {
    let s = plain.replace('_', "");
    let (negative, unsigned) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, &s[..]),
    };
    let prefixed = |p: [&str; 2]| p.iter().find_map(|p| unsigned.strip_prefix(p));
    let (radix, digits) = if let Some(d) = prefixed(["0x", "0X"]) {
        (16, d)
    } else if let Some(d) = prefixed(["0o", "0O"]) {
        (8, d)
    } else if let Some(d) = prefixed(["0b", "0B"]) {
        (2, d)
    } else if unsigned.len() > 1 && unsigned.starts_with('0') {
        (8, &unsigned[1..])
    } else {
        (10, unsigned)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i128::from_str_radix(digits, radix).ok()?;
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

/// `text` with every plain scalar that go-yaml reads as an integer, but not
/// written as one in decimal, rewritten in decimal (`0755` → `493`): what a
/// YAML 1.2 reader then reads is what Kubernetes reads. Quoted and block
/// scalars are left as they are.
pub(crate) fn go_ints(text: &str) -> Cow<'_, str> {
    if !may_hold_go_ints(text) {
        return Cow::Borrowed(text);
    }
    lexed_go_ints(text)
}

/// Whether `text` may hold a scalar [`go_ints`] rewrites, by its bytes alone:
/// each such scalar has a `0` starting a number before a digit, `x`, `o`, `b`
/// or `_`; an underscore beside a digit, a sign or another underscore; a `+`
/// before a digit; or a `-` before `0`. Most files have none, and need no lexing.
fn may_hold_go_ints(text: &str) -> bool {
    let b = text.as_bytes();
    b.windows(2).enumerate().any(|(i, w)| {
        let (this, next) = (w[0], w[1]);
        let starts = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.');
        let zero = this == b'0' && starts && (next.is_ascii_digit() || b"xXoObB_".contains(&next));
        let numeric = |c: u8| c.is_ascii_digit() || b"+-_".contains(&c);
        let underscore = (this == b'_' && numeric(next)) || (next == b'_' && numeric(this));
        let plus = this == b'+' && (next.is_ascii_digit() || next == b'_');
        let minus = this == b'-' && (next == b'0' || next == b'_');
        zero || underscore || plus || minus
    })
}

/// [`go_ints`] by lexing every token.
fn lexed_go_ints(text: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let mut copied = 0;
    let mut at = 0;
    let mut block = Block::default();
    for (kind, token) in yaml_edit::lex(text) {
        let start = at;
        at += token.len();
        if block.holds(text, kind, start) || !matches!(kind, SyntaxKind::STRING | SyntaxKind::INT) {
            continue;
        }
        let Some(n) = go_int(token).filter(|n| n.to_string() != token) else {
            continue;
        };
        out.push_str(&text[copied..start]);
        out.push_str(&n.to_string());
        copied = at;
    }
    if copied == 0 || at != text.len() {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// Where a block scalar (`|`, `>`) is: its content is the lines after the
/// indicator's that are indented deeper than the indicator's line (the lexer
/// splits that content into tokens of its own, which are text, not scalars).
#[derive(Default)]
struct Block {
    /// The indicator's line start and that line's indentation.
    open: Option<(usize, usize)>,
}

impl Block {
    /// Whether the token of `kind` at `start` is block scalar content.
    fn holds(&mut self, text: &str, kind: SyntaxKind, start: usize) -> bool {
        let line = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let indent = text[line..].len() - text[line..].trim_start_matches(' ').len();
        if let Some((open_line, open_indent)) = self.open {
            let blank = text[start..].starts_with(['\n', ' ', '\r']) || start < line + indent;
            if line == open_line || blank || indent > open_indent {
                return line != open_line;
            }
            self.open = None;
        }
        if matches!(kind, SyntaxKind::PIPE | SyntaxKind::GREATER) {
            self.open = Some((line, indent));
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::{go_int, go_ints, lexed_go_ints};
    use proptest::prelude::*;

    /// A scalar of number-like characters.
    fn token() -> impl Strategy<Value = String> {
        let chars = "0123456789_+-xXoObB.a".chars().collect::<Vec<_>>();
        proptest::collection::vec(proptest::sample::select(chars), 1..6)
            .prop_map(|c| c.into_iter().collect())
    }

    proptest! {
        /// The byte pre-filter never skips a text the lexer would rewrite:
        /// mappings and lists of number-like scalars, plain and quoted.
        #[test]
        fn the_byte_filter_skips_only_texts_the_lexer_leaves_alone(
            lines in proptest::collection::vec((token(), 0..4usize), 0..8)
        ) {
            let text: String = lines
                .iter()
                .map(|(t, shape)| match shape {
                    0 => format!("k: {t}\n"),
                    1 => format!("- {t}\n"),
                    2 => format!("q: \"{t}\"\n"),
                    _ => format!("f: [{t}, x{t}]\n"),
                })
                .collect();
            prop_assert_eq!(go_ints(&text), lexed_go_ints(&text));
        }
    }

    #[test]
    fn go_reads_octal_hex_binary_and_underscores_as_integers() {
        let cases = [
            ("0755", Some(493)),
            ("0o755", Some(493)),
            ("0x1F", Some(31)),
            ("0b101", Some(5)),
            ("1_000", Some(1000)),
            ("-010", Some(-8)),
            ("+7", Some(7)),
            ("0", Some(0)),
            ("089", None), // not octal; go-yaml reads it as a float
            ("0x", None),
            ("abc", None),
            ("1.5", None),
        ];
        for (plain, want) in cases {
            assert_eq!(go_int(plain), want, "{plain}");
        }
    }

    #[test]
    fn plain_integers_are_rewritten_in_decimal_and_quoted_or_block_ones_kept() {
        let text = "mode: 0755\nhex: 0x1F\nbig: 1_000\nsame: 42\nq: \"0755\"\ns: '0755'\nscript: |\n  chmod 0755 x\n\n  0755\nafter: 010\nfolded: >-\n    0x10\nlist:\n  - 0o17\n";
        let want = "mode: 493\nhex: 31\nbig: 1000\nsame: 42\nq: \"0755\"\ns: '0755'\nscript: |\n  chmod 0755 x\n\n  0755\nafter: 8\nfolded: >-\n    0x10\nlist:\n  - 15\n";
        assert_eq!(go_ints(text), want);
    }

    #[test]
    fn a_text_without_such_integers_is_borrowed() {
        let text = "a: 1\nb: x\n";
        assert!(matches!(go_ints(text), std::borrow::Cow::Borrowed(_)));
    }
}
