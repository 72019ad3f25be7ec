//! Integration tests of the analysis core on real binaries compiled at test time.

#[path = "../common/mod.rs"]
mod common;
mod eval;
mod formats;
mod hostile;
mod layers;
mod support;
