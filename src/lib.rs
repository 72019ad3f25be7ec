//! bingraph: binary intelligence as a property graph.
//!
//! - [`analysis`]: pure core, bytes in, facts out (formats, disassembly, CFG, calls).
//! - [`graph`]: the `GraphStore` trait, its backends, the graph model, contract tests.
//! - [`ingest`] and [`blobs`]: files into the graph and the content-addressed store.
//! - [`callgraph`]: a binary's call graph in memory (petgraph), for walks and paths.
//! - [`auth`]: users, API keys, JWT sessions, scopes, rate limits, usage and
//!   uploads, in an account store apart from the analysis graph (peppered
//!   secrets; the migration from the old in-graph layout).
//! - [`app`], [`config`], [`error`], [`router`], [`http`], [`openapi`]: the REST service.
//! - [`transfer`]: export and import a whole graph as JSON lines (between backends).
//! - [`cli`]: the commands behind `bingraph serve | ingest | query`.

pub mod analysis;
pub mod app;
pub mod auth;
pub mod blobs;
pub mod callgraph;
pub mod cli;
pub mod config;
pub mod error;
pub mod graph;
pub mod http;
pub mod jobs;
pub mod openapi;
pub mod pipeline;
pub mod provenance;
pub mod report;
pub mod router;
pub mod search;
pub mod signing;
pub mod transfer;
