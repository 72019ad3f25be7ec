//! The analysis pipeline: one file's bytes through the twelve phases of
//! DESIGN.md, one small file per phase.
//!
//! | phase | file |
//! |---|---|
//! | 1 identify | `identify` |
//! | 2–7 headers, symbols, strings, functions, CFG, data refs | `analyse` (one pass of the analysis core) |
//! | 8 signatures | `signatures` |
//! | 9 similarity | `similarity` |
//! | 10 rules | `rules` |
//! | 11 graph write | `write` |
//! | 12 index + report | `publish` |
//!
//! The synchronous upload and `bingraph ingest` run it with the [`Silent`]
//! sink (no phase records, no report); a job runs the same code with a sink
//! that records each phase in the queue, and asks for a signed report.
//!
//! A fat Mach-O becomes one binary per slice, each addressed by the sha256
//! of its own bytes and linked to the file by `container_sha256`.
//! Re-ingesting the same file replaces its subgraph only when the graph
//! model changed (or on `force`); otherwise it leaves it as it is. File
//! names are not facts of the binary: they are recorded with the upload, in
//! the account store.

mod analyse;
mod identify;
pub mod progress;
mod publish;
mod rules;
mod signatures;
mod similarity;
mod write;

use std::sync::Arc;
use std::time::Instant;

use crate::analysis::findings::Finding;
use crate::analysis::signature::{Match, Signature};
use crate::analysis::{self, AnalysisConfig, AnalysisError, BinaryFacts};
use crate::auth::uploads::Uploader;
use crate::blobs::{BlobStore, Digests};
use crate::graph::{GraphError, GraphStore};
use crate::search::sync::IndexSync;

pub use progress::{fresh_phases, PhaseRecord, PhaseStatus, Progress, Silent, Summary, PHASES};
pub use publish::{fail_point, ReportPlan, Reported};
pub use similarity::{LINKS_PER_FUNCTION, LINK_THRESHOLD, MAX_LINKED};
pub use write::{Existing, IngestStatus, Ingested};

/// Why a file did not make it through the pipeline.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Analysis(#[from] AnalysisError),
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error("the blob store failed: {0}")]
    Blob(#[from] std::io::Error),
    #[error("the analysis task failed: {0}")]
    Task(String),
    #[error("writing the report failed: {0}")]
    Report(std::io::Error),
    #[error("the run was stopped")]
    Stopped,
}

/// Runs files through the phases against one graph, account store, blob
/// store and search index.
#[derive(Clone)]
pub struct Pipeline {
    /// The analysis graph.
    pub store: Arc<dyn GraphStore>,
    /// The account store, where uploads (who, under which file name) are
    /// recorded.
    pub accounts: Arc<dyn GraphStore>,
    pub blobs: BlobStore,
    /// Compact read models of each binary (its call graph), written with
    /// its subgraph.
    pub digests: Digests,
    pub analysis: AnalysisConfig,
    /// The search index, updated after each graph write.
    pub sync: IndexSync,
}

/// One file to run.
pub struct Input {
    pub bytes: Arc<Vec<u8>>,
    pub file_sha256: String,
    pub uploader: Uploader,
    /// Analyse and write even if the file is stored with the current model.
    pub force: bool,
    /// The analysis settings (a job's carry its abort flag and time budget).
    pub analysis: AnalysisConfig,
    /// Render, store and sign reports (jobs).
    pub report: Option<ReportPlan>,
}

/// What a run produced.
pub struct Outcome {
    pub binaries: Vec<Ingested>,
    pub report: Option<Reported>,
}

/// One binary of an analysed file, ready to write.
pub struct Analysed {
    pub facts: BinaryFacts,
    /// The slice's own bytes, for a slice of a fat Mach-O.
    pub slice: Option<Arc<Vec<u8>>>,
    /// Position in the file (0 unless fat).
    pub index: usize,
    pub findings: Vec<Finding>,
    /// Function signatures (empty until phase 8).
    pub signatures: Vec<Signature>,
    /// Best corpus matches of its functions: (function address, match).
    pub similar: Vec<(u64, Match)>,
}

impl Pipeline {
    /// Ingest one file's bytes uploaded by `uploader`, all phases in this
    /// call, without phase records or a report.
    pub async fn ingest(
        &self,
        bytes: Arc<Vec<u8>>,
        force: bool,
        uploader: &Uploader,
    ) -> Result<Vec<Ingested>, PipelineError> {
        let input = Input {
            file_sha256: analysis::hashes(&bytes).sha256,
            bytes,
            uploader: uploader.clone(),
            force,
            analysis: self.analysis.clone(),
            report: None,
        };
        Ok(self.run(input, &mut Silent).await?.binaries)
    }

    /// Run every phase on `input`, reporting to `sink`.
    pub async fn run<P: Progress>(
        &self,
        input: Input,
        sink: &mut P,
    ) -> Result<Outcome, PipelineError> {
        if !input.force {
            if let Some(done) = write::unchanged(self, &input).await? {
                // A new file name or tag is searchable by its uploader.
                publish::index(self, &done, Vec::new()).await;
                return Ok(Outcome {
                    binaries: done,
                    report: None,
                });
            }
        }
        identify::run(&input, sink).await?;
        let started = Instant::now();
        let analysed = analyse::run(&input, sink).await?;
        let analysed = signatures::run(&input, analysed, sink).await?;
        let analysed = similarity::run(self, analysed, sink).await?;
        let analysed = rules::run(&input, analysed, sink).await?;
        let analysis_ms = ms(started);
        // The report document is drafted now, so that each binary's facts
        // can be dropped as soon as its graph batch is built (the largest
        // binaries need several GB for facts and batch together).
        let analysed: Vec<Arc<Analysed>> = analysed.into_iter().map(Arc::new).collect();
        let draft = match &input.report {
            Some(plan) => Some(publish::draft(plan, &analysed).await?),
            None => None,
        };
        let written = write::run(self, &input, analysed, sink).await?;
        let mut binaries = written.binaries;
        for b in &mut binaries {
            b.analysis_ms = analysis_ms;
        }
        let report = publish::run(self, &input, &binaries, written.staged, draft, sink).await?;
        Ok(Outcome { binaries, report })
    }
}

/// Run blocking work off the async runtime.
async fn blocking<T: Send + 'static>(
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PipelineError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| PipelineError::Task(format!("{what}: {e}")))
}

fn ms(t: Instant) -> u64 {
    t.elapsed().as_millis() as u64
}
