//! `/binaries`: lookups by hash, the list, uploads, and a binary's symbols,
//! strings and imports.

use std::sync::Arc;

use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Paging;
use crate::app::AppState;
use crate::auth::uploads::Uploader;
use crate::error::{Api, ApiError};
use crate::graph::lists::{StringView, SymbolView};
use crate::graph::views::Props;
pub use crate::graph::views::{BinaryView, Counts};
use crate::graph::Value;
use crate::http::extract::{Admin, Auth, Read, Write};
use crate::params;
use crate::pipeline::{IngestStatus, Ingested};

const LIST: &str = include_str!("../../cypher/binaries/list.cypher");
const COUNT: &str = include_str!("../../cypher/binaries/count.cypher");
const IMPORTS: &str = include_str!("../../cypher/binaries/imports.cypher");

/// Look a binary up by SHA-256, SHA-1 or MD5. The sha256 of a fat Mach-O
/// file finds its first slice; `slices` lists them all.
#[utoipa::path(get, path = "/api/v1/binaries/{hash}", tag = "binaries",
    params(("hash" = String, Path, description = "SHA-256, SHA-1 or MD5, hex")),
    responses(
        (status = 200, description = "The binary", body = BinaryView),
        (status = 400, description = "Not a hash (`invalid_hash`)", body = crate::error::ErrorEnvelope),
        (status = 404, description = "Never ingested (`not_found`)", body = crate::error::ErrorEnvelope),
    ))]
pub async fn get_binary(
    State(app): State<AppState>,
    caller: Auth<Read>,
    Path(hash): Path<String>,
) -> Result<Api<BinaryWithSlices>, ApiError> {
    let found = app.lookup(&hash).await?;
    let slices = if found.len() > 1 {
        found.iter().map(|b| b.sha256.clone()).collect()
    } else {
        Vec::new()
    };
    let mut binary = [found[0].clone()];
    app.with_names(&caller, &mut binary).await?;
    let [binary] = binary;
    Ok(Api::ok(BinaryWithSlices { binary, slices }))
}

/// What a delete did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    pub sha256: String,
    pub deleted: bool,
}

/// Delete a binary: its functions, symbols, strings, findings and stored
/// file. Imports shared with other binaries stay. Needs `admin`.
#[utoipa::path(delete, path = "/api/v1/binaries/{hash}", tag = "binaries",
    params(("hash" = String, Path, description = "The binary's SHA-256, hex")),
    responses(
        (status = 200, description = "Deleted", body = Deleted),
        (status = 403, description = "Not an admin credential (`insufficient_scope`)", body = crate::error::ErrorEnvelope),
        (status = 404, description = "Never ingested (`binary_not_found`)", body = crate::error::ErrorEnvelope),
    ))]
pub async fn delete_binary(
    State(app): State<AppState>,
    caller: Auth<Admin>,
    Path(sha256): Path<String>,
) -> Result<Api<Deleted>, ApiError> {
    let deleted = app.delete_binary(&sha256).await?;
    tracing::info!(sha256 = %sha256, by = %caller.user, "binary deleted by request");
    Ok(Api::ok(Deleted {
        sha256: sha256.to_ascii_lowercase(),
        deleted,
    }))
}

/// Download the stored file of a binary (`application/octet-stream`).
#[utoipa::path(get, path = "/api/v1/binaries/{sha256}/file", tag = "binaries",
    params(("sha256" = String, Path, description = "SHA-256, hex")),
    responses(
        (status = 200, description = "The file's bytes", content_type = "application/octet-stream"),
        (status = 404, description = "Never ingested (`binary_not_found`)", body = crate::error::ErrorEnvelope),
    ))]
pub async fn download(
    State(app): State<AppState>,
    caller: Auth<Read>,
    Path(sha256): Path<String>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let mut b = [app.binary(&sha256).await?];
    app.with_names(&caller, &mut b).await?;
    let [b] = b;
    let blobs = app.blobs.clone();
    let sha = b.sha256.clone();
    let bytes = tokio::task::spawn_blocking(move || blobs.get(&sha))
        .await
        .map_err(|e| ApiError::Internal(format!("blob task: {e}")))?
        .map_err(|e| ApiError::Internal(format!("reading blob: {e}")))?
        .ok_or_else(|| {
            ApiError::NotFound(
                "blob_not_found",
                format!(
                    "The file of binary {} is not in the blob store; upload it again.",
                    b.sha256
                ),
            )
        })?;
    let name = b.names.first().cloned().unwrap_or_else(|| b.sha256.clone());
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/octet-stream".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{safe}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// A binary, plus the sibling slices when the hash named a fat Mach-O.
#[derive(Debug, Serialize, ToSchema)]
pub struct BinaryWithSlices {
    #[serde(flatten)]
    pub binary: BinaryView,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub slices: Vec<String>,
}

/// Filters of the binary list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `elf`, `pe` or `macho`.
    pub format: Option<String>,
    /// e.g. `x86-64`, `aarch64`.
    pub arch: Option<String>,
}

/// List binaries, newest first.
#[utoipa::path(get, path = "/api/v1/binaries", tag = "binaries",
    params(ListQuery, Paging),
    responses((status = 200, description = "One page of binaries; `meta.pagination` has the totals", body = [BinaryView])))]
pub async fn list_binaries(
    State(app): State<AppState>,
    caller: Auth<Read>,
    Query(filter): Query<ListQuery>,
    Query(paging): Query<Paging>,
) -> Result<Api<Vec<BinaryView>>, ApiError> {
    let (_, limit, skip) = paging.resolve()?;
    let p = params! { "format" => filter.format.clone(), "arch" => filter.arch.clone() };
    let total = app.store.read(COUNT, p.clone()).await?;
    let mut page = p;
    page.insert("skip".into(), Value::from(skip));
    page.insert("limit".into(), Value::from(limit));
    let rows = app.store.read(LIST, page).await?;
    let mut items: Vec<BinaryView> = rows
        .rows
        .iter()
        .filter_map(|r| r.first().and_then(Value::as_node))
        .map(BinaryView::from_node)
        .collect();
    app.with_names(&caller, &mut items).await?;
    let total = total.first("total").and_then(Value::as_u64).unwrap_or(0);
    Ok(Api::page(items, paging.pagination(total)))
}

/// What an upload did.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadResult {
    /// The stored binaries (one per slice of a fat Mach-O).
    pub binaries: Vec<BinaryView>,
    pub ingest: Vec<Ingested>,
}

/// Upload a binary (multipart field `file`; optional field `force=true`
/// re-analyses a binary already stored). Analysed and stored before the
/// response: 201 when new, 200 when it was already there.
#[utoipa::path(post, path = "/api/v1/binaries", tag = "binaries",
    request_body(content_type = "multipart/form-data", description = "`file`: the executable; `force`: `true` to re-analyse"),
    responses(
        (status = 201, description = "Ingested", body = UploadResult),
        (status = 200, description = "Already stored", body = UploadResult),
        (status = 400, description = "No `file` field (`missing_file`)", body = crate::error::ErrorEnvelope),
        (status = 403, description = "A credential without the write scope (`insufficient_scope`)", body = crate::error::ErrorEnvelope),
        (status = 413, description = "Over the upload limit (`payload_too_large`)", body = crate::error::ErrorEnvelope),
        (status = 422, description = "Not an executable, or corrupt (`unsupported_format`, `malformed_binary`)", body = crate::error::ErrorEnvelope),
    ))]
pub async fn upload_binary(
    State(app): State<AppState>,
    caller: Auth<Write>,
    mut form: Multipart,
) -> Result<Api<UploadResult>, ApiError> {
    let upload = read_upload(&mut form, app.config.max_upload_bytes).await?;
    let force = upload.flag("force");
    let (name, bytes) = (upload.name, upload.bytes);
    let uploader = Uploader {
        user_id: caller.user_id.clone(),
        name,
        tags: Vec::new(),
    };
    let ingest = app.ingest(&uploader, Arc::new(bytes), force).await?;
    let mut binaries = Vec::new();
    for i in &ingest {
        binaries.push(app.binary(&i.sha256).await?);
    }
    app.with_names(&caller, &mut binaries).await?;
    let created = ingest.iter().any(|i| i.status == IngestStatus::Created);
    Ok(Api {
        status: if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        data: UploadResult { binaries, ingest },
        pagination: None,
    })
}

/// A multipart upload: the `file` field and the other fields as text.
pub(crate) struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
    pub fields: std::collections::BTreeMap<String, String>,
}

impl Upload {
    /// A boolean field (`true`, `1`, `yes`).
    pub fn flag(&self, k: &str) -> bool {
        self.fields
            .get(k)
            .is_some_and(|v| matches!(v.trim(), "true" | "1" | "yes"))
    }
}

/// Read a multipart body with a non-empty `file` of at most `limit` bytes.
pub(crate) async fn read_upload(form: &mut Multipart, limit: u64) -> Result<Upload, ApiError> {
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut fields = std::collections::BTreeMap::new();
    while let Some(mut field) = form.next_field().await.map_err(multipart_error)? {
        let Some(key) = field.name().map(String::from) else {
            continue;
        };
        if key == "file" {
            let name = field.file_name().unwrap_or("upload").to_string();
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                if (bytes.len() + chunk.len()) as u64 > limit {
                    return Err(ApiError::TooLarge(format!(
                        "The file is larger than this server accepts ({limit} bytes, max_upload_bytes)."
                    )));
                }
                bytes.extend_from_slice(&chunk);
            }
            file = Some((name, bytes));
        } else if fields.len() < 32 {
            let v = field.text().await.map_err(multipart_error)?;
            fields.insert(key, v.chars().take(4096).collect());
        }
    }
    let Some((name, bytes)) = file else {
        return Err(ApiError::bad_request(
            "missing_file",
            "Send the executable as the multipart field 'file'.",
        ));
    };
    if bytes.is_empty() {
        return Err(ApiError::Unsupported(
            "The uploaded file is empty.".to_string(),
        ));
    }
    Ok(Upload {
        name,
        bytes,
        fields,
    })
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge(
            "The upload is larger than this server accepts (max_upload_bytes).".to_string(),
        )
    } else {
        ApiError::bad_request(
            "invalid_multipart",
            format!("The multipart body is invalid: {e}."),
        )
    }
}

/// Symbol filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SymbolQuery {
    /// Only this kind: `function`, `object`, `section`, `file`, `tls`, `other`.
    pub kind: Option<String>,
    /// Only names starting with this.
    pub prefix: Option<String>,
}

/// A binary's symbols (static, dynamic and exports), by address.
#[utoipa::path(get, path = "/api/v1/binaries/{sha256}/symbols", tag = "binaries",
    params(("sha256" = String, Path), SymbolQuery, Paging),
    responses((status = 200, description = "One page of symbols", body = [SymbolView]),
              (status = 404, description = "Unknown binary", body = crate::error::ErrorEnvelope)))]
pub async fn symbols(
    State(app): State<AppState>,
    _caller: Auth<Read>,
    Path(sha256): Path<String>,
    Query(q): Query<SymbolQuery>,
    Query(paging): Query<Paging>,
) -> Result<Api<Vec<SymbolView>>, ApiError> {
    let (_, limit, skip) = paging.resolve()?;
    let all = app.symbols(&sha256).await?;
    let matching: Vec<&SymbolView> = all
        .iter()
        .filter(|s| q.kind.as_deref().is_none_or(|k| s.kind == k))
        .filter(|s| q.prefix.as_deref().is_none_or(|p| s.name.starts_with(p)))
        .collect();
    Ok(Api::page(
        page_of(&matching, skip, limit),
        paging.pagination(matching.len() as u64),
    ))
}

/// The items of one page of a filtered list.
fn page_of<T: Clone>(matching: &[&T], skip: u64, limit: u64) -> Vec<T> {
    matching
        .iter()
        .skip(skip as usize)
        .take(limit as usize)
        .map(|s| (*s).clone())
        .collect()
}

/// String filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StringQuery {
    /// Only strings containing this text (case-sensitive).
    pub contains: Option<String>,
    /// Only strings that code references.
    pub referenced: Option<bool>,
}

/// A binary's strings in file order, with how many functions reference each.
#[utoipa::path(get, path = "/api/v1/binaries/{sha256}/strings", tag = "binaries",
    params(("sha256" = String, Path), StringQuery, Paging),
    responses((status = 200, description = "One page of strings", body = [StringView]),
              (status = 404, description = "Unknown binary", body = crate::error::ErrorEnvelope)))]
pub async fn strings(
    State(app): State<AppState>,
    _caller: Auth<Read>,
    Path(sha256): Path<String>,
    Query(q): Query<StringQuery>,
    Query(paging): Query<Paging>,
) -> Result<Api<Vec<StringView>>, ApiError> {
    let (_, limit, skip) = paging.resolve()?;
    let all = app.strings(&sha256).await?;
    let matching: Vec<&StringView> = all
        .iter()
        .filter(|s| q.contains.as_deref().is_none_or(|c| s.value.contains(c)))
        .filter(|s| {
            q.referenced
                .is_none_or(|want| want == (s.referenced_by > 0))
        })
        .collect();
    Ok(Api::page(
        page_of(&matching, skip, limit),
        paging.pagination(matching.len() as u64),
    ))
}

/// An import of a binary.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportView {
    /// Library; `*` for ELF imports without symbol versioning.
    pub library: String,
    pub name: String,
    /// GOT / IAT / pointer slot.
    pub slot: Option<u64>,
    /// PLT entry or stub that jumps through the slot.
    pub stub: Option<u64>,
    pub ordinal: Option<u64>,
    /// How many of the binary's functions call it.
    pub callers: u64,
}

/// A binary's imports, by library and name.
#[utoipa::path(get, path = "/api/v1/binaries/{sha256}/imports", tag = "binaries",
    params(("sha256" = String, Path)),
    responses((status = 200, description = "Every import", body = [ImportView]),
              (status = 404, description = "Unknown binary", body = crate::error::ErrorEnvelope)))]
pub async fn imports(
    State(app): State<AppState>,
    _caller: Auth<Read>,
    Path(sha256): Path<String>,
) -> Result<Api<Vec<ImportView>>, ApiError> {
    let b = app.binary(&sha256).await?;
    let rows = app
        .store
        .read(IMPORTS, params! { "sha256" => &b.sha256 })
        .await?;
    // Import nodes are shared by every binary that imports them: count the
    // callers in this binary's call graph, not across the corpus.
    let g = app.call_graph(&b.sha256).await?;
    let items = rows
        .into_maps()
        .into_iter()
        .map(|m| {
            let p = Props(&m);
            ImportView {
                callers: g.callers_of_import(&p.string("uid")),
                library: p.string("library"),
                name: p.string("name"),
                slot: p.u64("slot"),
                stub: p.u64("stub"),
                ordinal: p.u64("ordinal"),
            }
        })
        .collect();
    Ok(Api::ok(items))
}
