//! Kubernetes label selectors as plan.toml writes them (`match-labels`,
//! `match-expressions`), the label syntax Kubernetes accepts, and what a
//! selector matches.

use super::spanned::{At, List, Str};
use crate::diag::Span;

/// The label LB-IPAM sets to a Service's namespace, selectable by pools
/// (`operator/pkg/lbipam`, `svcLabels`).
pub const NAMESPACE_LABEL: &str = "io.kubernetes.service.namespace";
/// The label LB-IPAM sets to a Service's name, selectable by pools.
pub const NAME_LABEL: &str = "io.kubernetes.service.name";

/// A label `key = "value"` (`match-labels`, a Service's `labels`, a BGP
/// advertisement's `advertise-labels`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// The key, `[prefix/]name`.
    pub key: At<Str>,
    /// The value.
    pub value: At<Str>,
}

/// The operator of a `match-expressions` entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    /// The label's value is one of `values`.
    In,
    /// The label is absent or its value is none of `values`.
    NotIn,
    /// The label is present.
    Exists,
    /// The label is absent.
    DoesNotExist,
}

impl Operator {
    /// Every operator, as Kubernetes spells it.
    pub const ALL: [Operator; 4] = [
        Operator::In,
        Operator::NotIn,
        Operator::Exists,
        Operator::DoesNotExist,
    ];

    /// `In`, `NotIn`, `Exists` or `DoesNotExist`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Operator::In => "In",
            Operator::NotIn => "NotIn",
            Operator::Exists => "Exists",
            Operator::DoesNotExist => "DoesNotExist",
        }
    }

    /// Whether the operator takes `values` (`In`, `NotIn`) or must have none.
    pub(crate) const fn takes_values(self) -> bool {
        matches!(self, Operator::In | Operator::NotIn)
    }
}

/// One `match-expressions` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expression {
    /// The label key.
    pub key: At<Str>,
    /// The operator.
    pub operator: At<Operator>,
    /// The values (`In`, `NotIn`); the span of the whole entry is `span`.
    pub values: List<At<Str>>,
    /// The whole `{ key, operator, values }` table.
    pub span: Span,
}

/// A label selector (`service-selector`, `node-selector`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelSelector {
    /// `matchLabels`, in file order.
    pub match_labels: List<Label>,
    /// `matchExpressions`, in file order.
    pub match_expressions: List<Expression>,
    /// The selector's table in plan.toml.
    pub span: Span,
}

impl LabelSelector {
    /// Whether the selector matches an object with exactly these labels, as
    /// Kubernetes evaluates it: every `matchLabels` pair and every expression
    /// holds. An empty selector matches everything.
    pub fn matches(&self, labels: &[(&str, &str)]) -> bool {
        let get = |key: &str| labels.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
        let pairs = self
            .match_labels
            .iter()
            .all(|l| get(&l.key.item) == Some(&*l.value.item));
        pairs
            && self.match_expressions.iter().all(|e| {
                let value = get(&e.key.item);
                let listed = |v: &str| e.values.iter().any(|x| x.item == v);
                match e.operator.item {
                    Operator::In => value.is_some_and(listed),
                    Operator::NotIn => !value.is_some_and(listed),
                    Operator::Exists => value.is_some(),
                    Operator::DoesNotExist => value.is_none(),
                }
            })
    }

    /// Whether the selector is `{}` (matches every object).
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }
}

/// Why `key` is not a Kubernetes label key (`[prefix/]name`: the prefix a DNS
/// subdomain of at most 253 characters, the name at most 63 characters of
/// `[A-Za-z0-9._-]` starting and ending alphanumeric), or `None`.
pub(crate) fn label_key_error(key: &str) -> Option<String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix
        && let Some(why) = dns_subdomain_error(prefix)
    {
        return Some(format!(
            "its prefix `{prefix}` is not a DNS subdomain: {why}"
        ));
    }
    if name.is_empty() {
        return Some("its name is empty".to_owned());
    }
    label_value_error(name).map(|why| format!("its name {why}"))
}

/// Why `value` is not a Kubernetes label value (empty, or at most 63
/// characters of `[A-Za-z0-9._-]` starting and ending alphanumeric), or `None`.
pub(crate) fn label_value_error(value: &str) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Some("may hold only letters, digits, '-', '_' and '.'".to_owned());
    }
    if value.len() > 63 {
        return Some("is longer than 63 characters".to_owned());
    }
    let alnum = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
    if !alnum(value.bytes().next()) || !alnum(value.bytes().last()) {
        return Some("must start and end with a letter or digit".to_owned());
    }
    None
}

/// Why `s` is not a DNS-1123 subdomain (lowercase labels joined by dots, at
/// most 253 characters), or `None`.
fn dns_subdomain_error(s: &str) -> Option<&'static str> {
    if s.len() > 253 {
        return Some("it is longer than 253 characters");
    }
    s.split('.').find_map(|label| {
        let ok = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        if label.is_empty() {
            Some("it has an empty label")
        } else if !label.bytes().all(|b| ok(b) || b == b'-') {
            Some("only lowercase letters a-z, digits, '-' and '.' are allowed")
        } else if label.len() > 63 {
            Some("a label is longer than 63 characters")
        } else if !label.bytes().next().is_some_and(ok) || !label.bytes().last().is_some_and(ok) {
            Some("each label must start and end with a letter or digit")
        } else {
            None
        }
    })
}
