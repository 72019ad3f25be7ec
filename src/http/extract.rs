//! The gate in front of every protected route, and the extractors handlers
//! use to say what they need.
//!
//! [`authenticate`] runs on every protected route: it names the caller (401
//! when it cannot), counts the request against the caller's rate limit (429
//! when over), holds a job slot for submissions, and writes the
//! `X-RateLimit-*` headers on the response. Handlers then take
//! `Auth<Read>`, `Auth<Write>` or `Auth<Admin>`, which answers 403 when the
//! caller's scopes fall short.

use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::auth::rate_limit::Class;
use crate::auth::{Principal, Scope};
use crate::error::ApiError;

/// Authenticate, rate-limit and count the request; see the module docs.
pub async fn authenticate(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    let caller = match app.auth.authenticate(req.headers()).await {
        Ok(p) => p,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let span = tracing::Span::current();
    span.record("user", caller.user.as_str());
    if let crate::auth::Credential::ApiKey { prefix, .. } = &caller.credential {
        span.record("key", prefix.as_str());
    }
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| req.uri().path().to_string());
    let class = Class::of(req.method(), &route);
    let decision = app.auth.rate_limit(&caller, class);
    if let Some(wait) = decision.retry_after {
        return ApiError::RateLimited {
            code: "rate_limited",
            message: format!(
                "Too many {} requests for this credential ({} a minute); try again in {wait} seconds.",
                class.name(),
                decision.limit
            ),
            decision: Box::new(decision),
        }
        .into_response();
    }
    let _slot = if class == Class::Submission {
        match app.auth.job_slot(&caller) {
            Some(slot) => Some(slot),
            None => {
                let (_, cap) = app.auth.jobs_running(&caller);
                let mut res = ApiError::TooManyJobs(format!(
                    "This credential already has {cap} submissions in progress, the most its tier allows; wait for one to finish."
                ))
                .into_response();
                decision.write_headers(res.headers_mut());
                return res;
            }
        }
    } else {
        None
    };
    app.auth.usage.record(&caller.user_id);
    req.extensions_mut().insert(Arc::new(caller));
    let mut res = next.run(req).await;
    decision.write_headers(res.headers_mut());
    res
}

/// A scope a handler can ask for.
pub trait Need: Send + Sync + 'static {
    const SCOPE: Scope;
}

/// Needs `read` (any valid credential).
pub struct Read;
/// Needs `write` (or `admin`).
pub struct Write;
/// Needs `admin`.
pub struct Admin;

impl Need for Read {
    const SCOPE: Scope = Scope::Read;
}
impl Need for Write {
    const SCOPE: Scope = Scope::Write;
}
impl Need for Admin {
    const SCOPE: Scope = Scope::Admin;
}

/// The authenticated caller, holding at least scope `S`.
pub struct Auth<S: Need>(pub Arc<Principal>, PhantomData<S>);

impl<S: Need> std::ops::Deref for Auth<S> {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.0
    }
}

impl<S: Need, St: Send + Sync> FromRequestParts<St> for Auth<S> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &St) -> Result<Self, ApiError> {
        let caller = parts
            .extensions
            .get::<Arc<Principal>>()
            .cloned()
            // A route outside the gate asked for a caller: a wiring mistake.
            .ok_or_else(|| ApiError::Internal("route is not behind the auth middleware".into()))?;
        if !caller.scopes.allows(S::SCOPE) {
            return Err(ApiError::InsufficientScope {
                need: S::SCOPE,
                message: format!(
                    "This needs the {} scope; this credential holds {}.",
                    S::SCOPE.name(),
                    caller.scopes.names().join(", ")
                ),
            });
        }
        Ok(Auth(caller, PhantomData))
    }
}

/// The client's address, when the server knows it.
pub struct ClientIp(pub Option<IpAddr>);

impl<St: Send + Sync> FromRequestParts<St> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &St) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}
