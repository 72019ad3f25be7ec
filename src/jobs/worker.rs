//! Workers: claim, heartbeat, run the twelve phases, finish or retry.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use super::{
    fresh_phases, now_ms, JobErrorView, JobEvent, JobState, JobView, Jobs, PhaseRecord, PhaseStatus,
};
use crate::analysis::findings::Severity;
use crate::analysis::{self, AnalysisError};
use crate::auth::now_rfc3339;
use crate::auth::uploads::Uploader;
use crate::graph::{GraphError, Value};
use crate::ingest::{self, Analysed, IngestError, Ingested};
use crate::params;
use crate::provenance::{canonical, sha256_hex};
use crate::report::{self, ReportFormat};
use sha2::{Digest, Sha256};

const NEXT: &str = include_str!("../../cypher/jobs/next.cypher");
const CLAIM: &str = include_str!("../../cypher/jobs/claim.cypher");
const PROGRESS: &str = include_str!("../../cypher/jobs/progress.cypher");
const HEARTBEAT: &str = include_str!("../../cypher/jobs/heartbeat.cypher");
const FINISH: &str = include_str!("../../cypher/jobs/finish.cypher");
const RETRY: &str = include_str!("../../cypher/jobs/retry.cypher");
const RUNNING: &str = include_str!("../../cypher/jobs/running.cypher");
const REQUEUE: &str = include_str!("../../cypher/jobs/requeue.cypher");

/// How a run ended short of success.
#[derive(Debug)]
enum Fail {
    /// The input or the job itself is at fault: no retry.
    Permanent(&'static str, String),
    /// The store or the disk failed: worth another attempt.
    Transient(String),
    /// Stopped on purpose (the reason is in the run's `Stop`).
    Stopped,
}

/// Why a run was told to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Cancelled,
    Memory,
    Timeout,
    LeaseLost,
}

impl From<GraphError> for Fail {
    fn from(e: GraphError) -> Self {
        Fail::Transient(format!("graph store: {e}"))
    }
}

fn analysis_fail(e: AnalysisError) -> Fail {
    match e {
        AnalysisError::TooLarge { .. } => Fail::Permanent("file_too_large", e.to_string()),
        AnalysisError::Unsupported(_) => Fail::Permanent("unsupported_format", e.to_string()),
        AnalysisError::Malformed(_) => Fail::Permanent("malformed_binary", e.to_string()),
    }
}

fn ingest_fail(e: IngestError) -> Fail {
    match e {
        IngestError::Analysis(a) => analysis_fail(a),
        IngestError::Graph(g) => g.into(),
        IngestError::Blob(io) => Fail::Transient(format!("blob store: {io}")),
        IngestError::Task(t) => {
            Fail::Permanent("internal", format!("the analysis task failed: {t}"))
        }
    }
}

/// sha256 of a phase's output as serde_json writes it (fields in declaration
/// order, so the same facts always give the same bytes), streamed into the
/// hasher without building the JSON text.
fn hash_json<T: serde::Serialize>(v: &T) -> String {
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

/// One run of one job.
struct Run<'a> {
    jobs: &'a Jobs,
    job: JobView,
    phases: Vec<PhaseRecord>,
    abort: Arc<AtomicBool>,
    stop: Arc<Mutex<Option<Stop>>>,
    started: Instant,
    format: Option<String>,
    arch: Option<String>,
    /// Phase states already sent as events.
    emitted: Vec<PhaseStatus>,
}

/// What a successful run produced.
struct Done {
    binaries: Vec<String>,
    report_sha256: String,
    findings: u64,
    risk: (u32, &'static str),
}

impl Run<'_> {
    fn stopped(&self) -> bool {
        self.abort.load(Ordering::Relaxed)
    }

    fn stop_with(&self, s: Stop) {
        signal(&self.stop, &self.abort, s);
    }

    /// Write the phases and renew the lease; fails when told to stop.
    async fn save(&mut self, current: u8) -> Result<(), Fail> {
        let rows = self
            .jobs
            .queue
            .write(
                PROGRESS,
                params! {
                    "uid" => &self.job.job_id, "runner" => &self.jobs.runner,
                    "phases" => serde_json::to_string(&self.phases).unwrap_or_default(),
                    "phase" => current, "lease_ms" => now_ms() + self.jobs.config.lease.as_millis() as i64,
                    "format" => self.format.clone(), "arch" => self.arch.clone(),
                },
            )
            .await?;
        match rows.first("cancel").and_then(Value::as_bool) {
            None => self.stop_with(Stop::LeaseLost),
            Some(true) => self.stop_with(Stop::Cancelled),
            Some(false) => {}
        }
        for (i, p) in self.phases.iter().enumerate() {
            if self.emitted.get(i) == Some(&p.status) {
                continue;
            }
            self.jobs.emit(JobEvent {
                kind: "phase",
                job_id: self.job.job_id.clone(),
                state: JobState::Running,
                phase: Some(p.clone()),
                error: None,
                binaries: Vec::new(),
                at: now_rfc3339(),
            });
        }
        self.emitted = self.phases.iter().map(|p| p.status).collect();
        if self.stopped() {
            return Err(Fail::Stopped);
        }
        Ok(())
    }

    async fn begin(&mut self, n: u8) -> Result<Instant, Fail> {
        let p = &mut self.phases[n as usize - 1];
        p.status = PhaseStatus::Running;
        p.started_at = Some(now_rfc3339());
        self.save(n).await?;
        Ok(Instant::now())
    }

    async fn end(
        &mut self,
        n: u8,
        ms: u64,
        counts: &[(&str, u64)],
        output: Option<String>,
        note: Option<&str>,
    ) -> Result<(), Fail> {
        self.set(n, PhaseStatus::Done, ms, counts, output, note);
        self.save(n).await
    }

    fn set(
        &mut self,
        n: u8,
        status: PhaseStatus,
        ms: u64,
        counts: &[(&str, u64)],
        output: Option<String>,
        note: Option<&str>,
    ) {
        let p = &mut self.phases[n as usize - 1];
        if p.started_at.is_none() {
            p.started_at = Some(now_rfc3339());
        }
        p.status = status;
        p.ms = Some(ms);
        p.counts = counts.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        p.output_sha256 = output;
        p.note = note.map(String::from);
    }

    async fn pipeline(&mut self) -> Result<Done, Fail> {
        let jobs = self.jobs;
        let sha = self.job.file_sha256.clone();
        let blobs = jobs.blobs.clone();
        let bytes = tokio::task::spawn_blocking(move || blobs.get(&sha))
            .await
            .map_err(|e| Fail::Permanent("internal", format!("blob task: {e}")))?
            .map_err(|e| Fail::Transient(format!("reading the upload: {e}")))?
            .ok_or_else(|| {
                Fail::Permanent(
                    "upload_missing",
                    "The uploaded file is no longer in the blob store; submit it again.".into(),
                )
            })?;
        let bytes = Arc::new(bytes);
        let mut cfg = jobs.ingestor.analysis.clone();
        cfg.abort = Some(self.abort.clone());
        cfg.time_budget = cfg.time_budget.min(jobs.config.timeout);

        // 1 identify
        let t = self.begin(1).await?;
        let (input, c) = (bytes.clone(), cfg.clone());
        let ids = tokio::task::spawn_blocking(move || analysis::identify(&input, &c))
            .await
            .map_err(|e| Fail::Permanent("internal", format!("identify task: {e}")))?
            .map_err(analysis_fail)?;
        self.format = ids.first().map(|f| f.identity.format.as_str().to_string());
        self.arch = ids.first().map(|f| f.identity.arch.name().to_string());
        let out = hash_json(
            &ids.iter()
                .map(|f| json!({"hashes": f.hashes, "identity": f.identity}))
                .collect::<Vec<_>>(),
        );
        self.end(
            1,
            ms(t),
            &[
                ("binaries", ids.len() as u64),
                ("bytes", bytes.len() as u64),
            ],
            Some(out),
            None,
        )
        .await?;
        drop(ids);

        // 2-7: one pass of the analysis core, timed by stage.
        let t = self.begin(2).await?;
        let (input, c) = (bytes.clone(), cfg.clone());
        let analysed = tokio::task::spawn_blocking(move || ingest::analyse(&input, &c))
            .await
            .map_err(|e| Fail::Permanent("internal", format!("analysis task: {e}")))?
            .map_err(analysis_fail)?;
        if self.stopped() {
            return Err(Fail::Stopped);
        }
        let total = ms(t);
        let sum = |f: &dyn Fn(&Analysed) -> u64| analysed.iter().map(f).sum::<u64>();
        let st = |f: &dyn Fn(&analysis::Stages) -> u64| sum(&|a| f(&a.facts.stages));
        let merged = "parsed in the same pass as phase 2; its time is counted there";
        let p2_note = "the wall time of the analysis pass not spent on strings or code: hashing, parsing headers, symbols and imports";
        self.set(
            2,
            PhaseStatus::Done,
            total.saturating_sub(st(&|s| s.strings_ms + s.discovery_ms + s.build_ms)),
            &[
                ("sections", sum(&|a| a.facts.sections.len() as u64)),
                ("segments", sum(&|a| a.facts.segments.len() as u64)),
            ],
            Some(hash_json(
                &analysed
                    .iter()
                    .map(|a| (&a.facts.sections, &a.facts.segments))
                    .collect::<Vec<_>>(),
            )),
            Some(p2_note),
        );
        self.set(
            3,
            PhaseStatus::Done,
            0,
            &[
                ("symbols", sum(&|a| a.facts.symbols.len() as u64)),
                ("imports", sum(&|a| a.facts.imports.len() as u64)),
                ("exports", sum(&|a| a.facts.exports.len() as u64)),
                ("libraries", sum(&|a| a.facts.libraries.len() as u64)),
            ],
            Some(hash_json(
                &analysed
                    .iter()
                    .map(|a| {
                        (
                            &a.facts.symbols,
                            &a.facts.imports,
                            &a.facts.exports,
                            &a.facts.libraries,
                        )
                    })
                    .collect::<Vec<_>>(),
            )),
            Some(merged),
        );
        self.set(
            4,
            PhaseStatus::Done,
            st(&|s| s.strings_ms),
            &[("strings", sum(&|a| a.facts.strings.len() as u64))],
            Some(hash_json(
                &analysed
                    .iter()
                    .map(|a| &a.facts.strings)
                    .collect::<Vec<_>>(),
            )),
            None,
        );
        self.set(
            5,
            PhaseStatus::Done,
            st(&|s| s.discovery_ms),
            &[
                ("functions", sum(&|a| a.facts.code.functions.len() as u64)),
                ("instructions", sum(&|a| a.facts.code.instructions)),
            ],
            Some(hash_json(
                &analysed
                    .iter()
                    .map(|a| {
                        a.facts
                            .code
                            .functions
                            .iter()
                            .map(|f| (f.addr, f.size, &f.name, f.instructions))
                            .collect::<Vec<_>>()
                    })
                    .collect::<Vec<_>>(),
            )),
            None,
        );
        self.set(
            6,
            PhaseStatus::Done,
            st(&|s| s.build_ms),
            &[
                (
                    "blocks",
                    sum(&|a| {
                        a.facts
                            .code
                            .functions
                            .iter()
                            .map(|f| f.blocks.len() as u64)
                            .sum()
                    }),
                ),
                ("calls", sum(&|a| a.facts.code.calls.len() as u64)),
                (
                    "import_calls",
                    sum(&|a| a.facts.code.import_calls.len() as u64),
                ),
            ],
            Some(hash_json(
                &analysed
                    .iter()
                    .map(|a| {
                        (
                            a.facts
                                .code
                                .functions
                                .iter()
                                .map(|f| (&f.blocks, &f.edges))
                                .collect::<Vec<_>>(),
                            &a.facts.code.calls,
                            &a.facts.code.import_calls,
                        )
                    })
                    .collect::<Vec<_>>(),
            )),
            None,
        );
        self.set(
            7,
            PhaseStatus::Done,
            0,
            &[("data_refs", sum(&|a| a.facts.code.data_refs.len() as u64))],
            Some(hash_json(
                &analysed
                    .iter()
                    .map(|a| &a.facts.code.data_refs)
                    .collect::<Vec<_>>(),
            )),
            Some("built in the same pass as phase 6; its time is counted there"),
        );
        tracing::debug!(job_id = %self.job.job_id, ms = total, "analysis done");
        // 8 function signatures
        let t = self.begin(8).await?;
        let input = bytes.clone();
        let (analysed, failed) = tokio::task::spawn_blocking(move || {
            let mut all = analysed;
            let failed: Vec<String> = all
                .iter_mut()
                .filter_map(|a| ingest::sign(&input, a))
                .collect();
            (all, failed)
        })
        .await
        .map_err(|e| Fail::Permanent("internal", format!("signature task: {e}")))?;
        let sign_note = (!failed.is_empty()).then(|| failed.join("; "));
        let sigs = || analysed.iter().flat_map(|a| a.signatures.iter());
        let exact: std::collections::HashSet<&str> = sigs().map(|s| s.exact.as_str()).collect();
        let out = hash_json(
            &analysed
                .iter()
                .map(|a| {
                    a.signatures
                        .iter()
                        .map(|s| (s.addr, &s.exact, &s.features))
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>(),
        );
        self.end(
            8,
            ms(t),
            &[
                ("signatures", sigs().count() as u64),
                ("tiny", sigs().filter(|s| s.tiny()).count() as u64),
                ("exact_hashes", exact.len() as u64),
            ],
            Some(out),
            sign_note.as_deref(),
        )
        .await?;

        // 9 similarity against the corpus
        let t = self.begin(9).await?;
        let ingestor = jobs.ingestor.clone();
        let analysed = tokio::task::spawn_blocking(move || {
            let mut all = analysed;
            for a in &mut all {
                a.similar = ingestor.similar_for(a);
            }
            all
        })
        .await
        .map_err(|e| Fail::Permanent("internal", format!("similarity task: {e}")))?;
        let links = || analysed.iter().flat_map(|a| a.similar.iter());
        let matched: std::collections::HashSet<&str> =
            links().map(|(_, m)| m.sha256.as_str()).collect();
        let out = hash_json(
            &links()
                .map(|(addr, m)| (addr, &m.sha256, m.addr, m.score))
                .collect::<Vec<_>>(),
        );
        self.end(
            9,
            ms(t),
            &[
                ("queried", sigs_queried(&analysed)),
                ("links", links().count() as u64),
                ("exact", links().filter(|(_, m)| m.exact).count() as u64),
                ("binaries", matched.len() as u64),
            ],
            Some(out),
            Some("each non-tiny function (the largest 5000) against the index; links at score >= 0.7"),
        )
        .await?;

        // 10 rules
        let t = self.begin(10).await?;
        let (input, c) = (bytes.clone(), cfg.clone());
        let analysed = tokio::task::spawn_blocking(move || {
            let mut all = analysed;
            for a in &mut all {
                ingest::run_rules(&input, a, &c);
            }
            all
        })
        .await
        .map_err(|e| Fail::Permanent("internal", format!("rules task: {e}")))?;
        let all_findings: Vec<_> = analysed.iter().flat_map(|a| a.findings.iter()).collect();
        let mut counts: Vec<(&str, u64)> = vec![("findings", all_findings.len() as u64)];
        for s in [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
            Severity::Info,
        ] {
            counts.push((
                s.as_str(),
                all_findings.iter().filter(|f| f.severity == s).count() as u64,
            ));
        }
        let out = hash_json(&analysed.iter().map(|a| &a.findings).collect::<Vec<_>>());
        self.end(10, ms(t), &counts, Some(out), None).await?;

        // The report document is drafted now, so that each binary's facts can
        // be dropped as soon as its graph batch is built (the largest
        // binaries need several GB for facts and batch together).
        let analysed: Vec<Arc<Analysed>> = analysed.into_iter().map(Arc::new).collect();
        let draft = self.draft_report(&analysed).await?;

        // 11 graph write
        let t = self.begin(11).await?;
        let existing = jobs.ingestor.existing(&self.job.file_sha256).await?;
        let uploader = Uploader {
            user_id: self.job.owner_id.clone(),
            name: self.job.name.clone(),
            tags: self.job.tags.clone(),
        };
        let mut written: Vec<Ingested> = Vec::new();
        for a in analysed {
            let size = a.slice.as_ref().map_or(bytes.len(), |s| s.len()) as u64;
            let done = jobs
                .ingestor
                .write(&self.job.file_sha256, &bytes, &existing, a)
                .await
                .map_err(ingest_fail)?;
            // Who uploaded it under which name and tags, in the account store.
            jobs.ingestor
                .record_upload(&uploader, &done.sha256, size)
                .await?;
            written.push(done);
        }
        let nodes: u64 = written.iter().map(|w| w.nodes).sum();
        let rels: u64 = written.iter().map(|w| w.relationships).sum();
        let out = hash_json(&written.iter().map(|w| json!({"sha256": w.sha256, "nodes": w.nodes, "relationships": w.relationships})).collect::<Vec<_>>());
        let status =
            |s: ingest::IngestStatus| written.iter().filter(|w| w.status == s).count() as u64;
        self.end(
            11,
            ms(t),
            &[
                ("nodes", nodes),
                ("relationships", rels),
                ("binaries", written.len() as u64),
                ("created", status(ingest::IngestStatus::Created)),
                ("replaced", status(ingest::IngestStatus::Replaced)),
            ],
            Some(out),
            None,
        )
        .await?;

        // 12 index, report + signed provenance
        let t = self.begin(12).await?;
        let binaries: Vec<String> = written.iter().map(|w| w.sha256.clone()).collect();
        let index_note = jobs.ingestor.index_written(&binaries).await;
        let (findings, risk, draft_ms) = (draft.findings, draft.risk, draft.ms);
        let report_sha = self.sign_report(draft).await?;
        self.end(
            12,
            ms(t) + draft_ms,
            &[
                ("reports", ReportFormat::ALL.len() as u64),
                ("indexed", if index_note.is_none() { binaries.len() as u64 } else { 0 }),
            ],
            Some(report_sha.clone()),
            Some(index_note.as_deref().unwrap_or(
                "binaries indexed for search; reports drafted before the graph write (time included here), rendered and signed after it",
            )),
        )
        .await?;
        Ok(Done {
            binaries,
            report_sha256: report_sha,
            findings,
            risk,
        })
    }

    /// Build the report document from the facts (section 10's phase list is
    /// filled in when it is signed).
    async fn draft_report(&self, analysed: &[Arc<Analysed>]) -> Result<Draft, Fail> {
        let jobs = self.jobs;
        let job = self.job.clone();
        let config_sha = sha256_hex(&canonical(&jobs.config_json));
        let key_id = jobs.signer.public().key_id;
        let all = analysed.to_vec();
        let started = Instant::now();
        tokio::task::spawn_blocking(move || {
            let binaries: Vec<(&analysis::BinaryFacts, &[analysis::findings::Finding])> = all
                .iter()
                .map(|a| (&a.facts, a.findings.as_slice()))
                .collect();
            let generated_at = now_rfc3339();
            let doc = report::build(
                &report::Subject {
                    job_id: &job.job_id,
                    name: &job.name,
                    sha256: &job.file_sha256,
                    size: job.size,
                    submitted_at: &job.created_at,
                    tags: &job.tags,
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
        .map_err(|e| Fail::Permanent("internal", format!("report task: {e}")))
    }

    /// Render, store and sign the reports; returns the JSON report's sha256.
    async fn sign_report(&mut self, draft: Draft) -> Result<String, Fail> {
        let jobs = self.jobs;
        let job = self.job.clone();
        let dir = jobs.report_dir(&job.job_id);
        let signer = jobs.signer.clone();
        let config_json = jobs.config_json.clone();
        let phases = self.phases.clone();
        let result = tokio::task::spawn_blocking(move || -> std::io::Result<String> {
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
            prov.insert("job_id".into(), json!(job.job_id));
            prov.insert("subject".into(), json!({"name": job.name, "sha256": job.file_sha256, "size": job.size}));
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
        .await
        .map_err(|e| Fail::Permanent("internal", format!("report task: {e}")))?;
        result.map_err(|e| Fail::Transient(format!("writing the report: {e}")))
    }
}

/// A report document waiting for the graph write and its signature.
struct Draft {
    doc: serde_json::Value,
    findings: u64,
    risk: (u32, &'static str),
    binaries: Vec<String>,
    generated_at: String,
    config_sha: String,
    /// Time spent drafting (before the graph write), counted in phase 12.
    ms: u64,
}

/// Record why a run must stop (the first reason wins) and raise its abort flag.
fn signal(stop: &Mutex<Option<Stop>>, abort: &AtomicBool, s: Stop) {
    let mut g = stop.lock().expect("stop lock");
    if g.is_none() {
        *g = Some(s);
    }
    abort.store(true, Ordering::Relaxed);
}

/// Functions phase 9 queried (non-tiny, at most `MAX_LINKED` per binary).
fn sigs_queried(analysed: &[Analysed]) -> u64 {
    analysed
        .iter()
        .map(|a| {
            a.signatures
                .iter()
                .filter(|s| !s.tiny())
                .count()
                .min(ingest::MAX_LINKED) as u64
        })
        .sum()
}

fn ms(t: Instant) -> u64 {
    t.elapsed().as_millis() as u64
}

/// Write a file so that readers see the old or the new content, never half.
fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(tmp, path)
}

/// Resident memory of this process, in MiB (Linux; `None` elsewhere).
fn rss_mb() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096 / (1024 * 1024))
}

impl Jobs {
    pub(crate) async fn worker_loop(self: Arc<Self>, n: usize) {
        tracing::debug!(worker = n, runner = %self.runner, "worker started");
        loop {
            match self.claim_next().await {
                Ok(Some(job)) => {
                    self.execute(job).await;
                }
                Ok(None) => {
                    tokio::select! {
                        _ = self.wake.notified() => {}
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
                Err(e) => {
                    tracing::warn!(worker = n, error = %e, "polling the job queue failed");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
            }
        }
    }

    async fn claim_next(&self) -> Result<Option<JobView>, GraphError> {
        let rows = self
            .queue
            .read(NEXT, params! { "now_ms" => now_ms() })
            .await?;
        for uid in rows
            .rows
            .iter()
            .filter_map(|r| r.first().and_then(Value::as_str))
        {
            if let Some(job) = self.claim(uid).await? {
                return Ok(Some(job));
            }
        }
        Ok(None)
    }

    async fn claim(&self, uid: &str) -> Result<Option<JobView>, GraphError> {
        let rows = self
            .queue
            .write(
                CLAIM,
                params! {
                    "uid" => uid, "runner" => &self.runner,
                    "lease_ms" => now_ms() + self.config.lease.as_millis() as i64,
                    "now" => now_rfc3339(),
                },
            )
            .await?;
        Ok(super::first_job(&rows))
    }

    /// Run one job now in this process (the CLI's path): claim it, run it,
    /// and return it as it ended. `None` if another runner took it first.
    pub async fn run_now(self: &Arc<Self>, uid: &str) -> Result<Option<JobView>, GraphError> {
        match self.claim(uid).await? {
            Some(job) => {
                self.execute(job).await;
                self.load(uid).await
            }
            None => Ok(None),
        }
    }

    /// Give back jobs whose runner is gone: its lease ran out, or (at start)
    /// its process on this host no longer exists.
    pub(crate) async fn recover(&self, at_start: bool) -> Result<(), GraphError> {
        let rows = self.queue.read(RUNNING, params! {}).await?;
        let me = self.runner.split(':').take(2).collect::<Vec<_>>();
        for m in rows.into_maps() {
            let uid = m["uid"].as_str().unwrap_or_default().to_string();
            let runner = m["runner"].as_str().unwrap_or_default().to_string();
            let expired = m["lease_until"].as_i64().is_none_or(|l| l < now_ms());
            let parts: Vec<&str> = runner.split(':').collect();
            let dead_here = at_start
                && parts.len() == 3
                && parts[0] == me[0]
                && parts[1] != me[1]
                && !std::path::Path::new(&format!("/proc/{}", parts[1])).exists();
            if runner != self.runner && (expired || dead_here) {
                let done = self
                    .queue
                    .write(REQUEUE, params! { "uid" => &uid, "runner" => &runner })
                    .await?;
                if !done.rows.is_empty() {
                    tracing::warn!(job_id = %uid, runner = %runner, "job's runner is gone; queued again");
                    self.wake.notify_one();
                }
            }
        }
        Ok(())
    }

    async fn execute(self: &Arc<Self>, job: JobView) {
        let id = job.job_id.clone();
        tracing::info!(job_id = %id, attempt = job.attempts, name = %job.name, "job started");
        self.emit(JobEvent {
            kind: "state",
            job_id: id.clone(),
            state: JobState::Running,
            phase: None,
            error: None,
            binaries: Vec::new(),
            at: now_rfc3339(),
        });
        let abort = Arc::new(AtomicBool::new(false));
        self.aborts
            .lock()
            .expect("aborts lock")
            .insert(id.clone(), abort.clone());
        let stop = Arc::new(Mutex::new(None));
        let mut run = Run {
            jobs: self,
            phases: job.phases.clone(),
            job: job.clone(),
            abort: abort.clone(),
            stop: stop.clone(),
            started: Instant::now(),
            format: job.format.clone(),
            arch: job.arch.clone(),
            emitted: Vec::new(),
        };
        if run.phases.len() != super::PHASES.len()
            || run.phases.iter().any(|p| p.status != PhaseStatus::Pending)
        {
            // A rerun after a crash starts from a clean slate.
            run.phases = fresh_phases();
        }
        run.emitted = run.phases.iter().map(|p| p.status).collect();
        let outcome = if job.attempts > u64::from(self.config.max_attempts) {
            Err(Fail::Permanent(
                "too_many_attempts",
                format!(
                    "The job was started {} times without finishing (its worker died or the store kept failing); giving up.",
                    job.attempts - 1
                ),
            ))
        } else {
            let beat = self
                .clone()
                .heartbeat(id.clone(), abort.clone(), stop.clone());
            let beat = tokio::spawn(beat);
            let r = tokio::time::timeout(self.config.timeout, run.pipeline()).await;
            beat.abort();
            match r {
                Ok(r) => r,
                Err(_) => {
                    run.stop_with(Stop::Timeout);
                    Err(Fail::Stopped)
                }
            }
        };
        self.aborts.lock().expect("aborts lock").remove(&id);
        let stop = *stop.lock().expect("stop lock");
        if let Err(e) = self.conclude(&mut run, outcome, stop).await {
            tracing::error!(job_id = %id, error = %e, "recording the end of the job failed; it will be recovered");
        }
    }

    /// Renew the lease, watch for cancellation and memory, until aborted.
    async fn heartbeat(
        self: Arc<Self>,
        id: String,
        abort: Arc<AtomicBool>,
        stop: Arc<Mutex<Option<Stop>>>,
    ) {
        let every = (self.config.lease / 3).max(Duration::from_millis(200));
        let set = |s: Stop| signal(&stop, &abort, s);
        let mut last_beat = Instant::now();
        loop {
            tokio::time::sleep(Duration::from_millis(200).min(every)).await;
            if self.config.memory_limit_mb > 0 {
                if let Some(rss) = rss_mb() {
                    if rss > self.config.memory_limit_mb {
                        tracing::warn!(job_id = %id, rss_mb = rss, limit_mb = self.config.memory_limit_mb, "memory limit passed; stopping the job");
                        set(Stop::Memory);
                    }
                }
            }
            if last_beat.elapsed() < every {
                continue;
            }
            last_beat = Instant::now();
            let r = self
                .queue
                .write(
                    HEARTBEAT,
                    params! { "uid" => &id, "runner" => &self.runner,
                    "lease_ms" => now_ms() + self.config.lease.as_millis() as i64 },
                )
                .await;
            match r.map(|rows| rows.first("cancel").and_then(Value::as_bool)) {
                Ok(None) => set(Stop::LeaseLost),
                Ok(Some(true)) => set(Stop::Cancelled),
                Ok(Some(false)) => {}
                Err(e) => tracing::warn!(job_id = %id, error = %e, "heartbeat failed"),
            }
        }
    }

    async fn conclude(
        &self,
        run: &mut Run<'_>,
        outcome: Result<Done, Fail>,
        stop: Option<Stop>,
    ) -> Result<(), GraphError> {
        let id = run.job.job_id.clone();
        let duration = run.started.elapsed().as_millis() as u64;
        let (state, code, message, done) = match outcome {
            Ok(done) => (JobState::Succeeded, None, None, Some(done)),
            Err(Fail::Permanent(code, msg)) => (JobState::Failed, Some(code), Some(msg), None),
            Err(Fail::Transient(msg)) => {
                if run.job.attempts < u64::from(self.config.max_attempts) {
                    let wait = 1000i64 << run.job.attempts.min(6);
                    tracing::warn!(job_id = %id, error = %msg, retry_in_ms = wait, "job failed transiently; queued again");
                    self.queue
                        .write(
                            RETRY,
                            params! { "uid" => &id, "runner" => &self.runner,
                            "not_before_ms" => now_ms() + wait, "error" => &msg },
                        )
                        .await?;
                    return Ok(());
                }
                (
                    JobState::Failed,
                    Some("too_many_attempts"),
                    Some(format!(
                        "The job failed {} times; the last error: {msg}",
                        run.job.attempts
                    )),
                    None,
                )
            }
            Err(Fail::Stopped) => match stop {
                Some(Stop::LeaseLost) => {
                    tracing::warn!(job_id = %id, "lost the job's lease to another runner; leaving it");
                    return Ok(());
                }
                Some(Stop::Cancelled) | None => (
                    JobState::Cancelled,
                    Some("cancelled"),
                    Some("The analysis was cancelled.".to_string()),
                    None,
                ),
                Some(Stop::Memory) => (
                    JobState::Failed,
                    Some("memory_limit_exceeded"),
                    Some(format!(
                        "The service passed its memory limit ({} MiB) during this analysis.",
                        self.config.memory_limit_mb
                    )),
                    None,
                ),
                Some(Stop::Timeout) => (
                    JobState::Failed,
                    Some("job_timeout"),
                    Some(format!(
                        "The analysis took longer than the {} s job limit.",
                        self.config.timeout.as_secs()
                    )),
                    None,
                ),
            },
        };
        if state != JobState::Succeeded {
            for p in &mut run.phases {
                if p.status == PhaseStatus::Running {
                    p.status = PhaseStatus::Failed;
                }
            }
        }
        let rows = self
            .queue
            .write(
                FINISH,
                params! {
                    "uid" => &id, "runner" => &self.runner, "state" => state.as_str(),
                    "now" => now_rfc3339(), "duration_ms" => duration,
                    "error_code" => code, "error" => message.clone(),
                    "binaries" => done.as_ref().map(|d| d.binaries.clone()).unwrap_or_default(),
                    "report_sha256" => done.as_ref().map(|d| d.report_sha256.clone()),
                    "phases" => serde_json::to_string(&run.phases).unwrap_or_default(),
                    "findings" => done.as_ref().map(|d| d.findings),
                    "risk_score" => done.as_ref().map(|d| u64::from(d.risk.0)),
                    "risk_level" => done.as_ref().map(|d| d.risk.1),
                },
            )
            .await?;
        if rows.rows.is_empty() {
            tracing::warn!(job_id = %id, "the job was taken over before it could be recorded as {}", state.as_str());
            return Ok(());
        }
        match &message {
            Some(m) => {
                tracing::warn!(job_id = %id, state = state.as_str(), error = %m, ms = duration, "job ended")
            }
            None => tracing::info!(job_id = %id, ms = duration, "job succeeded"),
        }
        self.emit(JobEvent {
            kind: "state",
            job_id: id,
            state,
            phase: None,
            error: code.map(|c| JobErrorView {
                code: c.to_string(),
                message: message.unwrap_or_default(),
            }),
            binaries: done.map(|d| d.binaries).unwrap_or_default(),
            at: now_rfc3339(),
        });
        Ok(())
    }
}
