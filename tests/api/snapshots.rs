//! Snapshots (insta) of the API's surface and of the JSON shapes clients
//! parse: a change to either shows up as a diff to review
//! (`cargo insta review`, or `INSTA_UPDATE=always` to accept).

use serde_json::{json, Value};

use crate::support::{chain, is_public, TestApp};

/// Replace the values at `paths` (dotted, `*` for every array item) and the
/// envelope's request id and time with a marker, so the snapshot keeps the
/// shape and not the run's ids or times.
fn redact(v: &mut Value, paths: &[&str]) {
    fn walk(v: &mut Value, parts: &[&str]) {
        match parts.split_first() {
            None => *v = json!("[redacted]"),
            Some((&"*", rest)) => {
                if let Some(items) = v.as_array_mut() {
                    for i in items {
                        walk(i, rest);
                    }
                }
            }
            Some((key, rest)) => {
                let child = match key.parse::<usize>() {
                    Ok(i) if v.is_array() => v.get_mut(i),
                    _ => v.get_mut(*key),
                };
                if let Some(child) = child {
                    walk(child, rest);
                }
            }
        }
    }
    for p in ["meta.request_id", "meta.timestamp"].iter().chain(paths) {
        walk(v, &p.split('.').collect::<Vec<_>>());
    }
}

/// Every operation (method, path, public or not, response codes) and every
/// schema with its fields.
#[tokio::test]
async fn api_surface() {
    let app = TestApp::start().await;
    let doc = app.openapi().await;
    let mut ops = Vec::new();
    for (path, methods) in doc["paths"].as_object().unwrap() {
        for (method, op) in methods.as_object().unwrap() {
            let public = is_public(op);
            let codes: Vec<&str> = op["responses"]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            ops.push(format!(
                "{} {path}{} -> {}",
                method.to_uppercase(),
                if public { " (public)" } else { "" },
                codes.join(",")
            ));
        }
    }
    ops.sort();
    let schemas: Vec<String> = doc["components"]["schemas"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, s)| {
            let fields: Vec<&str> = s["properties"]
                .as_object()
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            format!("{name}: {}", fields.join(", "))
        })
        .collect();
    insta::assert_json_snapshot!(
        "api_surface",
        json!({ "operations": ops, "schemas": schemas })
    );
}

/// The envelopes and bodies of the auth, usage, key and Cypher routes.
#[tokio::test]
async fn json_shapes() {
    let app = TestApp::start().await;
    app.ingest(&chain("snapshot", &["-O0"])).await;

    let (_, mut me) = app.get("/me").await;
    redact(
        &mut me,
        &[
            "data.user_id",
            "data.key_id",
            "data.key_prefix",
            "data.limits",
        ],
    );
    insta::assert_json_snapshot!("me", me);

    let mut key: Value = app
        .client
        .post(format!("{}/keys", app.base))
        .json(&json!({ "name": "snap", "scopes": ["read"], "expires_in_days": 30 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    redact(
        &mut key,
        &[
            "data.key",
            "data.id",
            "data.prefix",
            "data.created_at",
            "data.expires_at",
        ],
    );
    insta::assert_json_snapshot!("key_created", key);

    let (_, mut usage) = app.get("/usage").await;
    redact(
        &mut usage,
        &[
            "data.period",
            "data.period_start",
            "data.period_end",
            "data.api_calls",
            "data.stored_bytes",
            "data.rate_limits.*.reset",
            "data.rate_limits.*.remaining",
        ],
    );
    insta::assert_json_snapshot!("usage", usage);

    let mut result: Value = app
        .client
        .post(format!("{}/cypher", app.base))
        .json(&json!({
            "query": "MATCH (f:Function {name: 'b'})-[c:CALLS]->(i:Import) RETURN f.name AS caller, i AS import, c.count AS sites",
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    redact(&mut result, &["data.elapsed_ms", "data.rows.*.1.id"]);
    insta::assert_json_snapshot!("cypher_result", result);

    let (_, mut error) = app.get("/binaries/xyz").await;
    redact(&mut error, &[]);
    insta::assert_json_snapshot!("error_envelope", error);
}
