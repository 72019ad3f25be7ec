//! `/health` (the OpenAPI document and its reference page are served by `openapi.rs`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppState;
use crate::error::{error_response, Api};
use crate::graph::{Params, Value};

const PING: &str = include_str!("../../cypher/system/ping.cypher");
const STATS: &str = include_str!("../../cypher/system/stats.cypher");

/// Service health.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    pub version: String,
    /// Graph backend: `embedded` or `bolt`.
    pub graph_backend: String,
    pub binaries: u64,
    /// Analysis jobs by state (`queued`, `running`, ...): the queue depth.
    pub jobs: std::collections::BTreeMap<String, u64>,
    /// Job workers in this process.
    pub workers: usize,
    /// Mean run time of succeeded jobs, in milliseconds.
    pub mean_job_ms: Option<u64>,
}

/// Whether the service and its graph store answer. Needs no credentials.
#[utoipa::path(get, path = "/api/v1/health", tag = "system", security(()),
    responses((status = 200, description = "Healthy", body = Health),
              (status = 503, description = "The graph store does not answer", body = crate::error::ErrorEnvelope)))]
pub async fn health(State(app): State<AppState>) -> Response {
    let ping = app.store.read(PING, Params::new()).await;
    let stats = app.store.read(STATS, Params::new()).await;
    let jobs = app.jobs.depth().await;
    match (ping, stats.and_then(|s| Ok((s, jobs?)))) {
        (Ok(_), Ok((stats, (jobs, mean_job_ms)))) => Api::ok(Health {
            jobs,
            workers: app.config.jobs.workers,
            mean_job_ms,
            status: "ok".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            graph_backend: app.store.backend().into(),
            binaries: stats.first("binaries").and_then(Value::as_u64).unwrap_or(0),
        })
        .into_response(),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "health check failed");
            error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "graph_unavailable",
                "The graph store does not answer; see the server log.".into(),
                None,
            )
        }
    }
}
