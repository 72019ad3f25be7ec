//! The commands behind the `bingraph` binary: `serve`, `ingest`, `query`,
//! `users`, `keys`, `analyze` and `disasm`. `main.rs` only parses arguments
//! and calls these.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};

use crate::analysis::{self, AnalysisConfig};
use crate::app::{App, AppState};
use crate::auth::accounts::NewKeyRequest;
use crate::auth::{Scopes, Secret};
use crate::config::Config;
use crate::graph::{self, GraphStore, Params, Rows, Value};
use crate::jobs::{JobOptions, JobState, JobView};

/// Serve the API until Ctrl-C or SIGTERM.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let listen = config.listen;
    let app = App::open(config)
        .await
        .context("opening the data directory")?;
    tracing::info!(
        data_dir = %app.config.data_dir.display(),
        graph = app.store.backend(),
        "store open"
    );
    if let Some((password, path)) = app
        .auth
        .bootstrap_admin()
        .await
        .map_err(|e| anyhow::anyhow!("creating the admin user: {e}"))?
    {
        // Printed once, to the terminal, never to the log.
        println!(
            "bingraph: created the user 'admin'. Its password is shown once, here, and kept in {} (mode 0600):",
            path.display()
        );
        println!("{}", password.expose());
    }
    let app = Arc::new(app);
    app.start_workers()
        .await
        .context("starting the job workers")?;
    let app = AppState(app);
    let router = crate::router::router(app.clone());
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let addr = listener.local_addr()?;
    eprintln!("bingraph listening on http://{addr} (API reference: http://{addr}/api/v1/docs)");
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown())
    .await?;
    if let Err(e) = app.auth.usage.flush(app.auth.store()).await {
        tracing::warn!(error = %e, "writing usage at shutdown failed");
    }
    eprintln!("bingraph stopped");
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Read a password from the first line of stdin.
fn password_from_stdin() -> anyhow::Result<Secret> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    let pw = line.trim_end_matches(['\n', '\r']);
    if pw.is_empty() {
        bail!("no password on stdin");
    }
    Ok(Secret::new(pw))
}

async fn open_accounts(config: Config) -> anyhow::Result<App> {
    App::open(config)
        .await
        .context("opening the data directory")
}

/// `bingraph users add`: a new user; the password from stdin, or generated and printed.
pub async fn users_add(
    config: Config,
    name: &str,
    scopes: &str,
    tier: Option<&str>,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let scopes = Scopes::parse(scopes).map_err(|m| anyhow::anyhow!("{m}"))?;
    let (pw, generated) = if password_stdin {
        (password_from_stdin()?, false)
    } else {
        (crate::auth::password::generate(), true)
    };
    let app = open_accounts(config).await?;
    let user = app.auth.create_user(name, &pw, scopes, tier).await?;
    println!(
        "created user {} (scopes {}, tier {})",
        user.name,
        user.scopes.names().join(","),
        user.tier
    );
    if generated {
        println!("password (shown once):");
        println!("{}", pw.expose());
    }
    Ok(())
}

/// `bingraph users list`.
pub async fn users_list(config: Config) -> anyhow::Result<()> {
    let app = open_accounts(config).await?;
    let users = app.auth.list_users().await?;
    let rows: Vec<Vec<String>> = users
        .into_iter()
        .map(|(u, keys)| {
            vec![
                u.name,
                u.scopes.names().join(","),
                u.tier,
                if u.disabled { "disabled" } else { "active" }.into(),
                keys.to_string(),
                u.created_at,
            ]
        })
        .collect();
    print_rows(
        &["name", "scopes", "tier", "state", "keys", "created"],
        rows,
    )?;
    Ok(())
}

/// `bingraph users disable|enable`.
pub async fn users_set_disabled(config: Config, name: &str, disabled: bool) -> anyhow::Result<()> {
    let app = open_accounts(config).await?;
    let user = app.auth.set_disabled(name, disabled).await?;
    println!(
        "user {} is {}",
        user.name,
        if user.disabled { "disabled" } else { "enabled" }
    );
    Ok(())
}

/// `bingraph users passwd`: a new password from stdin, or generated and printed.
pub async fn users_passwd(config: Config, name: &str, password_stdin: bool) -> anyhow::Result<()> {
    let (pw, generated) = if password_stdin {
        (password_from_stdin()?, false)
    } else {
        (crate::auth::password::generate(), true)
    };
    let app = open_accounts(config).await?;
    app.auth.set_password(name, &pw).await?;
    println!("password of {name} changed");
    if generated {
        println!("new password (shown once):");
        println!("{}", pw.expose());
    }
    Ok(())
}

/// `bingraph keys create`: the key alone on the last line of stdout.
pub async fn keys_create(config: Config, req: NewKeyRequest) -> anyhow::Result<()> {
    let app = open_accounts(config).await?;
    let created = app.auth.create_key(req, None).await?;
    let k = &created.info;
    println!("id:      {}", k.id);
    println!("name:    {}", k.name);
    println!("user:    {}", k.user);
    println!("scopes:  {}", k.scopes.names().join(","));
    println!("tier:    {}", k.tier);
    println!("expires: {}", k.expires_at.as_deref().unwrap_or("never"));
    println!("The key is shown once; store it now:");
    println!("{}", created.key);
    Ok(())
}

/// `bingraph keys list`.
pub async fn keys_list(config: Config, user: Option<&str>) -> anyhow::Result<()> {
    let app = open_accounts(config).await?;
    let keys = app.auth.list_keys(user).await?;
    let rows: Vec<Vec<String>> = keys
        .into_iter()
        .map(|k| {
            let state = if k.revoked {
                "revoked"
            } else if k
                .expires_at
                .as_deref()
                .and_then(crate::graph::time::parse_rfc3339)
                .is_some_and(|t| t <= time::OffsetDateTime::now_utc())
            {
                "expired"
            } else {
                "active"
            };
            vec![
                k.id,
                k.prefix,
                k.user,
                k.name,
                k.scopes.names().join(","),
                k.tier,
                state.into(),
                k.created_at,
                k.expires_at.unwrap_or_else(|| "never".into()),
                k.last_used_at.unwrap_or_else(|| "never".into()),
            ]
        })
        .collect();
    print_rows(
        &[
            "id",
            "prefix",
            "user",
            "name",
            "scopes",
            "tier",
            "state",
            "created",
            "expires",
            "last used",
        ],
        rows,
    )?;
    Ok(())
}

/// `bingraph keys revoke`.
pub async fn keys_revoke(config: Config, id: &str) -> anyhow::Result<()> {
    let app = open_accounts(config).await?;
    let k = app.auth.revoke_key(id, None).await?;
    println!("revoked {} ({}, user {})", k.id, k.prefix, k.user);
    Ok(())
}

/// The analysis graph, or the account store.
async fn open_store(config: &Config, accounts: bool) -> anyhow::Result<Arc<dyn GraphStore>> {
    Ok(if accounts {
        graph::open_accounts(&config.graph_config())
            .await
            .context("opening the account store")?
    } else {
        graph::open(&config.graph_config())
            .await
            .context("opening the graph")?
    })
}

/// `bingraph export`: the whole analysis graph (or, with `accounts`, the
/// account store) as JSON lines to `output` (stdout for `-`).
pub async fn export(config: Config, output: &Path, accounts: bool) -> anyhow::Result<()> {
    let store = open_store(&config, accounts).await?;
    let started = Instant::now();
    let moved = if output == Path::new("-") {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        crate::transfer::export(store.as_ref(), &mut out).await?
    } else {
        let file = std::fs::File::create(output)
            .with_context(|| format!("creating {}", output.display()))?;
        let mut out = std::io::BufWriter::new(file);
        crate::transfer::export(store.as_ref(), &mut out).await?
    };
    eprintln!(
        "exported {} nodes and {} relationships from the {} store in {:.1}s",
        moved.nodes,
        moved.relationships,
        store.backend(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `bingraph import`: a file made by `export` (stdin for `-`) into the
/// analysis graph (or, with `accounts`, the account store).
pub async fn import(config: Config, input: &Path, accounts: bool) -> anyhow::Result<()> {
    let store = open_store(&config, accounts).await?;
    let started = Instant::now();
    let moved = if input == Path::new("-") {
        let mut r = std::io::BufReader::new(std::io::stdin().lock());
        crate::transfer::import(store.as_ref(), &mut r).await?
    } else {
        let file =
            std::fs::File::open(input).with_context(|| format!("opening {}", input.display()))?;
        let mut r = std::io::BufReader::new(file);
        crate::transfer::import(store.as_ref(), &mut r).await?
    };
    eprintln!(
        "imported {} nodes and {} relationships into the {} store in {:.1}s",
        moved.nodes,
        moved.relationships,
        store.backend(),
        started.elapsed().as_secs_f64()
    );
    drop(store);
    if accounts {
        return Ok(());
    }
    let app = App::open(config)
        .await
        .context("opening the data directory")?;
    let r = app
        .sync
        .reconcile()
        .await
        .context("indexing the imported binaries")?;
    eprintln!(
        "search index: {} binaries indexed, {} removed",
        r.added + r.updated,
        r.removed
    );
    Ok(())
}

/// Options of `bingraph search`.
pub struct SearchOptions {
    pub text: String,
    pub kind: Option<String>,
    pub binary: Option<String>,
    pub limit: usize,
    pub page: usize,
    pub json: bool,
}

/// `bingraph search`: full-text search on the local index (brought up to
/// date with the graph first).
pub async fn search(config: Config, o: SearchOptions) -> anyhow::Result<()> {
    use crate::search::{Kind, TextQuery};
    let kind = o
        .kind
        .as_deref()
        .map(|k| {
            Kind::text_kind(k).ok_or_else(|| {
                anyhow::anyhow!("--kind must be symbol, string or binary, not {k:?}")
            })
        })
        .transpose()?;
    anyhow::ensure!(o.limit >= 1 && o.page >= 1, "--limit and --page start at 1");
    let app = App::open(config)
        .await
        .context("opening the data directory")?;
    app.sync
        .reconcile()
        .await
        .context("bringing the index up to date")?;
    let q = TextQuery {
        q: o.text,
        // The operator: every uploader's file names and tags match.
        viewer: crate::search::ALL_VIEWERS.to_string(),
        kind,
        binary: o.binary,
        offset: (o.page - 1).saturating_mul(o.limit),
        limit: o.limit,
    };
    let r = app.index.search(&q)?;
    if o.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    let mut rows = Vec::new();
    for h in &r.hits {
        let mut text = String::new();
        let mut at = 0;
        let chars: Vec<char> = h.text.chars().collect();
        for [s, e] in &h.highlights {
            text.extend(&chars[at..*s]);
            text.push('[');
            text.extend(&chars[*s..*e]);
            text.push(']');
            at = *e;
        }
        text.extend(&chars[at.min(chars.len())..]);
        if text.chars().count() > 100 {
            text = text.chars().take(97).collect::<String>() + "...";
        }
        rows.push(vec![
            h.kind.as_str().to_string(),
            text,
            h.addr.map(|a| format!("{a:#x}")).unwrap_or_default(),
            h.sha256[..h.sha256.len().min(16)].to_string(),
            format!("{:.2}", h.score),
        ]);
    }
    print_rows(&["kind", "match", "addr", "binary", "score"], rows)?;
    let totals: Vec<String> = ["symbol", "string", "binary"]
        .iter()
        .map(|k| format!("{} {k}s", r.totals.get(*k).copied().unwrap_or(0)))
        .collect();
    eprintln!(
        "{} hits ({}), page {} in {:.1} ms",
        r.total,
        totals.join(", "),
        o.page,
        r.took_ms
    );
    Ok(())
}

/// `bingraph reindex`: rebuild the search index from the graph.
pub async fn reindex(config: Config) -> anyhow::Result<()> {
    let app = App::open(config)
        .await
        .context("opening the data directory")?;
    let started = Instant::now();
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} binaries")
            .expect("valid template"),
    );
    let r = app
        .sync
        .rebuild(|done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        })
        .await
        .context("rebuilding the search index")?;
    bar.finish_and_clear();
    let counts = app.index.counts()?;
    let n = |k: &str| counts.get(k).copied().unwrap_or(0);
    println!(
        "indexed {} binaries in {:.1}s: {} symbols, {} strings, {} function signatures",
        r.added,
        started.elapsed().as_secs_f64(),
        n("symbol"),
        n("string"),
        n("function")
    );
    Ok(())
}

/// Print string cells with the same table layout as `query`.
fn print_rows(header: &[&str], rows: Vec<Vec<String>>) -> anyhow::Result<()> {
    let rows = Rows {
        columns: header.iter().map(|h| h.to_string()).collect(),
        rows: rows
            .into_iter()
            .map(|r| r.into_iter().map(Value::String).collect())
            .collect(),
    };
    print_table(&mut std::io::stdout().lock(), &rows)?;
    Ok(())
}

/// Does the file start like an ELF, PE or Mach-O file?
fn looks_executable(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    let ok = std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok();
    ok && (magic == *b"\x7fELF"
        || magic[..2] == *b"MZ"
        || matches!(
            u32::from_be_bytes(magic),
            0xfeedface | 0xfeedfacf | 0xcefaedfe | 0xcffaedfe | 0xcafebabe | 0xcafebabf
        ))
}

/// Files named on the command line, directories walked (symlinks inside
/// directories are not followed, so nothing is counted twice).
fn collect(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
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
enum Outcome {
    /// Already stored with the current model: only the name was recorded.
    Unchanged(usize),
    /// The job, as it ended.
    Done(Box<JobView>),
}

/// Owner of the jobs the command line runs.
const CLI_OWNER: &str = "cli";

async fn ingest_one(
    app: &Arc<App>,
    path: &Path,
    force: bool,
    names: &std::sync::Mutex<std::collections::HashMap<String, String>>,
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

/// `bingraph verify REPORT PROVENANCE`: check a report offline.
pub fn verify(report: &Path, provenance: &Path, key: Option<&str>) -> anyhow::Result<()> {
    let r = std::fs::read(report).with_context(|| format!("reading {}", report.display()))?;
    let p =
        std::fs::read(provenance).with_context(|| format!("reading {}", provenance.display()))?;
    match crate::provenance::verify(&p, &r, key) {
        Ok(v) => {
            println!(
                "OK: {} is the {} report of analysis {} of file {}, signed by key {}",
                report.display(),
                v.format,
                v.job_id,
                v.subject_sha256,
                v.key_id
            );
            Ok(())
        }
        Err(e) => bail!("verification FAILED: {e}"),
    }
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
    // Phase progress of the jobs in flight, on the bar's message line.
    let mut events = app.jobs.subscribe();
    let names: Arc<std::sync::Mutex<std::collections::HashMap<String, String>>> = Arc::default();
    let (ev_bar, ev_names) = (bar.clone(), names.clone());
    let follower = tokio::spawn(async move {
        while let Ok(e) = events.recv().await {
            if let (Some(p), Some(name)) =
                (&e.phase, ev_names.lock().expect("names").get(&e.job_id))
            {
                ev_bar.set_message(
                    format!("{name}: phase {}/12 {} ({:?})", p.number, p.name, p.status)
                        .to_lowercase(),
                );
            }
        }
    });
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
        match result {
            Ok(Outcome::Unchanged(n)) => summary.unchanged += n,
            Ok(Outcome::Done(job)) if job.state == JobState::Succeeded => {
                let count = |phase: usize, k: &str| {
                    job.phases
                        .get(phase)
                        .and_then(|p| p.counts.get(k))
                        .copied()
                        .unwrap_or(0)
                };
                summary.created += count(10, "created") as usize;
                summary.replaced += count(10, "replaced") as usize;
                summary.functions += count(4, "functions");
                summary.relationships += count(10, "relationships");
                summary.write_ms += job.phases.get(10).and_then(|p| p.ms).unwrap_or(0);
                summary.analysis_ms += job.phases.iter().take(10).filter_map(|p| p.ms).sum::<u64>();
            }
            Ok(Outcome::Done(job)) => {
                let code = job
                    .error
                    .as_ref()
                    .map(|e| e.code.as_str())
                    .unwrap_or("failed");
                if code == "unsupported_format" {
                    summary.skipped += 1;
                } else {
                    summary.failed += 1;
                    let line = format!(
                        "failed: {}: {} ({code}, job {})",
                        path.display(),
                        job.error.as_ref().map(|e| e.message.as_str()).unwrap_or(""),
                        job.job_id
                    );
                    if bar.is_hidden() {
                        eprintln!("{line}");
                    } else {
                        bar.println(line);
                    }
                }
            }
            Err(e) => {
                summary.failed += 1;
                let line = format!("failed: {}: {e:#}", path.display());
                if bar.is_hidden() {
                    eprintln!("{line}");
                } else {
                    bar.println(line);
                }
            }
        }
    }
    follower.abort();
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{} files in {:.1}s ({:.1} files/s, {:.0} functions/s, {:.0} relationships/s): {} new, {} replaced, {} unchanged, {} skipped (not executables), {} failed; {} functions, {} relationships written; analysis {:.1}s, graph write {:.1}s",
        summary.files,
        secs,
        summary.files as f64 / secs.max(1e-9),
        summary.functions as f64 / secs.max(1e-9),
        summary.relationships as f64 / secs.max(1e-9),
        summary.created,
        summary.replaced,
        summary.unchanged,
        summary.skipped,
        summary.failed,
        summary.functions,
        summary.relationships,
        summary.analysis_ms as f64 / 1000.0,
        summary.write_ms as f64 / 1000.0,
    );
    Ok(summary)
}

/// Output of `bingraph query`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum QueryFormat {
    Table,
    Json,
}

/// Parse `name=value`; the value is JSON when it parses as JSON, else a string.
pub fn parse_param(s: &str) -> anyhow::Result<(String, Value)> {
    let Some((name, value)) = s.split_once('=') else {
        bail!("--param takes name=value, got '{s}'");
    };
    let value = serde_json::from_str::<serde_json::Value>(value)
        .map(|v| Value::from_json(&v))
        .unwrap_or_else(|_| Value::String(value.to_string()));
    Ok((name.trim().to_string(), value))
}

/// Run one Cypher query and print its rows.
pub async fn query(
    config: Config,
    cypher: &str,
    params: Vec<(String, Value)>,
    format: QueryFormat,
    write: bool,
) -> anyhow::Result<()> {
    let store = graph::open(&config.graph_config())
        .await
        .context("opening the graph store")?;
    let params: Params = params.into_iter().collect();
    let rows = if write {
        store.write(cypher, params).await
    } else {
        store.read(cypher, params).await
    };
    let rows = match rows {
        Ok(r) => r,
        Err(graph::GraphError::ReadOnly) => {
            bail!("the query writes to the graph; add --write if that is what you want")
        }
        Err(e) => return Err(e.into()),
    };
    let mut out = std::io::stdout().lock();
    match format {
        QueryFormat::Json => {
            let objects: Vec<serde_json::Map<String, serde_json::Value>> = rows
                .rows
                .iter()
                .map(|r| {
                    rows.columns
                        .iter()
                        .cloned()
                        .zip(r.iter().map(Value::to_json))
                        .collect()
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &objects)?;
            use std::io::Write;
            writeln!(out)?;
        }
        QueryFormat::Table => print_table(&mut out, &rows)?,
    }
    Ok(())
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_json().to_string(),
    }
}

fn print_table(out: &mut impl std::io::Write, rows: &Rows) -> std::io::Result<()> {
    let cells: Vec<Vec<String>> = rows
        .rows
        .iter()
        .map(|r| r.iter().map(cell).collect())
        .collect();
    let mut widths: Vec<usize> = rows.columns.iter().map(|c| c.chars().count()).collect();
    for r in &cells {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count().min(80));
        }
    }
    let line = |out: &mut dyn std::io::Write, items: &[String]| -> std::io::Result<()> {
        let parts: Vec<String> = items
            .iter()
            .zip(&widths)
            .map(|(c, w)| {
                let c: String = c.chars().take(80).collect();
                format!("{c:<w$}")
            })
            .collect();
        writeln!(out, "{}", parts.join(" | ").trim_end())
    };
    line(out, &rows.columns)?;
    writeln!(
        out,
        "{}",
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("-+-")
    )?;
    for r in &cells {
        line(out, r)?;
    }
    writeln!(out, "({} rows)", cells.len())
}

/// `bingraph analyze`: print one file's facts.
pub fn analyze(file: &Path, summary: bool, no_code: bool) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let cfg = AnalysisConfig {
        disassemble: !no_code,
        ..AnalysisConfig::default()
    };
    let started = Instant::now();
    let facts = analysis::analyze(&bytes, &cfg)?;
    let took = started.elapsed();
    if summary {
        for f in &facts {
            println!(
                "{} {} {}: {} sections, {} symbols, {} imports, {} strings, {} functions, {} instructions, {} calls, {} import calls, {} data refs, {} warnings, {:.3}s",
                f.hashes.sha256,
                f.identity.format.as_str(),
                f.identity.arch.name(),
                f.sections.len(),
                f.symbols.len(),
                f.imports.len(),
                f.strings.len(),
                f.code.functions.len(),
                f.code.instructions,
                f.code.calls.len(),
                f.code.import_calls.len(),
                f.code.data_refs.len(),
                f.warnings.len(),
                took.as_secs_f64()
            );
        }
    } else {
        serde_json::to_writer_pretty(std::io::stdout().lock(), &facts)?;
        println!();
    }
    Ok(())
}

/// `bingraph disasm`: print the listing of one function.
pub fn disasm(file: &Path, addr: &str, slice: usize) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let a = crate::callgraph::parse_addr(addr)
        .with_context(|| format!("'{addr}' is not an address (0x-hex or decimal)"))?;
    for l in analysis::listing(&bytes, slice, a, &AnalysisConfig::default())? {
        let note = [
            l.target.map(|t| format!("<{t}>")),
            l.data.map(|d| format!("; {d}")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        println!(
            "{:>12x}  {:<24} {:<8} {} {}",
            l.addr, l.bytes, l.mnemonic, l.operands, note
        );
    }
    Ok(())
}
