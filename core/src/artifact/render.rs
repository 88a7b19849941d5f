//! YAML of generated files, produced by serializing typed objects with
//! `yaml_serde`, never by string templates, so a hostile name or note is quoted
//! by the serializer and cannot add a key or a document. The artifacts themselves are in [`crate::artifact`].

use serde::Serialize;

/// A Kubernetes object as the build writes it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Object<'a, S> {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: Metadata<'a>,
    pub spec: S,
}

/// `metadata` of an object the build writes.
#[derive(Serialize)]
pub(crate) struct Metadata<'a> {
    pub name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<&'a str>,
}

/// `value` as YAML that YAML 1.1 readers read the same way.
pub(crate) fn yaml<T: Serialize>(value: &T) -> String {
    // Serializing plain structs of strings, bools and lists cannot fail; if the
    // serializer ever did, an empty document makes the gate test name the file.
    let text = yaml_serde::to_string(value).unwrap_or_default();
    quote_yaml11_scalars(&text)
}

/// `value` as a YAML value (what reading [`yaml`] of it back gives), or `Null`
/// in the case [`yaml`] writes an empty document (the plain structs rendered
/// here cannot fail to serialize; a `Null` is never handed to the audit in
/// place of its text, see [`crate::tree::Tree::rendered`]).
pub(crate) fn value<T: Serialize>(value: &T) -> yaml_serde::Value {
    yaml_serde::to_value(value).unwrap_or_default()
}

/// Quotes the plain scalars yaml_serde leaves bare because YAML 1.2 reads them as
/// strings, but that YAML 1.1 readers (kubectl's parser, PyYAML) take for a
/// boolean or a number: a pool named `yes`, `on` or `n`, `0b1`, an IPv6
/// address `1:2:3:4:5:6:7:8` (base 60). yaml_serde writes real booleans and
/// numbers in forms not matched here (`true`, `42`), never wraps lines, and
/// writes multi-line strings as block scalars, whose lines are left alone.
fn quote_yaml11_scalars(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut block: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let indent = body.len() - body.trim_start().len();
        match block {
            Some(b) if indent > b || body.trim().is_empty() => {
                out.push_str(line);
                continue;
            }
            _ => block = None,
        }
        let start = match body.rfind(": ") {
            Some(i) => i + 2,
            None => match body.trim_start().strip_prefix("- ") {
                Some(_) => indent + 2,
                None => {
                    out.push_str(line);
                    continue;
                }
            },
        };
        let value = &body[start..];
        if value.starts_with(['|', '>']) {
            block = Some(indent);
        }
        if yaml11_reads_as_non_string(value) {
            out.push_str(&body[..start]);
            out.push('\'');
            out.push_str(value);
            out.push('\'');
            out.push_str(&line[body.len()..]);
        } else {
            out.push_str(line);
        }
    }
    out
}

/// Whether a plain scalar that YAML 1.2 reads as a string is a boolean or a
/// number in YAML 1.1.
fn yaml11_reads_as_non_string(v: &str) -> bool {
    const BOOLS: [&str; 16] = [
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
        "OFF",
    ];
    let unsigned = v.strip_prefix(['-', '+']).unwrap_or(v);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    let binary = unsigned
        .strip_prefix("0b")
        .is_some_and(|b| !b.is_empty() && b.bytes().all(|b| matches!(b, b'0' | b'1' | b'_')));
    // `[0-9][0-9_]*` with an underscore, or with `:[0-5]?[0-9]` groups (base 60).
    let mut groups = unsigned.split(':');
    let head = groups.next().unwrap_or("");
    let mut sexagesimal = false;
    let mut rest_ok = true;
    for g in groups {
        sexagesimal = true;
        rest_ok &= (1..=2).contains(&g.len())
            && g.bytes().all(|b| b.is_ascii_digit())
            && (g.len() == 1 || g.as_bytes()[0] <= b'5');
    }
    let numeral = digits(head) && head.as_bytes()[0].is_ascii_digit();
    BOOLS.contains(&v)
        || binary
        || (numeral && sexagesimal && rest_ok)
        || (numeral && !sexagesimal && head.contains('_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml11_booleans_and_numbers_are_quoted_real_ones_and_strings_are_not() {
        let text = "a: yes\nb: true\nc:\n- on\n- 42\n- 0b101\nd: 1:2:3:4:5:6:7:8\ne: 1_000\nf: fd00::1\ng: |-\n  x: off\n  - n\nh: N\ni: 10.25.11.1\nj: 'no'\n";
        let want = "a: 'yes'\nb: true\nc:\n- 'on'\n- 42\n- '0b101'\nd: '1:2:3:4:5:6:7:8'\ne: '1_000'\nf: fd00::1\ng: |-\n  x: off\n  - n\nh: 'N'\ni: 10.25.11.1\nj: 'no'\n";
        assert_eq!(quote_yaml11_scalars(text), want);
        let parsed: yaml_serde::Value = yaml_serde::from_str(want).expect("valid YAML");
        assert_eq!(parsed["a"].as_str(), Some("yes"));
        assert_eq!(parsed["b"].as_bool(), Some(true));
        assert_eq!(parsed["g"].as_str(), Some("x: off\n- n"));
    }
}

/// A Kubernetes label selector as the build writes it: `matchLabels` and
/// `matchExpressions`, each left out when empty (so `{}` selects everything).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Selector {
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub match_labels: std::collections::BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<SelectorExpression>,
}

/// One `matchExpressions` entry.
#[derive(Serialize)]
pub(crate) struct SelectorExpression {
    pub key: String,
    pub operator: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

impl Selector {
    /// The selector of the plan.
    pub(crate) fn of(s: &crate::plan::LabelSelector) -> Selector {
        Selector {
            match_labels: s
                .match_labels
                .iter()
                .map(|l| (l.key.item.to_string(), l.value.item.to_string()))
                .collect(),
            match_expressions: s
                .match_expressions
                .iter()
                .map(|e| SelectorExpression {
                    key: e.key.item.to_string(),
                    operator: e.operator.item.as_str(),
                    values: e.values.iter().map(|v| v.item.to_string()).collect(),
                })
                .collect(),
        }
    }

    /// The plan's selector, or one that selects every object where an absent
    /// selector would select none (a `CiliumBGPAdvertisement`): `NotIn` a value
    /// on a key nothing carries, as Cilium's documentation does.
    pub(crate) fn or_everything(s: Option<&crate::plan::LabelSelector>) -> Selector {
        match s {
            Some(s) if !s.is_empty() => Selector::of(s),
            _ => Selector {
                match_labels: Default::default(),
                match_expressions: vec![SelectorExpression {
                    key: EVERYTHING_KEY.to_owned(),
                    operator: "NotIn",
                    values: vec!["never-used-value".to_owned()],
                }],
            },
        }
    }
}

/// The label key of [`Selector::or_everything`]: one no object carries.
pub(crate) const EVERYTHING_KEY: &str = "lbipam.dev/select-everything";
