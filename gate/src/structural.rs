//! A validator for the structural OpenAPI v3 schemas of CustomResourceDefinitions.
//!
//! The gate checks a custom resource against its CRD's `openAPIV3Schema` (as
//! committed under `gate/crds/`), the way the API server validates it before
//! storing. Supported keywords:
//!
//! - `type` (`object`, `array`, `string`, `integer`, `number`, `boolean`) and
//!   `nullable`;
//! - `properties`, `required`, `additionalProperties` (a boolean or a schema),
//!   `items`;
//! - `enum`, `pattern` (Go's RE2 syntax, read by the `regex` crate, which
//!   shares it for everything CRDs use), `minimum`/`maximum` with
//!   `exclusiveMinimum`/`exclusiveMaximum` (booleans, as in OpenAPI v3.0),
//!   `minLength`/`maxLength` (in characters), `minItems`/`maxItems`,
//!   `minProperties`/`maxProperties`;
//! - `allOf`, `anyOf`, `oneOf`, `not`, as constraints on a value that the
//!   surrounding schema already gives a structure: inside them no field is
//!   unknown;
//! - `x-kubernetes-preserve-unknown-fields`, `x-kubernetes-int-or-string`,
//!   `x-kubernetes-embedded-resource` (an object whose own fields are free,
//!   like a preserved one).
//!
//! An object whose schema lists `properties` and neither allows
//! `additionalProperties` nor preserves unknown fields rejects any other field:
//! that is how a misspelling such as `spec.serviceSelecter` is caught. An object
//! schema with no `properties` at all (`metadata: {type: object}`) leaves its
//! fields alone. An explicit `null` for a field counts as the field being
//! absent, as the API server prunes it.
//!
//! NOT checked: `format` (`date-time`, `int32`, `cidr`, … are left alone: the
//! API server's readings of them differ by version), CEL rules
//! (`x-kubernetes-validations`), list-type and map-type semantics
//! (`x-kubernetes-list-type`, duplicate keys), and defaulting. A pattern the
//! `regex` crate cannot compile is skipped rather than failing every object.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use regex::Regex;
use serde_json::Value as Schema;
use yaml_serde::Value;

use crate::schema::{Mismatch, join, show, type_name};

/// The problems of `value` against `schema`, one message per problem, each
/// naming the field path (`unknown field spec.blocks[0].stopp`,
/// `invalid field spec.interval: …`). Empty when the value is valid.
pub fn validate(schema: &Schema, value: &Value) -> Vec<Mismatch> {
    let mut out = Vec::new();
    Walk {
        out: &mut out,
        constraint: false,
    }
    .value("", schema, value);
    out
}

/// One walk over a value; `constraint` is set inside `allOf`/`anyOf`/`oneOf`/
/// `not`, whose schemas constrain values but do not define their fields.
struct Walk<'a> {
    out: &'a mut Vec<Mismatch>,
    constraint: bool,
}

impl Walk<'_> {
    fn value(&mut self, path: &str, schema: &Schema, value: &Value) {
        let value = untagged(value);
        if value.is_null() {
            if !flag(schema, "nullable") && !self.constraint && schema.get("type").is_some() {
                self.invalid(
                    path,
                    "invalid type: null, which the schema does not allow".into(),
                );
            }
            return;
        }
        if !self.type_fits(path, schema, value) {
            return;
        }
        self.scalar_rules(path, schema, value);
        match value {
            Value::Mapping(map) => self.object(path, schema, map),
            Value::Sequence(items) => self.array(path, schema, items),
            _ => {}
        }
        self.combinators(path, schema, value);
    }

    fn invalid(&mut self, path: &str, why: String) {
        if path.is_empty() {
            self.out.push(format!("invalid object: {why}").into());
        } else {
            self.out.push(format!("invalid field {path}: {why}").into());
        }
    }

    /// Checks `type` (and int-or-string); false when the value is of the wrong
    /// type, so nothing below it is worth reporting.
    fn type_fits(&mut self, path: &str, schema: &Schema, value: &Value) -> bool {
        let fits = if flag(schema, "x-kubernetes-int-or-string") {
            value.is_string() || is_integer(value)
        } else {
            match schema.get("type").and_then(Schema::as_str) {
                None => true,
                Some("object") => value.is_mapping(),
                Some("array") => value.is_sequence(),
                Some("string") => value.is_string(),
                Some("integer") => is_integer(value),
                Some("number") => value.is_number(),
                Some("boolean") => value.is_bool(),
                Some(_) => true,
            }
        };
        if !fits {
            let expected = expected(schema);
            self.invalid(
                path,
                format!(
                    "invalid type: {} {}, expected {expected}",
                    type_name(value),
                    show(value)
                ),
            );
        }
        fits
    }

    fn scalar_rules(&mut self, path: &str, schema: &Schema, value: &Value) {
        if let Some(allowed) = schema.get("enum").and_then(Schema::as_array)
            && !allowed.iter().any(|a| same(a, value))
        {
            self.invalid(path, unknown_variant(allowed, value));
        }
        match value {
            Value::String(s) => self.string_rules(path, schema, s),
            Value::Number(_) => self.number_rules(path, schema, value),
            _ => {}
        }
    }

    fn string_rules(&mut self, path: &str, schema: &Schema, s: &str) {
        let chars = s.chars().count();
        if let Some(min) = uint(schema, "minLength")
            && (chars as u64) < min
        {
            self.invalid(path, format!("{s:?} is shorter than minLength {min}"));
        }
        if let Some(max) = uint(schema, "maxLength")
            && (chars as u64) > max
        {
            self.invalid(path, format!("{s:?} is longer than maxLength {max}"));
        }
        if let Some(pattern) = schema.get("pattern").and_then(Schema::as_str)
            && matches(pattern, s) == Some(false)
        {
            self.invalid(path, format!("{s:?} does not match the pattern {pattern}"));
        }
    }

    fn number_rules(&mut self, path: &str, schema: &Schema, value: &Value) {
        let Some(n) = value.as_f64() else { return };
        if let Some(min) = schema.get("minimum").and_then(Schema::as_f64) {
            let exclusive = flag(schema, "exclusiveMinimum");
            if n < min || (exclusive && n == min) {
                let rule = if exclusive { "more than" } else { "at least" };
                self.invalid(path, format!("{} must be {rule} {min}", show(value)));
            }
        }
        if let Some(max) = schema.get("maximum").and_then(Schema::as_f64) {
            let exclusive = flag(schema, "exclusiveMaximum");
            if n > max || (exclusive && n == max) {
                let rule = if exclusive { "less than" } else { "at most" };
                self.invalid(path, format!("{} must be {rule} {max}", show(value)));
            }
        }
    }

    fn object(&mut self, path: &str, schema: &Schema, map: &yaml_serde::Mapping) {
        let properties = schema.get("properties").and_then(Schema::as_object);
        let present = |name: &str| map.get(name).is_some_and(|v| !v.is_null());
        for name in strings(schema.get("required")) {
            if !present(name) {
                let field = join(path, &Value::String(name.into()));
                self.out.push(Mismatch::missing(&field));
            }
        }
        self.count(path, schema, map.len(), "Properties", "fields");
        let free = flag(schema, "x-kubernetes-preserve-unknown-fields")
            || flag(schema, "x-kubernetes-embedded-resource");
        let additional = schema.get("additionalProperties");
        for (key, child) in map {
            if child.is_null() {
                continue; // absent, as the API server prunes it
            }
            let child_path = join(path, key);
            let known = key.as_str().and_then(|k| properties.and_then(|p| p.get(k)));
            match (known, additional) {
                (Some(sub), _) => self.value(&child_path, sub, child),
                (None, Some(sub @ Schema::Object(_))) => self.value(&child_path, sub, child),
                (None, Some(Schema::Bool(false))) if !self.constraint => {
                    self.out.push(Mismatch::unknown(&child_path));
                }
                (None, None) if properties.is_some() && !free && !self.constraint => {
                    self.out.push(Mismatch::unknown(&child_path));
                }
                _ => {}
            }
        }
    }

    fn array(&mut self, path: &str, schema: &Schema, items: &[Value]) {
        self.count(path, schema, items.len(), "Items", "items");
        if let Some(item) = schema.get("items") {
            for (i, v) in items.iter().enumerate() {
                self.value(&format!("{path}[{i}]"), item, v);
            }
        }
    }

    /// `minItems`/`maxItems` (`keyword` "Items") or `minProperties`/`maxProperties`.
    fn count(&mut self, path: &str, schema: &Schema, n: usize, keyword: &str, what: &str) {
        if let Some(min) = uint(schema, &format!("min{keyword}"))
            && (n as u64) < min
        {
            self.invalid(path, format!("{n} {what}, fewer than min{keyword} {min}"));
        }
        if let Some(max) = uint(schema, &format!("max{keyword}"))
            && (n as u64) > max
        {
            self.invalid(path, format!("{n} {what}, more than max{keyword} {max}"));
        }
    }

    fn combinators(&mut self, path: &str, schema: &Schema, value: &Value) {
        for sub in list(schema.get("allOf")) {
            let problems = constraint_problems(path, sub, value);
            self.out.extend(problems);
        }
        let anys = list(schema.get("anyOf"));
        if !anys.is_empty()
            && !anys
                .iter()
                .any(|s| constraint_problems(path, s, value).is_empty())
        {
            self.invalid(
                path,
                format!("{} matches none of the anyOf schemas", show(value)),
            );
        }
        let ones = list(schema.get("oneOf"));
        if !ones.is_empty() {
            let fitting = ones
                .iter()
                .filter(|s| constraint_problems(path, s, value).is_empty())
                .count();
            if fitting != 1 {
                self.invalid(
                    path,
                    format!(
                        "{} matches {fitting} of the oneOf schemas, not exactly one",
                        show(value)
                    ),
                );
            }
        }
        if let Some(not) = schema.get("not")
            && constraint_problems(path, not, value).is_empty()
        {
            self.invalid(
                path,
                format!("{} matches the schema under `not`", show(value)),
            );
        }
    }
}

/// The problems of a value against a schema of `allOf` & co.
fn constraint_problems(path: &str, schema: &Schema, value: &Value) -> Vec<Mismatch> {
    let mut out = Vec::new();
    Walk {
        out: &mut out,
        constraint: true,
    }
    .value(path, schema, value);
    out
}

fn untagged(value: &Value) -> &Value {
    match value {
        Value::Tagged(t) => untagged(&t.value),
        v => v,
    }
}

fn flag(schema: &Schema, key: &str) -> bool {
    schema.get(key).and_then(Schema::as_bool).unwrap_or(false)
}

fn uint(schema: &Schema, key: &str) -> Option<u64> {
    schema.get(key).and_then(Schema::as_u64)
}

fn strings(v: Option<&Schema>) -> impl Iterator<Item = &str> {
    list(v).iter().filter_map(Schema::as_str)
}

fn list(v: Option<&Schema>) -> &[Schema] {
    v.and_then(Schema::as_array).map_or(&[], Vec::as_slice)
}

/// An integer as the API server reads JSON: a number with no fractional part.
fn is_integer(value: &Value) -> bool {
    value.as_i64().is_some()
        || value.as_u64().is_some()
        || value
            .as_f64()
            .is_some_and(|f| f.is_finite() && f.fract() == 0.0)
}

fn expected(schema: &Schema) -> String {
    if flag(schema, "x-kubernetes-int-or-string") {
        return "an integer or a string".to_owned();
    }
    match schema.get("type").and_then(Schema::as_str) {
        Some("object") => "a mapping".to_owned(),
        Some("array") => "a list".to_owned(),
        Some(t) => format!("a {t}"),
        None => "any value".to_owned(),
    }
}

/// Worded as serde words a bad enum value, which the gate's messages used
/// before CRD schemas replaced generated types.
fn unknown_variant(allowed: &[Schema], value: &Value) -> String {
    let shown = match value {
        Value::String(s) => s.clone(),
        v => show(v),
    };
    let names: Vec<String> = allowed
        .iter()
        .map(|a| match a {
            Schema::String(s) => format!("`{s}`"),
            other => format!("`{other}`"),
        })
        .collect();
    format!(
        "unknown variant `{shown}`, expected one of {}",
        names.join(", ")
    )
}

/// Whether a YAML value equals a JSON enum entry (numbers by value).
fn same(allowed: &Schema, value: &Value) -> bool {
    match (allowed, value) {
        (Schema::String(a), Value::String(v)) => a == v,
        (Schema::Bool(a), Value::Bool(v)) => a == v,
        (Schema::Number(a), Value::Number(_)) => a.as_f64() == value.as_f64(),
        (Schema::Null, Value::Null) => true,
        _ => false,
    }
}

/// Whether `s` matches `pattern`; `None` when the pattern does not compile.
/// Compiled patterns are kept: the same few patterns recur in every object.
fn matches(pattern: &str, s: &str) -> Option<bool> {
    static CACHE: LazyLock<Mutex<HashMap<String, Option<Regex>>>> =
        LazyLock::new(|| Mutex::new(HashMap::new()));
    let mut cache = CACHE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let compiled = cache
        .entry(pattern.to_owned())
        .or_insert_with(|| Regex::new(pattern).ok());
    compiled.as_ref().map(|re| re.is_match(s))
}
