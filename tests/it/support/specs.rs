//! The API specs in ../shared/specs (or `ZOOMBOT_SPECS_DIR`), for contract tests: the one place
//! that finds, reads and compiles them. Absent specs skip a test with a notice, unless
//! `ZOOMBOT_REQUIRE_SPECS=1` makes that a failure.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Map, Value, json};

use super::fake_discord::Recorded;

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

/// The operation object of `method` on `path`.
pub fn operation<'a>(spec: &'a Value, path: &str, method: &str) -> &'a Value {
    let op = &spec["paths"][path][method];
    assert!(op.is_object(), "the spec has no {method} {path}");
    op
}

/// A validator for `schema` (a schema object of `spec`, `$ref`s into `#/components` allowed),
/// checking string formats too.
pub fn validator(spec: &Value, schema: &Value) -> jsonschema::Validator {
    compile(spec, schema, true)
}

fn compile(spec: &Value, schema: &Value, check_formats: bool) -> jsonschema::Validator {
    let mut root = schema.as_object().cloned().unwrap_or_default();
    root.insert("components".to_owned(), spec["components"].clone());
    jsonschema::options()
        .should_validate_formats(check_formats)
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

/// Discord's `OpenAPI` spec with path matching and cached validators.
pub struct DiscordSpec {
    spec: Value,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

impl DiscordSpec {
    /// Discord's HTTP API spec, or `None` as [`load`] explains.
    pub fn load() -> Option<Self> {
        load("discord/openapi.json").map(|spec| Self {
            spec,
            validators: Mutex::new(HashMap::new()),
        })
    }

    /// The spec's templated path for a concrete one (`/api/v10` prefix optional): literal segments
    /// beat parameters, so `/users/@me` wins over `/users/{user_id}`.
    pub fn match_path(&self, method: &str, concrete: &str) -> Option<String> {
        let concrete = concrete.strip_prefix("/api/v10").unwrap_or(concrete);
        let wanted: Vec<&str> = concrete.trim_end_matches('/').split('/').collect();
        let method = method.to_ascii_lowercase();
        let paths = self.spec["paths"].as_object()?;
        paths
            .iter()
            .filter(|(_, item)| item.get(&method).is_some())
            .filter_map(|(template, _)| {
                let parts: Vec<&str> = template.split('/').collect();
                if parts.len() != wanted.len() {
                    return None;
                }
                let mut literals = 0;
                for (t, w) in parts.iter().zip(&wanted) {
                    if t.starts_with('{') && t.ends_with('}') {
                        if w.is_empty() {
                            return None;
                        }
                    } else if t == w {
                        literals += 1;
                    } else {
                        return None;
                    }
                }
                Some((literals, template.clone()))
            })
            .max_by_key(|(literals, _)| *literals)
            .map(|(_, template)| template)
    }

    fn operation(&self, method: &str, concrete: &str) -> Option<&Value> {
        let template = self.match_path(method, concrete)?;
        self.spec["paths"][template].get(method.to_ascii_lowercase())
    }

    /// The JSON request-body schema for `method` on a concrete path.
    pub fn request_schema(&self, method: &str, concrete: &str) -> Option<Value> {
        self.operation(method, concrete)?
            .pointer("/requestBody/content/application~1json/schema")
            .cloned()
    }

    /// The JSON response schema for `status` (falls back to `4XX` for client errors).
    pub fn response_schema(&self, method: &str, concrete: &str, status: u16) -> Option<Value> {
        let responses = &self.operation(method, concrete)?["responses"];
        let response = responses.get(status.to_string()).or_else(|| {
            (400..500)
                .contains(&status)
                .then(|| responses.get("4XX"))
                .flatten()
        })?;
        response
            .pointer("/content/application~1json/schema")
            .cloned()
    }

    /// A validator for `schema`, `#/components/...` references resolved against the spec
    /// (string formats unchecked, as the Discord checks have always been).
    pub fn validator(&self, schema: &Value) -> Arc<jsonschema::Validator> {
        let key = schema.to_string();
        let mut cache = self
            .validators
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(
            cache
                .entry(key)
                .or_insert_with(|| Arc::new(compile(&self.spec, schema, false))),
        )
    }

    /// A validator for the request body of `method` on a concrete path such as
    /// `/api/v10/interactions/123/tok/callback`, or None when the spec defines no JSON body there.
    pub fn request_validator(
        &self,
        method: &str,
        path: &str,
    ) -> Option<Arc<jsonschema::Validator>> {
        self.request_schema(method, path)
            .map(|schema| self.validator(&schema))
    }

    /// Violations of a recorded request's body against the spec; `Err` when the spec has no such
    /// operation or no JSON body schema while a body was sent.
    pub fn request_violations(&self, recorded: &Recorded) -> Result<Vec<String>, String> {
        let Some(body) = &recorded.body else {
            return Ok(vec![]);
        };
        let schema = self
            .request_schema(&recorded.method, &recorded.path)
            .ok_or_else(|| {
                format!(
                    "the spec has no JSON body for {} {}",
                    recorded.method, recorded.path
                )
            })?;
        Ok(violations(&self.validator(&schema), body))
    }

    /// Violations of the fake's answer to a recorded request against the spec's response schema.
    pub fn response_violations(&self, recorded: &Recorded) -> Result<Vec<String>, String> {
        let Some(body) = &recorded.response else {
            return Ok(vec![]);
        };
        let schema = self
            .response_schema(&recorded.method, &recorded.path, recorded.status)
            .ok_or_else(|| {
                format!(
                    "the spec has no {} response for {} {}",
                    recorded.status, recorded.method, recorded.path
                )
            })?;
        Ok(violations(&self.validator(&schema), body))
    }
}
