//! Search at scale: one million function signatures and over one million
//! symbols in one index.
//!
//! Real signatures and symbols come from the ELF files under /usr/lib and
//! /usr/bin (analysed with the service's own core); the set is replicated
//! under new binary ids until it reaches the target, so every LSH bucket is
//! as crowded as the copies make it. Reports the build time, the index size
//! on disk, and the latency of top-10 similarity queries and of symbol
//! searches (words and prefixes of real symbol names).
//!
//! `cargo bench --bench search_scale -- [FUNCTIONS] [SYMBOLS]`
//! (defaults 1000000 and 1000000).

use std::path::Path;
use std::time::{Duration, Instant};

use bingraph::analysis::signature::{self, Signature};
use bingraph::analysis::{self, AnalysisConfig};
use bingraph::search::{BinaryDocs, FunctionDoc, Kind, SearchIndex, SymbolDoc, TextQuery};

struct Source {
    sigs: Vec<Signature>,
    symbols: Vec<SymbolDoc>,
}

fn collect(max_functions: usize, budget: Duration) -> Vec<Source> {
    let started = Instant::now();
    let mut out = Vec::new();
    let mut functions = 0;
    let mut files: Vec<_> = ["/usr/lib/x86_64-linux-gnu", "/usr/bin", "/usr/lib"]
        .iter()
        .flat_map(|d| walkdir::WalkDir::new(d).max_depth(2).into_iter().flatten())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files.dedup();
    let cfg = AnalysisConfig::default();
    for p in files {
        if functions >= max_functions || started.elapsed() > budget {
            break;
        }
        let Ok(meta) = std::fs::metadata(&p) else {
            continue;
        };
        if meta.len() < 4096 || meta.len() > 40 << 20 {
            continue;
        }
        let Ok(bytes) = std::fs::read(&p) else {
            continue;
        };
        if !bytes.starts_with(b"\x7fELF") {
            continue;
        }
        let Ok(facts) = analysis::analyze(&bytes, &cfg) else {
            continue;
        };
        let Some(facts) = facts.into_iter().next() else {
            continue;
        };
        let Ok(sigs) = signature::signatures(&bytes, 0, &facts) else {
            continue;
        };
        functions += sigs.len();
        let symbols = facts
            .symbols
            .iter()
            .map(|s| SymbolDoc {
                name: s.name.clone(),
                demangled: s.demangled.clone(),
                addr: s.addr,
                kind: "function".into(),
            })
            .collect();
        out.push(Source { sigs, symbols });
    }
    out
}

fn dir_size(p: &Path) -> u64 {
    walkdir::WalkDir::new(p)
        .into_iter()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

fn percentiles(mut v: Vec<f64>) -> String {
    v.sort_by(f64::total_cmp);
    let p = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    format!(
        "p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms (n={})",
        p(0.5),
        p(0.95),
        p(0.99),
        v.len()
    )
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let want_functions = args.first().copied().unwrap_or(1_000_000);
    let want_symbols = args.get(1).copied().unwrap_or(1_000_000);

    let t = Instant::now();
    let sources = collect(250_000, Duration::from_secs(240));
    let real_functions: usize = sources.iter().map(|s| s.sigs.len()).sum();
    let real_symbols: usize = sources.iter().map(|s| s.symbols.len()).sum();
    println!(
        "real corpus: {} binaries, {real_functions} functions, {real_symbols} symbols (analysed in {:.0} s)",
        sources.len(),
        t.elapsed().as_secs_f64()
    );
    assert!(real_functions > 0 && real_symbols > 0, "no ELF files found");

    let dir = tempfile::tempdir_in(concat!(env!("CARGO_MANIFEST_DIR"), "/target")).unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    let t = Instant::now();
    let (mut functions, mut symbols, mut copy) = (0usize, 0usize, 0usize);
    let mut batch: Vec<BinaryDocs> = Vec::new();
    let mut batched = 0usize;
    'outer: loop {
        for (i, s) in sources.iter().enumerate() {
            if functions >= want_functions && symbols >= want_symbols {
                break 'outer;
            }
            let take_fns = functions < want_functions;
            let take_syms = symbols < want_symbols;
            let docs = BinaryDocs {
                sha256: format!("copy{copy}-bin{i}"),
                stamp: "bench".into(),
                title: format!("bin{i}"),
                text: format!("bin{i}"),
                functions: if take_fns {
                    s.sigs
                        .iter()
                        .map(|g| FunctionDoc {
                            name: String::new(),
                            signature: g.clone(),
                        })
                        .collect()
                } else {
                    Vec::new()
                },
                symbols: if take_syms {
                    s.symbols.clone()
                } else {
                    Vec::new()
                },
                ..BinaryDocs::default()
            };
            functions += docs.functions.len();
            symbols += docs.symbols.len();
            batched += docs.functions.len() + docs.symbols.len();
            batch.push(docs);
            if batched > 200_000 {
                index.replace(&batch, Duration::from_secs(5)).unwrap();
                batch.clear();
                batched = 0;
            }
        }
        copy += 1;
    }
    index.replace(&batch, Duration::from_secs(5)).unwrap();
    let build = t.elapsed().as_secs_f64();
    let counts = index.counts().unwrap();
    println!(
        "index: {} function signatures, {} symbols ({copy} copies of the real corpus) built in {build:.0} s; {:.0} MB on disk",
        counts["function"],
        counts["symbol"],
        dir_size(dir.path()) as f64 / 1e6
    );

    // Similarity: top-10 for 1000 functions spread over the real corpus.
    let all: Vec<&Signature> = sources.iter().flat_map(|s| s.sigs.iter()).collect();
    let step = (all.len() / 1000).max(1);
    let mut lat = Vec::new();
    let mut found = 0;
    for s in all.iter().step_by(step).take(1000) {
        let t = Instant::now();
        let r = index.similar(s, 10, 0.0, None, None).unwrap();
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
        found += usize::from(!r.is_empty());
    }
    println!(
        "similar (k=10) over {} signatures: {}; {found} queries with matches",
        counts["function"],
        percentiles(lat)
    );

    // Symbol search: a word of a real symbol, and a 4-character prefix.
    let names: Vec<&SymbolDoc> = sources.iter().flat_map(|s| s.symbols.iter()).collect();
    let step = (names.len() / 1000).max(1);
    let (mut words, mut prefixes) = (Vec::new(), Vec::new());
    for s in names.iter().step_by(step).take(1000) {
        let w = bingraph::search::text::words(&s.name);
        let Some(first) = w.first() else { continue };
        for (q, out) in [
            (first.whole.clone(), &mut words),
            (
                first.whole.chars().take(4).collect::<String>(),
                &mut prefixes,
            ),
        ] {
            let t = Instant::now();
            let r = index
                .search(&TextQuery {
                    q,
                    viewer: bingraph::search::ALL_VIEWERS.to_string(),
                    kind: Some(Kind::Symbol),
                    binary: None,
                    offset: 0,
                    limit: 20,
                })
                .unwrap();
            out.push(t.elapsed().as_secs_f64() * 1000.0);
            assert!(r.total > 0);
        }
    }
    println!(
        "symbol search, whole word, over {} symbols: {}",
        counts["symbol"],
        percentiles(words)
    );
    println!("symbol search, 4-char prefix: {}", percentiles(prefixes));
}
