//! bingraph: binary intelligence as a property graph.
//!
//! The modules, by layer from the bottom (imports only point down; see
//! `docs/ARCHITECTURE.md`, and `tests/core/layers.rs`, which checks it):
//!
//! - core: [`analysis`]: pure, bytes in, facts out (formats, disassembly, CFG,
//!   calls, findings, similarity signatures).
//! - infra: [`graph`] (the `GraphStore` trait, its backends, the graph model,
//!   read models, timestamps), [`search`] (the tantivy index, queries, binary
//!   ranking, index sync), [`blobs`] (content-addressed files), [`report`]
//!   (the report document and renderers), [`provenance`] (signed provenance),
//!   [`signing`] (key files).
//! - domain: [`pipeline`] (the twelve phases, one file each, and a progress
//!   sink), [`jobs`] (the durable queue and workers), [`auth`] (users, API
//!   keys, sessions, scopes, rate limits, usage and uploads in an account
//!   store apart from the analysis graph), [`callgraph`] (a binary's call
//!   graph in memory, for walks and paths), [`transfer`] (export and import
//!   of a whole graph as JSON lines).
//! - app: [`app`] (the shared state and read caches), [`config`].
//! - http: [`router`], [`http`] (handlers and extractors), [`openapi`],
//!   [`error`] (the API envelope; every domain error is mapped there).
//! - entry: [`cli`] (the commands behind `bingraph serve | ingest | query |
//!   …`).

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
