//! `/search` (full text over binaries, symbols and strings) and the
//! similarity routes: `/binaries/{sha256}/functions/{addr}/similar` and
//! `/binaries/{sha256}/similar`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{parse_addr, Paging};
use crate::app::AppState;
use crate::error::{Api, ApiError};
use crate::http::extract::{Auth, Read};
pub use crate::search::binaries::SimilarBinary;
use crate::search::{Hit, Kind, Match, SearchError, SearchIndex, TextQuery};

/// Largest `k` of a similarity query.
pub const MAX_K: usize = 100;

/// Full-text search options.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words to find; every word must match (whole, by prefix, or by its
    /// snake_case/camelCase parts).
    pub q: Option<String>,
    /// `symbol`, `string` or `binary` (default: all three).
    pub kind: Option<String>,
    /// Only hits in this binary (sha256).
    pub binary: Option<String>,
}

/// One page of hits.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    pub hits: Vec<Hit>,
    /// Hits of the requested kind(s) over all pages.
    pub total: u64,
    /// Hits per kind over all pages (`symbol`, `string`, `binary`).
    pub totals: HashMap<String, u64>,
    pub took_ms: f64,
}

fn search_error(e: SearchError) -> ApiError {
    match e {
        SearchError::BadQuery(m) => ApiError::bad_request("invalid_query", m),
        other => ApiError::Internal(other.to_string()),
    }
}

/// Run a blocking index call off the runtime.
async fn blocking<T: Send + 'static>(
    index: &Arc<SearchIndex>,
    f: impl FnOnce(&SearchIndex) -> Result<T, SearchError> + Send + 'static,
) -> Result<T, ApiError> {
    let index = index.clone();
    tokio::task::spawn_blocking(move || f(&index))
        .await
        .map_err(|e| ApiError::Internal(format!("search task: {e}")))?
        .map_err(search_error)
}

/// Full-text search over symbols (raw and demangled), strings and binaries
/// (format, arch, libraries, hashes; and the file names and tags of the
/// caller's own uploads, everyone's for an admin), ranked by BM25, with
/// highlights and totals per kind. Pages go as deep as the hits do.
#[utoipa::path(get, path = "/api/v1/search", tag = "search",
    params(SearchParams, Paging),
    responses((status = 200, description = "One page of hits", body = SearchResults),
              (status = 400, description = "No query, an unknown kind or a bad page (`invalid_query`, `invalid_parameter`)", body = crate::error::ErrorEnvelope)))]
pub async fn search(
    State(app): State<AppState>,
    caller: Auth<Read>,
    Query(p): Query<SearchParams>,
    Query(paging): Query<Paging>,
) -> Result<Api<SearchResults>, ApiError> {
    let q = p.q.unwrap_or_default();
    if q.trim().is_empty() {
        return Err(ApiError::bad_request(
            "invalid_query",
            "Give the text to find as ?q=.",
        ));
    }
    if q.len() > 1000 {
        return Err(ApiError::bad_request(
            "invalid_query",
            "The query is longer than 1000 bytes.",
        ));
    }
    let kind = match p.kind.as_deref() {
        None | Some("") | Some("all") => None,
        Some(name) => Some(Kind::text_kind(name).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_parameter",
                format!("kind must be symbol, string or binary, not {name:?}."),
            )
        })?),
    };
    let binary = match p.binary {
        Some(b) if !b.is_empty() => Some(app.binary(&b).await?.sha256.clone()),
        _ => None,
    };
    let (_, limit, skip) = paging.resolve()?;
    let offset = usize::try_from(skip)
        .map_err(|_| ApiError::bad_request("invalid_parameter", "page is too large."))?;
    let query = TextQuery {
        q,
        viewer: caller.viewer(),
        kind,
        binary,
        offset,
        limit: limit as usize,
    };
    let r = blocking(&app.index, move |i| i.search(&query)).await?;
    let pagination = paging.pagination(r.total);
    Ok(Api::page(
        SearchResults {
            hits: r.hits,
            total: r.total,
            totals: r.totals,
            took_ms: r.took_ms,
        },
        pagination,
    ))
}

/// Similarity query options.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SimilarParams {
    /// How many matches (1 to 100, default 10).
    pub k: Option<usize>,
    /// Lowest score returned, 0 to 1 (default 0.3).
    pub min_score: Option<f64>,
    /// Include matches in the same binary (default false).
    pub same_binary: Option<bool>,
}

/// Functions similar to one function.
#[derive(Debug, Serialize, ToSchema)]
pub struct SimilarFunctions {
    pub sha256: String,
    pub addr: u64,
    pub name: String,
    pub exact_hash: String,
    pub instructions: u32,
    /// The function itself is tiny: every match is weak evidence.
    pub low_confidence: bool,
    pub matches: Vec<Match>,
}

fn k_and_score(p: &SimilarParams) -> Result<(usize, f64), ApiError> {
    let k = p.k.unwrap_or(10);
    if !(1..=MAX_K).contains(&k) {
        return Err(ApiError::bad_request(
            "invalid_parameter",
            format!("k must be between 1 and {MAX_K}."),
        ));
    }
    let min = p.min_score.unwrap_or(0.3);
    if !(0.0..=1.0).contains(&min) {
        return Err(ApiError::bad_request(
            "invalid_parameter",
            "min_score must be between 0 and 1.",
        ));
    }
    Ok((k, min))
}

/// The functions of every binary most similar to this one: the exact tier
/// (same masked code, score 1) first, then LSH candidates re-ranked by
/// weighted Jaccard, each with the imports, strings and constants both share.
#[utoipa::path(get, path = "/api/v1/binaries/{sha256}/functions/{addr}/similar", tag = "search",
    params(("sha256" = String, Path), ("addr" = String, Path, description = "0x-hex or decimal"), SimilarParams),
    responses((status = 200, description = "Best matches first", body = SimilarFunctions),
              (status = 400, description = "Bad address, k or min_score", body = crate::error::ErrorEnvelope),
              (status = 404, description = "Unknown binary or function", body = crate::error::ErrorEnvelope)))]
pub async fn similar_functions(
    State(app): State<AppState>,
    _caller: Auth<Read>,
    Path((sha256, addr)): Path<(String, String)>,
    Query(p): Query<SimilarParams>,
) -> Result<Api<SimilarFunctions>, ApiError> {
    let b = app.binary(&sha256).await?;
    let addr = parse_addr(&addr)?;
    let (k, min) = k_and_score(&p)?;
    let sha = b.sha256.clone();
    let same = p.same_binary.unwrap_or(false);
    let out = blocking(&app.index, move |i| {
        let Some((name, sig)) = i.signature(&sha, addr)? else {
            return Ok(None);
        };
        let skip_binary = (!same).then_some(sha.as_str());
        let matches = i.similar(&sig, k, min, skip_binary, Some((&sha, addr)))?;
        Ok(Some(SimilarFunctions {
            sha256: sha.clone(),
            addr,
            name,
            exact_hash: sig.exact.clone(),
            instructions: sig.instructions,
            low_confidence: sig.tiny(),
            matches,
        }))
    })
    .await?;
    out.map(Api::ok).ok_or_else(|| {
        ApiError::NotFound(
            "function_not_found",
            format!(
                "Binary {} has no indexed function at {addr:#x}; list them with /functions (a binary stored before signatures existed needs a re-ingest).",
                b.sha256
            ),
        )
    })
}

/// Binaries ranked by how much they share with this one: matched functions,
/// imports and strings.
#[utoipa::path(get, path = "/api/v1/binaries/{sha256}/similar", tag = "search",
    params(("sha256" = String, Path), SimilarParams),
    responses((status = 200, description = "Most similar binaries first", body = [SimilarBinary]),
              (status = 404, description = "Unknown binary", body = crate::error::ErrorEnvelope)))]
pub async fn similar_binaries(
    State(app): State<AppState>,
    caller: Auth<Read>,
    Path(sha256): Path<String>,
    Query(p): Query<SimilarParams>,
) -> Result<Api<Vec<SimilarBinary>>, ApiError> {
    let b = app.binary(&sha256).await?;
    let (k, _) = k_and_score(&p)?;
    let min = p.min_score.unwrap_or(0.0);
    let sha = b.sha256.clone();
    let mut out = blocking(&app.index, move |i| i.similar_binaries(&sha, k, min)).await?;
    let shas: Vec<String> = out.iter().map(|b| b.sha256.clone()).collect();
    let mut names = app.auth.upload_names(&caller, &shas).await?;
    for b in &mut out {
        b.name = names
            .remove(&b.sha256)
            .and_then(|n| n.into_iter().next())
            .unwrap_or_default();
    }
    Ok(Api::ok(out))
}
