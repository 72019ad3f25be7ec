//! The API's one error type, its stable codes, and the response envelope.
//!
//! Every success is `{"status":"success","data":..,"meta":{..}}` and every
//! error `{"status":"error","error":{"code","message","details"?},"meta":{..}}`.
//! `meta.request_id` comes from the request's span (see `router::request_id`).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::analysis::AnalysisError;
use crate::app::AppError;
use crate::auth::rate_limit::Decision;
use crate::auth::{capitalise, AccountError, Scope};
use crate::graph::GraphError;
use crate::jobs::JobError;
use crate::pipeline::PipelineError;

/// The API version reported in `meta.api_version`.
pub const API_VERSION: &str = "v1";

tokio::task_local! {
    /// The id of the request being served (set by the request-id middleware).
    pub static REQUEST_ID: String;
}

/// The current request's id, or `-` outside a request.
pub fn request_id() -> String {
    REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| "-".into())
}

/// `meta` of every response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Meta {
    pub request_id: String,
    /// RFC 3339 time of the response.
    pub timestamp: String,
    pub api_version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pagination: Option<Pagination>,
}

impl Meta {
    pub fn now(pagination: Option<Pagination>) -> Self {
        Meta {
            request_id: request_id(),
            timestamp: crate::graph::time::now_precise(),
            api_version: API_VERSION,
            pagination,
        }
    }
}

/// Where a page sits in a list.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct Pagination {
    /// 1-based page number.
    pub page: u64,
    pub limit: u64,
    /// Items in the whole list.
    pub total: u64,
    pub pages: u64,
}

impl Pagination {
    pub fn new(page: u64, limit: u64, total: u64) -> Self {
        Pagination {
            page,
            limit,
            total,
            pages: total.div_ceil(limit.max(1)),
        }
    }
}

/// A successful response: `data` in the envelope, with a status code.
pub struct Api<T> {
    pub status: StatusCode,
    pub data: T,
    pub pagination: Option<Pagination>,
}

impl<T> Api<T> {
    pub fn ok(data: T) -> Self {
        Api {
            status: StatusCode::OK,
            data,
            pagination: None,
        }
    }

    pub fn page(data: T, pagination: Pagination) -> Self {
        Api {
            status: StatusCode::OK,
            data,
            pagination: Some(pagination),
        }
    }
}

#[derive(Serialize)]
struct SuccessBody<'a, T> {
    status: &'static str,
    data: &'a T,
    meta: Meta,
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

impl<T: Serialize> IntoResponse for Api<T> {
    fn into_response(self) -> Response {
        let body = SuccessBody {
            status: "success",
            data: &self.data,
            meta: Meta::now(self.pagination),
        };
        match serde_json::to_vec(&body) {
            Ok(bytes) => json_response(self.status, bytes),
            Err(e) => ApiError::Internal(format!("serialising the response: {e}")).into_response(),
        }
    }
}

/// Every way a request can fail, each with a status and a stable code.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("{1}")]
    NotFound(&'static str, String),
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}")]
    Malformed(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{message}")]
    CypherSyntax {
        message: String,
        line: u32,
        column: u32,
    },
    #[error("{0}")]
    Forbidden(String),
    /// 401: no credentials, or ones that do not hold (`WWW-Authenticate` is set).
    #[error("{message}")]
    Unauthorized { code: &'static str, message: String },
    /// 403: a valid credential without the scope the route needs.
    #[error("{message}")]
    InsufficientScope { need: Scope, message: String },
    /// 429 with `Retry-After` and the rate-limit headers.
    #[error("{message}")]
    RateLimited {
        code: &'static str,
        message: String,
        decision: Box<Decision>,
    },
    /// 429: the caller's tier has no free job slot.
    #[error("{0}")]
    TooManyJobs(String),
    /// 403: a query that writes, sent as read-only.
    #[error("{message}")]
    WriteNotAllowed { clause: String, message: String },
    /// 408: a query over its time limit.
    #[error("{0}")]
    Timeout(String),
    /// 409: the thing exists already.
    #[error("{1}")]
    Conflict(&'static str, String),
    #[error("{0}")]
    Unavailable(String),
    /// Anything else; the message goes to the log, never to the client.
    #[error("{0}")]
    Internal(String),
}

/// The error body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `binary_not_found`.
    pub code: String,
    /// A sentence for people.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

/// The error envelope (also used for the OpenAPI document).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorEnvelope {
    /// Always `error`.
    pub status: String,
    pub error: ErrorDetail,
    pub meta: Meta,
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::NotFound(..) => StatusCode::NOT_FOUND,
            ApiError::BadRequest { .. } | ApiError::CypherSyntax { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unsupported(_) | ApiError::Malformed(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Forbidden(_)
            | ApiError::InsufficientScope { .. }
            | ApiError::WriteNotAllowed { .. } => StatusCode::FORBIDDEN,
            ApiError::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::RateLimited { .. } | ApiError::TooManyJobs(_) => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::Conflict(..) => StatusCode::CONFLICT,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code clients can match on.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::NotFound(code, _) => code,
            ApiError::BadRequest { code, .. } => code,
            ApiError::Unsupported(_) => "unsupported_format",
            ApiError::Malformed(_) => "malformed_binary",
            ApiError::TooLarge(_) => "payload_too_large",
            ApiError::CypherSyntax { .. } => "cypher_syntax_error",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::Unauthorized { code, .. } => code,
            ApiError::InsufficientScope { .. } => "insufficient_scope",
            ApiError::RateLimited { code, .. } => code,
            ApiError::TooManyJobs(_) => "too_many_jobs",
            ApiError::WriteNotAllowed { .. } => "write_not_allowed",
            ApiError::Timeout(_) => "query_timeout",
            ApiError::Conflict(code, _) => code,
            ApiError::Unavailable(_) => "service_unavailable",
            ApiError::Internal(_) => "internal_error",
        }
    }

    fn details(&self) -> Option<serde_json::Value> {
        match self {
            ApiError::CypherSyntax { line, column, .. } => {
                Some(serde_json::json!({ "line": line, "column": column }))
            }
            ApiError::InsufficientScope { need, .. } => {
                Some(serde_json::json!({ "required_scope": need.name() }))
            }
            ApiError::WriteNotAllowed { clause, .. } => {
                Some(serde_json::json!({ "clause": clause }))
            }
            ApiError::RateLimited { decision, .. } => Some(serde_json::json!({
                "class": decision.class,
                "limit": decision.limit,
                "retry_after": decision.retry_after,
            })),
            _ => None,
        }
    }
}

/// An error envelope for `status`, with `code` and `message`.
pub fn error_response(
    status: StatusCode,
    code: &str,
    message: String,
    details: Option<serde_json::Value>,
) -> Response {
    let body = ErrorEnvelope {
        status: "error".into(),
        error: ErrorDetail {
            code: code.into(),
            message,
            details,
        },
        meta: Meta::now(None),
    };
    json_response(status, serde_json::to_vec(&body).unwrap_or_default())
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = match &self {
            ApiError::Internal(cause) => {
                tracing::error!(request_id = %request_id(), cause = %cause, "internal error");
                "The server failed to handle this request; the cause is logged with its request id."
                    .to_string()
            }
            other => other.to_string(),
        };
        let mut res = error_response(self.status(), self.code(), message, self.details());
        let headers = res.headers_mut();
        match &self {
            ApiError::Unauthorized { code, .. } => {
                // RFC 6750: no error attribute when no credentials were sent.
                let challenge = if *code == "missing_credentials" {
                    r#"Bearer realm="bingraph""#.to_string()
                } else {
                    format!(
                        r#"Bearer realm="bingraph", error="invalid_token", error_description="{code}""#
                    )
                };
                if let Ok(v) = HeaderValue::from_str(&challenge) {
                    headers.insert(header::WWW_AUTHENTICATE, v);
                }
            }
            ApiError::InsufficientScope { need, .. } => {
                let challenge = format!(
                    r#"Bearer realm="bingraph", error="insufficient_scope", scope="{}""#,
                    need.name()
                );
                if let Ok(v) = HeaderValue::from_str(&challenge) {
                    headers.insert(header::WWW_AUTHENTICATE, v);
                }
            }
            ApiError::RateLimited { decision, .. } => decision.write_headers(headers),
            ApiError::TooManyJobs(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            _ => {}
        }
        res
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::NotFound(code, m) => ApiError::NotFound(code, m),
            AccountError::Invalid { code, message } => ApiError::BadRequest { code, message },
            AccountError::Conflict(code, m) => ApiError::Conflict(code, m),
            AccountError::Unauthorized { code, message } => {
                ApiError::Unauthorized { code, message }
            }
            AccountError::InsufficientScope { need, message } => {
                ApiError::InsufficientScope { need, message }
            }
            AccountError::RateLimited {
                code,
                message,
                decision,
            } => ApiError::RateLimited {
                code,
                message,
                decision,
            },
            AccountError::Graph(g) => g.into(),
            AccountError::Internal(m) => ApiError::Internal(m),
        }
    }
}

impl From<JobError> for ApiError {
    fn from(e: JobError) -> Self {
        match e {
            JobError::NotFound(code, m) => ApiError::NotFound(code, m),
            JobError::Conflict(code, m) => ApiError::Conflict(code, m),
            JobError::TooManyJobs(m) => ApiError::TooManyJobs(m),
            JobError::Graph(g) => g.into(),
            JobError::Internal(m) => ApiError::Internal(m),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::InvalidHash(m) => ApiError::bad_request("invalid_hash", m),
            AppError::NotFound(code, m) => ApiError::NotFound(code, m),
            AppError::Graph(g) => g.into(),
            AppError::Account(a) => a.into(),
            AppError::Analysis(a) => a.into(),
            AppError::Internal(m) => ApiError::Internal(m),
        }
    }
}

impl From<GraphError> for ApiError {
    fn from(e: GraphError) -> Self {
        match e {
            GraphError::Syntax {
                message,
                line,
                column,
            } => ApiError::CypherSyntax {
                message: format!("Cypher syntax error at line {line}, column {column}: {message}"),
                line,
                column,
            },
            GraphError::ReadOnly => ApiError::Forbidden(e.to_string()),
            GraphError::Limit(m) => ApiError::bad_request("query_limit", m),
            GraphError::Query(m) => ApiError::bad_request("cypher_error", m),
            GraphError::Backend(m) => ApiError::Internal(m),
        }
    }
}

impl From<AnalysisError> for ApiError {
    fn from(e: AnalysisError) -> Self {
        match e {
            AnalysisError::TooLarge { .. } => ApiError::TooLarge(format!(
                "{}: send a smaller file or raise max_upload_bytes.",
                capitalise(&e.to_string())
            )),
            AnalysisError::Unsupported(_) => {
                ApiError::Unsupported(format!("{}.", capitalise(&e.to_string())))
            }
            AnalysisError::Malformed(_) => {
                ApiError::Malformed(format!("{}.", capitalise(&e.to_string())))
            }
        }
    }
}

impl From<PipelineError> for ApiError {
    fn from(e: PipelineError) -> Self {
        match e {
            PipelineError::Analysis(a) => a.into(),
            // A value the store cannot hold (a giant symbol name, say) is the
            // file's problem, not the request's or the server's.
            PipelineError::Graph(GraphError::Limit(m)) => {
                ApiError::Malformed(format!("The binary holds a value too large to store: {m}."))
            }
            PipelineError::Graph(g) => g.into(),
            other => ApiError::Internal(other.to_string()),
        }
    }
}
