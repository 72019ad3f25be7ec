//! `/auth/*`, `/me`, `/keys` and `/usage`: logging in, API keys, and what a
//! caller has used.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::AppState;
use crate::auth::accounts::{CreatedKey, KeyInfo, NewKeyRequest, Tokens};
use crate::auth::rate_limit::{Class, Decision, Tier};
use crate::auth::usage::Period;
use crate::auth::{Credential, Scope, Secret};
use crate::error::{Api, ApiError};
use crate::http::extract::ClientIp;
use crate::http::extract::{Auth, Read};

/// `POST /auth/login`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    #[schema(value_type = String)]
    pub password: Secret,
}

/// Log in with a user name and password: a short-lived access token and a
/// refresh token. Attempts are limited per user name and per client address.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", security(()),
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = Tokens),
        (status = 401, description = "Wrong name or password (`invalid_credentials`)", body = crate::error::ErrorEnvelope),
        (status = 429, description = "Too many attempts (`too_many_login_attempts`), with `Retry-After`", body = crate::error::ErrorEnvelope),
    ))]
pub async fn login(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(req): Json<LoginRequest>,
) -> Result<Api<Tokens>, ApiError> {
    Ok(Api::ok(
        app.auth.login(&req.username, req.password, ip).await?,
    ))
}

/// `POST /auth/refresh`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[schema(value_type = String)]
    pub refresh_token: Secret,
}

/// Trade a refresh token for new tokens. Each refresh token works once:
/// using one again ends its whole session (`refresh_token_reused`).
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", security(()),
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = Tokens),
        (status = 401, description = "Invalid, expired, reused or revoked", body = crate::error::ErrorEnvelope),
    ))]
pub async fn refresh(
    State(app): State<AppState>,
    Json(req): Json<RefreshRequest>,
) -> Result<Api<Tokens>, ApiError> {
    Ok(Api::ok(app.auth.refresh(&req.refresh_token).await?))
}

/// The outcome of a logout.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoggedOut {
    pub logged_out: bool,
}

/// End the caller's login session: its access and refresh tokens stop working.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses(
        (status = 200, description = "Logged out", body = LoggedOut),
        (status = 400, description = "Called with an API key (`not_a_session`)", body = crate::error::ErrorEnvelope),
    ))]
pub async fn logout(
    State(app): State<AppState>,
    caller: Auth<Read>,
) -> Result<Api<LoggedOut>, ApiError> {
    app.auth.logout(&caller).await?;
    Ok(Api::ok(LoggedOut { logged_out: true }))
}

/// The caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user: String,
    pub user_id: String,
    /// What this credential may do.
    pub scopes: Vec<&'static str>,
    pub tier: String,
    pub limits: Tier,
    /// `api_key` or `session`.
    pub auth: &'static str,
    /// The key's id and prefix, when authenticated by key.
    pub key_id: Option<String>,
    pub key_prefix: Option<String>,
}

/// Who the caller is and what the credential may do.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, description = "The caller", body = Me)))]
pub async fn me(State(app): State<AppState>, caller: Auth<Read>) -> Api<Me> {
    let (auth, key_id, key_prefix) = match &caller.credential {
        Credential::ApiKey { id, prefix } => ("api_key", Some(id.clone()), Some(prefix.clone())),
        Credential::Session { .. } => ("session", None, None),
    };
    Api::ok(Me {
        user: caller.user.clone(),
        user_id: caller.user_id.clone(),
        scopes: caller.scopes.names(),
        tier: caller.tier.clone(),
        limits: app.auth.tier(&caller.tier).clone(),
        auth,
        key_id,
        key_prefix,
    })
}

/// Whose keys to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KeysQuery {
    /// Another user's keys (admin).
    pub user: Option<String>,
    /// Everyone's keys (admin).
    pub all: Option<bool>,
}

/// List API keys (never the keys themselves): the caller's own, or with
/// `admin` another user's (`?user=`) or everyone's (`?all=true`).
#[utoipa::path(get, path = "/api/v1/keys", tag = "auth", params(KeysQuery),
    responses(
        (status = 200, description = "Keys", body = Vec<KeyInfo>),
        (status = 403, description = "Others' keys without admin", body = crate::error::ErrorEnvelope),
    ))]
pub async fn list_keys(
    State(app): State<AppState>,
    caller: Auth<Read>,
    Query(q): Query<KeysQuery>,
) -> Result<Api<Vec<KeyInfo>>, ApiError> {
    let others = q.all == Some(true) || q.user.as_deref().is_some_and(|u| u != caller.user);
    if others && !caller.scopes.allows(Scope::Admin) {
        return Err(ApiError::InsufficientScope {
            need: Scope::Admin,
            message: "Listing other users' keys needs the admin scope.".into(),
        });
    }
    let user = if q.all == Some(true) {
        None
    } else {
        Some(q.user.as_deref().unwrap_or(&caller.user))
    };
    Ok(Api::ok(app.auth.list_keys(user).await?))
}

/// Make an API key. The response is the only time the key is shown.
#[utoipa::path(post, path = "/api/v1/keys", tag = "auth",
    request_body = NewKeyRequest,
    responses(
        (status = 201, description = "The new key, shown once", body = CreatedKey),
        (status = 400, description = "Bad scopes, tier or expiry", body = crate::error::ErrorEnvelope),
        (status = 403, description = "Scopes beyond the caller's, or another user without admin", body = crate::error::ErrorEnvelope),
    ))]
pub async fn create_key(
    State(app): State<AppState>,
    caller: Auth<Read>,
    Json(req): Json<NewKeyRequest>,
) -> Result<Api<CreatedKey>, ApiError> {
    let created = app.auth.create_key(req, Some(&caller)).await?;
    Ok(Api {
        status: StatusCode::CREATED,
        data: created,
        pagination: None,
    })
}

/// Revoke an API key at once: the caller's own, or anyone's with `admin`.
#[utoipa::path(delete, path = "/api/v1/keys/{id}", tag = "auth",
    params(("id" = String, Path, description = "The key's id (`key_...`)")),
    responses(
        (status = 200, description = "Revoked", body = KeyInfo),
        (status = 404, description = "No such key of the caller's (`key_not_found`)", body = crate::error::ErrorEnvelope),
    ))]
pub async fn revoke_key(
    State(app): State<AppState>,
    caller: Auth<Read>,
    Path(id): Path<String>,
) -> Result<Api<KeyInfo>, ApiError> {
    Ok(Api::ok(app.auth.revoke_key(&id, Some(&caller)).await?))
}

/// The caller's usage in the current period.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageView {
    pub user: String,
    /// `YYYY-MM` (calendar month, UTC).
    pub period: String,
    pub period_start: String,
    pub period_end: String,
    /// Authenticated API calls by the user (all credentials) this period.
    pub api_calls: u64,
    /// Analysis jobs the user submitted this period, plus binaries uploaded
    /// directly (`POST /binaries`).
    pub analyses: u64,
    /// Distinct binaries the user has uploaded, and their size in bytes.
    pub binaries_stored: u64,
    pub stored_bytes: u64,
    pub tier: String,
    /// This credential's rate-limit buckets, now.
    pub rate_limits: Vec<Decision>,
    /// Submissions in progress and the most allowed at once.
    pub jobs_running: u32,
    pub jobs_limit: u32,
}

/// API calls, analyses, stored bytes and rate-limit status for the caller
/// in the current period.
#[utoipa::path(get, path = "/api/v1/usage", tag = "auth",
    responses((status = 200, description = "Usage", body = UsageView)))]
pub async fn usage(
    State(app): State<AppState>,
    caller: Auth<Read>,
) -> Result<Api<UsageView>, ApiError> {
    let period = Period::current();
    let api_calls = app
        .auth
        .usage
        .calls(app.auth.store(), &caller.user_id, &period.name)
        .await?;
    let (binaries_stored, stored_bytes, uploads) =
        app.auth.uploads(&caller.user_id, &period.start).await?;
    let since_ms = crate::graph::time::parse_rfc3339(&period.start)
        .map_or(0, |t| (t.unix_timestamp_nanos() / 1_000_000) as i64);
    let jobs = app.jobs.submitted_since(&caller.user_id, since_ms).await?;
    let analyses = jobs + uploads;
    let tier = app.auth.tier(&caller.tier);
    let rate_limits = [Class::Query, Class::Submission, Class::Download]
        .into_iter()
        .map(|c| app.auth.limiter.peek(&caller.bucket(), c, tier.limit(c)))
        .collect();
    let (jobs_running, jobs_limit) = app.auth.jobs_running(&caller);
    Ok(Api::ok(UsageView {
        user: caller.user.clone(),
        period: period.name,
        period_start: period.start,
        period_end: period.end,
        api_calls,
        analyses,
        binaries_stored,
        stored_bytes,
        tier: caller.tier.clone(),
        rate_limits,
        jobs_running,
        jobs_limit,
    }))
}
