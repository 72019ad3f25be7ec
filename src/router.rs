//! Every route on one screen, and the middleware around them: a request id
//! and tracing span per request, authentication and rate limits in front of
//! every route but the public ones, body limits, and the error envelope for
//! responses the handlers did not write (unknown routes, rejected bodies).

use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Redirect, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use tracing::Instrument;

use crate::app::AppState;
use crate::error::{error_response, REQUEST_ID};
use crate::http::extract::authenticate;
use crate::http::{analysis, auth, binaries, cypher, functions, graph, search, system};

/// The whole application.
pub fn router(state: AppState) -> Router {
    let upload_limit = usize::try_from(state.config.max_upload_bytes).unwrap_or(usize::MAX);
    // No credentials needed: health, the API's own description, and logging in.
    let public = Router::new()
        .route("/health", get(system::health))
        .route("/openapi.json", get(crate::openapi::openapi_json))
        .route("/docs", get(crate::openapi::reference_page))
        .route("/auth/login", post(auth::login))
        .route("/auth/refresh", post(auth::refresh));
    // Everything else: a valid credential (401), within its rate limit (429);
    // each handler's `Auth<Scope>` checks the scope (403).
    let protected = Router::new()
        .route("/auth/logout", post(auth::logout))
        .route("/me", get(auth::me))
        .route("/usage", get(auth::usage))
        .route("/keys", get(auth::list_keys).post(auth::create_key))
        .route("/keys/{id}", delete(auth::revoke_key))
        .route("/cypher", post(cypher::run))
        .route("/cypher/examples", get(cypher::examples))
        .route("/cypher/examples/{name}", post(cypher::run_example))
        .route(
            "/binaries",
            get(binaries::list_binaries)
                .post(binaries::upload_binary)
                // Room for the multipart framing around the file.
                .layer(DefaultBodyLimit::max(
                    upload_limit.saturating_add(64 * 1024),
                )),
        )
        .route(
            "/binaries/{hash}",
            get(binaries::get_binary).delete(binaries::delete_binary),
        )
        .route(
            "/analysis",
            post(analysis::submit).layer(DefaultBodyLimit::max(
                upload_limit.saturating_add(64 * 1024),
            )),
        )
        .route(
            "/validate",
            post(analysis::validate).layer(DefaultBodyLimit::max(
                upload_limit.saturating_add(64 * 1024),
            )),
        )
        .route("/analyses", get(analysis::list))
        .route(
            "/analysis/{job_id}",
            get(analysis::get_job).delete(analysis::delete),
        )
        .route("/analysis/{job_id}/cancel", post(analysis::cancel))
        .route("/analysis/{job_id}/events", get(analysis::events))
        .route("/analysis/{job_id}/report", get(analysis::report))
        .route(
            "/analysis/{job_id}/report/section/{n}",
            get(analysis::section),
        )
        .route(
            "/analysis/{job_id}/vulnerabilities",
            get(analysis::vulnerabilities),
        )
        .route("/analysis/{job_id}/provenance", get(analysis::provenance))
        .route("/provenance/key", get(analysis::signing_key))
        .route("/binaries/{sha256}/file", get(binaries::download))
        .route("/binaries/{sha256}/symbols", get(binaries::symbols))
        .route("/binaries/{sha256}/strings", get(binaries::strings))
        .route("/binaries/{sha256}/imports", get(binaries::imports))
        .route(
            "/binaries/{sha256}/functions",
            get(functions::list_functions),
        )
        .route(
            "/binaries/{sha256}/functions/{addr}",
            get(functions::get_function),
        )
        .route(
            "/binaries/{sha256}/functions/{addr}/callers",
            get(functions::callers),
        )
        .route(
            "/binaries/{sha256}/functions/{addr}/callees",
            get(functions::callees),
        )
        .route(
            "/binaries/{sha256}/functions/{addr}/similar",
            get(search::similar_functions),
        )
        .route("/binaries/{sha256}/similar", get(search::similar_binaries))
        .route("/search", get(search::search))
        .route("/binaries/{sha256}/graph", get(graph::graph))
        .route("/binaries/{sha256}/paths", get(graph::paths))
        .route_layer(middleware::from_fn_with_state(state.clone(), authenticate));
    Router::new()
        .nest("/api/v1", public.merge(protected))
        .route("/", get(|| async { Redirect::temporary("/api/v1/docs") }))
        .fallback(not_found)
        // A panicking handler answers 500, put into the envelope just outside.
        .layer(CatchPanicLayer::new())
        .layer(middleware::from_fn(envelope_errors))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(600),
        ))
        .layer(middleware::from_fn(request_id))
        .with_state(state)
}

async fn not_found() -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        "route_not_found",
        "There is no such route; the API lives under /api/v1 (see /api/v1/docs).".into(),
        None,
    )
}

/// Give each request an id (the client's `X-Request-Id` if it is sane), a
/// tracing span, and the id back in `X-Request-Id`.
async fn request_id(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 128
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map(String::from)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %req.uri().path(),
        user = tracing::field::Empty,
        key = tracing::field::Empty,
    );
    let started = std::time::Instant::now();
    let mut res = REQUEST_ID
        .scope(id.clone(), next.run(req).instrument(span.clone()))
        .await;
    span.in_scope(|| {
        tracing::info!(
            status = res.status().as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "served"
        );
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

/// Errors produced outside the handlers (axum's extractor rejections, body
/// limits, timeouts) come as plain text; rewrite them into the envelope.
async fn envelope_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return res;
    }
    let text = axum::body::to_bytes(res.into_body(), 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let (code, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => (
            "payload_too_large",
            "The request body is larger than this server accepts (max_upload_bytes).".to_string(),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "This route does not accept that method.".to_string(),
        ),
        StatusCode::REQUEST_TIMEOUT => (
            "timeout",
            "The request took too long and was stopped.".to_string(),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", sentence(&text)),
        s if s.is_client_error() => ("invalid_request", sentence(&text)),
        _ => {
            tracing::error!(cause = %text, "unhandled server error");
            (
                "internal_error",
                "The server failed to handle this request; the cause is logged with its request id."
                    .to_string(),
            )
        }
    };
    error_response(status, code, message, None)
}

fn sentence(text: &str) -> String {
    if text.is_empty() {
        "The request is invalid.".into()
    } else if text.ends_with('.') {
        text.to_string()
    } else {
        format!("{text}.")
    }
}
