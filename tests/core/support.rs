//! Helpers: compile C programs with the system and cross compilers.

use std::path::{Path, PathBuf};
use std::process::Command;

use bingraph::analysis::{self, AnalysisConfig, BinaryFacts};

/// A scratch directory under the target dir that lives for the test run.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Run a command and panic with its stderr if it fails.
pub fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot run {cmd:?}: {e} (scripts/test installs the toolchains)")
    });
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Compile one C source string with `compiler` and `flags` into `dir/name`.
pub fn compile_c(compiler: &str, src: &str, dir: &Path, name: &str, flags: &[&str]) -> PathBuf {
    let c = dir.join(format!("{name}.c"));
    std::fs::write(&c, src).unwrap();
    let out = dir.join(name);
    run(Command::new(compiler)
        .args(flags)
        .arg(&c)
        .arg("-o")
        .arg(&out));
    out
}

/// Analyse a file with default limits; exactly one binary expected.
pub fn analyze_one(path: &Path) -> BinaryFacts {
    let bytes = std::fs::read(path).unwrap();
    let mut v = analysis::analyze(&bytes, &AnalysisConfig::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(v.len(), 1);
    v.remove(0)
}

/// The function named `name` in the facts.
pub fn func<'a>(f: &'a BinaryFacts, name: &str) -> &'a bingraph::analysis::Function {
    f.code
        .functions
        .iter()
        .find(|x| x.name == name)
        .unwrap_or_else(|| panic!("no function {name}"))
}
