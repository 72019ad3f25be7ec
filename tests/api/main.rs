//! Integration tests of the service: through HTTP against a real app on a
//! real embedded store in a temp dir, with binaries compiled at test time.

mod accounts;
mod analysis;
mod auth;
mod binaries;
#[path = "../common/mod.rs"]
mod common;
mod contract;
mod cypher;
mod errors;
mod formats;
mod functions;
mod large;
mod search;
mod snapshots;
mod support;
mod transfer;
