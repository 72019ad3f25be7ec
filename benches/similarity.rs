//! Function-similarity accuracy: real C code (brotli, `eval/brotli`) built
//! with gcc -O0, gcc -O2, clang -O2, aarch64 and armhf gcc -O2, all stripped, plus
//! unrelated binaries from /usr/bin as distractors, in one similarity index.
//!
//! For each function of build A whose name (from A's unstripped twin; gcc's
//! `.isra`/`.part`/`.constprop` suffixes dropped, names that are not unique
//! left out) also exists in build B, the query asks the index for the most
//! similar functions of every other binary. recall@k: B's counterpart ranks
//! within the first k, ignoring the counterparts in the other brotli builds
//! (also right answers). Every function of all builds and distractors
//! competes.
//!
//! The false-positive table queries the gcc -O2 build against an index of
//! the distractors only: the share of functions whose best match reaches
//! each score.
//!
//! `cargo bench --bench similarity` (or `scripts/bench-similarity`, which
//! installs clang and the AArch64 cross compiler first).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use bingraph::analysis::signature::{self, Extracted, Signature, Weights};
use bingraph::analysis::{self, AnalysisConfig, BinaryFacts};
use bingraph::search::{BinaryDocs, FunctionDoc, SearchIndex};
use goblin::elf::{sym, Elf};

struct Build {
    name: &'static str,
    cc: &'static str,
    strip: &'static str,
    opt: &'static str,
}

const BUILDS: &[Build] = &[
    Build {
        name: "gcc-O0",
        cc: "gcc",
        strip: "strip",
        opt: "-O0",
    },
    Build {
        name: "gcc-O2",
        cc: "gcc",
        strip: "strip",
        opt: "-O2",
    },
    Build {
        name: "clang-O2",
        cc: "clang",
        strip: "strip",
        opt: "-O2",
    },
    Build {
        name: "gcc-O2-aarch64",
        cc: "aarch64-linux-gnu-gcc",
        strip: "aarch64-linux-gnu-strip",
        opt: "-O2",
    },
    Build {
        name: "gcc-O2-armhf",
        cc: "arm-linux-gnueabihf-gcc",
        strip: "arm-linux-gnueabihf-strip",
        opt: "-O2",
    },
];

const DISTRACTORS: &[&str] = &[
    "/usr/bin/ls",
    "/usr/bin/cp",
    "/usr/bin/tar",
    "/usr/bin/find",
    "/usr/bin/grep",
    "/usr/bin/sed",
    "/usr/bin/gzip",
    "/usr/bin/diff",
    "/usr/bin/bash",
    "/usr/bin/git",
];

/// A similarity function over two feature lists.
type Scorer<'a> = dyn Fn(&[(u32, u8)], &[(u32, u8)]) -> f64 + 'a;

struct Prepared {
    name: String,
    facts: BinaryFacts,
    ext: Extracted,
    names: HashMap<u64, String>,
}

struct Built {
    name: String,
    sigs: Vec<Signature>,
    /// Function address to normalized name (brotli builds only).
    names: HashMap<u64, String>,
}

fn run(cmd: &mut Command) {
    let st = cmd.status().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(st.success(), "{cmd:?} failed");
}

fn sources(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for sub in ["common", "dec", "enc"] {
        for e in std::fs::read_dir(root.join(sub)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "c") {
                out.push(p);
            }
        }
    }
    out.push(root.join("tools/brotli.c"));
    out.sort();
    out
}

fn normalize(name: &str) -> Option<String> {
    if name.contains(".cold") || name.is_empty() {
        return None;
    }
    Some(name.split('.').next().unwrap_or(name).to_string())
}

fn truth(full: &[u8]) -> HashMap<u64, String> {
    let elf = Elf::parse(full).expect("elf");
    let mut by_name: HashMap<String, Vec<u64>> = HashMap::new();
    for s in elf.syms.iter() {
        if s.st_type() != sym::STT_FUNC || s.st_value == 0 || s.st_size == 0 {
            continue;
        }
        let Some(n) = elf.strtab.get_at(s.st_name).and_then(normalize) else {
            continue;
        };
        // ARM: a Thumb function's symbol has the low bit set.
        let addr = if elf.header.e_machine == goblin::elf::header::EM_ARM {
            s.st_value & !1
        } else {
            s.st_value
        };
        by_name.entry(n).or_default().push(addr);
    }
    by_name
        .into_iter()
        .filter(|(_, v)| v.len() == 1)
        .map(|(n, v)| (v[0], n))
        .collect()
}

fn prepare(name: &str, bytes: &[u8], names: HashMap<u64, String>) -> Prepared {
    let cfg = AnalysisConfig::default();
    let facts = analysis::analyze(bytes, &cfg).expect("analyse");
    let facts = facts.into_iter().next().expect("one binary");
    let t = Instant::now();
    let ext = Extracted::new(bytes, 0, &facts).expect("signatures");
    eprintln!(
        "  {name}: {} functions, decoded for signatures in {:.0} ms",
        facts.code.functions.len(),
        t.elapsed().as_secs_f64() * 1000.0
    );
    Prepared {
        name: name.to_string(),
        facts,
        ext,
        names,
    }
}

fn docs(b: &Built) -> BinaryDocs {
    BinaryDocs {
        sha256: b.name.clone(),
        stamp: "bench".into(),
        title: b.name.clone(),
        text: b.name.clone(),
        functions: b
            .sigs
            .iter()
            .map(|s| FunctionDoc {
                name: b.names.get(&s.addr).cloned().unwrap_or_default(),
                signature: s.clone(),
            })
            .collect(),
        ..BinaryDocs::default()
    }
}

/// Rank (1-based) of B's counterpart among `ranked` (binary, addr) results,
/// skipping the counterparts in other brotli builds.
fn rank_of(
    ranked: &[(String, u64)],
    want: &str,
    b: &str,
    builds: &HashMap<String, &Built>,
) -> Option<usize> {
    let mut r = 0;
    for (bin, addr) in ranked {
        let name = builds.get(bin).and_then(|x| x.names.get(addr));
        if name.is_some_and(|n| n == want) {
            if bin == b {
                return Some(r + 1);
            }
            continue;
        }
        r += 1;
    }
    None
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = root.join("target/similarity-bench");
    std::fs::create_dir_all(&out).unwrap();
    let src = root.join("eval/brotli/c");

    let mut prepared: Vec<Prepared> = Vec::new();
    eprintln!("building brotli and decoding");
    for b in BUILDS {
        let full = out.join(format!("brotli-{}", b.name));
        let stripped = out.join(format!("brotli-{}-stripped", b.name));
        if !full.exists() {
            run(Command::new(b.cc)
                .arg(b.opt)
                .arg("-I")
                .arg(src.join("include"))
                .args(sources(&src))
                .arg("-lm")
                .arg("-o")
                .arg(&full));
        }
        run(Command::new(b.strip)
            .arg("-s")
            .arg(&full)
            .arg("-o")
            .arg(&stripped));
        let names = truth(&std::fs::read(&full).unwrap());
        prepared.push(prepare(b.name, &std::fs::read(&stripped).unwrap(), names));
    }
    let mut others: Vec<Prepared> = Vec::new();
    for p in DISTRACTORS {
        let Ok(bytes) = std::fs::read(p) else {
            continue;
        };
        others.push(prepare(p, &bytes, HashMap::new()));
    }
    if std::env::var("BENCH_GRID").is_ok() {
        let d = Weights::DEFAULT;
        let grid = [
            ("default", d),
            (
                "no compute 2-grams",
                Weights {
                    compute_bigram: 0,
                    ..d
                },
            ),
            (
                "compute 2-grams instead of 2-grams",
                Weights {
                    bigram: 0,
                    compute_bigram: 1,
                    ..d
                },
            ),
            (
                "no callee context",
                Weights {
                    callee_depth: 0,
                    ..d
                },
            ),
            ("with 3-grams", Weights { trigram: 1, ..d }),
            ("with size bucket", Weights { size: 1, ..d }),
            (
                "strings/imports 6, small constants 2",
                Weights {
                    string: 6,
                    import: 6,
                    small_constant: 2,
                    ..d
                },
            ),
            ("unigram cap 3", Weights { unigram: 3, ..d }),
        ];
        for (label, w) in grid {
            let built: Vec<Built> = prepared.iter().map(|p| build_sigs(p, &w)).collect();
            let distractors: Vec<Built> = others.iter().map(|p| build_sigs(p, &w)).collect();
            let line = evaluate(&built, &distractors, false);
            println!("| {label} | {line} |");
        }
        return;
    }
    let built: Vec<Built> = prepared
        .iter()
        .map(|p| build_sigs(p, &Weights::DEFAULT))
        .collect();
    let distractors: Vec<Built> = others
        .iter()
        .map(|p| build_sigs(p, &Weights::DEFAULT))
        .collect();
    evaluate(&built, &distractors, true);
}

fn build_sigs(p: &Prepared, w: &Weights) -> Built {
    Built {
        name: p.name.clone(),
        sigs: p.ext.signatures(&p.facts, w),
        names: p.names.clone(),
    }
}

/// Print the recall table (and, when `full`, latency and false positives);
/// returns the recall@1 figures as one table row.
fn evaluate(built: &[Built], distractors: &[Built], full: bool) -> String {
    let total: usize = built.iter().chain(distractors).map(|b| b.sigs.len()).sum();
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(&dir.path().join("all")).unwrap();
    let t = Instant::now();
    let all_docs: Vec<BinaryDocs> = built.iter().chain(distractors).map(docs).collect();
    index
        .replace(&all_docs, std::time::Duration::from_secs(5))
        .unwrap();
    if full {
        eprintln!(
            "index: {total} functions in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    let by_name: HashMap<String, &Built> = built.iter().map(|b| (b.name.clone(), b)).collect();

    let pairs = [
        ("gcc-O2", "clang-O2"),
        ("clang-O2", "gcc-O2"),
        ("gcc-O2", "gcc-O0"),
        ("gcc-O0", "gcc-O2"),
        ("gcc-O2", "gcc-O2-aarch64"),
        ("gcc-O2-aarch64", "gcc-O2"),
        ("gcc-O2", "gcc-O2-armhf"),
        ("gcc-O2-armhf", "gcc-O2"),
    ];
    if full {
        println!(
            "\n{total} functions indexed ({} brotli builds + {} distractor binaries)\n",
            built.len(),
            distractors.len()
        );
        println!("| query → counterpart | functions | recall@1 | recall@10 | non-tiny | recall@1 | recall@10 | exhaustive recall@1 | exhaustive IDF-weighted recall@1 / @10 |");
        println!("|---|---|---|---|---|---|---|---|---|");
    }
    let mut summary = Vec::new();
    // Document frequency of each feature, for the IDF-weighted variant.
    let mut df: HashMap<u32, u32> = HashMap::new();
    for b in built.iter().chain(distractors) {
        for s in &b.sigs {
            for f in &s.features {
                *df.entry(f.0).or_default() += 1;
            }
        }
    }
    let n_all = total as f64;
    let idf = |h: u32| {
        (n_all / (1.0 + f64::from(df.get(&h).copied().unwrap_or(0))))
            .ln()
            .max(0.1)
    };
    let sim_idf = |a: &[(u32, u8)], b: &[(u32, u8)]| -> f64 {
        let (mut i, mut j, mut min, mut max) = (0, 0, 0.0, 0.0);
        while i < a.len() || j < b.len() {
            if j >= b.len() || (i < a.len() && a[i].0 < b[j].0) {
                max += f64::from(a[i].1) * idf(a[i].0);
                i += 1;
            } else if i >= a.len() || b[j].0 < a[i].0 {
                max += f64::from(b[j].1) * idf(b[j].0);
                j += 1;
            } else {
                let w = idf(a[i].0);
                min += f64::from(a[i].1.min(b[j].1)) * w;
                max += f64::from(a[i].1.max(b[j].1)) * w;
                i += 1;
                j += 1;
            }
        }
        if max == 0.0 {
            0.0
        } else {
            min / max
        }
    };
    let mut latencies = Vec::new();
    for (a, b) in pairs {
        let (qa, qb) = (by_name[a], by_name[b]);
        let in_b: HashSet<&String> = qb.names.values().collect();
        let (mut n, mut r1, mut r10, mut nt, mut nt1, mut nt10, mut ex1) = (0, 0, 0, 0, 0, 0, 0);
        let (mut idf1, mut idf10) = (0, 0);
        for s in &qa.sigs {
            let Some(want) = qa.names.get(&s.addr) else {
                continue;
            };
            if !in_b.contains(want) {
                continue;
            }
            let t = Instant::now();
            let res = index.similar(s, 50, 0.0, Some(a), None).unwrap();
            latencies.push(t.elapsed().as_secs_f64() * 1000.0);
            let ranked: Vec<(String, u64)> =
                res.iter().map(|m| (m.sha256.clone(), m.addr)).collect();
            let rank = rank_of(&ranked, want, b, &by_name);
            // Exhaustive: every function of every other binary, exact scores.
            let exhaustive = |score: &Scorer<'_>| {
                let mut scored: Vec<(f64, String, u64)> = Vec::new();
                for o in built
                    .iter()
                    .chain(distractors)
                    .filter(|o| o.name != a && full)
                {
                    for t in &o.sigs {
                        let sc = if t.exact == s.exact {
                            1.0
                        } else {
                            score(&s.features, &t.features)
                        };
                        scored.push((sc, o.name.clone(), t.addr));
                    }
                }
                scored.sort_by(|x, y| y.0.total_cmp(&x.0));
                let ex: Vec<(String, u64)> =
                    scored.into_iter().take(50).map(|x| (x.1, x.2)).collect();
                rank_of(&ex, want, b, &by_name)
            };
            let ex_rank = exhaustive(&signature::similarity);
            let idf_rank = exhaustive(&sim_idf);
            idf1 += usize::from(idf_rank == Some(1));
            idf10 += usize::from(idf_rank.is_some_and(|r| r <= 10));
            n += 1;
            r1 += usize::from(rank == Some(1));
            r10 += usize::from(rank.is_some_and(|r| r <= 10));
            ex1 += usize::from(ex_rank == Some(1));
            if !s.tiny() {
                nt += 1;
                nt1 += usize::from(rank == Some(1));
                nt10 += usize::from(rank.is_some_and(|r| r <= 10));
            }
        }
        let pct = |x: usize, n: usize| if n == 0 { 0.0 } else { x as f64 / n as f64 };
        if full {
            println!(
                "| {a} → {b} | {n} | {:.3} | {:.3} | {nt} | {:.3} | {:.3} | {:.3} | {:.3} / {:.3} |",
                pct(r1, n), pct(r10, n), pct(nt1, nt), pct(nt10, nt), pct(ex1, n), pct(idf1, n), pct(idf10, n)
            );
        }
        summary.push(format!("{:.3} / {:.3}", pct(r1, n), pct(r10, n)));
    }
    if !full {
        return summary.join(" | ");
    }
    latencies.sort_by(f64::total_cmp);
    let p = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q) as usize];
    println!(
        "\nquery latency over {} queries: p50 {:.2} ms, p95 {:.2} ms",
        latencies.len(),
        p(0.5),
        p(0.95)
    );

    // False positives: brotli gcc-O2 against the distractors only.
    let fp_index = SearchIndex::open(&dir.path().join("fp")).unwrap();
    let fp_docs: Vec<BinaryDocs> = distractors.iter().map(docs).collect();
    fp_index
        .replace(&fp_docs, std::time::Duration::from_secs(5))
        .unwrap();
    let q = by_name["gcc-O2"];
    let mut best: Vec<(f64, bool)> = Vec::new();
    for s in &q.sigs {
        let top = fp_index.similar(s, 1, 0.0, Some("gcc-O2"), None).unwrap();
        best.push((top.first().map_or(0.0, |m| m.score), s.tiny()));
    }
    // True positives at the same thresholds: gcc-O2 vs clang-O2 counterpart score.
    let clang = by_name["clang-O2"];
    let clang_by_name: HashMap<&String, &Signature> = clang
        .sigs
        .iter()
        .filter_map(|s| clang.names.get(&s.addr).map(|n| (n, s)))
        .collect();
    let mut tp: Vec<(f64, bool)> = Vec::new();
    for s in &q.sigs {
        if let Some(o) = q.names.get(&s.addr).and_then(|n| clang_by_name.get(n)) {
            let sc = if o.exact == s.exact {
                1.0
            } else {
                signature::similarity(&s.features, &o.features)
            };
            tp.push((sc, s.tiny()));
        }
    }
    println!("\nscore threshold | false-positive rate (all / non-tiny), best match among unrelated functions | share of gcc-O2/clang-O2 counterparts at or above (all / non-tiny)");
    println!("|---|---|---|");
    for th in [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] {
        let rate = |v: &[(f64, bool)], only_big: bool| {
            let v: Vec<&(f64, bool)> = v.iter().filter(|x| !only_big || !x.1).collect();
            v.iter().filter(|x| x.0 >= th).count() as f64 / v.len().max(1) as f64
        };
        println!(
            "| {th:.1} | {:.3} / {:.3} | {:.3} / {:.3} |",
            rate(&best, false),
            rate(&best, true),
            rate(&tp, false),
            rate(&tp, true)
        );
    }
    summary.join(" | ")
}
