//! Ingest: bytes in, a binary's subgraph and blob out.
//!
//! The file is analysed off the async runtime, stored in the blob store and
//! written to the graph in one batched transaction per binary. A fat Mach-O
//! becomes one binary per slice, each addressed by the sha256 of its own
//! bytes and linked to the file by `container_sha256`. Re-ingesting the same
//! file replaces its subgraph only when the graph model changed (or on
//! `force`); otherwise it only records the new file name.

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use crate::analysis::{self, AnalysisConfig, AnalysisError, BinaryFacts};
use crate::blobs::BlobStore;
use crate::graph::model::{self, Origin, MODEL_VERSION};
use crate::graph::{GraphError, GraphStore, Value};
use crate::params;

const FIND_EXISTING: &str = include_str!("../cypher/binaries/find_for_ingest.cypher");
const SET_NAMES: &str = include_str!("../cypher/binaries/set_names.cypher");

/// What happened to one binary of an ingested file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IngestStatus {
    /// New to the graph.
    Created,
    /// Was there; its subgraph was rewritten.
    Replaced,
    /// Was there with the current graph model; only its names were updated.
    Unchanged,
}

/// The outcome for one binary (one per slice of a fat Mach-O).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Ingested {
    pub sha256: String,
    pub status: IngestStatus,
    pub functions: u64,
    pub nodes: u64,
    pub relationships: u64,
    /// Time spent analysing (whole file, shared by its slices).
    pub analysis_ms: u64,
    /// Time spent building and writing the graph batch.
    pub write_ms: u64,
}

/// Why a file was not ingested.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Analysis(#[from] AnalysisError),
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error("the blob store failed: {0}")]
    Blob(#[from] std::io::Error),
    #[error("the analysis task failed: {0}")]
    Task(String),
}

/// Runs ingests against one store and blob directory.
pub struct Ingestor {
    pub store: Arc<dyn GraphStore>,
    pub blobs: BlobStore,
    pub analysis: AnalysisConfig,
}

struct Existing {
    sha256: String,
    model_version: i64,
    names: Vec<String>,
    first_seen: String,
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl Ingestor {
    /// Ingest one file's bytes under the file name `name`.
    pub async fn ingest(
        &self,
        name: &str,
        bytes: Arc<Vec<u8>>,
        force: bool,
    ) -> Result<Vec<Ingested>, IngestError> {
        let file_sha = analysis::hashes(&bytes).sha256;
        let existing = self.existing(&file_sha).await?;
        let name = name.to_string();
        if !force
            && !existing.is_empty()
            && existing.iter().all(|e| e.model_version == MODEL_VERSION)
        {
            let mut out = Vec::new();
            for e in existing {
                if !name.is_empty() && !e.names.contains(&name) {
                    let mut names = e.names.clone();
                    names.push(name.clone());
                    self.store
                        .write(
                            SET_NAMES,
                            params! { "sha256" => &e.sha256, "names" => names },
                        )
                        .await?;
                }
                out.push(Ingested {
                    sha256: e.sha256,
                    status: IngestStatus::Unchanged,
                    functions: 0,
                    nodes: 0,
                    relationships: 0,
                    analysis_ms: 0,
                    write_ms: 0,
                });
            }
            return Ok(out);
        }

        let started = Instant::now();
        let cfg = self.analysis.clone();
        let input = bytes.clone();
        let analysed = tokio::task::spawn_blocking(move || {
            let facts = analysis::analyze(&input, &cfg)?;
            Ok::<_, AnalysisError>(split_slices(&input, facts))
        })
        .await
        .map_err(|e| IngestError::Task(e.to_string()))??;
        let analysis_ms = started.elapsed().as_millis() as u64;

        let mut out = Vec::new();
        for (facts, slice_bytes) in analysed {
            let sha = facts.hashes.sha256.clone();
            let before = existing.iter().find(|e| e.sha256 == sha);
            let mut names = before.map(|e| e.names.clone()).unwrap_or_default();
            if !name.is_empty() && !names.contains(&name) {
                names.push(name.clone());
            }
            let ingested_at = now();
            let origin = Origin {
                names,
                first_seen: before.map_or_else(|| ingested_at.clone(), |e| e.first_seen.clone()),
                ingested_at,
                container_sha256: slice_bytes.as_ref().map(|_| file_sha.clone()),
            };
            let blob = slice_bytes.unwrap_or_else(|| bytes.clone());
            let blobs = self.blobs.clone();
            let blob_sha = sha.clone();
            tokio::task::spawn_blocking(move || blobs.put(&blob_sha, &blob))
                .await
                .map_err(|e| IngestError::Task(e.to_string()))??;

            let write_started = Instant::now();
            let functions = facts.code.functions.len() as u64;
            let batch = tokio::task::spawn_blocking(move || model::binary_batch(&facts, &origin))
                .await
                .map_err(|e| IngestError::Task(e.to_string()))?;
            let stats = self.store.write_batch(batch).await?;
            out.push(Ingested {
                sha256: sha,
                status: if before.is_some() {
                    IngestStatus::Replaced
                } else {
                    IngestStatus::Created
                },
                functions,
                nodes: stats.nodes_created,
                relationships: stats.relationships_created,
                analysis_ms,
                write_ms: write_started.elapsed().as_millis() as u64,
            });
        }
        Ok(out)
    }

    async fn existing(&self, sha256: &str) -> Result<Vec<Existing>, GraphError> {
        let rows = self
            .store
            .read(FIND_EXISTING, params! { "sha256" => sha256 })
            .await?;
        Ok(rows
            .into_maps()
            .into_iter()
            .map(|m| Existing {
                sha256: m["sha256"].as_str().unwrap_or_default().to_string(),
                model_version: m["model_version"].as_i64().unwrap_or(0),
                names: match &m["names"] {
                    Value::List(l) => l
                        .iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect(),
                    _ => Vec::new(),
                },
                first_seen: m["first_seen"].as_str().unwrap_or_default().to_string(),
            })
            .collect())
    }
}

/// For the slices of a fat Mach-O, give each its own bytes and hashes.
fn split_slices(
    bytes: &Arc<Vec<u8>>,
    facts: Vec<BinaryFacts>,
) -> Vec<(BinaryFacts, Option<Arc<Vec<u8>>>)> {
    let arches = match goblin::mach::Mach::parse(bytes) {
        Ok(goblin::mach::Mach::Fat(multi)) => multi.arches().unwrap_or_default(),
        _ => Vec::new(),
    };
    facts
        .into_iter()
        .map(|mut f| {
            let slice = f.identity.slice_offset.and_then(|off| {
                let arch = arches.iter().find(|a| u64::from(a.offset) == off)?;
                let start = arch.offset as usize;
                let end = start.checked_add(arch.size as usize)?;
                bytes.get(start..end).map(|s| Arc::new(s.to_vec()))
            });
            if let Some(s) = &slice {
                f.hashes = analysis::hashes(s);
            }
            (f, slice)
        })
        .collect()
}
