//! Helpers shared by the `core` and `api` test binaries (each includes this
//! file with `#[path]`): scratch directories, compiling C, fixtures.

#![allow(dead_code)] // each test binary uses its own subset

use std::path::{Path, PathBuf};
use std::process::Command;

/// A scratch directory under the target dir that lives for the test run.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Run a command and panic with its stderr if it fails.
pub fn run(cmd: &mut Command) {
    stdout_of(cmd);
}

/// Run a command; its standard output, or a panic with its stderr if it fails.
pub fn stdout_of(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot run {cmd:?}: {e} (scripts/test installs the toolchains)")
    });
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
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

/// A universal2 Mach-O from PyPI (`brotli` wheel); scripts/test downloads it.
pub fn macho_fixture() -> PathBuf {
    let p = std::env::var_os("BINGRAPH_MACHO_FIXTURE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("../fixtures/_brotli.so")
        });
    assert!(
        p.exists(),
        "{} is missing: run scripts/test, which downloads it",
        p.display()
    );
    p
}
