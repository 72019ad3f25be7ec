//! Each format on real binaries: ELF (gcc), PE (MinGW-w64, x86 and x86-64),
//! fat Mach-O (a universal2 wheel's extension module from PyPI).

use crate::common::macho_fixture;
use std::process::Command;

use bingraph::analysis::{
    self, AnalysisConfig, Arch, CallKind, Format, FunctionSource, RefKind, Relro,
};

use crate::support::{analyze_one, compile_c, func, run, scratch};

/// main -> a -> b -> system, a global written by `a`, a string passed to puts.
const CALL_CHAIN: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int counter;
__attribute__((noinline)) int b(const char *cmd) { return system(cmd); }
__attribute__((noinline)) int a(const char *cmd) { counter += 2; return b(cmd) + 1; }
int main(int argc, char **argv) {
    char buf[32];
    strcpy(buf, argc > 1 ? argv[1] : "true");
    puts("bingraph test program");
    return a(buf);
}
"#;

#[test]
fn elf_stripped_call_chain_main_and_imports() {
    let dir = scratch("formats-elf");
    let full = compile_c(
        "cc",
        CALL_CHAIN,
        &dir,
        "chain",
        &["-O1", "-fstack-protector-strong"],
    );
    let stripped = dir.join("chain.stripped");
    run(Command::new("strip")
        .arg("-s")
        .arg(&full)
        .arg("-o")
        .arg(&stripped));
    let f = analyze_one(&stripped);
    assert_eq!(f.identity.format, Format::Elf);
    assert_eq!(f.identity.arch, Arch::X86_64);
    assert!(f.hardening.stripped && f.hardening.pie && f.hardening.nx && f.hardening.canary);
    assert!(f.identity.build_id.as_ref().is_some_and(|b| b.len() == 40));
    // main comes from the entry stub's argument to __libc_start_main.
    let main = f.code.main.expect("main found from the entry stub");
    let m = f.code.functions.iter().find(|x| x.addr == main).unwrap();
    assert_eq!((m.name.as_str(), m.source), ("main", FunctionSource::Main));
    // The unstripped symbol table says where a and b are.
    let truth = analyze_one(&full);
    let (a, b) = (func(&truth, "a").addr, func(&truth, "b").addr);
    assert_eq!(func(&truth, "main").addr, main);
    let edge = |from: u64, to: u64| {
        f.code
            .calls
            .iter()
            .any(|c| c.caller == from && c.callee == to)
    };
    assert!(edge(main, a), "main -> a");
    assert!(edge(a, b), "a -> b");
    let system = f
        .code
        .import_calls
        .iter()
        .find(|c| c.name == "system")
        .expect("call to system");
    assert_eq!(system.caller, b);
    assert_eq!(system.library, "libc.so.6");
    assert!(f
        .code
        .import_calls
        .iter()
        .any(|c| c.name == "strcpy" || c.name == "__strcpy_chk"));
    // Import slots and PLT stubs.
    let imp = f.imports.iter().find(|i| i.name == "system").unwrap();
    assert!(imp.slot.is_some() && imp.stub.is_some());
    // Data references: the string passed to puts, the global written by a.
    assert!(f
        .code
        .data_refs
        .iter()
        .any(|r| r.function == main && r.string.as_deref() == Some("bingraph test program")));
    assert!(f
        .code
        .data_refs
        .iter()
        .any(|r| r.function == a && r.kind == RefKind::Write));
    // The listing names the call target.
    let bytes = std::fs::read(&stripped).unwrap();
    let lines = analysis::listing(&bytes, 0, b, &AnalysisConfig::default()).unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l.target.as_deref() == Some("system@plt")),
        "{lines:?}"
    );
}

#[test]
fn elf_hardening_flags() {
    let dir = scratch("formats-hardening");
    let hard = compile_c(
        "cc",
        CALL_CHAIN,
        &dir,
        "hard",
        &[
            "-O2",
            "-D_FORTIFY_SOURCE=2",
            "-fstack-protector-strong",
            "-Wl,-z,relro,-z,now",
        ],
    );
    let f = analyze_one(&hard);
    assert_eq!(f.hardening.relro, Some(Relro::Full));
    assert!(
        f.hardening.fortify
            && f.hardening
                .fortified_functions
                .contains(&"__strcpy_chk".to_string())
    );
    let soft = compile_c(
        "cc",
        CALL_CHAIN,
        &dir,
        "soft",
        &[
            "-O0",
            "-fno-stack-protector",
            "-no-pie",
            "-Wl,-z,norelro",
            "-z",
            "execstack",
            "-Wl,-rpath,/opt/x",
        ],
    );
    let f = analyze_one(&soft);
    assert!(!f.hardening.pie && !f.hardening.canary && !f.hardening.fortify && !f.hardening.nx);
    assert!(f.hardening.executable_stack);
    assert_eq!(f.hardening.relro, Some(Relro::None));
    assert_eq!(f.hardening.runpath.len() + f.hardening.rpath.len(), 1);
    // Non-PIE: call edges still resolve, and main is found.
    let main = func(&f, "main");
    assert!(f
        .code
        .calls
        .iter()
        .any(|c| c.caller == main.addr && c.callee == func(&f, "a").addr));
}

fn mingw(compiler: &str, name: &str) -> bingraph::analysis::BinaryFacts {
    let dir = scratch("formats-pe");
    let src = r#"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
__declspec(dllexport) int helper(int x) { return x * 3 + 1; }
__attribute__((noinline)) static int twice(int x) { return helper(x) + helper(x + 1); }
int main(int argc, char **argv) { char buf[64]; strcpy(buf, argc > 1 ? argv[1] : "none"); printf("%s %d\n", buf, twice(argc)); return system("echo hi"); }
"#;
    let exe = compile_c(compiler, src, &dir, name, &["-O1", "-fno-inline"]);
    analyze_one(&exe)
}

#[test]
fn pe_x86_64_and_x86_from_mingw() {
    for (compiler, arch, bits) in [
        ("x86_64-w64-mingw32-gcc", Arch::X86_64, 64),
        ("i686-w64-mingw32-gcc", Arch::X86, 32),
    ] {
        let f = mingw(compiler, &format!("w{bits}.exe"));
        assert_eq!(
            (f.identity.format, f.identity.arch.clone(), f.identity.bits),
            (Format::Pe, arch, bits)
        );
        assert!(f.identity.kind.ends_with("windows_cui"));
        assert!(f.identity.imphash.as_ref().is_some_and(|h| h.len() == 32));
        assert!(f
            .libraries
            .iter()
            .any(|l| l.eq_ignore_ascii_case("KERNEL32.dll")));
        let entry = f.identity.entry.unwrap();
        assert!(f
            .code
            .functions
            .iter()
            .any(|x| x.addr == entry && x.source <= FunctionSource::Entry));
        assert!(f.exports.iter().any(|e| e.name == "helper"));
        // 32-bit COFF names carry the C underscore.
        let named = |n: &str| {
            f.code
                .functions
                .iter()
                .find(|x| {
                    x.name == n || x.name == format!("_{n}") || x.name.starts_with(&format!("{n}."))
                })
                .unwrap_or_else(|| panic!("{n}"))
                .addr
        };
        let (main, twice, helper) = (named("main"), named("twice"), named("helper"));
        assert!(f
            .code
            .calls
            .iter()
            .any(|c| c.caller == main && c.callee == twice));
        assert!(f
            .code
            .calls
            .iter()
            .any(|c| c.caller == twice && c.callee == helper && c.kind == CallKind::Call));
        // system() through the IAT (via MinGW's jmp thunk) is named.
        assert!(
            f.code
                .import_calls
                .iter()
                .any(|c| c.caller == main && c.name == "system"),
            "{:?}",
            f.code.import_calls
        );
        let imp = f.imports.iter().find(|i| i.name == "system").unwrap();
        assert!(imp.slot.is_some());
        assert!(f.hardening.nx && f.hardening.dep && f.hardening.aslr);
        assert_eq!(f.hardening.high_entropy_va, bits == 64);
        if bits == 64 {
            // Stripped: the COFF symbols are gone, .pdata and calls still find the functions.
            let dir = scratch("formats-pe");
            let stripped = dir.join("w64s.exe");
            run(Command::new("x86_64-w64-mingw32-strip")
                .arg("-s")
                .arg(dir.join("w64.exe"))
                .arg("-o")
                .arg(&stripped));
            let s = analyze_one(&stripped);
            assert!(s.hardening.stripped && s.symbols.is_empty());
            assert!(
                s.code
                    .functions
                    .iter()
                    .filter(|x| x.source == FunctionSource::Unwind)
                    .count()
                    > 10,
                ".pdata ranges used"
            );
            for addr in [main, twice, helper] {
                assert!(
                    s.code.functions.iter().any(|x| x.addr == addr),
                    "{addr:#x} found when stripped"
                );
            }
        }
    }
}

#[test]
fn fat_macho_from_a_universal2_wheel() {
    let bytes = std::fs::read(macho_fixture()).unwrap();
    let all = analysis::analyze(&bytes, &AnalysisConfig::default()).unwrap();
    assert_eq!(all.len(), 2, "one result per slice");
    let arches: Vec<Arch> = all.iter().map(|f| f.identity.arch.clone()).collect();
    assert!(arches.contains(&Arch::X86_64) && arches.contains(&Arch::Aarch64));
    for f in &all {
        assert_eq!(f.identity.format, Format::Macho);
        assert!(f.identity.slice_offset.is_some() && f.identity.macho_uuid.is_some());
        assert_eq!(f.identity.kind, "bundle");
        assert!(f
            .exports
            .iter()
            .any(|e| e.name == "_BrotliDecoderCreateInstance"));
        assert!(f.hardening.canary);
        let init = func(f, "_PyInit__brotli");
        assert!(f
            .code
            .import_calls
            .iter()
            .any(|c| c.caller == init.addr && c.name == "PyModuleDef_Init"));
        let decompress = func(f, "_BrotliDecoderDecompress");
        assert!(decompress.instructions > 10 && decompress.blocks.len() > 2);
        assert!(f.code.calls.iter().any(|c| c.caller == decompress.addr));
        assert!(f.strings.iter().any(|s| s.value.contains("brotli")));
    }
}

/// Symbols carry their demangled names (filled in after loading, on the
/// pool), on a C++ library the OS ships (apt depends on libstdc++).
#[test]
fn elf_cpp_symbols_are_demangled() {
    let lib = ["/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu"]
        .iter()
        .map(|d| std::path::Path::new(d).join("libstdc++.so.6"))
        .find(|p| p.exists())
        .expect("libstdc++.so.6 is installed");
    let bytes = std::fs::read(&lib).unwrap();
    let cfg = AnalysisConfig {
        disassemble: false,
        ..AnalysisConfig::default()
    };
    let f = analysis::analyze(&bytes, &cfg).unwrap().remove(0);
    let demangled = |name: &str| {
        f.symbols
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no symbol {name}"))
            .demangled
            .clone()
    };
    assert_eq!(
        demangled("_ZNSt9exceptionD2Ev").as_deref(),
        Some("std::exception::~exception()")
    );
    assert_eq!(
        demangled("_ZNKSt9exception4whatEv").as_deref(),
        Some("std::exception::what() const")
    );
    let mangled: Vec<_> = f
        .symbols
        .iter()
        .filter(|s| s.name.starts_with("_Z"))
        .collect();
    let done = mangled.iter().filter(|s| s.demangled.is_some()).count();
    assert!(
        mangled.len() > 1000 && done * 100 >= mangled.len() * 99,
        "{done} of {}",
        mangled.len()
    );
    assert!(f
        .symbols
        .iter()
        .filter(|s| !s.name.starts_with('_'))
        .all(|s| s.demangled.is_none()));
}
