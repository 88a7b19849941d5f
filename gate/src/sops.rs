//! SOPS-encrypted objects, checked as Flux applies them.
//!
//! Flux decrypts an object holding a top-level `sops` mapping before applying
//! it: the `sops` key goes and each `ENC[AES256_GCM,data:…,type:T]` value
//! becomes the plaintext of type `T` (`str`, `int`, `float`, `bool`, `bytes`).
//! The gate has no key, so it puts a neutral value of that type in its place —
//! the field's name and type are what the schema check needs.

use std::borrow::Cow;

use yaml_serde::Value;

/// The object as it looks decrypted, up to the values themselves; a plain
/// object unchanged.
pub(crate) fn decrypted_shape(value: &Value) -> Cow<'_, Value> {
    let encrypted = value
        .as_mapping()
        .is_some_and(|m| m.get("sops").is_some_and(Value::is_mapping));
    if !encrypted {
        return Cow::Borrowed(value);
    }
    let mut out = value.clone();
    if let Some(map) = out.as_mapping_mut() {
        map.remove("sops");
    }
    neutralize(&mut out);
    Cow::Owned(out)
}

fn neutralize(value: &mut Value) {
    match value {
        Value::String(s) => {
            if let Some(plain) = neutral(s) {
                *value = plain;
            }
        }
        Value::Sequence(items) => items.iter_mut().for_each(neutralize),
        Value::Mapping(map) => map.values_mut().for_each(neutralize),
        Value::Tagged(tagged) => neutralize(&mut tagged.value),
        _ => {}
    }
}

/// A neutral plaintext for an `ENC[…]` value, by its recorded type.
fn neutral(s: &str) -> Option<Value> {
    let inner = s.strip_prefix("ENC[")?.strip_suffix(']')?;
    let kind = inner
        .rsplit(',')
        .find_map(|part| part.strip_prefix("type:"))?;
    Some(match kind {
        "int" => Value::Number(0.into()),
        "float" => Value::Number(0.0.into()),
        "bool" => Value::Bool(false),
        _ => Value::String(String::new()), // str, bytes: "" is valid base64 too
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_encrypted_secret_loses_its_sops_key_and_keeps_typed_fields() {
        let text = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  k: ENC[AES256_GCM,data:Zm9v,iv:aXY=,tag:dGFn,type:str]\nimmutable: ENC[AES256_GCM,data:dHJ1ZQ==,iv:aXY=,tag:dGFn,type:bool]\nsops:\n  mac: x\n  version: 3.9.0\n";
        let value: Value = yaml_serde::from_str(text).expect("parses");
        let shaped = decrypted_shape(&value);
        let expected: Value = yaml_serde::from_str(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  k: \"\"\nimmutable: false\n",
        )
        .expect("parses");
        assert_eq!(*shaped, expected);
    }

    #[test]
    fn a_plain_object_is_left_alone() {
        let value: Value =
            yaml_serde::from_str("kind: ConfigMap\ndata:\n  k: ENC[not,sops]\n").expect("parses");
        assert!(matches!(decrypted_shape(&value), Cow::Borrowed(_)));
    }
}
