//! Accuracy evaluation on real C code nobody here wrote: the brotli CLI and
//! library (eval/brotli, MIT, from the PyPI `brotli` 1.2.1 sdist), built at
//! test time. Ground truth comes from the unstripped build (symbol table),
//! from `gcc -fcallgraph-info` (.ci files) for direct calls, and from
//! `objdump -d` on the unstripped build for calls to imports. The core is run
//! on `strip -s` copies, and on copies with the unwind info removed too.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use bingraph::analysis::{self, AnalysisConfig, BinaryFacts};
use goblin::elf::{sym, Elf};

use crate::support::{run, scratch};

/// One toolchain configuration.
struct Toolchain {
    name: &'static str,
    cc: &'static str,
    prefix: &'static str,
    opt: &'static str,
}

/// Built variants of one configuration.
struct Build {
    full: PathBuf,
    stripped: PathBuf,
    no_unwind: PathBuf,
    dir: PathBuf,
}

fn brotli_sources() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("eval/brotli/c");
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

fn build(t: &Toolchain) -> Build {
    let dir = scratch(&format!("eval-{}", t.name));
    let full = dir.join("brotli");
    let include = Path::new(env!("CARGO_MANIFEST_DIR")).join("eval/brotli/c/include");
    run(Command::new(t.cc)
        .current_dir(&dir)
        .arg(t.opt)
        .arg("-fcallgraph-info")
        .arg("-I")
        .arg(&include)
        .args(brotli_sources())
        .arg("-lm")
        .arg("-o")
        .arg(&full));
    let stripped = dir.join("brotli.stripped");
    run(Command::new(format!("{}strip", t.prefix))
        .arg("-s")
        .arg(&full)
        .arg("-o")
        .arg(&stripped));
    let no_unwind = dir.join("brotli.nounwind");
    run(Command::new(format!("{}objcopy", t.prefix))
        .args([
            "--remove-section",
            ".eh_frame",
            "--remove-section",
            ".eh_frame_hdr",
        ])
        .arg(&stripped)
        .arg(&no_unwind));
    Build {
        full,
        stripped,
        no_unwind,
        dir,
    }
}

/// Function symbols of the unstripped build: address → name.
fn truth_functions(path: &Path) -> HashMap<u64, String> {
    let bytes = std::fs::read(path).unwrap();
    let elf = Elf::parse(&bytes).unwrap();
    let mut out = HashMap::new();
    for s in elf.syms.iter() {
        if s.st_type() == sym::STT_FUNC && s.st_shndx != 0 && s.st_value != 0 {
            let name = elf.strtab.get_at(s.st_name).unwrap_or("").to_string();
            out.entry(s.st_value).or_insert(name);
        }
    }
    out
}

/// `foo.cold`, `foo.part.0`, `foo.constprop.0` and `file.c:foo` all mean `foo`.
fn norm(name: &str) -> String {
    let n = name.rsplit(':').next().unwrap_or(name);
    n.split('.').next().unwrap_or(n).to_string()
}

/// Direct calls between functions defined in the binary, from the .ci files.
fn truth_calls(dir: &Path, defined: &HashSet<String>) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "ci") {
            continue;
        }
        for line in std::fs::read_to_string(&p).unwrap().lines() {
            let Some(rest) = line.strip_prefix("edge: { sourcename: \"") else {
                continue;
            };
            let mut parts = rest.split('"');
            let src = parts.next().unwrap_or("");
            let dst = parts.nth(1).unwrap_or("");
            let (s, d) = (norm(src), norm(dst));
            if defined.contains(&s) && defined.contains(&d) {
                out.insert((s, d));
            }
        }
    }
    out
}

/// Functions that have a node in the .ci files (compiled from the evaluated sources).
fn ci_functions(dir: &Path) -> HashSet<String> {
    let mut out = HashSet::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "ci") {
            for line in std::fs::read_to_string(&p).unwrap().lines() {
                if let Some(rest) = line.strip_prefix("node: { title: \"") {
                    if !line.contains("shape : ellipse") {
                        out.insert(norm(rest.split('"').next().unwrap_or("")));
                    }
                }
            }
        }
    }
    out
}

/// Call and jump sites to PLT entries, from objdump on the unstripped build.
fn truth_import_calls(objdump: &str, path: &Path) -> HashMap<u64, String> {
    let out = Command::new(objdump)
        .arg("-d")
        .arg("--no-show-raw-insn")
        .arg(path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut sites = HashMap::new();
    let mut in_plt = false;
    for line in text.lines() {
        if line.starts_with("Disassembly of section") {
            in_plt = line.contains(".plt");
            continue;
        }
        if in_plt {
            continue;
        }
        let Some((addr, rest)) = line.trim_start().split_once(':') else {
            continue;
        };
        let Ok(addr) = u64::from_str_radix(addr.trim(), 16) else {
            continue;
        };
        let rest = rest.trim();
        let is_branch = ["call", "jmp", "bl\t", "b\t", "bl ", "b "]
            .iter()
            .any(|m| rest.starts_with(m));
        if let (true, Some(start)) = (is_branch, rest.find('<')) {
            if let Some(name) = rest[start + 1..]
                .strip_suffix('>')
                .and_then(|s| s.strip_suffix("@plt"))
            {
                sites.insert(addr, name.to_string());
            }
        }
    }
    sites
}

struct Score {
    precision: f64,
    recall: f64,
    predicted: usize,
    truth: usize,
}

fn score<T: Eq + std::hash::Hash + Clone>(pred: &HashSet<T>, truth: &HashSet<T>) -> Score {
    let hit = pred.intersection(truth).count() as f64;
    Score {
        precision: if pred.is_empty() {
            0.0
        } else {
            hit / pred.len() as f64
        },
        recall: if truth.is_empty() {
            1.0
        } else {
            hit / truth.len() as f64
        },
        predicted: pred.len(),
        truth: truth.len(),
    }
}

fn analyze(path: &Path) -> BinaryFacts {
    let bytes = std::fs::read(path).unwrap();
    analysis::analyze(&bytes, &AnalysisConfig::default())
        .unwrap()
        .remove(0)
}

/// Evaluate one toolchain; prints a report line per metric and returns
/// (starts with unwind, starts without, internal calls, import calls).
fn evaluate(t: &Toolchain) -> (Score, Score, Score, Score) {
    let b = build(t);
    let truth = truth_functions(&b.full);
    let truth_starts: HashSet<u64> = truth.keys().copied().collect();
    let defined: HashSet<String> = truth.values().map(|n| norm(n)).collect();

    let with = analyze(&b.stripped);
    let without = analyze(&b.no_unwind);
    assert!(with.hardening.stripped && without.hardening.stripped);
    let starts = |f: &BinaryFacts| {
        f.code
            .functions
            .iter()
            .map(|x| x.addr)
            .collect::<HashSet<u64>>()
    };
    let s_with = score(&starts(&with), &truth_starts);
    let s_without = score(&starts(&without), &truth_starts);

    // Internal call edges, named through the unstripped symbol table.
    let tcalls: HashSet<(String, String)> = truth_calls(&b.dir, &defined).into_iter().collect();
    let ci_nodes = ci_functions(&b.dir);
    let pcalls: HashSet<(String, String)> = with
        .code
        .calls
        .iter()
        .filter_map(|c| Some((norm(truth.get(&c.caller)?), norm(truth.get(&c.callee)?))))
        .filter(|(a, b)| a != b || tcalls.contains(&(a.clone(), b.clone())))
        .filter(|(a, _)| ci_nodes.contains(a))
        .collect();
    let s_calls = score(&pcalls, &tcalls);

    // Import calls resolved by name at the right site.
    let timp: HashSet<(u64, String)> = truth_import_calls(&format!("{}objdump", t.prefix), &b.full)
        .into_iter()
        .collect();
    let pimp: HashSet<(u64, String)> = with
        .code
        .import_calls
        .iter()
        .map(|c| (c.site, c.name.clone()))
        .collect();
    let s_imp = score(&pimp, &timp);

    for (what, s) in [
        ("starts+unwind", &s_with),
        ("starts-unwind", &s_without),
        ("internal calls", &s_calls),
        ("import calls", &s_imp),
    ] {
        println!(
            "EVAL {:<16} {:<15} precision {:.4} recall {:.4} (predicted {}, truth {})",
            t.name, what, s.precision, s.recall, s.predicted, s.truth
        );
    }
    if std::env::var_os("BINGRAPH_EVAL_VERBOSE").is_some() {
        let missed: Vec<_> = truth_starts
            .difference(&starts(&without))
            .map(|a| truth[a].clone())
            .collect();
        println!("missed without unwind: {missed:?}");
        let extra: Vec<_> = starts(&without)
            .difference(&truth_starts)
            .map(|a| format!("{a:#x}"))
            .collect();
        println!("extra without unwind: {extra:?}");
        println!(
            "calls missed: {:?}",
            tcalls.difference(&pcalls).collect::<Vec<_>>()
        );
        println!(
            "calls extra: {:?}",
            pcalls.difference(&tcalls).collect::<Vec<_>>()
        );
        println!(
            "imports missed: {:?}",
            timp.difference(&pimp).take(20).collect::<Vec<_>>()
        );
    }
    (s_with, s_without, s_calls, s_imp)
}

/// Fail with the figures when a score is below its target.
fn require(t: &Toolchain, what: &str, s: &Score, precision: f64, recall: f64) {
    assert!(
        s.precision >= precision && s.recall >= recall,
        "{}: {what} precision {:.4} recall {:.4}, targets {precision} / {recall}",
        t.name,
        s.precision,
        s.recall
    );
}

fn check(t: &Toolchain, targets_without_unwind: (f64, f64)) {
    let (with, without, calls, imports) = evaluate(t);
    require(t, "starts with unwind", &with, 0.999, 0.999);
    require(
        t,
        "starts without unwind",
        &without,
        targets_without_unwind.0,
        targets_without_unwind.1,
    );
    require(t, "internal calls", &calls, 0.99, 0.99);
    require(t, "import calls", &imports, 0.99, 0.99);
}

#[test]
fn brotli_x86_64_gcc_o0() {
    check(
        &Toolchain {
            name: "x86-64-gcc-O0",
            cc: "cc",
            prefix: "",
            opt: "-O0",
        },
        (0.99, 0.95),
    );
}

#[test]
fn brotli_x86_64_gcc_o2() {
    check(
        &Toolchain {
            name: "x86-64-gcc-O2",
            cc: "cc",
            prefix: "",
            opt: "-O2",
        },
        (0.99, 0.95),
    );
}

#[test]
fn brotli_aarch64_gcc_o2() {
    check(
        &Toolchain {
            name: "aarch64-gcc-O2",
            cc: "aarch64-linux-gnu-gcc",
            prefix: "aarch64-linux-gnu-",
            opt: "-O2",
        },
        (0.99, 0.95),
    );
}
