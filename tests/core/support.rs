//! Helpers: compile C programs with the system and cross compilers.

use std::path::Path;

use bingraph::analysis::{self, AnalysisConfig, BinaryFacts};

pub use crate::common::{compile_c, run, scratch};

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
