//! `bingraph ingest`: files and directories into the graph, a few at a time,
//! with a progress bar (or as jobs with `--jobs`).

use super::*;

/// Does the file start like an ELF, PE or Mach-O file?
pub(super) fn looks_executable(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    let ok = std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok();
    ok && crate::analysis::known_magic(&magic)
}

/// Files named on the command line, directories walked (symlinks inside
/// directories are not followed, so nothing is counted twice).
pub(super) fn collect(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).with_context(|| format!("reading {}", p.display()))?;
        if meta.is_dir() {
            for entry in walkdir::WalkDir::new(p).sort_by_file_name() {
                match entry {
                    Ok(e) if e.file_type().is_file() => files.push(e.into_path()),
                    Ok(_) => {}
                    Err(e) => eprintln!("warning: {e}"),
                }
            }
        } else {
            files.push(p.clone());
        }
    }
    Ok(files)
}

/// How one file of `ingest` ended.
pub(super) enum Outcome {
    /// Already stored with the current model: only the name was recorded.
    Unchanged(usize),
    /// The job, as it ended.
    Done(Box<JobView>),
}

/// Owner of the jobs the command line runs.
pub(super) const CLI_OWNER: &str = "cli";

pub(super) async fn ingest_one(
    app: &Arc<App>,
    path: &Path,
    force: bool,
    names: &Names,
) -> anyhow::Result<Outcome> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let bytes = Arc::new(tokio::fs::read(path).await?);
    let submitted = app
        .jobs
        .submit(
            CLI_OWNER,
            CLI_OWNER,
            None,
            &name,
            bytes.clone(),
            JobOptions {
                force,
                ..JobOptions::default()
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if submitted.existing && submitted.job.state == JobState::Succeeded {
        // Record the new name, as a re-upload does.
        let uploader = crate::auth::uploads::Uploader {
            user_id: CLI_OWNER.into(),
            name,
            tags: Vec::new(),
        };
        let done = app.ingest(&uploader, bytes, false).await?;
        return Ok(Outcome::Unchanged(done.len()));
    }
    let id = submitted.job.job_id.clone();
    names.lock().expect("names").insert(id.clone(), name);
    let ran = app.jobs.run_now(&id).await?;
    let job = match ran {
        Some(job) => job,
        // A server on the same data directory took it: wait for it there.
        None => loop {
            let job = app.jobs.load(&id).await?.context("the job vanished")?;
            if job.state.is_final() {
                break job;
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        },
    };
    if !job.state.is_final() {
        bail!("job {id} did not finish ({})", job.state.as_str());
    }
    Ok(Outcome::Done(Box::new(job)))
}

/// What `ingest` did, for its summary line.
#[derive(Debug, Default)]
pub struct IngestSummary {
    pub files: usize,
    pub created: usize,
    pub replaced: usize,
    pub unchanged: usize,
    pub skipped: usize,
    pub failed: usize,
    pub functions: u64,
    pub relationships: u64,
    pub analysis_ms: u64,
    pub write_ms: u64,
    /// Time in each of the twelve phases, summed over files.
    pub phase_ms: [u64; 12],
}

/// Ingest files and directories into the store, with a progress bar. Each
/// file is an analysis job run in this process (the same phases, graph
/// write, findings and signed reports as `POST /analysis`); up to `jobs`
/// files are in flight at once.
pub async fn ingest(
    config: Config,
    paths: &[PathBuf],
    force: bool,
    jobs: usize,
) -> anyhow::Result<IngestSummary> {
    let files = collect(paths)?;
    let app = Arc::new(
        App::open(config)
            .await
            .context("opening the data directory")?,
    );
    let bar = ProgressBar::new(files.len() as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} files ({per_sec}) {wide_msg}",
        )
        .expect("valid template"),
    );
    let names = Names::default();
    let follower = follow_phases(&app, &bar, &names);
    let started = Instant::now();
    let mut summary = IngestSummary {
        files: files.len(),
        ..IngestSummary::default()
    };
    let mut tasks = tokio::task::JoinSet::new();
    let mut pending = files.into_iter();
    loop {
        while tasks.len() < jobs.max(1) {
            let Some(path) = pending.next() else { break };
            if !looks_executable(&path) {
                summary.skipped += 1;
                bar.inc(1);
                continue;
            }
            let (app, names) = (app.clone(), names.clone());
            tasks.spawn(async move {
                let result = ingest_one(&app, &path, force, &names).await;
                (path, result)
            });
        }
        let Some(done) = tasks.join_next().await else {
            break;
        };
        let (path, result) = done.context("ingest task panicked")?;
        bar.inc(1);
        if let Some(line) = summary.add(&path, result) {
            if bar.is_hidden() {
                eprintln!("{line}");
            } else {
                bar.println(line);
            }
        }
    }
    follower.abort();
    bar.finish_and_clear();
    println!("{}", summary.line(started.elapsed().as_secs_f64()));
    if summary.phase_ms.iter().any(|&ms| ms > 0) {
        println!("{}", summary.phase_line());
    }
    Ok(summary)
}

/// The file name of each job in flight, by job id.
type Names = Arc<std::sync::Mutex<std::collections::HashMap<String, String>>>;

/// Phase progress of the jobs in flight, on the bar's message line.
fn follow_phases(app: &App, bar: &ProgressBar, names: &Names) -> tokio::task::JoinHandle<()> {
    let mut events = app.jobs.subscribe();
    let (bar, names) = (bar.clone(), names.clone());
    tokio::spawn(async move {
        while let Ok(e) = events.recv().await {
            if let (Some(p), Some(name)) = (&e.phase, names.lock().expect("names").get(&e.job_id)) {
                bar.set_message(
                    format!("{name}: phase {}/12 {} ({:?})", p.number, p.name, p.status)
                        .to_lowercase(),
                );
            }
        }
    })
}

impl IngestSummary {
    /// Count how one file ended; a line to show when it failed.
    fn add(&mut self, path: &Path, result: anyhow::Result<Outcome>) -> Option<String> {
        let job = match result {
            Ok(Outcome::Unchanged(n)) => {
                self.unchanged += n;
                return None;
            }
            Ok(Outcome::Done(job)) => job,
            Err(e) => {
                self.failed += 1;
                return Some(format!("failed: {}: {e:#}", path.display()));
            }
        };
        if job.state == JobState::Succeeded {
            let count = |phase: usize, k: &str| {
                job.phases
                    .get(phase)
                    .and_then(|p| p.counts.get(k))
                    .copied()
                    .unwrap_or(0)
            };
            self.created += count(10, "created") as usize;
            self.replaced += count(10, "replaced") as usize;
            self.functions += count(4, "functions");
            self.relationships += count(10, "relationships");
            self.write_ms += job.phases.get(10).and_then(|p| p.ms).unwrap_or(0);
            self.analysis_ms += job.phases.iter().take(10).filter_map(|p| p.ms).sum::<u64>();
            for (total, p) in self.phase_ms.iter_mut().zip(&job.phases) {
                *total += p.ms.unwrap_or(0);
            }
            return None;
        }
        let code = job
            .error
            .as_ref()
            .map(|e| e.code.as_str())
            .unwrap_or("failed");
        if code == "unsupported_format" {
            self.skipped += 1;
            return None;
        }
        self.failed += 1;
        Some(format!(
            "failed: {}: {} ({code}, job {})",
            path.display(),
            job.error.as_ref().map(|e| e.message.as_str()).unwrap_or(""),
            job.job_id
        ))
    }

    /// Where the time went: each phase that took any, summed over files.
    fn phase_line(&self) -> String {
        let parts: Vec<String> = crate::pipeline::PHASES
            .iter()
            .zip(self.phase_ms)
            .filter(|(_, ms)| *ms > 0)
            .map(|(name, ms)| format!("{name} {:.1}s", ms as f64 / 1000.0))
            .collect();
        format!("by phase: {}", parts.join(", "))
    }

    /// The summary line, for a run of `secs` seconds.
    fn line(&self, secs: f64) -> String {
        let per_sec = |n: f64| n / secs.max(1e-9);
        format!(
            "{} files in {:.1}s ({:.1} files/s, {:.0} functions/s, {:.0} relationships/s): {} new, {} replaced, {} unchanged, {} skipped (not executables), {} failed; {} functions, {} relationships written; analysis {:.1}s, graph write {:.1}s",
            self.files,
            secs,
            per_sec(self.files as f64),
            per_sec(self.functions as f64),
            per_sec(self.relationships as f64),
            self.created,
            self.replaced,
            self.unchanged,
            self.skipped,
            self.failed,
            self.functions,
            self.relationships,
            self.analysis_ms as f64 / 1000.0,
            self.write_ms as f64 / 1000.0,
        )
    }
}
