//! Workers: claim, heartbeat, run the twelve phases, finish or retry.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{now_ms, JobErrorView, JobEvent, JobState, JobView, Jobs};
use crate::analysis::AnalysisError;
use crate::auth::uploads::Uploader;
use crate::graph::time::now_rfc3339;
use crate::graph::{GraphError, Value};
use crate::params;
use crate::pipeline::{
    fresh_phases, Input, PhaseRecord, PhaseStatus, PipelineError, Progress, ReportPlan, Summary,
    PHASES,
};

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

/// How a pipeline error ends the job: a bad input or a write the store
/// refuses fails it for good, a store or disk failure is retried.
fn fail(e: PipelineError) -> Fail {
    match e {
        PipelineError::Analysis(a) => match a {
            AnalysisError::TooLarge { .. } => Fail::Permanent("file_too_large", a.to_string()),
            AnalysisError::Unsupported(_) => Fail::Permanent("unsupported_format", a.to_string()),
            AnalysisError::Malformed(_) => Fail::Permanent("malformed_binary", a.to_string()),
        },
        // Only a failing store is worth another attempt: a write the store
        // refuses (a constraint, a type) or one over its limits fails the
        // same way every time.
        PipelineError::Graph(g @ GraphError::Backend(_)) => {
            Fail::Transient(format!("graph store: {g}"))
        }
        PipelineError::Graph(g @ GraphError::Limit(_)) => {
            Fail::Permanent("graph_limit_exceeded", format!("graph store: {g}"))
        }
        PipelineError::Graph(g) => Fail::Permanent("graph_rejected", format!("graph store: {g}")),
        PipelineError::Blob(io) => Fail::Transient(format!("blob store: {io}")),
        PipelineError::Report(io) => Fail::Transient(format!("writing the report: {io}")),
        PipelineError::Task(t) => {
            Fail::Permanent("internal", format!("the analysis task failed: {t}"))
        }
        PipelineError::Stopped => Fail::Stopped,
    }
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
    fn stop_with(&self, s: Stop) {
        signal(&self.stop, &self.abort, s);
    }

    /// Write the phases and renew the lease; fails when told to stop.
    async fn save(&mut self, current: u8) -> Result<(), PipelineError> {
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
        if self.abort.load(Ordering::Relaxed) {
            return Err(PipelineError::Stopped);
        }
        Ok(())
    }

    /// Run the pipeline on the job's file, recording each phase.
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
        let mut analysis = jobs.pipeline.analysis.clone();
        analysis.abort = Some(self.abort.clone());
        analysis.time_budget = analysis.time_budget.min(jobs.config.timeout);
        let job = &self.job;
        let input = Input {
            bytes: Arc::new(bytes),
            file_sha256: job.file_sha256.clone(),
            uploader: Uploader {
                user_id: job.owner_id.clone(),
                name: job.name.clone(),
                tags: job.tags.clone(),
            },
            force: true,
            analysis,
            report: Some(ReportPlan {
                job_id: job.job_id.clone(),
                name: job.name.clone(),
                sha256: job.file_sha256.clone(),
                size: job.size,
                submitted_at: job.created_at.clone(),
                tags: job.tags.clone(),
                dir: jobs.report_dir(&job.job_id),
                signer: jobs.signer.clone(),
                config_json: jobs.config_json.clone(),
            }),
        };
        let pipeline = jobs.pipeline.clone();
        let out = pipeline.run(input, self).await.map_err(fail)?;
        let report = out
            .report
            .ok_or_else(|| Fail::Permanent("internal", "the pipeline signed no report".into()))?;
        Ok(Done {
            binaries: out.binaries.into_iter().map(|b| b.sha256).collect(),
            report_sha256: report.sha256,
            findings: report.findings,
            risk: report.risk,
        })
    }
}

impl Progress for Run<'_> {
    fn records(&self) -> bool {
        true
    }

    fn stopped(&self) -> bool {
        self.abort.load(Ordering::Relaxed)
    }

    fn identified(&mut self, format: Option<String>, arch: Option<String>) {
        self.format = format;
        self.arch = arch;
    }

    async fn begin(&mut self, n: u8) -> Result<(), PipelineError> {
        let p = &mut self.phases[n as usize - 1];
        p.status = PhaseStatus::Running;
        p.started_at = Some(now_rfc3339());
        self.save(n).await
    }

    async fn done(&mut self, n: u8, s: Summary) -> Result<(), PipelineError> {
        self.record(n, s);
        self.save(n).await
    }

    fn record(&mut self, n: u8, s: Summary) {
        let p = &mut self.phases[n as usize - 1];
        if p.started_at.is_none() {
            p.started_at = Some(now_rfc3339());
        }
        p.status = PhaseStatus::Done;
        p.ms = Some(s.ms);
        p.counts = s.counts.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        p.output_sha256 = s.output;
        p.note = s.note;
    }

    fn phases(&self) -> &[PhaseRecord] {
        &self.phases
    }
}

/// Record why a run must stop (the first reason wins) and raise its abort flag.
fn signal(stop: &Mutex<Option<Stop>>, abort: &AtomicBool, s: Stop) {
    let mut g = stop.lock().expect("stop lock");
    if g.is_none() {
        *g = Some(s);
    }
    abort.store(true, Ordering::Relaxed);
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
        if run.phases.len() != PHASES.len()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_failing_store_is_retried() {
        let graph = |g| fail(PipelineError::Graph(g));
        assert!(matches!(
            graph(GraphError::Backend("connection reset".into())),
            Fail::Transient(_)
        ));
        assert!(matches!(
            graph(GraphError::Query(
                "Duplicated key [x] found on index".into()
            )),
            Fail::Permanent("graph_rejected", _)
        ));
        assert!(matches!(
            graph(GraphError::Limit("property over 16 MiB".into())),
            Fail::Permanent("graph_limit_exceeded", _)
        ));
        assert!(matches!(
            fail(PipelineError::Blob(std::io::Error::other("disk full"))),
            Fail::Transient(_)
        ));
        assert!(matches!(
            fail(PipelineError::Analysis(AnalysisError::Malformed(
                "x".into()
            ))),
            Fail::Permanent("malformed_binary", _)
        ));
    }
}
