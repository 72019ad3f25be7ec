//! Ingest: bytes in, a binary's subgraph and blob out.
//!
//! The file is analysed off the async runtime, stored in the blob store and
//! written to the graph in one batched transaction per binary. A fat Mach-O
//! becomes one binary per slice, each addressed by the sha256 of its own
//! bytes and linked to the file by `container_sha256`. Re-ingesting the same
//! file replaces its subgraph only when the graph model changed (or on
//! `force`); otherwise it leaves it as it is. File names are not facts of
//! the binary: the caller records them with the upload, in the account store.

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use crate::analysis::findings::{self, Finding};
use crate::analysis::{self, AnalysisConfig, AnalysisError, BinaryFacts};
use crate::auth::uploads::{union, Uploader};
use crate::blobs::BlobStore;
use crate::graph::model::{self, Origin, MODEL_VERSION};
use crate::graph::{GraphError, GraphStore};
use crate::params;
use crate::search::signature::{self, Signature};
use crate::search::{Match, PrivateDoc, ALL_VIEWERS};

const FIND_EXISTING: &str = include_str!("../cypher/binaries/find_for_ingest.cypher");

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
#[derive(Clone)]
pub struct Ingestor {
    /// The analysis graph.
    pub store: Arc<dyn GraphStore>,
    /// The account store, where uploads (who, under which file name) are
    /// recorded.
    pub accounts: Arc<dyn GraphStore>,
    pub blobs: BlobStore,
    pub analysis: AnalysisConfig,
    /// The search index, updated after each graph write.
    pub index: Arc<crate::search::SearchIndex>,
}

/// A binary already stored from the same file.
pub struct Existing {
    pub sha256: String,
    pub model_version: i64,
    pub first_seen: String,
    /// Its own bytes (a slice's, for a fat Mach-O).
    pub size: u64,
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl Ingestor {
    /// Ingest one file's bytes uploaded by `uploader`: analyse, run the
    /// rules, write, record the upload and index, all in this call (the job
    /// pipeline runs the same steps one phase at a time).
    pub async fn ingest(
        &self,
        bytes: Arc<Vec<u8>>,
        force: bool,
        uploader: &Uploader,
    ) -> Result<Vec<Ingested>, IngestError> {
        let file_sha = analysis::hashes(&bytes).sha256;
        let existing = self.existing(&file_sha).await?;
        if !force
            && !existing.is_empty()
            && existing.iter().all(|e| e.model_version == MODEL_VERSION)
        {
            for e in &existing {
                self.record_upload(uploader, &e.sha256, e.size).await?;
            }
            let out = Self::unchanged(existing);
            let shas: Vec<String> = out.iter().map(|i| i.sha256.clone()).collect();
            // A new file name or tag is searchable by its uploader.
            self.index_written(&shas).await;
            return Ok(out);
        }

        let started = Instant::now();
        let cfg = self.analysis.clone();
        let input = bytes.clone();
        let this = self.clone();
        let analysed = tokio::task::spawn_blocking(move || {
            let mut all = analyse(&input, &cfg)?;
            for a in &mut all {
                run_rules(&input, a, &cfg);
                sign(&input, a);
                a.similar = this.similar_for(a);
            }
            Ok::<_, AnalysisError>(all)
        })
        .await
        .map_err(|e| IngestError::Task(e.to_string()))??;
        let analysis_ms = started.elapsed().as_millis() as u64;

        let mut out = Vec::new();
        for a in analysed {
            let size = a.slice.as_ref().map_or(bytes.len(), |s| s.len()) as u64;
            let mut done = self
                .write(&file_sha, &bytes, &existing, Arc::new(a))
                .await?;
            self.record_upload(uploader, &done.sha256, size).await?;
            done.analysis_ms = analysis_ms;
            out.push(done);
        }
        let shas: Vec<String> = out.iter().map(|i| i.sha256.clone()).collect();
        self.index_written(&shas).await;
        Ok(out)
    }

    /// Record that `uploader` uploaded the binary `sha256`, in the account
    /// store (before the binary is indexed: their file names are searchable).
    pub async fn record_upload(
        &self,
        uploader: &Uploader,
        sha256: &str,
        size: u64,
    ) -> Result<(), GraphError> {
        crate::auth::uploads::record(self.accounts.as_ref(), uploader, sha256, size).await
    }

    /// Each uploader's copy of a binary's document (their file names and
    /// tags, from the account store), and the admins' copy with everyone's.
    pub async fn private_docs(&self, sha256: &str) -> Result<Vec<PrivateDoc>, GraphError> {
        let uploads = crate::auth::uploads::of_binary(self.accounts.as_ref(), sha256).await?;
        if uploads.is_empty() {
            return Ok(Vec::new());
        }
        let (mut names, mut tags) = (Vec::new(), Vec::new());
        let mut out = Vec::new();
        for (user, n, t) in uploads {
            names = union(names, &n);
            tags = union(tags, &t);
            out.push(private_doc(user, n, t, sha256));
        }
        out.push(private_doc(ALL_VIEWERS.to_string(), names, tags, sha256));
        Ok(out)
    }

    /// Bring the search index up to date with binaries just written. A
    /// failure is logged and returned as a note, not an error: the graph
    /// holds the data, and the next reconcile indexes it.
    pub async fn index_written(&self, shas: &[String]) -> Option<String> {
        fail_point("after_graph_write");
        match self.index_binaries(shas).await {
            Ok(_) => None,
            Err(e) => {
                tracing::warn!(error = %e, "search index not updated; the next reconcile will");
                Some(format!(
                    "search index not updated ({e}); it catches up within a minute"
                ))
            }
        }
    }

    /// Best matches in the corpus (other binaries) for the binary's
    /// non-tiny functions, for `SIMILAR_TO` links; blocking. The largest
    /// [`MAX_LINKED`] functions are queried.
    pub fn similar_for(&self, a: &Analysed) -> Vec<(u64, Match)> {
        let sha = &a.facts.hashes.sha256;
        let mut sigs: Vec<&Signature> = a.signatures.iter().filter(|s| !s.tiny()).collect();
        sigs.sort_by_key(|s| std::cmp::Reverse(s.instructions));
        sigs.truncate(MAX_LINKED);
        let mut out = Vec::new();
        for s in sigs {
            match self
                .index
                .similar(s, LINKS_PER_FUNCTION, LINK_THRESHOLD, Some(sha), None)
            {
                Ok(found) => out.extend(
                    found
                        .into_iter()
                        .filter(|m| !m.low_confidence)
                        .map(|m| (s.addr, m)),
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "similarity query failed; no SIMILAR_TO links");
                    return Vec::new();
                }
            }
        }
        out
    }

    /// The outcome for binaries already stored with the current model.
    pub fn unchanged(existing: Vec<Existing>) -> Vec<Ingested> {
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
            .collect()
    }

    /// Store one analysed binary: its blob, then its subgraph and findings in
    /// one transaction (replacing an older copy).
    pub async fn write(
        &self,
        file_sha: &str,
        file: &Arc<Vec<u8>>,
        existing: &[Existing],
        a: Arc<Analysed>,
    ) -> Result<Ingested, IngestError> {
        let sha = a.facts.hashes.sha256.clone();
        let before = existing.iter().find(|e| e.sha256 == sha);
        let ingested_at = now();
        let origin = Origin {
            first_seen: before.map_or_else(|| ingested_at.clone(), |e| e.first_seen.clone()),
            ingested_at,
            container_sha256: a.slice.as_ref().map(|_| file_sha.to_string()),
        };
        let blob = a.slice.clone().unwrap_or_else(|| file.clone());
        let blobs = self.blobs.clone();
        let blob_sha = sha.clone();
        tokio::task::spawn_blocking(move || blobs.put(&blob_sha, &blob))
            .await
            .map_err(|e| IngestError::Task(e.to_string()))??;

        let write_started = Instant::now();
        let functions = a.facts.code.functions.len() as u64;
        let batch = tokio::task::spawn_blocking(move || {
            let (facts, findings) = (&a.facts, &a.findings);
            let mut b = model::binary_batch(facts, &origin);
            let addrs = facts.code.functions.iter().map(|f| f.addr).collect();
            model::add_findings(&mut b, &facts.hashes.sha256, findings, &addrs);
            model::add_similarity(&mut b, &facts.hashes.sha256, &a.signatures, &a.similar);
            b
        })
        .await
        .map_err(|e| IngestError::Task(e.to_string()))?;
        let stats = self.store.write_batch(batch).await?;
        Ok(Ingested {
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
            write_ms: write_started.elapsed().as_millis() as u64,
        })
    }

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
}

/// One binary of an analysed file, ready to write.
pub struct Analysed {
    pub facts: BinaryFacts,
    /// The slice's own bytes, for a slice of a fat Mach-O.
    pub slice: Option<Arc<Vec<u8>>>,
    /// Position in the file (0 unless fat).
    pub index: usize,
    pub findings: Vec<Finding>,
    /// Function signatures (empty until [`sign`]).
    pub signatures: Vec<Signature>,
    /// Best corpus matches of its functions: (function address, match).
    pub similar: Vec<(u64, Match)>,
}

/// Analyse a file (blocking): one [`Analysed`] per binary, without findings yet.
pub fn analyse(bytes: &Arc<Vec<u8>>, cfg: &AnalysisConfig) -> Result<Vec<Analysed>, AnalysisError> {
    let facts = analysis::analyze(bytes, cfg)?;
    Ok(split_slices(bytes, facts)
        .into_iter()
        .enumerate()
        .map(|(index, (facts, slice))| Analysed {
            facts,
            slice,
            index,
            findings: Vec::new(),
            signatures: Vec::new(),
            similar: Vec::new(),
        })
        .collect())
}

/// Compute the function signatures of one analysed binary (blocking). A
/// failure (the file parsed once already, so only a decoder bug) leaves the
/// binary without signatures rather than failing its ingest; the reason is
/// returned for the job's phase note.
pub fn sign(file: &[u8], a: &mut Analysed) -> Option<String> {
    match signature::signatures(file, a.index, &a.facts) {
        Ok(s) => {
            a.signatures = s;
            None
        }
        Err(e) => {
            tracing::warn!(sha256 = %a.facts.hashes.sha256, error = %e, "no function signatures");
            Some(format!("no signatures for {}: {e}", a.facts.hashes.sha256))
        }
    }
}

/// Most functions of one binary queried for `SIMILAR_TO` links.
pub const MAX_LINKED: usize = 5_000;
/// Links kept per function.
pub const LINKS_PER_FUNCTION: usize = 3;
/// Lowest score linked (false-positive rate on unrelated non-tiny functions
/// about 1.4 %, see README "Search and similarity").
pub const LINK_THRESHOLD: f64 = 0.7;

/// Test hook: `BINGRAPH_FAILPOINT=<name>` aborts the process at that point
/// (crash-consistency tests).
pub fn fail_point(name: &str) {
    if std::env::var("BINGRAPH_FAILPOINT").is_ok_and(|v| v == name) {
        eprintln!("failpoint {name}: aborting");
        std::process::abort();
    }
}

/// Most functions disassembled again for the format-string rules.
const MAX_RULE_LISTINGS: usize = 2_000;

/// Run the rules on one analysed binary (blocking; disassembles the callers
/// of printf- and scanf-family functions once more).
pub fn run_rules(file: &[u8], a: &mut Analysed, cfg: &AnalysisConfig) {
    let wanted = findings::listing_requests(&a.facts, MAX_RULE_LISTINGS);
    let listings = analysis::listings(file, a.index, &wanted, cfg).unwrap_or_default();
    a.findings = findings::evaluate(&a.facts, &listings);
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

fn private_doc(viewer: String, names: Vec<String>, tags: Vec<String>, sha256: &str) -> PrivateDoc {
    PrivateDoc {
        viewer,
        title: names.first().cloned().unwrap_or_else(|| sha256.to_string()),
        names,
        tags,
    }
}
