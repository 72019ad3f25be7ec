//! `/cypher`: analysts' own Cypher, read-only unless an admin asks to write,
//! with a timeout, a row cap and a result-size cap; and the saved examples
//! in `cypher/examples/`, listed and runnable by name.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::AppState;
use crate::auth::Scope;
use crate::error::{Api, ApiError};
use crate::graph::guard::{database_switch, first_write_clause};
use crate::graph::{Params, Rows, Value};
use crate::http::extract::{Auth, Read};

/// The saved queries, by name (file stem in `cypher/examples/`).
const EXAMPLES: &[(&str, &str)] = &[
    (
        "who_calls",
        include_str!("../../cypher/examples/who_calls.cypher"),
    ),
    (
        "who_reaches",
        include_str!("../../cypher/examples/who_reaches.cypher"),
    ),
    (
        "dangerous_calls",
        include_str!("../../cypher/examples/dangerous_calls.cypher"),
    ),
    (
        "binaries_sharing_imports",
        include_str!("../../cypher/examples/binaries_sharing_imports.cypher"),
    ),
    (
        "binaries_defining",
        include_str!("../../cypher/examples/binaries_defining.cypher"),
    ),
    (
        "imports_by_library",
        include_str!("../../cypher/examples/imports_by_library.cypher"),
    ),
    (
        "most_called",
        include_str!("../../cypher/examples/most_called.cypher"),
    ),
    (
        "crypto_strings",
        include_str!("../../cypher/examples/crypto_strings.cypher"),
    ),
    (
        "unhardened_binaries",
        include_str!("../../cypher/examples/unhardened_binaries.cypher"),
    ),
];

/// `POST /cypher`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CypherRequest {
    pub query: String,
    /// Parameters, referred to as `$name` in the query.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub params: serde_json::Map<String, serde_json::Value>,
    /// Give up after this long (default 30 s, at most `cypher_max_timeout_secs`).
    pub timeout_ms: Option<u64>,
    /// Most rows returned (default 1,000, at most `cypher_max_rows`).
    pub limit: Option<usize>,
    /// Allow the query to write (admin only).
    #[serde(default)]
    pub write: bool,
}

/// A query's result.
#[derive(Debug, Serialize, ToSchema)]
pub struct CypherResult {
    pub columns: Vec<String>,
    /// One array per row, in column order. Nodes are `{id, labels,
    /// properties}`, relationships `{id, type, start, end, properties}`,
    /// paths `{nodes, relationships}`.
    #[schema(value_type = Vec<Vec<Object>>)]
    pub rows: Vec<Vec<Value>>,
    pub row_count: usize,
    /// Rows were left out: `limit` or the result-size cap was reached.
    pub truncated: bool,
    /// `rows` or `bytes`, when truncated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated_by: Option<&'static str>,
    pub elapsed_ms: u64,
}

/// Run a Cypher query. Read-only for every caller, enforced by a check of
/// the query's clauses (403 `write_not_allowed`, naming the clause) and by the
/// store's read-only transaction; an `admin` credential may send
/// `"write": true`. Syntax errors are 400 with the line and column.
#[utoipa::path(post, path = "/api/v1/cypher", tag = "cypher",
    request_body = CypherRequest,
    responses(
        (status = 200, description = "Columns and rows", body = CypherResult),
        (status = 400, description = "Syntax error (`cypher_syntax_error`, with `details.line`/`column`) or a failing query (`cypher_error`)", body = crate::error::ErrorEnvelope),
        (status = 403, description = "A write without admin and `write: true` (`write_not_allowed`, `insufficient_scope`), or a query naming another database (`forbidden`)", body = crate::error::ErrorEnvelope),
        (status = 408, description = "Over the time limit (`query_timeout`)", body = crate::error::ErrorEnvelope),
    ))]
pub async fn run(
    State(app): State<AppState>,
    caller: Auth<Read>,
    Json(req): Json<CypherRequest>,
) -> Result<Api<CypherResult>, ApiError> {
    if req.write && !caller.scopes.allows(Scope::Admin) {
        return Err(ApiError::InsufficientScope {
            need: Scope::Admin,
            message: "Writing with Cypher needs the admin scope.".into(),
        });
    }
    let params = req
        .params
        .iter()
        .map(|(k, v)| (k.clone(), Value::from_json(v)))
        .collect();
    execute(
        &app,
        &req.query,
        params,
        req.timeout_ms,
        req.limit,
        req.write,
    )
    .await
}

async fn execute(
    app: &AppState,
    query: &str,
    params: Params,
    timeout_ms: Option<u64>,
    limit: Option<usize>,
    write: bool,
) -> Result<Api<CypherResult>, ApiError> {
    let c = &app.config;
    if query.trim().is_empty() {
        return Err(ApiError::bad_request(
            "invalid_parameter",
            "The query is empty.",
        ));
    }
    if let Some((line, column)) = database_switch(query) {
        return Err(ApiError::Forbidden(format!(
            "This query names another database (USE at line {line}, column {column}); /cypher runs on the analysis graph only."
        )));
    }
    if !write {
        if let Some(w) = first_write_clause(query) {
            return Err(ApiError::WriteNotAllowed {
                clause: w.clause.clone(),
                message: format!(
                    "This query writes ({} at line {}, column {}); queries are read-only unless an admin credential sends \"write\": true.",
                    w.clause, w.line, w.column
                ),
            });
        }
    }
    let timeout = Duration::from_millis(
        timeout_ms
            .unwrap_or(30_000)
            .clamp(1, c.cypher_max_timeout.as_millis() as u64),
    );
    let limit = limit.unwrap_or(1_000).clamp(1, c.cypher_max_rows);
    let started = Instant::now();
    let run = async {
        if write {
            app.store.write(query, params).await
        } else {
            app.store.read(query, params).await
        }
    };
    let rows = tokio::time::timeout(timeout, run).await.map_err(|_| {
        ApiError::Timeout(format!(
            "The query ran longer than {} ms and was abandoned; narrow it (a LIMIT, an indexed property) or raise timeout_ms.",
            timeout.as_millis()
        ))
    })??;
    if write {
        tracing::info!(query = %query, "cypher write");
    }
    Ok(Api::ok(shape(
        rows,
        limit,
        c.cypher_max_result_bytes,
        started,
    )))
}

/// Cut `rows` to `limit` rows and `max_bytes` of JSON.
fn shape(rows: Rows, limit: usize, max_bytes: usize, started: Instant) -> CypherResult {
    let total = rows.rows.len();
    let mut kept = Vec::with_capacity(total.min(limit));
    let mut bytes = 0usize;
    let mut truncated_by = None;
    for row in rows.rows {
        if kept.len() >= limit {
            truncated_by = Some("rows");
            break;
        }
        bytes += serde_json::to_vec(&row).map(|v| v.len()).unwrap_or(0);
        if bytes > max_bytes {
            truncated_by = Some("bytes");
            break;
        }
        kept.push(row);
    }
    CypherResult {
        columns: rows.columns,
        row_count: kept.len(),
        rows: kept,
        truncated: truncated_by.is_some(),
        truncated_by,
        elapsed_ms: started.elapsed().as_millis() as u64,
    }
}

/// A saved query.
#[derive(Debug, Serialize, ToSchema)]
pub struct Example {
    pub name: String,
    pub description: String,
    /// Parameters and their defaults.
    #[schema(value_type = Object)]
    pub params: BTreeMap<String, serde_json::Value>,
    pub query: String,
}

fn example(name: &str, text: &str) -> Example {
    let mut description = Vec::new();
    let mut params = BTreeMap::new();
    let mut query = Vec::new();
    for line in text.lines() {
        match line.strip_prefix("//").map(str::trim) {
            Some(c) => match c.strip_prefix("param ") {
                Some(p) => {
                    if let Some((k, v)) = p.split_once(':') {
                        let v = serde_json::from_str(v.trim()).unwrap_or(serde_json::Value::Null);
                        params.insert(k.trim().to_string(), v);
                    }
                }
                None => description.push(c.to_string()),
            },
            None => query.push(line),
        }
    }
    Example {
        name: name.to_string(),
        description: description.join(" "),
        params,
        query: query.join("\n").trim().to_string(),
    }
}

/// The saved example queries.
#[utoipa::path(get, path = "/api/v1/cypher/examples", tag = "cypher",
    responses((status = 200, description = "Examples", body = Vec<Example>)))]
pub async fn examples(_caller: Auth<Read>) -> Api<Vec<Example>> {
    Api::ok(EXAMPLES.iter().map(|(n, t)| example(n, t)).collect())
}

/// `POST /cypher/examples/{name}`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunExample {
    /// Values for the example's parameters (the rest keep their defaults).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub params: serde_json::Map<String, serde_json::Value>,
    pub limit: Option<usize>,
    pub timeout_ms: Option<u64>,
}

/// Run a saved example by name (read-only), with parameters over its defaults.
#[utoipa::path(post, path = "/api/v1/cypher/examples/{name}", tag = "cypher",
    params(("name" = String, Path, description = "An example's name")),
    request_body = RunExample,
    responses(
        (status = 200, description = "Columns and rows", body = CypherResult),
        (status = 404, description = "No such example (`example_not_found`)", body = crate::error::ErrorEnvelope),
    ))]
pub async fn run_example(
    State(app): State<AppState>,
    _caller: Auth<Read>,
    Path(name): Path<String>,
    body: Option<Json<RunExample>>,
) -> Result<Api<CypherResult>, ApiError> {
    let req = body.map(|Json(b)| b).unwrap_or_default();
    let ex = EXAMPLES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, t)| example(n, t))
        .ok_or_else(|| {
            ApiError::NotFound(
                "example_not_found",
                format!(
                    "There is no example '{name}'; the examples are: {}.",
                    EXAMPLES
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
    let mut params: Params = ex
        .params
        .iter()
        .map(|(k, v)| (k.clone(), Value::from_json(v)))
        .collect();
    for (k, v) in &req.params {
        params.insert(k.clone(), Value::from_json(v));
    }
    execute(&app, &ex.query, params, req.timeout_ms, req.limit, false).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_parses_and_reads_only() {
        for (name, text) in EXAMPLES {
            let ex = example(name, text);
            assert!(ex.description.len() > 20, "{name}: {}", ex.description);
            assert!(ex.query.starts_with("MATCH"), "{name}");
            assert_eq!(first_write_clause(&ex.query), None, "{name}");
            for p in ex.params.keys() {
                assert!(ex.query.contains(&format!("${p}")), "{name} uses ${p}");
            }
        }
        let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/cypher/examples"))
            .unwrap()
            .count();
        assert_eq!(
            files,
            EXAMPLES.len(),
            "every file in cypher/examples/ is listed"
        );
    }
}
