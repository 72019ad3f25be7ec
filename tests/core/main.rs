//! Integration tests of the analysis core on real binaries compiled at test time.

mod eval;
mod formats;
mod hostile;
mod layers;
mod support;
