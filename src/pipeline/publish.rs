//! Phase 12: the search index catches up with the binaries just written,
//! and (for a job) the reports are rendered, stored and signed.
//!
//! The report document is drafted before the graph write (see
//! [`super::Pipeline::run`]); its phase list (section 10) and the
//! provenance chain are filled in here, from the sink's phase records.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use serde_json::json;

use super::progress::{PhaseRecord, Progress, Summary};
use super::{blocking, ms, Analysed, Ingested, Input, Pipeline, PipelineError};
use crate::analysis::findings::Finding;
use crate::analysis::BinaryFacts;
use crate::graph::time::now_rfc3339;
use crate::provenance::{canonical, sha256_hex, Signer};
use crate::report::{self, ReportFormat};
use crate::search::sync::StagedIndex;

const INDEXED_NOTE: &str = "binaries indexed for search; reports drafted before the graph write (time included here), rendered and signed after it";

/// What a report is about and where it goes.
pub struct ReportPlan {
    pub job_id: String,
    /// The file name as uploaded.
    pub name: String,
    pub sha256: String,
    pub size: u64,
    pub submitted_at: String,
    pub tags: Vec<String>,
    /// The directory the reports and `provenance.json` are written to.
    pub dir: PathBuf,
    pub signer: Arc<Signer>,
    /// The settings the analysis ran with (hashed into the provenance).
    pub config_json: serde_json::Value,
}

/// The reports a run signed.
pub struct Reported {
    /// sha256 of the JSON report.
    pub sha256: String,
    pub findings: u64,
    /// Risk score and level.
    pub risk: (u32, &'static str),
}

/// A report document waiting for the graph write and its signature.
pub(super) struct Draft {
    doc: serde_json::Value,
    findings: u64,
    risk: (u32, &'static str),
    binaries: Vec<String>,
    generated_at: String,
    config_sha: String,
    /// Time spent drafting (before the graph write), counted in phase 12.
    ms: u64,
}

pub(super) async fn run<P: Progress>(
    pipeline: &Pipeline,
    input: &Input,
    written: &[Ingested],
    staged: Vec<StagedIndex>,
    draft: Option<Draft>,
    sink: &mut P,
) -> Result<Option<Reported>, PipelineError> {
    sink.begin(12).await?;
    let t = Instant::now();
    let index_note = index(pipeline, written, staged).await;
    let (Some(plan), Some(draft)) = (&input.report, draft) else {
        let summary = Summary {
            ms: ms(t),
            note: index_note,
            ..Summary::default()
        };
        sink.done(12, summary).await?;
        return Ok(None);
    };
    let (findings, risk, draft_ms) = (draft.findings, draft.risk, draft.ms);
    let sha256 = sign(plan, draft, sink.phases().to_vec()).await?;
    let indexed = if index_note.is_none() {
        written.len() as u64
    } else {
        0
    };
    let summary = Summary {
        ms: ms(t) + draft_ms,
        counts: vec![
            ("reports", ReportFormat::ALL.len() as u64),
            ("indexed", indexed),
        ],
        output: Some(sha256.clone()),
        note: Some(index_note.unwrap_or_else(|| INDEXED_NOTE.into())),
    };
    sink.done(12, summary).await?;
    Ok(Some(Reported {
        sha256,
        findings,
        risk,
    }))
}

/// Bring the search index up to date with binaries just written: commit
/// those staged during their write, index the others. A failure is logged
/// and returned as a note, not an error: the graph holds the data, and the
/// next reconcile indexes it.
pub(super) async fn index(
    pipeline: &Pipeline,
    written: &[Ingested],
    staged: Vec<StagedIndex>,
) -> Option<String> {
    fail_point("after_graph_write");
    let mut committed = Vec::new();
    for s in staged {
        let sha = s.sha256().to_string();
        match pipeline.sync.commit_staged(s).await {
            Ok(true) => committed.push(sha),
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(sha256 = %sha, error = %e, "committing the staged index documents failed; indexing again")
            }
        }
    }
    let shas: Vec<String> = written
        .iter()
        .map(|i| i.sha256.clone())
        .filter(|sha| !committed.contains(sha))
        .collect();
    if shas.is_empty() {
        return None;
    }
    match pipeline.sync.index_binaries(&shas).await {
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(error = %e, "search index not updated; the next reconcile will");
            Some(format!(
                "search index not updated ({e}); it catches up within a minute"
            ))
        }
    }
}

/// Test hook: `BINGRAPH_FAILPOINT=<name>` aborts the process at that point
/// (crash-consistency tests).
pub fn fail_point(name: &str) {
    if std::env::var("BINGRAPH_FAILPOINT").is_ok_and(|v| v == name) {
        eprintln!("failpoint {name}: aborting");
        std::process::abort();
    }
}

/// Build the report document from the facts (section 10's phase list is
/// filled in when it is signed).
pub(super) async fn draft(
    plan: &ReportPlan,
    analysed: &[Arc<Analysed>],
) -> Result<Draft, PipelineError> {
    let config_sha = sha256_hex(&canonical(&plan.config_json));
    let key_id = plan.signer.public().key_id;
    let subject = (
        plan.job_id.clone(),
        plan.name.clone(),
        plan.sha256.clone(),
        plan.size,
        plan.submitted_at.clone(),
        plan.tags.clone(),
    );
    let all = analysed.to_vec();
    let started = Instant::now();
    blocking("report", move || {
        let (job_id, name, sha256, size, submitted_at, tags) = subject;
        let binaries: Vec<(&BinaryFacts, &[Finding])> = all
            .iter()
            .map(|a| (&a.facts, a.findings.as_slice()))
            .collect();
        let generated_at = now_rfc3339();
        let doc = report::build(
            &report::Subject {
                job_id: &job_id,
                name: &name,
                sha256: &sha256,
                size,
                submitted_at: &submitted_at,
                tags: &tags,
            },
            &binaries,
            &report::Origin {
                version: env!("CARGO_PKG_VERSION"),
                config_sha256: &config_sha,
                phases: serde_json::Value::Null,
                key_id: &key_id,
            },
            &generated_at,
        );
        let all_findings: Vec<_> = binaries.iter().flat_map(|(_, f)| f.iter()).collect();
        Draft {
            findings: all_findings.len() as u64,
            risk: report::risk(&all_findings),
            binaries: binaries
                .iter()
                .map(|(b, _)| b.hashes.sha256.clone())
                .collect(),
            doc,
            generated_at,
            config_sha,
            ms: ms(started),
        }
    })
    .await
}

/// Render, store and sign the reports; returns the JSON report's sha256.
async fn sign(
    plan: &ReportPlan,
    draft: Draft,
    phases: Vec<PhaseRecord>,
) -> Result<String, PipelineError> {
    let dir = plan.dir.clone();
    let signer = plan.signer.clone();
    let subject = json!({"name": plan.name, "sha256": plan.sha256, "size": plan.size});
    let (job_id, config_json) = (plan.job_id.clone(), plan.config_json.clone());
    blocking("report", move || -> std::io::Result<String> {
        let Draft {
            mut doc,
            generated_at,
            config_sha,
            binaries,
            ..
        } = draft;
        let summary: Vec<serde_json::Value> = phases
            .iter()
            .take(11)
            .map(|p| json!({"number": p.number, "name": p.name, "status": p.status, "output_sha256": p.output_sha256}))
            .collect();
        if let Some(slot) = doc.pointer_mut("/sections/9/data/phases") {
            *slot = json!(summary);
        }
        std::fs::create_dir_all(&dir)?;
        let mut hashes = serde_json::Map::new();
        let mut json_sha = String::new();
        for f in ReportFormat::ALL {
            let bytes = report::render(&doc, f);
            let h = sha256_hex(&bytes);
            if f == ReportFormat::Json {
                json_sha = h.clone();
            }
            hashes.insert(f.as_str().into(), json!({ "sha256": h, "bytes": bytes.len() }));
            write_atomic(&dir.join(format!("report.{}", f.extension())), &bytes)?;
        }
        let mut chain = summary;
        chain.push(json!({"number": 12, "name": "report", "status": "done", "output_sha256": json_sha}));
        let mut prov = serde_json::Map::new();
        prov.insert("provenance_version".into(), json!(1));
        prov.insert("job_id".into(), json!(job_id));
        prov.insert("subject".into(), subject);
        prov.insert("builder".into(), json!({"name": "bingraph", "version": env!("CARGO_PKG_VERSION"), "config_sha256": config_sha, "config": config_json}));
        prov.insert("binaries".into(), json!(binaries));
        prov.insert("phases".into(), json!(chain));
        prov.insert("reports".into(), serde_json::Value::Object(hashes));
        prov.insert("created_at".into(), json!(generated_at));
        let signed = signer.sign(prov);
        write_atomic(
            &dir.join("provenance.json"),
            &serde_json::to_vec_pretty(&signed).unwrap_or_default(),
        )?;
        Ok(json_sha)
    })
    .await?
    .map_err(PipelineError::Report)
}

/// Write a file so that readers see the old or the new content, never half.
fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(tmp, path)
}
