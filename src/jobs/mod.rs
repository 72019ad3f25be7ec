//! Analysis jobs: a durable queue kept in the account store, a worker pool,
//! the twelve pipeline phases, live progress events, and the stored reports.
//!
//! A job is one `(:Job)` node: enqueueing is one write. Workers claim a job
//! with a conditional write (`state = 'queued'` → `running`, with their
//! runner id and a lease), renew the lease as they go, and write progress
//! only while they still hold it. A job whose runner died (its process is
//! gone, or its lease ran out) goes back to the queue and runs again from
//! phase 1: the graph write replaces the binary's subgraph and the report
//! files are rewritten, so a rerun duplicates nothing.

mod view;
mod worker;

use view::first_job;
pub use view::{JobErrorView, JobEvent, JobLinks, JobOptions, JobState, JobView};

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, Notify};
use utoipa::ToSchema;

use crate::analysis::findings::Finding;
use crate::auth::Principal;
use crate::blobs::BlobStore;
use crate::graph::views::Props;
use crate::graph::{GraphError, GraphStore, Node, Value};
use crate::params;
use crate::pipeline::Pipeline;
pub use crate::pipeline::{fresh_phases, PhaseRecord, PhaseStatus, PHASES};
use crate::provenance::Signer;
use crate::report::ReportFormat;

const CREATE: &str = include_str!("../../cypher/jobs/create.cypher");
const GET: &str = include_str!("../../cypher/jobs/get.cypher");
const FIND_FOR_FILE: &str = include_str!("../../cypher/jobs/find_for_file.cypher");
const COUNT_ACTIVE: &str = include_str!("../../cypher/jobs/count_active.cypher");
const COUNT_MONTH: &str = include_str!("../../cypher/jobs/count_month.cypher");
const CANCEL: &str = include_str!("../../cypher/jobs/cancel.cypher");
const CANCEL_QUEUED: &str = include_str!("../../cypher/jobs/cancel_queued.cypher");
const DELETE: &str = include_str!("../../cypher/jobs/delete.cypher");
const LIST_NEWEST: &str = include_str!("../../cypher/jobs/list_newest.cypher");
const LIST_OLDEST: &str = include_str!("../../cypher/jobs/list_oldest.cypher");
const COUNT: &str = include_str!("../../cypher/jobs/count.cypher");
const FINDINGS: &str = include_str!("../../cypher/jobs/findings.cypher");
const MEAN_MS: &str = include_str!("../../cypher/jobs/mean_ms.cypher");
const QUEUE_DEPTH: &str = include_str!("../../cypher/jobs/queue_depth.cypher");

/// Worker pool settings (`[jobs]` in `bingraph.toml`).
#[derive(Debug, Clone)]
pub struct JobsConfig {
    /// Jobs run at once by this process (0: none; an API-only node whose
    /// jobs are run by workers elsewhere on the same store).
    pub workers: usize,
    /// Wall-clock limit for one job, all phases.
    pub timeout: Duration,
    /// Attempts before a job that keeps failing transiently (or keeps
    /// killing its worker) is failed for good.
    pub max_attempts: u32,
    /// The analysis is stopped, and the job failed, when this process's
    /// resident memory passes this many MiB while the job runs (0: no limit;
    /// default: three quarters of the machine's memory).
    pub memory_limit_mb: u64,
    /// How long a claimed job stays with its runner without a heartbeat.
    pub lease: Duration,
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig {
            workers: 2,
            timeout: Duration::from_secs(900),
            max_attempts: 3,
            memory_limit_mb: default_memory_limit_mb(),
            lease: Duration::from_secs(30),
        }
    }
}

/// Three quarters of this machine's memory (Linux), else 8 GiB. Analysing
/// and writing /usr/bin/node (99 MB) peaks at about 3.6 GiB on the embedded store.
fn default_memory_limit_mb() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            let kb: u64 = m
                .lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))?
                .split_whitespace()
                .next()?
                .parse()
                .ok()?;
            Some(kb / 1024 * 3 / 4)
        })
        .unwrap_or(8192)
}

/// Why a job request failed; `error.rs` maps it to the API's envelope.
#[derive(Debug, Clone, thiserror::Error)]
pub enum JobError {
    /// No such job, or not the caller's.
    #[error("{1}")]
    NotFound(&'static str, String),
    /// The job is past the state the request needs.
    #[error("{1}")]
    Conflict(&'static str, String),
    /// The caller's tier allows no more jobs now or this month.
    #[error("{0}")]
    TooManyJobs(String),
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// Storing or removing files failed; logged, not shown.
    #[error("{0}")]
    Internal(String),
}

/// Filters of `GET /analyses`.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this user's jobs (`None`: everyone's, for admins).
    pub owner: Option<String>,
    pub status: Option<JobState>,
    pub format: Option<String>,
    pub arch: Option<String>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub tag: Option<String>,
    pub oldest_first: bool,
}

/// What a submission did.
pub struct Submitted {
    pub job: JobView,
    /// True when an earlier job for the same file was returned instead.
    pub existing: bool,
}

/// The job service: queue, workers and stored reports.
pub struct Jobs {
    /// The account store, where jobs live: who submitted which file under
    /// which name and tags is private to its owner, so never in the
    /// analysis graph that analysts query.
    pub(crate) queue: Arc<dyn GraphStore>,
    pub(crate) blobs: BlobStore,
    pub(crate) pipeline: Pipeline,
    pub(crate) config: JobsConfig,
    pub(crate) signer: Arc<Signer>,
    pub(crate) reports_dir: PathBuf,
    /// Hash of the analysis settings, for provenance.
    pub(crate) config_json: serde_json::Value,
    events: broadcast::Sender<JobEvent>,
    pub(crate) wake: Notify,
    /// This process's runner id: `host:pid:random`.
    pub(crate) runner: String,
    /// Abort flags of the jobs this process runs, by job id.
    pub(crate) aborts: Mutex<HashMap<String, Arc<AtomicBool>>>,
}

fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

impl Jobs {
    /// `queue` is the account store; the analysis graph is the pipeline's.
    pub fn new(
        queue: Arc<dyn GraphStore>,
        blobs: BlobStore,
        pipeline: Pipeline,
        config: JobsConfig,
        signer: Arc<Signer>,
        data_dir: &std::path::Path,
    ) -> Jobs {
        let (events, _) = broadcast::channel(1024);
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "localhost".into());
        let config_json = serde_json::json!({
            "analysis": pipeline.analysis,
            "jobs": { "timeout_secs": config.timeout.as_secs(), "memory_limit_mb": config.memory_limit_mb },
            "model_version": crate::graph::model::MODEL_VERSION,
        });
        Jobs {
            queue,
            blobs,
            pipeline,
            config,
            signer,
            reports_dir: data_dir.join("reports"),
            config_json,
            events,
            wake: Notify::new(),
            runner: format!(
                "{host}:{}:{}",
                std::process::id(),
                &uuid::Uuid::new_v4().simple().to_string()[..8]
            ),
            aborts: Mutex::new(HashMap::new()),
        }
    }

    /// Follow every job's progress.
    pub fn subscribe(&self) -> broadcast::Receiver<JobEvent> {
        self.events.subscribe()
    }

    pub(crate) fn emit(&self, e: JobEvent) {
        let _ = self.events.send(e);
    }

    /// Ensure the indexes batches rely on, recover jobs whose runner died,
    /// and start `config.workers` workers.
    pub async fn start(self: &Arc<Self>) -> Result<(), GraphError> {
        self.queue.ensure_uid_index("Job").await?;
        self.pipeline.store.ensure_uid_index("Finding").await?;
        self.recover(true).await?;
        for i in 0..self.config.workers {
            let me = self.clone();
            tokio::spawn(async move { me.worker_loop(i).await });
        }
        let me = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(10));
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(jobs) = me.upgrade() else { break };
                if let Err(e) = jobs.recover(false).await {
                    tracing::warn!(error = %e, "recovering stale jobs failed");
                }
            }
        });
        Ok(())
    }

    /// Enqueue a file the caller uploaded (its bytes are stored first, so the
    /// job survives a restart). An earlier job for the same file is returned
    /// unless `force`.
    pub async fn submit(
        &self,
        owner_id: &str,
        owner_name: &str,
        max_active: Option<u32>,
        name: &str,
        bytes: Arc<Vec<u8>>,
        options: JobOptions,
    ) -> Result<Submitted, JobError> {
        let sha = crate::analysis::hashes(&bytes).sha256;
        if !options.force {
            let rows = self
                .queue
                .read(
                    FIND_FOR_FILE,
                    params! { "sha256" => &sha, "owner" => owner_id },
                )
                .await?;
            if let Some(n) = rows
                .rows
                .first()
                .and_then(|r| r.first())
                .and_then(Value::as_node)
            {
                let job = JobView::from_node(n);
                // A finished job counts only while what it wrote is still
                // there, written by the current graph model.
                let current = job.state != JobState::Succeeded
                    || self.pipeline.stored_current(&sha).await?.is_some();
                if current {
                    return Ok(Submitted {
                        job,
                        existing: true,
                    });
                }
            }
        }
        if let Some(cap) = max_active {
            let active = self.count(COUNT_ACTIVE, owner_id, None).await?;
            if active >= u64::from(cap) {
                return Err(JobError::TooManyJobs(format!(
                    "You have {active} analyses queued or running, the most your tier allows; wait for one to finish."
                )));
            }
        }
        let blobs = self.blobs.clone();
        let (blob_sha, blob) = (sha.clone(), bytes.clone());
        tokio::task::spawn_blocking(move || blobs.put(&blob_sha, &blob))
            .await
            .map_err(|e| JobError::Internal(format!("blob task: {e}")))?
            .map_err(|e| JobError::Internal(format!("storing the upload: {e}")))?;
        let uid = format!("job_{}", &uuid::Uuid::new_v4().simple().to_string()[..20]);
        let formats: Vec<String> = options
            .output_formats
            .iter()
            .map(|f| f.as_str().to_string())
            .collect();
        let created = self
            .queue
            .write(
                CREATE,
                params! {
                    "uid" => &uid, "file_sha256" => &sha, "name" => name,
                    "size" => bytes.len(), "owner" => owner_id, "owner_name" => owner_name,
                    "priority" => options.priority.clamp(-10, 10), "tags" => options.tags.clone(),
                    "formats" => formats, "force" => options.force,
                    "created_at" => crate::graph::time::now_rfc3339(), "created_ms" => now_ms(),
                    "phases" => serde_json::to_string(&fresh_phases()).unwrap_or_default(),
                },
            )
            .await?;
        tracing::info!(job_id = %uid, sha256 = %sha, owner = %owner_name, "job queued");
        // The job as the write made it: queued (a worker may claim it at once).
        let job = created
            .first("j")
            .and_then(Value::as_node)
            .map(JobView::from_node)
            .ok_or_else(|| JobError::Internal(format!("creating job {uid} returned no node")))?;
        self.wake.notify_one();
        self.emit(JobEvent {
            kind: "state",
            job_id: uid,
            state: JobState::Queued,
            phase: None,
            error: None,
            binaries: Vec::new(),
            at: crate::graph::time::now_rfc3339(),
        });
        Ok(Submitted {
            job,
            existing: false,
        })
    }

    async fn count(&self, q: &str, owner: &str, since_ms: Option<i64>) -> Result<u64, GraphError> {
        let rows = self
            .queue
            .read(q, params! { "owner" => owner, "since_ms" => since_ms })
            .await?;
        Ok(rows.first("n").and_then(Value::as_u64).unwrap_or(0))
    }

    /// Jobs a user submitted since `since_ms`.
    pub async fn submitted_since(&self, owner: &str, since_ms: i64) -> Result<u64, GraphError> {
        self.count(COUNT_MONTH, owner, Some(since_ms)).await
    }

    /// A job by id, whoever owns it.
    pub async fn load(&self, id: &str) -> Result<Option<JobView>, GraphError> {
        let rows = self.queue.read(GET, params! { "uid" => id }).await?;
        Ok(first_job(&rows))
    }

    /// A job the caller may see: its own, or any for an admin.
    pub async fn get(&self, id: &str, caller: &Principal) -> Result<JobView, JobError> {
        let not_found = || {
            JobError::NotFound(
                "analysis_not_found",
                format!("No analysis {id} exists, or it belongs to another user."),
            )
        };
        let job = self.load(id).await?.ok_or_else(not_found)?;
        if job.owner_id != caller.user_id && !caller.scopes.allows(crate::auth::Scope::Admin) {
            return Err(not_found());
        }
        Ok(job)
    }

    /// One page of jobs, and the total.
    pub async fn list(
        &self,
        f: &ListFilter,
        skip: u64,
        limit: u64,
    ) -> Result<(Vec<JobView>, u64), GraphError> {
        let p = params! {
            "owner" => f.owner.clone(), "status" => f.status.map(|s| s.as_str()),
            "format" => f.format.clone(), "arch" => f.arch.clone(),
            "since_ms" => f.since_ms, "until_ms" => f.until_ms, "tag" => f.tag.clone(),
            "skip" => skip, "limit" => limit,
        };
        let total = self
            .queue
            .read(COUNT, p.clone())
            .await?
            .first("n")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let q = if f.oldest_first {
            LIST_OLDEST
        } else {
            LIST_NEWEST
        };
        let rows = self.queue.read(q, p).await?;
        let jobs = rows
            .rows
            .iter()
            .filter_map(|r| r.first().and_then(Value::as_node))
            .map(JobView::from_node)
            .collect();
        Ok((jobs, total))
    }

    /// Stop a queued or running job. Returns the job as it is now.
    pub async fn cancel(&self, id: &str, caller: &Principal) -> Result<JobView, JobError> {
        let job = self.get(id, caller).await?;
        let rows = self.queue.write(CANCEL, params! { "uid" => id }).await?;
        match rows.first("state").and_then(Value::as_str) {
            Some("queued") => {
                let done = self
                    .queue
                    .write(
                        CANCEL_QUEUED,
                        params! { "uid" => id, "now" => crate::graph::time::now_rfc3339(),
                        "error" => format!("Cancelled by {} before it started.", caller.user) },
                    )
                    .await?;
                if !done.rows.is_empty() {
                    self.emit(JobEvent {
                        kind: "state",
                        job_id: id.to_string(),
                        state: JobState::Cancelled,
                        phase: None,
                        error: None,
                        binaries: Vec::new(),
                        at: crate::graph::time::now_rfc3339(),
                    });
                }
            }
            Some(_) => {
                if let Some(flag) = self.aborts.lock().expect("aborts lock").get(id) {
                    flag.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            }
            None => {
                return Err(JobError::Conflict(
                    "analysis_finished",
                    format!(
                        "Analysis {id} has already finished ({}).",
                        job.state.as_str()
                    ),
                ))
            }
        }
        Ok(self.load(id).await?.unwrap_or(job))
    }

    /// Remove a job and its reports (cancelling it first if it runs). The
    /// binaries it wrote stay; `DELETE /binaries/{sha256}` removes those.
    pub async fn delete(&self, id: &str, caller: &Principal) -> Result<(), JobError> {
        let job = self.get(id, caller).await?;
        if !job.state.is_final() {
            let _ = self.cancel(id, caller).await;
        }
        self.queue.write(DELETE, params! { "uid" => id }).await?;
        let dir = self.report_dir(id);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .map_err(|e| JobError::Internal(format!("removing {}: {e}", dir.display())))?;
        }
        tracing::info!(job_id = %id, by = %caller.user, "job deleted");
        Ok(())
    }

    /// The directory holding a job's rendered reports and provenance.
    pub fn report_dir(&self, id: &str) -> PathBuf {
        self.reports_dir.join(id)
    }

    /// A stored report (or `provenance.json` with `None`), as written at the end of the job.
    pub fn stored(
        &self,
        id: &str,
        format: Option<ReportFormat>,
    ) -> std::io::Result<Option<Vec<u8>>> {
        let file = match format {
            Some(f) => format!("report.{}", f.extension()),
            None => "provenance.json".into(),
        };
        match std::fs::read(self.report_dir(id).join(file)) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Findings stored in the graph for the job's binaries.
    pub async fn findings(&self, job: &JobView) -> Result<Vec<(String, Finding)>, GraphError> {
        let mut out = Vec::new();
        for sha in &job.binaries {
            let rows = self
                .pipeline
                .store
                .read(FINDINGS, params! { "sha256" => sha })
                .await?;
            for n in rows
                .rows
                .iter()
                .filter_map(|r| r.first().and_then(Value::as_node))
            {
                if let Some(f) = finding_from_node(n) {
                    out.push((sha.clone(), f));
                }
            }
        }
        Ok(out)
    }

    /// Jobs per state and the mean run time of succeeded jobs, for `/health`.
    pub async fn depth(&self) -> Result<(BTreeMap<String, u64>, Option<u64>), GraphError> {
        let mean = self
            .queue
            .read(MEAN_MS, params! {})
            .await?
            .first("ms")
            .and_then(Value::as_f64)
            .map(|m| m.round() as u64);
        let rows = self.queue.read(QUEUE_DEPTH, params! {}).await?;
        let by_state = rows
            .into_maps()
            .into_iter()
            .map(|m| {
                (
                    m["state"].as_str().unwrap_or_default().to_string(),
                    m["n"].as_u64().unwrap_or(0),
                )
            })
            .collect();
        Ok((by_state, mean))
    }
}

fn finding_from_node(n: &Node) -> Option<Finding> {
    let p = Props(&n.properties);
    Some(Finding {
        rule: p.str("rule")?,
        name: p.string("name"),
        cwe: p.str("cwe"),
        severity: crate::analysis::findings::Severity::parse(&p.string("severity"))?,
        title: p.string("title"),
        location: p.string("location"),
        function_addr: p.u64("function_addr"),
        function: p.str("function"),
        addr: p.u64("addr"),
        evidence: p.strings("evidence"),
        recommendation: p.string("recommendation"),
        path: p.strings("path"),
        cve: p.str("cve"),
    })
}
