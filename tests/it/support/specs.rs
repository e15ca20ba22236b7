//! The API specs in ../shared/specs (or `ZOOMBOT_SPECS_DIR`), for contract tests. Absent specs skip
//! a test with a notice, unless `ZOOMBOT_REQUIRE_SPECS=1` makes that a failure.

use std::path::PathBuf;

use serde_json::{Map, Value, json};

fn specs_dir() -> PathBuf {
    std::env::var_os("ZOOMBOT_SPECS_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/specs"),
        PathBuf::from,
    )
}

/// Loads `relative` under the specs directory, or explains why the calling test is skipped.
pub fn load(relative: &str) -> Option<Value> {
    let path = specs_dir().join(relative);
    match std::fs::read(&path) {
        Ok(bytes) => Some(serde_json::from_slice(&bytes).expect("spec is JSON")),
        Err(err) => {
            let required = std::env::var("ZOOMBOT_REQUIRE_SPECS").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "ZOOMBOT_REQUIRE_SPECS=1 but {} cannot be read: {err}",
                path.display()
            );
            eprintln!(
                "SKIPPED: spec {} not found ({err}); set ZOOMBOT_SPECS_DIR to run this test",
                path.display()
            );
            None
        }
    }
}

/// Zoom's Meetings spec.
pub fn zoom() -> Option<Value> {
    load("zoom/zoom-meetings-openapi-3.0.json")
}

/// Discord's HTTP API spec.
pub fn discord() -> Option<Value> {
    load("discord/openapi.json")
}

/// The operation object of `method` on `path`.
pub fn operation<'a>(spec: &'a Value, path: &str, method: &str) -> &'a Value {
    let op = &spec["paths"][path][method];
    assert!(op.is_object(), "the spec has no {method} {path}");
    op
}

/// A validator for `schema` (a schema object of `spec`, `$ref`s into `#/components` allowed).
pub fn validator(spec: &Value, schema: &Value) -> jsonschema::Validator {
    let mut root = schema.as_object().cloned().unwrap_or_default();
    root.insert("components".to_owned(), spec["components"].clone());
    jsonschema::options()
        .should_validate_formats(true)
        .build(&Value::Object(root))
        .expect("the spec's schema compiles")
}

/// The JSON request-body schema of an operation.
pub fn request_schema<'a>(spec: &'a Value, path: &str, method: &str) -> &'a Value {
    &operation(spec, path, method)["requestBody"]["content"]["application/json"]["schema"]
}

/// The JSON schema of an operation's response with `status`.
pub fn response_schema<'a>(spec: &'a Value, path: &str, method: &str, status: &str) -> &'a Value {
    &operation(spec, path, method)["responses"][status]["content"]["application/json"]["schema"]
}

/// Every validation error of `instance`, as text (empty when it is valid).
pub fn violations(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

/// An example value built from a schema's `example`s, following `$ref`, `allOf` and nesting —
/// what the spec says a response looks like.
pub fn example(spec: &Value, schema: &Value) -> Value {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or_default();
        return example(spec, &spec["components"]["schemas"][name]);
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        let mut merged = Map::new();
        for part in all {
            if let Value::Object(fields) = example(spec, part) {
                merged.extend(fields);
            }
        }
        return Value::Object(merged);
    }
    if let Some(value) = schema.get("example") {
        return value.clone();
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") | None if schema.get("properties").is_some() => {
            let fields = schema["properties"].as_object().into_iter().flatten();
            Value::Object(fields.map(|(k, v)| (k.clone(), example(spec, v))).collect())
        }
        Some("array") => json!([example(spec, &schema["items"])]),
        _ => Value::Null,
    }
}
