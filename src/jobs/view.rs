//! Jobs as the API shows them: state, options, phases, links and events, read
//! from the `(:Job)` node.

use super::*;

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<JobState> {
        [
            JobState::Queued,
            JobState::Running,
            JobState::Succeeded,
            JobState::Failed,
            JobState::Cancelled,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }

    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobState::Succeeded | JobState::Failed | JobState::Cancelled
        )
    }
}

/// Options of a submission.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JobOptions {
    /// Report formats the client wants (all four are always rendered; this
    /// is recorded and echoed in the job's links).
    pub output_formats: Vec<ReportFormat>,
    /// Analyse again even if this file was analysed before.
    pub force: bool,
    /// Higher runs first (-10 to 10, default 0).
    pub priority: i64,
    pub tags: Vec<String>,
}

impl Default for JobOptions {
    fn default() -> Self {
        JobOptions {
            output_formats: vec![ReportFormat::Json],
            force: false,
            priority: 0,
            tags: Vec::new(),
        }
    }
}

/// Why a job failed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobErrorView {
    /// `malformed_binary`, `unsupported_format`, `job_timeout`,
    /// `memory_limit_exceeded`, `too_many_attempts`, `graph_rejected`,
    /// `graph_limit_exceeded`, `cancelled`, `internal`.
    pub code: String,
    pub message: String,
}

/// Links to a job's resources.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobLinks {
    #[serde(rename = "self")]
    pub self_: String,
    pub events: String,
    pub report: BTreeMap<String, String>,
    pub vulnerabilities: String,
    pub provenance: String,
}

/// A job as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobView {
    pub job_id: String,
    pub state: JobState,
    /// File name as uploaded.
    pub name: String,
    pub file_sha256: String,
    pub size: u64,
    pub owner: String,
    pub priority: i64,
    pub tags: Vec<String>,
    pub output_formats: Vec<String>,
    pub force: bool,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub duration_ms: Option<u64>,
    pub attempts: u64,
    /// The phase running now (or last run), 1–12; 0 before the first.
    pub phase: u64,
    /// Finished phases (done or skipped) over 12.
    pub progress: f64,
    pub phases: Vec<PhaseRecord>,
    pub format: Option<String>,
    pub arch: Option<String>,
    /// sha256 of each binary the job wrote (one per slice of a fat Mach-O).
    pub binaries: Vec<String>,
    pub findings: Option<u64>,
    pub risk_score: Option<u64>,
    pub risk_level: Option<String>,
    /// sha256 of the JSON report.
    pub report_sha256: Option<String>,
    pub error: Option<JobErrorView>,
    pub links: JobLinks,
    /// Internal: the owner's user id (not shown).
    #[serde(skip)]
    pub owner_id: String,
}

impl JobView {
    pub fn from_node(n: &Node) -> JobView {
        let p = Props(&n.properties);
        let id = p.string("uid");
        let phases: Vec<PhaseRecord> = p
            .str("phases")
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_else(fresh_phases);
        let finished = phases
            .iter()
            .filter(|x| matches!(x.status, PhaseStatus::Done | PhaseStatus::Skipped))
            .count();
        let state = JobState::parse(&p.string("state")).unwrap_or(JobState::Failed);
        let error = p.str("error_code").map(|code| JobErrorView {
            code,
            message: p.string("error"),
        });
        let base = format!("/api/v1/analysis/{id}");
        JobView {
            links: JobLinks {
                self_: base.clone(),
                events: format!("{base}/events"),
                report: ReportFormat::ALL
                    .iter()
                    .map(|f| {
                        (
                            f.as_str().to_string(),
                            format!("{base}/report?format={}", f.as_str()),
                        )
                    })
                    .collect(),
                vulnerabilities: format!("{base}/vulnerabilities"),
                provenance: format!("{base}/provenance"),
            },
            job_id: id,
            state,
            name: p.string("name"),
            file_sha256: p.string("file_sha256"),
            size: p.num("size"),
            owner: p.string("owner_name"),
            owner_id: p.string("owner"),
            priority: n
                .properties
                .get("priority")
                .and_then(Value::as_i64)
                .unwrap_or(0),
            tags: p.strings("tags"),
            output_formats: p.strings("formats"),
            force: p.bool("force"),
            created_at: p.string("created_at"),
            started_at: p.str("started_at"),
            finished_at: p.str("finished_at").filter(|_| state.is_final()),
            duration_ms: p.u64("duration_ms"),
            attempts: p.num("attempts"),
            phase: p.num("phase"),
            progress: (finished as f64 / PHASES.len() as f64 * 100.0).round() / 100.0,
            phases,
            format: p.str("format"),
            arch: p.str("arch"),
            binaries: p.strings("binaries"),
            findings: p.u64("findings"),
            risk_score: p.u64("risk_score"),
            risk_level: p.str("risk_level"),
            report_sha256: p.str("report_sha256"),
            error: if matches!(state, JobState::Failed | JobState::Cancelled) {
                error
            } else {
                None
            },
        }
    }
}

/// A progress event, as sent on `/analysis/{job_id}/events`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobEvent {
    /// `phase` (a phase changed) or `state` (the job changed state).
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub job_id: String,
    pub state: JobState,
    pub phase: Option<PhaseRecord>,
    pub error: Option<JobErrorView>,
    /// The binaries written, on success.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub binaries: Vec<String>,
    pub at: String,
}

/// The job in the first column of the first row, if any.
pub(crate) fn first_job(rows: &crate::graph::Rows) -> Option<JobView> {
    rows.rows
        .first()
        .and_then(|r| r.first())
        .and_then(Value::as_node)
        .map(JobView::from_node)
}
