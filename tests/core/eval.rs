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

impl Toolchain {
    /// An armhf (Thumb-2) gcc build. Debian's gcc writes ARM unwind
    /// tables (`.ARM.exidx`) for C only when asked, so the build asks for
    /// them: the stripped copy has them, the other copy has them removed.
    fn armhf(name: &'static str, opt: &'static str) -> Self {
        Toolchain {
            name,
            cc: "arm-linux-gnueabihf-gcc",
            prefix: "arm-linux-gnueabihf-",
            opt,
        }
    }

    fn is_arm(&self) -> bool {
        self.cc.starts_with("arm-")
    }
}

impl Toolchain {
    /// Only gcc writes the call graph (`-fcallgraph-info`) that gives the
    /// truth for internal calls; clang builds are scored on starts and
    /// import calls.
    fn has_callgraph_info(&self) -> bool {
        !self.cc.starts_with("clang")
    }
}

/// The C runtime's functions linked into every program (not from the
/// evaluated sources).
const CRT: &[&str] = &[
    "_start",
    "_init",
    "_fini",
    "deregister_tm_clones",
    "register_tm_clones",
    "__do_global_dtors_aux",
    "frame_dummy",
    "call_weak_fn",
];

/// libgcc's hand-written ARM division routines: their entry points are
/// typed functions, but the labels they branch and call to inside one
/// another (`.divsi3_skip_div0_test`, a shared division-by-zero exit) are
/// untyped, so the symbol table cannot judge starts inside them.
const LIBGCC_ASM: &[&str] = &[
    "__divsi3",
    "__udivsi3",
    "__aeabi_idiv",
    "__aeabi_uidiv",
    "__aeabi_idivmod",
    "__aeabi_uidivmod",
];

/// A program to build: its C sources and include directory.
struct Program {
    name: &'static str,
    sources: Vec<PathBuf>,
    include: Option<PathBuf>,
}

/// Built variants of one configuration.
struct Build {
    full: PathBuf,
    stripped: PathBuf,
    no_unwind: PathBuf,
    dir: PathBuf,
}

fn eval_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("eval")
}

/// The brotli CLI and library.
fn brotli() -> Program {
    let root = eval_dir().join("brotli/c");
    let mut sources = Vec::new();
    for sub in ["common", "dec", "enc"] {
        for e in std::fs::read_dir(root.join(sub)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "c") {
                sources.push(p);
            }
        }
    }
    sources.push(root.join("tools/brotli.c"));
    sources.sort();
    Program {
        name: "brotli",
        sources,
        include: Some(root.join("include")),
    }
}

/// A bytecode interpreter: computed-goto dispatch and big switches, whose
/// jump-table targets are blocks of one function, not functions.
fn interp() -> Program {
    Program {
        name: "interp",
        sources: vec![eval_dir().join("interp/interp.c")],
        include: None,
    }
}

fn build(p: &Program, t: &Toolchain) -> Build {
    let dir = scratch(&format!("eval-{}-{}", p.name, t.name));
    let full = dir.join(p.name);
    let mut cc = Command::new(t.cc);
    cc.current_dir(&dir).arg(t.opt);
    if t.is_arm() {
        cc.arg("-funwind-tables");
    }
    if t.has_callgraph_info() {
        cc.arg("-fcallgraph-info");
    }
    if let Some(include) = &p.include {
        cc.arg("-I").arg(include);
    }
    run(cc.args(&p.sources).arg("-lm").arg("-o").arg(&full));
    let stripped = dir.join(format!("{}.stripped", p.name));
    run(Command::new(format!("{}strip", t.prefix))
        .arg("-s")
        .arg(&full)
        .arg("-o")
        .arg(&stripped));
    let no_unwind = dir.join(format!("{}.nounwind", p.name));
    run(Command::new(format!("{}objcopy", t.prefix))
        .args([
            "--remove-section",
            ".eh_frame",
            "--remove-section",
            ".eh_frame_hdr",
            "--remove-section",
            ".ARM.exidx",
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
    // ARM: a Thumb function's symbol has the low bit set.
    let mask = if elf.header.e_machine == goblin::elf::header::EM_ARM {
        !1
    } else {
        !0
    };
    let mut out = HashMap::new();
    for s in elf.syms.iter() {
        if s.st_type() == sym::STT_FUNC && s.st_shndx != 0 && s.st_value != 0 {
            let name = elf.strtab.get_at(s.st_name).unwrap_or("").to_string();
            // Nameless: a stub the linker made (ARM's Cortex-A8 erratum
            // veneer, a branch moved out of its function), not a function.
            if name.is_empty() {
                continue;
            }
            out.entry(s.st_value & mask).or_insert(name);
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
        let is_branch = ["call", "jmp", "bl\t", "b\t", "bl ", "b ", "blx", "b.w"]
            .iter()
            .any(|m| rest.starts_with(m));
        if let (true, Some(start)) = (is_branch, rest.find('<')) {
            // ARM: Thumb code's `blx` goes to `foo@plt+0x4`, the ARM
            // code after the entry's Thumb `bx pc`.
            let target = rest[start + 1..].strip_suffix('>').unwrap_or("");
            let target = target.strip_suffix("+0x4").unwrap_or(target);
            if let Some(name) = target.strip_suffix("@plt") {
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
/// (starts with unwind, starts without, internal calls when the toolchain
/// gives their truth, import calls).
fn evaluate(p: &Program, t: &Toolchain) -> (Score, Score, Option<Score>, Score) {
    let b = build(p, t);
    let truth = truth_functions(&b.full);
    let truth_starts: HashSet<u64> = truth.keys().copied().collect();
    let defined: HashSet<String> = truth.values().map(|n| norm(n)).collect();

    let with = analyze(&b.stripped);
    let without = analyze(&b.no_unwind);
    assert!(with.hardening.stripped && without.hardening.stripped);
    // The C runtime's start files hold unnamed functions (i386 `_start`
    // calls a pc thunk at `_start+0x28`): the symbol table cannot judge
    // starts inside them, so they are not counted.
    let mut named: Vec<(u64, &String)> = truth.iter().map(|(a, n)| (*a, n)).collect();
    named.sort_unstable();
    let inside_crt = |a: u64| match named.partition_point(|(s, _)| *s <= a) {
        0 => false,
        i => {
            let name = named[i - 1].1.as_str();
            named[i - 1].0 != a && (CRT.contains(&name) || LIBGCC_ASM.contains(&name))
        }
    };
    let starts = |f: &BinaryFacts| {
        f.code
            .functions
            .iter()
            .map(|x| x.addr)
            .filter(|a| !inside_crt(*a))
            .collect::<HashSet<u64>>()
    };
    let s_with = score(&starts(&with), &truth_starts);
    let s_without = score(&starts(&without), &truth_starts);

    // Internal call edges, named through the unstripped symbol table.
    let tcalls: HashSet<(String, String)> = truth_calls(&b.dir, &defined).into_iter().collect();
    let ci_nodes = if t.has_callgraph_info() {
        ci_functions(&b.dir)
    } else {
        defined
            .iter()
            .filter(|n| !CRT.contains(&n.as_str()))
            .cloned()
            .collect()
    };
    let pcalls: HashSet<(String, String)> = with
        .code
        .calls
        .iter()
        .filter_map(|c| Some((norm(truth.get(&c.caller)?), norm(truth.get(&c.callee)?))))
        .filter(|(a, b)| a != b || tcalls.contains(&(a.clone(), b.clone())))
        .filter(|(a, _)| ci_nodes.contains(a))
        .collect();
    let s_calls = t.has_callgraph_info().then(|| score(&pcalls, &tcalls));

    // Import calls resolved by name at the right site, in the functions of
    // the evaluated sources (not the C runtime's start files, where objdump
    // names neither the unreachable `bl abort` after `__libc_start_main`
    // nor jumps through GOT slots such as `_ITM_deregisterTMCloneTable`'s).
    let in_sources = |site: u64| match named.partition_point(|(a, _)| *a <= site) {
        0 => false,
        i => ci_nodes.contains(&norm(named[i - 1].1)),
    };
    let timp: HashSet<(u64, String)> = truth_import_calls(&format!("{}objdump", t.prefix), &b.full)
        .into_iter()
        .filter(|(site, _)| in_sources(*site))
        .collect();
    let pimp: HashSet<(u64, String)> = with
        .code
        .import_calls
        .iter()
        .filter(|c| in_sources(c.site))
        .map(|c| (c.site, c.name.clone()))
        .collect();
    let s_imp = score(&pimp, &timp);

    for (what, s) in [
        ("starts+unwind", Some(&s_with)),
        ("starts-unwind", Some(&s_without)),
        ("internal calls", s_calls.as_ref()),
        ("import calls", Some(&s_imp)),
    ] {
        let Some(s) = s else {
            println!(
                "EVAL {:<7} {:<16} {what:<15} no truth (no -fcallgraph-info)",
                p.name, t.name
            );
            continue;
        };
        println!(
            "EVAL {:<7} {:<16} {:<15} precision {:.4} recall {:.4} (predicted {}, truth {})",
            p.name, t.name, what, s.precision, s.recall, s.predicted, s.truth
        );
    }
    if std::env::var_os("BINGRAPH_EVAL_VERBOSE").is_some() {
        // Where a wrong start is: the truth function it falls in, and the offset.
        let mut sorted: Vec<u64> = truth_starts.iter().copied().collect();
        sorted.sort_unstable();
        let locate = |a: &u64| match sorted.partition_point(|s| s <= a) {
            0 => format!("{a:#x}"),
            i => format!(
                "{a:#x} ({}+{:#x})",
                truth[&sorted[i - 1]],
                a - sorted[i - 1]
            ),
        };
        for (what, f) in [("with", &with), ("without", &without)] {
            let missed: Vec<_> = truth_starts
                .difference(&starts(f))
                .map(|a| truth[a].clone())
                .collect();
            println!("missed {what} unwind: {missed:?}");
            let extra: Vec<_> = starts(f).difference(&truth_starts).map(locate).collect();
            println!("extra {what} unwind: {extra:?}");
        }
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
        println!(
            "imports extra: {:?}",
            pimp.difference(&timp).take(20).collect::<Vec<_>>()
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

fn check(p: &Program, t: &Toolchain, targets_without_unwind: (f64, f64)) {
    check_with(p, t, (0.999, 0.999), targets_without_unwind);
}

fn check_with(
    p: &Program,
    t: &Toolchain,
    targets_with_unwind: (f64, f64),
    targets_without_unwind: (f64, f64),
) {
    let (with, without, calls, imports) = evaluate(p, t);
    require(
        t,
        "starts with unwind",
        &with,
        targets_with_unwind.0,
        targets_with_unwind.1,
    );
    require(
        t,
        "starts without unwind",
        &without,
        targets_without_unwind.0,
        targets_without_unwind.1,
    );
    if let Some(calls) = calls {
        require(t, "internal calls", &calls, 0.99, 0.99);
    }
    require(t, "import calls", &imports, 0.99, 0.99);
}

#[test]
fn brotli_x86_64_gcc_o0() {
    check(
        &brotli(),
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
        &brotli(),
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
        &brotli(),
        &Toolchain {
            name: "aarch64-gcc-O2",
            cc: "aarch64-linux-gnu-gcc",
            prefix: "aarch64-linux-gnu-",
            opt: "-O2",
        },
        (0.99, 0.95),
    );
}

#[test]
fn interp_x86_64_gcc_o0() {
    check(
        &interp(),
        &Toolchain {
            name: "x86-64-gcc-O0",
            cc: "cc",
            prefix: "",
            opt: "-O0",
        },
        (0.97, 0.95),
    );
}

#[test]
fn interp_x86_64_gcc_o2() {
    check(
        &interp(),
        &Toolchain {
            name: "x86-64-gcc-O2",
            cc: "cc",
            prefix: "",
            opt: "-O2",
        },
        (0.97, 0.95),
    );
}

#[test]
fn interp_aarch64_gcc_o2() {
    check(
        &interp(),
        &Toolchain {
            name: "aarch64-gcc-O2",
            cc: "aarch64-linux-gnu-gcc",
            prefix: "aarch64-linux-gnu-",
            opt: "-O2",
        },
        (0.97, 0.95),
    );
}

#[test]
fn interp_x86_64_clang_o0() {
    check(
        &interp(),
        &Toolchain {
            name: "x86-64-clang-O0",
            cc: "clang",
            prefix: "",
            opt: "-O0",
        },
        (0.97, 0.95),
    );
}

#[test]
fn interp_x86_64_clang_o2() {
    check(
        &interp(),
        &Toolchain {
            name: "x86-64-clang-O2",
            cc: "clang",
            prefix: "",
            opt: "-O2",
        },
        (0.97, 0.95),
    );
}

#[test]
fn brotli_i386_gcc_o2() {
    check(
        &brotli(),
        &Toolchain {
            name: "i386-gcc-O2",
            cc: "i686-linux-gnu-gcc",
            prefix: "i686-linux-gnu-",
            opt: "-O2",
        },
        (0.99, 0.95),
    );
}

#[test]
fn brotli_armhf_gcc_o2() {
    check(
        &brotli(),
        &Toolchain::armhf("armhf-gcc-O2", "-O2"),
        (0.97, 0.95),
    );
}

#[test]
fn interp_armhf_gcc_o2() {
    check(
        &interp(),
        &Toolchain::armhf("armhf-gcc-O2", "-O2"),
        (0.97, 0.95),
    );
}

/// One start is missed with and without unwind tables: libgcc's
/// `__aeabi_idiv0`, whose only entries are jumps from the hand-written
/// division routines, one of them from the routine just before it (the
/// shared division-by-zero exit, taken for a block of that routine).
#[test]
fn brotli_armhf_gcc_o0() {
    check_with(
        &brotli(),
        &Toolchain::armhf("armhf-gcc-O0", "-O0"),
        (0.999, 0.998),
        (0.97, 0.95),
    );
}
