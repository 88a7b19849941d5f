//! The structural-schema validator (`lbipam_gate::structural`) on small
//! hand-written schemas: each keyword accepts a good value and rejects a bad one.

use lbipam_gate::structural::validate;
use serde_json::{Value as Schema, json};

fn yaml(text: &str) -> yaml_serde::Value {
    yaml_serde::from_str(text).expect("test YAML parses")
}

/// The problems of the YAML `value` under `spec.x` of a schema giving `x` the schema `field`.
fn problems(field: Schema, value: &str) -> Vec<String> {
    let schema = json!({
        "type": "object",
        "properties": {"spec": {"type": "object", "properties": {"x": field}}}
    });
    validate(&schema, &yaml(&format!("spec:\n  x: {value}\n")))
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[track_caller]
fn accepts(field: Schema, value: &str) {
    assert_eq!(
        problems(field.clone(), value),
        Vec::<String>::new(),
        "{field} {value}"
    );
}

#[track_caller]
fn rejects(field: Schema, value: &str, needle: &str) {
    let found = problems(field.clone(), value);
    assert!(
        found.iter().any(|p| p.contains(needle)),
        "{field} {value}: expected a problem containing {needle:?}, got {found:?}"
    );
}

#[test]
fn type_is_enforced_for_every_json_type() {
    for (ty, good, bad) in [
        ("string", "a", "1"),
        ("integer", "3", "1.5"),
        ("number", "1.5", "\"1.5\""),
        ("boolean", "true", "\"true\""),
        ("array", "[1]", "{}"),
        ("object", "{a: 1}", "[1]"),
    ] {
        accepts(json!({"type": ty}), good);
        rejects(
            json!({"type": ty}),
            bad,
            "invalid field spec.x: invalid type",
        );
    }
}

#[test]
fn an_integral_float_is_an_integer() {
    accepts(json!({"type": "integer"}), "2.0");
}

#[test]
fn unknown_fields_are_rejected_where_properties_are_listed() {
    let field = json!({"type": "object", "properties": {"a": {"type": "string"}}});
    accepts(field.clone(), "{a: b}");
    assert_eq!(
        problems(field, "{a: b, c: d}"),
        vec!["unknown field spec.x.c".to_owned()]
    );
}

#[test]
fn an_object_schema_without_properties_leaves_its_fields_alone() {
    accepts(json!({"type": "object"}), "{anything: goes}");
}

#[test]
fn required_fields_must_be_present_and_not_null() {
    let field =
        json!({"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}});
    accepts(field.clone(), "{a: b}");
    rejects(field.clone(), "{}", "missing required field spec.x.a");
    rejects(field, "{a: null}", "missing required field spec.x.a");
}

#[test]
fn items_are_checked_with_their_index() {
    let field = json!({"type": "array", "items": {"type": "string"}});
    accepts(field.clone(), "[a, b]");
    rejects(field, "[a, 2]", "invalid field spec.x[1]: invalid type");
}

#[test]
fn additional_properties_as_a_schema_checks_each_value() {
    let field = json!({"type": "object", "additionalProperties": {"type": "string"}});
    accepts(field.clone(), "{a: b, c: d}");
    rejects(field, "{a: 1}", "invalid field spec.x.a");
}

#[test]
fn additional_properties_true_and_false() {
    let listed = |extra: bool| json!({"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": extra});
    accepts(listed(true), "{a: b, c: d}");
    rejects(listed(false), "{a: b, c: d}", "unknown field spec.x.c");
    // `false` rejects even where no properties are listed.
    rejects(
        json!({"type": "object", "additionalProperties": false}),
        "{c: d}",
        "unknown field spec.x.c",
    );
}

#[test]
fn enum_values_are_matched_exactly() {
    let field = json!({"type": "string", "enum": ["Yes", "No"]});
    accepts(field.clone(), "\"Yes\"");
    rejects(
        field,
        "\"yes\"",
        "unknown variant `yes`, expected one of `Yes`, `No`",
    );
    accepts(json!({"type": "integer", "enum": [1, 2]}), "2");
    rejects(
        json!({"type": "integer", "enum": [1, 2]}),
        "3",
        "unknown variant",
    );
}

#[test]
fn null_is_absent_for_a_field_and_allowed_in_a_list_only_when_nullable() {
    accepts(json!({"type": "string"}), "null");
    let list = |nullable: bool| json!({"type": "array", "items": {"type": "string", "nullable": nullable}});
    accepts(list(true), "[a, null]");
    rejects(
        list(false),
        "[a, null]",
        "invalid field spec.x[1]: invalid type: null",
    );
}

#[test]
fn preserve_unknown_fields_allows_any_field_but_keeps_listed_ones_typed() {
    let field = json!({
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": true,
        "properties": {"a": {"type": "string"}}
    });
    accepts(field.clone(), "{a: b, c: {d: [1]}}");
    rejects(field, "{a: 1}", "invalid field spec.x.a");
}

#[test]
fn int_or_string_takes_either_and_nothing_else() {
    let field = json!({"x-kubernetes-int-or-string": true});
    accepts(field.clone(), "80");
    accepts(field.clone(), "http");
    rejects(field, "true", "expected an integer or a string");
}

#[test]
fn an_embedded_resource_takes_api_version_kind_metadata_and_more() {
    let field = json!({
        "type": "object",
        "x-kubernetes-embedded-resource": true,
        "properties": {"spec": {"type": "object"}}
    });
    accepts(
        field.clone(),
        "{apiVersion: v1, kind: ConfigMap, metadata: {name: a}, data: {}}",
    );
    rejects(field, "[]", "invalid type");
}

#[test]
fn pattern_is_a_regular_expression_the_whole_value_need_not_fill_unless_anchored() {
    let field = json!({"type": "string", "pattern": "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"});
    accepts(field.clone(), "10m");
    accepts(field.clone(), "1h30m");
    rejects(field, "10min", "\"10min\" does not match the pattern");
    accepts(json!({"type": "string", "pattern": "[0-9]"}), "a1b");
}

#[test]
fn a_pattern_that_does_not_compile_is_skipped() {
    accepts(
        json!({"type": "string", "pattern": "(unclosed"}),
        "anything",
    );
}

#[test]
fn minimum_and_maximum_inclusive_and_exclusive() {
    let field = json!({"type": "integer", "minimum": 1, "maximum": 255});
    accepts(field.clone(), "1");
    accepts(field.clone(), "255");
    rejects(field.clone(), "0", "0 must be at least 1");
    rejects(field, "256", "256 must be at most 255");
    let exclusive = json!({"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 1, "exclusiveMaximum": true});
    accepts(exclusive.clone(), "0.5");
    rejects(exclusive.clone(), "0", "must be more than 0");
    rejects(exclusive, "1", "must be less than 1");
}

#[test]
fn string_lengths_count_characters() {
    let field = json!({"type": "string", "minLength": 2, "maxLength": 3});
    accepts(field.clone(), "äöü");
    rejects(field.clone(), "a", "shorter than minLength 2");
    rejects(field, "abcd", "longer than maxLength 3");
}

#[test]
fn list_and_map_sizes() {
    let list = json!({"type": "array", "minItems": 1, "maxItems": 2});
    accepts(list.clone(), "[a]");
    rejects(list.clone(), "[]", "0 items, fewer than minItems 1");
    rejects(list, "[a, b, c]", "3 items, more than maxItems 2");
    let map = json!({"type": "object", "minProperties": 1, "maxProperties": 1});
    accepts(map.clone(), "{a: b}");
    rejects(map, "{}", "fewer than minProperties 1");
}

#[test]
fn one_of_wants_exactly_one_and_does_not_make_fields_unknown() {
    // The way CRDs say "exactly one of a and b".
    let field = json!({
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
        "oneOf": [{"required": ["a"]}, {"required": ["b"]}]
    });
    accepts(field.clone(), "{a: x}");
    accepts(field.clone(), "{b: x}");
    rejects(
        field.clone(),
        "{a: x, b: y}",
        "matches 2 of the oneOf schemas",
    );
    rejects(field, "{}", "matches 0 of the oneOf schemas");
}

#[test]
fn any_of_wants_at_least_one() {
    let field = json!({"anyOf": [{"type": "integer"}, {"type": "string"}]});
    accepts(field.clone(), "1");
    accepts(field.clone(), "a");
    rejects(field, "[]", "matches none of the anyOf schemas");
}

#[test]
fn all_of_wants_every_one() {
    let field = json!({"type": "string", "allOf": [{"minLength": 2}, {"pattern": "^a"}]});
    accepts(field.clone(), "ab");
    rejects(field.clone(), "b", "shorter than minLength 2");
    rejects(field, "bb", "does not match the pattern");
}

#[test]
fn not_rejects_what_its_schema_accepts() {
    let field = json!({"type": "object", "not": {"required": ["legacy"]}});
    accepts(field.clone(), "{current: 1}");
    rejects(field, "{legacy: 1}", "matches the schema under `not`");
}

#[test]
fn a_problem_at_the_top_is_worded_for_the_object() {
    let found = validate(&json!({"type": "object"}), &yaml("[1]"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0]
            .to_string()
            .starts_with("invalid object: invalid type"),
        "{found:?}"
    );
}

#[test]
fn keys_that_are_not_identifiers_are_bracketed_in_the_path() {
    let schema = json!({
        "type": "object",
        "properties": {"labels": {"type": "object", "additionalProperties": {"type": "string"}}}
    });
    let found = validate(&schema, &yaml("labels:\n  app.kubernetes.io/name: 1\n"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0]
            .to_string()
            .starts_with("invalid field labels[\"app.kubernetes.io/name\"]"),
        "{found:?}"
    );
}
