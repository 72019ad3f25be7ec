//! Hostile input: truncated and mutated real binaries never panic, hang or
//! break the facts' invariants (proptest over real files).

use std::collections::HashSet;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use bingraph::analysis::{self, AnalysisConfig, AnalysisError, BinaryFacts};
use proptest::prelude::*;

use crate::support::{compile_c, scratch};

/// Real inputs: a compiled ELF, a MinGW PE and the system's `true`.
fn corpus() -> &'static Vec<Vec<u8>> {
    static C: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    C.get_or_init(|| {
        let dir = scratch("hostile");
        let src = "#include <stdio.h>\nint f(int x){switch(x){case 1:return puts(\"a\");case 2:return 5;case 3:return x*x;case 4:return 9;default:return 0;}}\nint main(int c,char**v){return f(c);}\n";
        let elf = compile_c("cc", src, &dir, "h", &["-O2"]);
        let pe = compile_c("x86_64-w64-mingw32-gcc", src, &dir, "h.exe", &["-O2"]);
        [elf.as_path(), pe.as_path(), Path::new("/bin/true")].iter().map(|p| std::fs::read(p).unwrap()).collect()
    })
}

fn cfg() -> AnalysisConfig {
    AnalysisConfig {
        time_budget: Duration::from_secs(5),
        max_function_instructions: 20_000,
        ..AnalysisConfig::default()
    }
}

/// What must hold for any result.
fn check(result: Result<Vec<BinaryFacts>, AnalysisError>) -> Result<(), TestCaseError> {
    match result {
        Ok(all) => {
            for f in all {
                let funcs: HashSet<u64> = f.code.functions.iter().map(|x| x.addr).collect();
                prop_assert_eq!(
                    funcs.len(),
                    f.code.functions.len(),
                    "function addresses are unique"
                );
                for c in &f.code.calls {
                    prop_assert!(funcs.contains(&c.caller) && funcs.contains(&c.callee));
                }
                for x in &f.code.functions {
                    for b in &x.blocks {
                        prop_assert!(b.start < b.end);
                    }
                }
            }
        }
        Err(e) => {
            let msg = e.to_string();
            prop_assert!(
                !msg.contains("internal parser error"),
                "a parser panicked: {}",
                msg
            );
        }
    }
    Ok(())
}

proptest! {
    // PROPTEST_CASES=N runs a longer fuzzing session.
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(200), ..ProptestConfig::default() })]

    #[test]
    fn mutated_binaries(which in 0usize..3, flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..64)) {
        let mut bytes = corpus()[which].clone();
        // Mutate mostly the headers, where parsers are fragile, and some of the body.
        for (i, (at, v)) in flips.iter().enumerate() {
            let n = if i % 2 == 0 { bytes.len().min(4096) } else { bytes.len() };
            let pos = at.index(n);
            bytes[pos] = *v;
        }
        check(analysis::analyze(&bytes, &cfg()))?;
    }

    #[test]
    fn truncated_binaries(which in 0usize..3, cut in any::<prop::sample::Index>()) {
        let full = &corpus()[which];
        let bytes = &full[..cut.index(full.len())];
        check(analysis::analyze(bytes, &cfg()))?;
    }
}

#[test]
fn random_bytes_after_magic_are_errors_or_partial_facts() {
    for magic in [
        &b"\x7fELF\x02\x01\x01"[..],
        b"MZ",
        b"\xcf\xfa\xed\xfe",
        b"\xca\xfe\xba\xbe",
    ] {
        let mut bytes = magic.to_vec();
        bytes.extend((0..4000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8));
        let r = analysis::analyze(&bytes, &cfg());
        if let Err(e) = &r {
            assert!(!e.to_string().contains("internal parser error"), "{e}");
        }
    }
}
