//! The OpenAPI 3.1 document, generated from the handlers' annotations,
//! and the routes that serve it (`/openapi.json`, `/docs`).

use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::http::{analysis, auth, binaries, cypher, functions, graph, search, system};

/// Every documented route and schema.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "bingraph",
        description = "Binary intelligence as a property graph: ingest ELF, PE and Mach-O executables, then look them up by hash and explore their functions, call graph, call paths, symbols, strings and imports.\n\nEvery response is an envelope: `{\"status\":\"success\",\"data\":...,\"meta\":{request_id,timestamp,api_version,pagination?}}` or `{\"status\":\"error\",\"error\":{code,message,details?},\"meta\":...}`. Addresses are integers (virtual addresses as in the file), with `_hex` twins for people.\n\nAuthentication: every route except `/health` and the login routes needs an API key (`X-API-Key: bg_live_...` or `Authorization: Bearer bg_live_...`) or an access token from `POST /auth/login` (`Authorization: Bearer <token>`). Missing or bad credentials get 401 with `WWW-Authenticate`; a credential without the scope a route needs gets 403 (`insufficient_scope`). Scopes nest: `admin` ⊇ `write` ⊇ `read`. Authenticated responses carry `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`; over the limit, 429 with `Retry-After`.",
        license(name = "Apache-2.0")
    ),
    modifiers(&Security),
    security(("api_key" = []), ("bearer" = [])),
    paths(
        system::health,
        auth::login, auth::refresh, auth::logout, auth::me, auth::usage,
        auth::list_keys, auth::create_key, auth::revoke_key,
        binaries::list_binaries, binaries::upload_binary, binaries::get_binary,
        binaries::delete_binary, binaries::download,
        binaries::symbols, binaries::strings, binaries::imports,
        functions::list_functions, functions::get_function, functions::callers, functions::callees,
        graph::graph, graph::paths,
        search::search, search::similar_functions, search::similar_binaries,
        cypher::run, cypher::examples, cypher::run_example,
        analysis::submit, analysis::get_job, analysis::list, analysis::cancel, analysis::delete,
        analysis::events, analysis::report, analysis::section, analysis::vulnerabilities,
        analysis::provenance, analysis::signing_key, analysis::validate,
    ),
    components(schemas(crate::error::ErrorEnvelope, crate::error::Meta, crate::error::Pagination)),
    tags(
        (name = "auth", description = "Login, tokens, API keys, the caller and its usage"),
        (name = "binaries", description = "Lookups by hash, the list, uploads, downloads, deletes, symbols, strings, imports"),
        (name = "functions", description = "Functions, their disassembly and CFG, callers and callees"),
        (name = "graph", description = "Call and data graphs, call paths"),
        (name = "search", description = "Full-text search over symbols, strings and binaries; similar functions and binaries across the corpus"),
        (name = "cypher", description = "Your own Cypher (read-only unless admin), and saved examples"),
        (name = "analysis", description = "Analysis jobs, live progress, reports (JSON, SARIF, HTML, Markdown), findings, signed provenance, and the phase-1 pre-screen"),
        (name = "system", description = "Health"),
    )
)]
pub struct ApiDoc;

/// The two ways to authenticate.
struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        // Every operation behind the auth gate can answer 401 and 429.
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorEnvelope")))
                        .build(),
                )
                .build()
        };
        for item in doc.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                let public = op.security.as_ref().is_some_and(|s| {
                    s.iter().any(|r| {
                        serde_json::to_value(r)
                            .is_ok_and(|v| v.as_object().is_some_and(|o| o.is_empty()))
                    })
                });
                if public {
                    continue;
                }
                let responses = &mut op.responses.responses;
                responses.entry("401".into()).or_insert_with(|| {
                    error("Missing or invalid credentials (`missing_credentials`, `invalid_api_key`, `token_expired`, ...), with `WWW-Authenticate`").into()
                });
                responses.entry("429".into()).or_insert_with(|| {
                    error("Over the rate limit (`rate_limited`), with `Retry-After` and `X-RateLimit-*`").into()
                });
            }
        }
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-Key",
                "An API key (`bg_live_...`), from `POST /keys` or `bingraph keys create`.",
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT or API key")
                    .description(Some(
                        "An access token from `POST /auth/login`, or an API key.",
                    ))
                    .build(),
            ),
        );
    }
}

const REFERENCE_PAGE: &str = include_str!("reference.html");

/// The OpenAPI 3.1 document of this API.
pub async fn openapi_json() -> Response {
    let doc = ApiDoc::openapi();
    (
        [(header::CONTENT_TYPE, "application/json")],
        doc.to_pretty_json().unwrap_or_default(),
    )
        .into_response()
}

/// A browsable reference built from the OpenAPI document, with no external assets.
pub async fn reference_page() -> Html<&'static str> {
    Html(REFERENCE_PAGE)
}
