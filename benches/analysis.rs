//! Whole-core benchmark: parse, disassemble, discover functions, edges and
//! strings on real system binaries, side by side with `objdump -d`.
//!
//! `cargo bench --bench analysis [-- FILE...]`. Files are run smallest first
//! so the process's peak RSS after each one is that file's peak.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use bingraph::analysis::{analyze, AnalysisConfig};

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let mut files: Vec<PathBuf> = if args.is_empty() {
        [
            "/usr/bin/true",
            "/usr/bin/ls",
            "/usr/bin/gdb",
            "/usr/bin/python3.11",
            "/usr/lib/x86_64-linux-gnu/libc.so.6",
            "/usr/bin/node",
        ]
        .iter()
        .map(PathBuf::from)
        .filter(|p| p.exists())
        .collect()
    } else {
        args.iter().map(PathBuf::from).collect()
    };
    files.sort_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0));
    let cfg = AnalysisConfig::default();
    println!(
        "{:<42} {:>8} {:>9} {:>8} {:>10} {:>11} {:>9} {:>10} {:>9}",
        "file", "MB", "core s", "MB/s", "functions", "funcs/s", "insns M", "objdump s", "peak MB"
    );
    for f in files {
        let bytes = std::fs::read(&f).expect("read");
        let mb = bytes.len() as f64 / 1e6;
        let t = Instant::now();
        let facts = analyze(&bytes, &cfg).expect("analyze");
        let secs = t.elapsed().as_secs_f64();
        drop(bytes);
        let funcs: usize = facts.iter().map(|x| x.code.functions.len()).sum();
        let insns: u64 = facts.iter().map(|x| x.code.instructions).sum();
        drop(facts);
        let peak = peak_rss_mb();
        let t = Instant::now();
        let ok = Command::new("objdump")
            .arg("-d")
            .arg(&f)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        let objdump = t.elapsed().as_secs_f64();
        println!(
            "{:<42} {:>8.1} {:>9.3} {:>8.1} {:>10} {:>11.0} {:>9.2} {:>10} {:>9.0}",
            f.display(),
            mb,
            secs,
            mb / secs,
            funcs,
            funcs as f64 / secs,
            insns as f64 / 1e6,
            if ok {
                format!("{objdump:.3}")
            } else {
                "n/a".into()
            },
            peak
        );
    }
}
