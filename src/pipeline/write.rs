//! Phase 11: each binary's blob, then its subgraph, findings and similarity
//! links in one transaction (replacing an older copy), then the upload in
//! the account store (who, under which file name and tags).

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use serde_json::json;

use super::progress::{hash_json, Progress, Summary};
use super::{blocking, ms, Analysed, Input, Pipeline, PipelineError};
use crate::analysis::BinaryFacts;
use crate::auth::uploads::{self, Uploader};
use crate::blobs::Digests;
use crate::callgraph::{CallRecords, DIGEST_KIND, DIGEST_VERSION};
use crate::graph::lists::{StringView, SymbolView, LISTS_VERSION};
use crate::graph::model::{self, Origin, MODEL_VERSION};
use crate::graph::time::now_precise;
use crate::graph::{Batch, GraphError};
use crate::params;
use crate::search::sync::{SignatureRecord, StagedIndex, SIGNATURES_KIND, SIGNATURES_VERSION};

const FIND_EXISTING: &str = include_str!("../../cypher/binaries/find_for_ingest.cypher");

/// What happened to one binary of an ingested file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IngestStatus {
    /// New to the graph.
    Created,
    /// Was there; its subgraph was rewritten.
    Replaced,
    /// Was there with the current graph model; left as it was.
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

/// A binary already stored from the same file.
pub struct Existing {
    pub sha256: String,
    pub model_version: i64,
    pub first_seen: String,
    /// Its own bytes (a slice's, for a fat Mach-O).
    pub size: u64,
}

pub(super) async fn run<P: Progress>(
    pipeline: &Pipeline,
    input: &Input,
    analysed: Vec<Arc<Analysed>>,
    sink: &mut P,
) -> Result<Written, PipelineError> {
    sink.begin(11).await?;
    let t = Instant::now();
    let existing = pipeline.existing(&input.file_sha256).await?;
    let mut written = Vec::new();
    let mut staged = Vec::new();
    for a in analysed {
        let size = a.slice.as_ref().map_or(input.bytes.len(), |s| s.len()) as u64;
        let (done, index) = write(pipeline, input, &existing, a).await?;
        pipeline
            .record_upload(&input.uploader, &done.sha256, size)
            .await?;
        written.push(done);
        staged.extend(index);
    }
    let mut summary = Summary {
        ms: ms(t),
        ..Summary::default()
    };
    if sink.records() {
        let status = |s: IngestStatus| written.iter().filter(|w| w.status == s).count() as u64;
        summary.counts = vec![
            ("nodes", written.iter().map(|w| w.nodes).sum()),
            (
                "relationships",
                written.iter().map(|w| w.relationships).sum(),
            ),
            ("binaries", written.len() as u64),
            ("created", status(IngestStatus::Created)),
            ("replaced", status(IngestStatus::Replaced)),
        ];
        summary.output = Some(hash_json(
            &written
                .iter()
                .map(|w| json!({"sha256": w.sha256, "nodes": w.nodes, "relationships": w.relationships}))
                .collect::<Vec<_>>(),
        ));
    }
    sink.done(11, summary).await?;
    Ok(Written {
        binaries: written,
        staged,
    })
}

/// What phase 11 wrote, and the index documents it staged meanwhile.
pub(super) struct Written {
    pub binaries: Vec<Ingested>,
    /// Staged during each binary's graph write; committed in phase 12.
    pub staged: Vec<StagedIndex>,
}

/// When the file is stored with the current graph model: record the upload
/// of each of its binaries and say they are unchanged. `None` otherwise.
pub(super) async fn unchanged(
    pipeline: &Pipeline,
    input: &Input,
) -> Result<Option<Vec<Ingested>>, PipelineError> {
    let Some(existing) = pipeline.stored_current(&input.file_sha256).await? else {
        return Ok(None);
    };
    for e in &existing {
        pipeline
            .record_upload(&input.uploader, &e.sha256, e.size)
            .await?;
    }
    Ok(Some(
        existing
            .into_iter()
            .map(|e| Ingested {
                sha256: e.sha256,
                status: IngestStatus::Unchanged,
                functions: 0,
                nodes: 0,
                relationships: 0,
                analysis_ms: 0,
                write_ms: 0,
            })
            .collect(),
    ))
}

/// Store one analysed binary: its blob, then its subgraph and findings in
/// one transaction (replacing an older copy). Its index documents are
/// staged from its digests while the graph write runs (the write keeps one
/// core busy; the indexing takes the other).
async fn write(
    pipeline: &Pipeline,
    input: &Input,
    existing: &[Existing],
    a: Arc<Analysed>,
) -> Result<(Ingested, Option<StagedIndex>), PipelineError> {
    let sha = a.facts.hashes.sha256.clone();
    let before = existing.iter().find(|e| e.sha256 == sha);
    let ingested_at = now_precise();
    let origin = Origin {
        first_seen: before.map_or_else(|| ingested_at.clone(), |e| e.first_seen.clone()),
        ingested_at,
        container_sha256: a.slice.as_ref().map(|_| input.file_sha256.clone()),
    };
    let blob = a.slice.clone().unwrap_or_else(|| input.bytes.clone());
    let (blobs, blob_sha) = (pipeline.blobs.clone(), sha.clone());
    blocking("blob write", move || blobs.put(&blob_sha, &blob)).await??;

    let started = Instant::now();
    let functions = a.facts.code.functions.len() as u64;
    let stamp = origin.ingested_at.clone();
    let (digests, digest_sha, digest_stamp) =
        (pipeline.digests.clone(), sha.clone(), stamp.clone());
    let (batch, kept) = blocking("graph batch", move || {
        let (facts, findings) = (&a.facts, &a.findings);
        let mut b = model::binary_batch(facts, &origin);
        let addrs = facts.code.functions.iter().map(|f| f.addr).collect();
        model::add_findings(&mut b, &facts.hashes.sha256, findings, &addrs);
        model::add_similarity(&mut b, &facts.hashes.sha256, &a.signatures, &a.similar);
        // The digests go first (and their memory with them): each is stamped
        // with this write's `ingested_at`, which readers compare with the
        // graph's, so none is used unless (until) the write below commits.
        let kept = keep_digests(&b, facts, &digests, &digest_sha, &digest_stamp);
        (b, kept)
    })
    .await?;
    let staging = async {
        match &kept {
            Ok(()) => pipeline.sync.stage(&sha, &stamp).await,
            Err(_) => None,
        }
    };
    let (stats, staged) = tokio::join!(pipeline.store.write_batch(batch), staging);
    if let Err(e) = kept {
        tracing::warn!(sha256 = %sha, error = %e, "digests not written; the first pages rebuild them from the graph");
    }
    let stats = stats?;
    let done = Ingested {
        sha256: sha,
        status: if before.is_some() {
            IngestStatus::Replaced
        } else {
            IngestStatus::Created
        },
        functions,
        nodes: stats.nodes_created,
        relationships: stats.relationships_created,
        analysis_ms: 0,
        write_ms: ms(started),
    };
    Ok((done, staged))
}

/// Write the digests of one binary, taken from its write batch: what the
/// first pages of the API and the search index read instead of the whole
/// subgraph. One at a time, each dropped once written (the batch is large).
fn keep_digests(
    b: &Batch,
    facts: &BinaryFacts,
    digests: &Digests,
    sha256: &str,
    stamp: &str,
) -> std::io::Result<()> {
    let calls = CallRecords::from_batch(b);
    digests.put(sha256, DIGEST_KIND, DIGEST_VERSION, stamp, &calls)?;
    drop(calls);
    let symbols = SymbolView::list_from_batch(b);
    digests.put(sha256, "symbols", LISTS_VERSION, stamp, &symbols)?;
    drop(symbols);
    let base = facts.identity.slice_offset.unwrap_or(0);
    let strings = StringView::list(&facts.strings, base, &StringView::referenced_in_batch(b));
    digests.put(sha256, "strings", LISTS_VERSION, stamp, &strings)?;
    drop(strings);
    let signatures = SignatureRecord::list_from_batch(b);
    digests.put(
        sha256,
        SIGNATURES_KIND,
        SIGNATURES_VERSION,
        stamp,
        &signatures,
    )
}

impl Pipeline {
    /// The binaries already stored from the file with this sha256.
    pub async fn existing(&self, sha256: &str) -> Result<Vec<Existing>, GraphError> {
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
                first_seen: m["first_seen"].as_str().unwrap_or_default().to_string(),
                size: m["size"].as_u64().unwrap_or(0),
            })
            .collect())
    }

    /// The binaries of the file with this sha256 when it is stored, all of
    /// it written by the current graph model; `None` otherwise (a new file,
    /// or one to analyse again).
    pub async fn stored_current(&self, sha256: &str) -> Result<Option<Vec<Existing>>, GraphError> {
        let existing = self.existing(sha256).await?;
        let current =
            !existing.is_empty() && existing.iter().all(|e| e.model_version == MODEL_VERSION);
        Ok(current.then_some(existing))
    }

    /// Record that `uploader` uploaded the binary `sha256`, in the account
    /// store (before the binary is indexed: their file names are searchable).
    pub async fn record_upload(
        &self,
        uploader: &Uploader,
        sha256: &str,
        size: u64,
    ) -> Result<(), GraphError> {
        uploads::record(self.accounts.as_ref(), uploader, sha256, size).await
    }
}
