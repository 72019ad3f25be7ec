//! Analysis jobs: submit, follow (JSON or WebSocket), list, cancel, delete;
//! reports, findings, provenance; and the phase-1 pre-screen `/validate`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::analysis::findings::{self, Finding, Severity};
use crate::analysis::{self, AnalysisConfig};
use crate::app::AppState;
use crate::auth::Scope;
use crate::error::{Api, ApiError};
use crate::graph::time::parse_rfc3339;
use crate::http::binaries::read_upload;
use crate::http::extract::{Admin, Auth, Read, Write};
use crate::http::Paging;
use crate::jobs::{JobOptions, JobState, JobView, ListFilter};
use crate::provenance::PublicKey;
use crate::report::{ReportFormat, SECTIONS};

/// What a submission answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Submission {
    pub job_id: String,
    pub state: JobState,
    /// True when the file was analysed (or queued) before and that job is returned.
    pub existing: bool,
    pub job: JobView,
}

fn list_field(v: &str) -> Vec<String> {
    let v = v.trim();
    if v.starts_with('[') {
        if let Ok(list) = serde_json::from_str::<Vec<String>>(v) {
            return list;
        }
    }
    v.split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn options(fields: &std::collections::BTreeMap<String, String>) -> Result<JobOptions, ApiError> {
    let mut o = JobOptions::default();
    if let Some(f) = fields.get("output_formats") {
        let mut formats = Vec::new();
        for name in list_field(f) {
            formats.push(ReportFormat::parse(&name).ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_parameter",
                    format!("output_formats: '{name}' is not a report format; use json, sarif, html or md."),
                )
            })?);
        }
        if !formats.is_empty() {
            o.output_formats = formats;
        }
    }
    o.force = fields
        .get("force")
        .is_some_and(|v| matches!(v.trim(), "true" | "1" | "yes"));
    if let Some(p) = fields.get("priority") {
        o.priority = match p.trim() {
            "low" => -5,
            "normal" | "" => 0,
            "high" => 5,
            n => n
                .parse::<i64>()
                .ok()
                .filter(|n| (-10..=10).contains(n))
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid_parameter",
                        format!(
                            "priority: '{n}' is not low, normal, high or a number from -10 to 10."
                        ),
                    )
                })?,
        };
    }
    if let Some(t) = fields.get("tags") {
        o.tags = list_field(t);
        if o.tags.len() > 32 || o.tags.iter().any(|t| t.len() > 64) {
            return Err(ApiError::bad_request(
                "invalid_parameter",
                "tags: at most 32 tags of at most 64 characters each.",
            ));
        }
    }
    Ok(o)
}

/// Submit a binary for analysis (multipart: `file`, and optionally
/// `output_formats` (JSON list or comma list of json, sarif, html, md),
/// `force`, `priority` (low, normal, high or -10..10) and `tags`).
/// 202 with the queued job; 200 with the earlier job when this caller
/// already analysed the same file (unless `force`).
#[utoipa::path(post, path = "/api/v1/analysis", tag = "analysis",
    request_body(content_type = "multipart/form-data", description = "`file`, `output_formats`, `force`, `priority`, `tags`"),
    responses(
        (status = 202, description = "Queued", body = Submission),
        (status = 200, description = "Analysed before: the earlier job", body = Submission),
        (status = 400, description = "No `file` field, or a bad option", body = crate::error::ErrorEnvelope),
        (status = 403, description = "A credential without the write scope (`insufficient_scope`)", body = crate::error::ErrorEnvelope),
        (status = 429, description = "Rate limit, or the tier's concurrent jobs (`too_many_jobs`)", body = crate::error::ErrorEnvelope),
        (status = 413, description = "Over the upload limit", body = crate::error::ErrorEnvelope),
        (status = 422, description = "Empty file", body = crate::error::ErrorEnvelope),
    ))]
pub async fn submit(
    State(app): State<AppState>,
    caller: Auth<Write>,
    mut form: Multipart,
) -> Result<Api<Submission>, ApiError> {
    let upload = read_upload(&mut form, app.config.max_upload_bytes).await?;
    let opts = options(&upload.fields)?;
    let cap = app.auth.tier(&caller.tier).concurrent_jobs;
    let done = app
        .jobs
        .submit(
            &caller.user_id,
            &caller.user,
            Some(cap),
            &upload.name,
            std::sync::Arc::new(upload.bytes),
            opts,
        )
        .await?;
    Ok(Api {
        status: if done.existing {
            StatusCode::OK
        } else {
            StatusCode::ACCEPTED
        },
        data: Submission {
            job_id: done.job.job_id.clone(),
            state: done.job.state,
            existing: done.existing,
            job: done.job,
        },
        pagination: None,
    })
}

/// A job: state, phase progress with counts and timings, error.
#[utoipa::path(get, path = "/api/v1/analysis/{job_id}", tag = "analysis",
    params(("job_id" = String, Path)),
    responses((status = 200, description = "The job", body = JobView),
              (status = 404, description = "No such job for this caller (`analysis_not_found`)", body = crate::error::ErrorEnvelope)))]
pub async fn get_job(
    State(app): State<AppState>,
    caller: Auth<Read>,
    Path(id): Path<String>,
) -> Result<Api<JobView>, ApiError> {
    Ok(Api::ok(app.jobs.get(&id, &caller).await?))
}

/// Filters of `GET /analyses`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// queued, running, succeeded, failed, cancelled.
    pub status: Option<String>,
    /// elf, pe, macho.
    pub format: Option<String>,
    /// x86-64, aarch64, ...
    pub arch: Option<String>,
    /// Submitted at or after (RFC 3339).
    pub since: Option<String>,
    /// Submitted before (RFC 3339).
    pub until: Option<String>,
    pub tag: Option<String>,
    /// `-created_at` (newest first, default) or `created_at`.
    pub sort: Option<String>,
    /// Admins only: every user's jobs (`true`).
    pub all: Option<bool>,
}

fn time_param(name: &str, v: &Option<String>) -> Result<Option<i64>, ApiError> {
    v.as_deref()
        .map(|s| {
            parse_rfc3339(s)
                .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid_parameter",
                        format!(
                            "{name}: '{s}' is not an RFC 3339 time such as 2026-11-01T00:00:00Z."
                        ),
                    )
                })
        })
        .transpose()
}

/// The caller's analyses (an admin's `all=true`: everyone's), filtered,
/// sorted and paged.
#[utoipa::path(get, path = "/api/v1/analyses", tag = "analysis",
    params(ListQuery, Paging),
    responses((status = 200, description = "One page of jobs", body = [JobView]),
              (status = 403, description = "`all=true` without the admin scope", body = crate::error::ErrorEnvelope),
              (status = 400, description = "A bad filter", body = crate::error::ErrorEnvelope)))]
pub async fn list(
    State(app): State<AppState>,
    caller: Auth<Read>,
    Query(q): Query<ListQuery>,
    Query(paging): Query<Paging>,
) -> Result<Api<Vec<JobView>>, ApiError> {
    let (_, limit, skip) = paging.resolve()?;
    let status = q
        .status
        .as_deref()
        .map(|s| {
            JobState::parse(s).ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_parameter",
                    format!("status: '{s}' is not one of queued, running, succeeded, failed, cancelled."),
                )
            })
        })
        .transpose()?;
    let oldest_first = match q.sort.as_deref() {
        None | Some("-created_at") => false,
        Some("created_at") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_parameter",
                format!("sort: '{other}' is not created_at or -created_at."),
            ))
        }
    };
    let all = q.all.unwrap_or(false);
    if all && !caller.scopes.allows(Scope::Admin) {
        return Err(ApiError::InsufficientScope {
            need: Scope::Admin,
            message: "Listing every user's analyses needs the admin scope.".into(),
        });
    }
    let filter = ListFilter {
        owner: (!all).then(|| caller.user_id.clone()),
        status,
        format: q.format.map(|f| f.to_ascii_lowercase()),
        arch: q.arch.map(|a| a.to_ascii_lowercase()),
        since_ms: time_param("since", &q.since)?,
        until_ms: time_param("until", &q.until)?,
        tag: q.tag,
        oldest_first,
    };
    let (jobs, total) = app.jobs.list(&filter, skip, limit).await?;
    Ok(Api::page(jobs, paging.pagination(total)))
}

/// Cancel a queued or running job of the caller's.
#[utoipa::path(post, path = "/api/v1/analysis/{job_id}/cancel", tag = "analysis",
    params(("job_id" = String, Path)),
    responses((status = 200, description = "The job as it is now (a running job stops at its next check)", body = JobView),
              (status = 403, description = "A credential without the write scope (`insufficient_scope`)", body = crate::error::ErrorEnvelope),
              (status = 404, description = "No such job", body = crate::error::ErrorEnvelope),
              (status = 409, description = "Already finished (`analysis_finished`)", body = crate::error::ErrorEnvelope)))]
pub async fn cancel(
    State(app): State<AppState>,
    caller: Auth<Write>,
    Path(id): Path<String>,
) -> Result<Api<JobView>, ApiError> {
    Ok(Api::ok(app.jobs.cancel(&id, &caller).await?))
}

/// Delete a job and its reports (a running job is cancelled first). The
/// binaries it wrote stay.
#[utoipa::path(delete, path = "/api/v1/analysis/{job_id}", tag = "analysis",
    params(("job_id" = String, Path)),
    responses((status = 200, description = "Deleted"),
              (status = 403, description = "A credential without the admin scope (`insufficient_scope`)", body = crate::error::ErrorEnvelope),
              (status = 404, description = "No such job", body = crate::error::ErrorEnvelope)))]
pub async fn delete(
    State(app): State<AppState>,
    caller: Auth<Admin>,
    Path(id): Path<String>,
) -> Result<Api<serde_json::Value>, ApiError> {
    app.jobs.delete(&id, &caller).await?;
    Ok(Api::ok(serde_json::json!({ "deleted": id })))
}

/// `?format=` of the report route.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// json (default), sarif, html or md.
    pub format: Option<String>,
}

async fn finished(
    app: &AppState,
    id: &str,
    caller: &crate::auth::Principal,
) -> Result<JobView, ApiError> {
    let job = app.jobs.get(id, caller).await?;
    match job.state {
        JobState::Succeeded => Ok(job),
        JobState::Queued | JobState::Running => Err(ApiError::Conflict(
            "analysis_not_finished",
            format!("Analysis {id} is {}; its report exists once it succeeds (follow /analysis/{id}/events).", job.state.as_str()),
        )),
        _ => Err(ApiError::NotFound(
            "report_not_found",
            format!("Analysis {id} {}; it has no report.", job.state.as_str()),
        )),
    }
}

fn stored(app: &AppState, id: &str, format: Option<ReportFormat>) -> Result<Vec<u8>, ApiError> {
    app.jobs
        .stored(id, format)
        .map_err(|e| ApiError::Internal(format!("reading the report of {id}: {e}")))?
        .ok_or_else(|| {
            ApiError::NotFound(
                "report_not_found",
                format!("The report files of {id} are missing from this server's data directory."),
            )
        })
}

fn file_response(bytes: Vec<u8>, content_type: &'static str, filename: String) -> Response {
    let mut r = (StatusCode::OK, bytes).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{filename}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// The full report, exactly as signed: `json` (default), `sarif` (SARIF
/// 2.1.0), `html` (one self-contained page) or `md`.
#[utoipa::path(get, path = "/api/v1/analysis/{job_id}/report", tag = "analysis",
    params(("job_id" = String, Path), ReportQuery),
    responses((status = 200, description = "The report document (not in the envelope)"),
              (status = 400, description = "Unknown format", body = crate::error::ErrorEnvelope),
              (status = 404, description = "No such job, or it failed", body = crate::error::ErrorEnvelope),
              (status = 409, description = "Not finished yet (`analysis_not_finished`)", body = crate::error::ErrorEnvelope)))]
pub async fn report(
    State(app): State<AppState>,
    caller: Auth<Read>,
    Path(id): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let format = match q.format.as_deref() {
        None => ReportFormat::Json,
        Some(f) => ReportFormat::parse(f).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_parameter",
                format!("format: '{f}' is not json, sarif, html or md."),
            )
        })?,
    };
    finished(&app, &id, &caller).await?;
    let bytes = stored(&app, &id, Some(format))?;
    Ok(file_response(
        bytes,
        format.content_type(),
        format!("{id}.{}", format.extension()),
    ))
}

/// One numbered section of the JSON report: 1 overview, 2 identity,
/// 3 layout, 4 imports and exports, 5 symbols, 6 functions, 7 strings of
/// interest, 8 hardening, 9 findings, 10 provenance.
#[utoipa::path(get, path = "/api/v1/analysis/{job_id}/report/section/{n}", tag = "analysis",
    params(("job_id" = String, Path), ("n" = u32, Path)),
    responses((status = 200, description = "The section: number, id, title, data"),
              (status = 404, description = "No such job or section (`section_not_found`)", body = crate::error::ErrorEnvelope)))]
pub async fn section(
    State(app): State<AppState>,
    caller: Auth<Read>,
    Path((id, n)): Path<(String, String)>,
) -> Result<Api<serde_json::Value>, ApiError> {
    let n: usize = n
        .parse()
        .ok()
        .filter(|n| (1..=SECTIONS.len()).contains(n))
        .ok_or_else(|| {
            ApiError::NotFound(
                "section_not_found",
                format!(
                    "Sections are numbered 1 to {}: {}.",
                    SECTIONS.len(),
                    SECTIONS
                        .iter()
                        .enumerate()
                        .map(|(i, (id, _))| format!("{} {id}", i + 1))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
    finished(&app, &id, &caller).await?;
    let bytes = stored(&app, &id, Some(ReportFormat::Json))?;
    let doc: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::Internal(format!("the stored report of {id} is not JSON: {e}")))?;
    let s = doc
        .pointer(&format!("/sections/{}", n - 1))
        .cloned()
        .ok_or_else(|| {
            ApiError::Internal(format!("the stored report of {id} lacks section {n}"))
        })?;
    Ok(Api::ok(s))
}

/// `?severity=` of the findings route.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FindingsQuery {
    /// Only findings at least this severe: info, low, medium, high, critical.
    pub severity: Option<String>,
}

/// One finding and its binary.
#[derive(Debug, Serialize, ToSchema)]
pub struct FindingView {
    pub sha256: String,
    #[serde(flatten)]
    pub finding: Finding,
}

/// The job's findings, as stored in the graph, most severe first.
#[derive(Debug, Serialize, ToSchema)]
pub struct Vulnerabilities {
    pub job_id: String,
    pub total: usize,
    pub by_severity: HashMap<String, usize>,
    pub findings: Vec<FindingView>,
}

/// Vulnerability and hardening findings: rule, CWE, severity, location
/// (function and address), evidence, recommendation.
#[utoipa::path(get, path = "/api/v1/analysis/{job_id}/vulnerabilities", tag = "analysis",
    params(("job_id" = String, Path), FindingsQuery),
    responses((status = 200, description = "Findings", body = Vulnerabilities),
              (status = 409, description = "Not finished yet", body = crate::error::ErrorEnvelope)))]
pub async fn vulnerabilities(
    State(app): State<AppState>,
    caller: Auth<Read>,
    Path(id): Path<String>,
    Query(q): Query<FindingsQuery>,
) -> Result<Api<Vulnerabilities>, ApiError> {
    let min = match q.severity.as_deref() {
        None => Severity::Info,
        Some(s) => Severity::parse(s).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_parameter",
                format!("severity: '{s}' is not info, low, medium, high or critical."),
            )
        })?,
    };
    let job = finished(&app, &id, &caller).await?;
    let mut all = app.jobs.findings(&job).await?;
    all.retain(|(_, f)| f.severity >= min);
    all.sort_by_key(|f| std::cmp::Reverse(f.1.severity));
    let mut by_severity = HashMap::new();
    for (_, f) in &all {
        *by_severity
            .entry(f.severity.as_str().to_string())
            .or_default() += 1;
    }
    Ok(Api::ok(Vulnerabilities {
        job_id: id,
        total: all.len(),
        by_severity,
        findings: all
            .into_iter()
            .map(|(sha256, finding)| FindingView { sha256, finding })
            .collect(),
    }))
}

/// The signed provenance chain: input sha256, bingraph version and config,
/// per-phase output hashes, the hash of every report format; Ed25519.
/// Check a download offline with `bingraph verify REPORT PROVENANCE`.
#[utoipa::path(get, path = "/api/v1/analysis/{job_id}/provenance", tag = "analysis",
    params(("job_id" = String, Path)),
    responses((status = 200, description = "The signed provenance document (not in the envelope)"),
              (status = 409, description = "Not finished yet", body = crate::error::ErrorEnvelope)))]
pub async fn provenance(
    State(app): State<AppState>,
    caller: Auth<Read>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    finished(&app, &id, &caller).await?;
    let bytes = stored(&app, &id, None)?;
    Ok(file_response(
        bytes,
        "application/json",
        format!("{id}.provenance.json"),
    ))
}

/// The public key that signs provenance.
#[utoipa::path(get, path = "/api/v1/provenance/key", tag = "analysis",
    responses((status = 200, description = "The Ed25519 public key", body = PublicKey)))]
pub async fn signing_key(State(app): State<AppState>, _caller: Auth<Read>) -> Api<PublicKey> {
    Api::ok(app.signer.public())
}

/// Live progress over WebSocket: a `snapshot` message with the job, then
/// one message per phase change and state change; closed when the job ends.
#[utoipa::path(get, path = "/api/v1/analysis/{job_id}/events", tag = "analysis",
    params(("job_id" = String, Path)),
    responses((status = 101, description = "Switching to WebSocket; messages are JSON: {type: snapshot, job} then JobEvent"),
              (status = 404, description = "No such job", body = crate::error::ErrorEnvelope)))]
pub async fn events(
    State(app): State<AppState>,
    caller: Auth<Read>,
    Path(id): Path<String>,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    app.jobs.get(&id, &caller).await?;
    Ok(ws.on_upgrade(move |socket| follow(app, id, socket)))
}

async fn send_json<T: Serialize>(socket: &mut WebSocket, v: &T) -> bool {
    match serde_json::to_string(v) {
        Ok(text) => socket.send(Message::Text(text.into())).await.is_ok(),
        Err(_) => false,
    }
}

async fn follow(app: AppState, id: String, mut socket: WebSocket) {
    let mut rx = app.jobs.subscribe();
    let snapshot = |job: JobView| serde_json::json!({ "type": "snapshot", "job": job });
    let Ok(Some(mut last)) = app.jobs.load(&id).await else {
        let _ = socket.send(Message::Close(None)).await;
        return;
    };
    if !send_json(&mut socket, &snapshot(last.clone())).await {
        return;
    }
    // Jobs run by another process (a CLI ingest) reach us by polling the store.
    let mut poll = tokio::time::interval(Duration::from_secs(2));
    let started = Instant::now();
    while !last.state.is_final() && started.elapsed() < Duration::from_secs(24 * 3600) {
        tokio::select! {
            e = rx.recv() => match e {
                Ok(e) if e.job_id == id => {
                    let end = e.state.is_final() && e.kind == "state";
                    if !send_json(&mut socket, &e).await {
                        return;
                    }
                    if end {
                        break;
                    }
                }
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => break,
            },
            _ = poll.tick() => {
                if let Ok(Some(now)) = app.jobs.load(&id).await {
                    if now.state != last.state || now.phase != last.phase {
                        last = now;
                        if !send_json(&mut socket, &snapshot(last.clone())).await {
                            return;
                        }
                    }
                }
            }
            msg = socket.recv() => match msg {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                _ => {}
            },
        }
    }
    let _ = socket.send(Message::Close(None)).await;
}

/// What `/validate` found.
#[derive(Debug, Serialize, ToSchema)]
pub struct Validation {
    pub name: String,
    pub sha256: String,
    pub sha1: String,
    pub md5: String,
    pub size: u64,
    pub binaries: Vec<ValidatedBinary>,
    /// Time spent, in milliseconds.
    pub ms: u64,
}

/// One binary of a validated file.
#[derive(Debug, Serialize, ToSchema)]
pub struct ValidatedBinary {
    pub sha256: String,
    pub format: String,
    pub arch: String,
    pub bits: u8,
    pub kind: String,
    pub entry: Option<String>,
    pub sections: usize,
    pub imports: usize,
    pub libraries: Vec<String>,
    pub stripped: bool,
    /// Hardening gaps, packing, suspicious API combinations: the rules that
    /// need no disassembly.
    pub indicators: Vec<Finding>,
}

/// Phase 1 only: format, architecture, hashes and basic threat indicators,
/// without storing anything.
#[utoipa::path(post, path = "/api/v1/validate", tag = "analysis",
    request_body(content_type = "multipart/form-data", description = "`file`: the executable"),
    responses((status = 200, description = "What the file is", body = Validation),
              (status = 403, description = "A credential without the write scope (`insufficient_scope`)", body = crate::error::ErrorEnvelope),
              (status = 422, description = "Not an executable, or corrupt", body = crate::error::ErrorEnvelope)))]
pub async fn validate(
    State(app): State<AppState>,
    _caller: Auth<Write>,
    mut form: Multipart,
) -> Result<Api<Validation>, ApiError> {
    let started = Instant::now();
    let upload = read_upload(&mut form, app.config.max_upload_bytes).await?;
    let cfg = AnalysisConfig {
        disassemble: false,
        ..app.config.analysis()
    };
    let name = upload.name.clone();
    let out = tokio::task::spawn_blocking(move || {
        let h = analysis::hashes(&upload.bytes);
        let facts = analysis::identify(&upload.bytes, &cfg)?;
        let binaries = facts
            .iter()
            .map(|f| ValidatedBinary {
                sha256: f.hashes.sha256.clone(),
                format: f.identity.format.as_str().into(),
                arch: f.identity.arch.name().into(),
                bits: f.identity.bits,
                kind: f.identity.kind.clone(),
                entry: f.identity.entry.map(crate::http::hex),
                sections: f.sections.len(),
                imports: f.imports.len(),
                libraries: f.libraries.clone(),
                stripped: f.hardening.stripped,
                indicators: findings::evaluate(f, &HashMap::new()),
            })
            .collect();
        Ok::<_, analysis::AnalysisError>((h, binaries))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("validate task: {e}")))??;
    let (h, binaries) = out;
    Ok(Api::ok(Validation {
        name,
        sha256: h.sha256,
        sha1: h.sha1,
        md5: h.md5,
        size: h.size,
        binaries,
        ms: started.elapsed().as_millis() as u64,
    }))
}
