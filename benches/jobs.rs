//! Job pipeline benchmark on the embedded store, through the same queue and
//! workers as `serve`:
//!  1. throughput: N small ELF files from /usr/bin (under 64 KiB), all
//!     submitted at once; jobs per second, and queue latency (submit to
//!     running) and end-to-end time percentiles;
//!  2. queue latency on an idle queue: one small job at a time;
//!  3. one big binary end to end (default /usr/bin/node), phase by phase.
//!
//! `cargo bench --bench jobs [-- N BIG_FILE]` (defaults: 100, /usr/bin/node).
//! Workers: `BINGRAPH_WORKERS` (default 2).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bingraph::app::App;
use bingraph::config::Config;
use bingraph::jobs::{JobOptions, JobState};

fn pct(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn small_elves(n: usize) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir("/usr/bin")
        .expect("/usr/bin")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            std::fs::symlink_metadata(p)
                .is_ok_and(|m| m.is_file() && m.len() < 64 * 1024 && m.len() > 4096)
                && std::fs::read(p).is_ok_and(|b| b.starts_with(b"\x7fELF"))
        })
        .collect();
    out.sort();
    out.truncate(n);
    out
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(100);
    let big = PathBuf::from(
        args.get(1)
            .cloned()
            .unwrap_or_else(|| "/usr/bin/node".into()),
    );
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config {
        data_dir: dir.path().join("data"),
        ..Config::default()
    };
    if let Some(w) = std::env::var("BINGRAPH_WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
    {
        config.jobs.workers = w;
    }
    let workers = config.jobs.workers;
    let app = Arc::new(App::open(config).await.expect("open"));
    app.start_workers().await.expect("workers");
    let mut events = app.jobs.subscribe();

    // 1. Throughput.
    let files = small_elves(n);
    let started = Instant::now();
    let mut submitted: HashMap<String, Instant> = HashMap::new();
    for f in &files {
        let bytes = Arc::new(std::fs::read(f).unwrap());
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let s = app
            .jobs
            .submit("bench", "bench", None, &name, bytes, JobOptions::default())
            .await
            .unwrap();
        submitted.insert(s.job.job_id, Instant::now());
    }
    let mut queue_ms = Vec::new();
    let mut total_ms = Vec::new();
    let mut failed = 0;
    let mut left = submitted.len();
    while left > 0 {
        let e = tokio::time::timeout(Duration::from_secs(600), events.recv())
            .await
            .expect("progress")
            .expect("event");
        let Some(at) = submitted.get(&e.job_id) else {
            continue;
        };
        if e.kind != "state" {
            continue;
        }
        match e.state {
            JobState::Running => queue_ms.push(at.elapsed().as_secs_f64() * 1000.0),
            s if s.is_final() => {
                total_ms.push(at.elapsed().as_secs_f64() * 1000.0);
                if s != JobState::Succeeded {
                    failed += 1;
                }
                left -= 1;
            }
            _ => {}
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "throughput: {} small ELF files (4-64 KiB) from /usr/bin, {workers} workers: {:.1} s, {:.1} jobs/s, {failed} failed",
        files.len(),
        secs,
        files.len() as f64 / secs
    );
    println!(
        "  queue latency (submit -> running), all submitted at once: p50 {:.0} ms, p95 {:.0} ms; end to end p50 {:.0} ms, p95 {:.0} ms",
        pct(&mut queue_ms, 0.5),
        pct(&mut queue_ms, 0.95),
        pct(&mut total_ms, 0.5),
        pct(&mut total_ms, 0.95)
    );

    // 2. Idle-queue latency, one job at a time (forced, so each one runs).
    let mut idle = Vec::new();
    let mut one_ms = Vec::new();
    for f in files.iter().take(20) {
        let bytes = Arc::new(std::fs::read(f).unwrap());
        let opts = JobOptions {
            force: true,
            ..JobOptions::default()
        };
        let t = Instant::now();
        let s = app
            .jobs
            .submit("bench", "bench", None, "again", bytes, opts)
            .await
            .unwrap();
        loop {
            let e = events.recv().await.unwrap();
            if e.job_id != s.job.job_id || e.kind != "state" {
                continue;
            }
            if e.state == JobState::Running {
                idle.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            if e.state.is_final() {
                one_ms.push(t.elapsed().as_secs_f64() * 1000.0);
                break;
            }
        }
    }
    println!(
        "  idle queue, one job at a time ({}): submit -> running p50 {:.1} ms, p95 {:.1} ms; submit -> done p50 {:.0} ms",
        idle.len(),
        pct(&mut idle, 0.5),
        pct(&mut idle, 0.95),
        pct(&mut one_ms, 0.5)
    );

    // 3. One big binary.
    if big.exists() {
        let bytes = Arc::new(std::fs::read(&big).unwrap());
        let size = bytes.len();
        let t = Instant::now();
        let s = app
            .jobs
            .submit("bench", "bench", None, "big", bytes, JobOptions::default())
            .await
            .unwrap();
        let id = s.job.job_id;
        loop {
            let e = events.recv().await.unwrap();
            if e.job_id == id && e.kind == "state" && e.state.is_final() {
                break;
            }
        }
        let secs = t.elapsed().as_secs_f64();
        let job = app.jobs.load(&id).await.unwrap().unwrap();
        println!(
            "end to end: {} ({:.1} MB): {:.1} s, {}",
            big.display(),
            size as f64 / 1e6,
            secs,
            job.state.as_str()
        );
        if let Some(e) = &job.error {
            println!("  error: {} {}", e.code, e.message);
        }
        println!("  peak RSS {:.0} MB", peak_rss_mb());
        for p in &job.phases {
            println!(
                "  phase {:>2} {:<12} {:>8} {:>7} ms  {}",
                p.number,
                p.name,
                format!("{:?}", p.status).to_lowercase(),
                p.ms.unwrap_or(0),
                p.counts
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
    }
}
