//! The phases a file goes through, and where their progress goes: a job
//! records each phase (counts, time, the hash of its output) in the queue; a
//! synchronous ingest runs the same code with the [`Silent`] sink.

use std::collections::BTreeMap;
use std::future::Future;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::PipelineError;

/// The pipeline phases of DESIGN.md, in order (numbered from 1).
pub const PHASES: [&str; 12] = [
    "identify",
    "headers",
    "symbols",
    "strings",
    "functions",
    "cfg",
    "data_refs",
    "signatures",
    "similarity",
    "rules",
    "graph_write",
    "report",
];

/// Where a phase is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PhaseStatus {
    Pending,
    Running,
    Done,
    Skipped,
    Failed,
}

/// One phase of a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PhaseRecord {
    pub number: u8,
    pub name: String,
    pub status: PhaseStatus,
    pub started_at: Option<String>,
    /// Time spent, in milliseconds.
    pub ms: Option<u64>,
    /// What the phase produced (`functions`, `strings`, `findings`, …).
    #[serde(default)]
    pub counts: BTreeMap<String, u64>,
    /// sha256 of the phase's output (canonical JSON), for the provenance chain.
    pub output_sha256: Option<String>,
    /// Why it was skipped, or how its time was measured.
    pub note: Option<String>,
}

/// Fresh phase records, all pending.
pub fn fresh_phases() -> Vec<PhaseRecord> {
    PHASES
        .iter()
        .enumerate()
        .map(|(i, n)| PhaseRecord {
            number: (i + 1) as u8,
            name: n.to_string(),
            status: PhaseStatus::Pending,
            started_at: None,
            ms: None,
            counts: BTreeMap::new(),
            output_sha256: None,
            note: None,
        })
        .collect()
}

/// What a finished phase reports.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub ms: u64,
    pub counts: Vec<(&'static str, u64)>,
    /// sha256 of the phase's output ([`hash_json`]).
    pub output: Option<String>,
    pub note: Option<String>,
}

/// Where the pipeline reports its phases. A phase calls [`Progress::begin`],
/// does its work, then [`Progress::done`]; phases computed in the same pass
/// as another are [`Progress::record`]ed without a save of their own.
pub trait Progress: Send {
    /// Whether phase summaries are kept: hashing every phase's output costs
    /// time, so a sink that throws them away says so.
    fn records(&self) -> bool;
    /// Whether the run was told to stop (cancelled, out of time or memory).
    fn stopped(&self) -> bool;
    /// The format and architecture found by phase 1.
    fn identified(&mut self, format: Option<String>, arch: Option<String>);
    fn begin(&mut self, phase: u8) -> impl Future<Output = Result<(), PipelineError>> + Send;
    fn done(
        &mut self,
        phase: u8,
        summary: Summary,
    ) -> impl Future<Output = Result<(), PipelineError>> + Send;
    fn record(&mut self, phase: u8, summary: Summary);
    /// The phase records so far (the report's provenance chain).
    fn phases(&self) -> &[PhaseRecord];
}

/// A sink that keeps nothing: the synchronous upload and `bingraph ingest`.
pub struct Silent;

impl Progress for Silent {
    fn records(&self) -> bool {
        false
    }
    fn stopped(&self) -> bool {
        false
    }
    fn identified(&mut self, _: Option<String>, _: Option<String>) {}
    async fn begin(&mut self, _: u8) -> Result<(), PipelineError> {
        Ok(())
    }
    async fn done(&mut self, phase: u8, summary: Summary) -> Result<(), PipelineError> {
        self.record(phase, summary);
        Ok(())
    }
    /// Phase times go to the log (`RUST_LOG=bingraph::pipeline=debug`).
    fn record(&mut self, phase: u8, summary: Summary) {
        tracing::debug!(
            phase = PHASES
                .get(usize::from(phase).wrapping_sub(1))
                .copied()
                .unwrap_or("?"),
            ms = summary.ms,
            "phase done"
        );
    }
    fn phases(&self) -> &[PhaseRecord] {
        &[]
    }
}

/// sha256 of a phase's output as serde_json writes it (fields in declaration
/// order, so the same facts always give the same bytes), streamed into the
/// hasher without building the JSON text.
pub fn hash_json<T: Serialize>(v: &T) -> String {
    struct Hasher(Sha256);
    impl std::io::Write for Hasher {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.update(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut h = Hasher(Sha256::new());
    let _ = serde_json::to_writer(&mut h, v);
    hex::encode(h.0.finalize())
}
