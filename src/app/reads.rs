//! The read models of one binary behind the API's pages — its call graph,
//! symbols and strings — from the in-memory caches, else from the digests
//! its ingest wrote, else rebuilt from the store (and the file, for
//! strings) and kept as digests for the next time.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{App, AppError};
use crate::analysis::{self, ListingLine, Parsed};
use crate::blobs::BlobStore;
use crate::callgraph::{CallGraph, CallRecords, DIGEST_KIND, DIGEST_VERSION};
use crate::graph::lists::{StringView, SymbolView, LISTS_VERSION};
use crate::graph::views::BinaryView;
use crate::params;

const FUNCTIONS: &str = include_str!("../../cypher/graph/functions.cypher");
const CALLS: &str = include_str!("../../cypher/graph/calls.cypher");
const SYMBOLS: &str = include_str!("../../cypher/binaries/symbols.cypher");
const REFERENCED_STRINGS: &str = include_str!("../../cypher/binaries/referenced_strings.cypher");

/// How often each read model was loaded from its digest and from the store
/// (the slow path on a large binary: the digest was missing or stale).
#[derive(Debug, Default)]
pub struct ReadCounts {
    by_kind: Mutex<BTreeMap<&'static str, [u64; 2]>>,
}

impl ReadCounts {
    fn count(&self, kind: &'static str, from_store: bool) {
        let mut m = self.by_kind.lock().unwrap_or_else(|e| e.into_inner());
        m.entry(kind).or_default()[usize::from(from_store)] += 1;
    }

    /// Loads of `kind` (`callgraph`, `symbols`, `strings`) from its digest.
    /// (`parse` counts the files parsed for disassembly, as store loads.)
    pub fn from_digest(&self, kind: &str) -> u64 {
        self.get(kind, 0)
    }

    /// Loads of `kind` rebuilt from the store.
    pub fn from_store(&self, kind: &str) -> u64 {
        self.get(kind, 1)
    }

    fn get(&self, kind: &str, i: usize) -> u64 {
        let m = self.by_kind.lock().unwrap_or_else(|e| e.into_inner());
        m.get(kind).map_or(0, |c| c[i])
    }
}

/// The stored file of binary `sha`; `blob_not_found` when it is not there.
fn stored_file(blobs: &BlobStore, sha: &str) -> Result<Vec<u8>, AppError> {
    blobs
        .get(sha)
        .map_err(|e| AppError::Internal(format!("reading blob {sha}: {e}")))?
        .ok_or_else(|| {
            AppError::NotFound(
                "blob_not_found",
                format!("The file of binary {sha} is not in the blob store; upload it again."),
            )
        })
}

fn task_error(what: &str) -> impl Fn(tokio::task::JoinError) -> AppError + '_ {
    move |e| AppError::Internal(format!("{what} task: {e}"))
}

impl App {
    /// The binary's call graph.
    pub async fn call_graph(&self, sha256: &str) -> Result<Arc<CallGraph>, AppError> {
        let b = self.binary(sha256).await?;
        self.call_graphs
            .try_get_with(b.sha256.clone(), async {
                let records = self
                    .digest_or_store(&b, DIGEST_KIND, DIGEST_VERSION, async {
                        let p = params! { "sha256" => &b.sha256 };
                        let functions = self.store.read(FUNCTIONS, p.clone()).await?;
                        let calls = self.store.read(CALLS, p).await?;
                        tokio::task::spawn_blocking(move || {
                            CallRecords::from_rows(&functions, &calls)
                        })
                        .await
                        .map_err(task_error("call graph"))
                    })
                    .await?;
                self.warm_parse(&b.sha256, b.size);
                tokio::task::spawn_blocking(move || Arc::new(CallGraph::build(records)))
                    .await
                    .map_err(task_error("call graph"))
            })
            .await
            .map_err(Arc::unwrap_or_clone)
    }

    /// The binary's symbols, by address then name.
    pub async fn symbols(&self, sha256: &str) -> Result<Arc<Vec<SymbolView>>, AppError> {
        let b = self.binary(sha256).await?;
        self.cached_list(&self.symbols, &b, "symbols", async {
            let rows = self
                .store
                .read(SYMBOLS, params! { "sha256" => &b.sha256 })
                .await?;
            Ok(SymbolView::list_from_rows(rows))
        })
        .await
    }

    /// Every string of the binary's file, in file order, with how many
    /// functions reference each.
    pub async fn strings(&self, sha256: &str) -> Result<Arc<Vec<StringView>>, AppError> {
        let b = self.binary(sha256).await?;
        self.cached_list(&self.strings, &b, "strings", async {
            let rows = self
                .store
                .read(REFERENCED_STRINGS, params! { "sha256" => &b.sha256 })
                .await?;
            let (blobs, sha, cfg) = (self.blobs.clone(), b.sha256.clone(), self.config.analysis());
            tokio::task::spawn_blocking(move || {
                let all = analysis::file_strings(&stored_file(&blobs, &sha)?, &cfg)?;
                Ok(StringView::list(
                    &all,
                    0,
                    &StringView::referenced_from_rows(rows),
                ))
            })
            .await
            .map_err(task_error("string"))?
        })
        .await
    }

    /// A list of binary `b` from `cache`, else its digest `kind`, else
    /// `rebuild` (kept as the digest).
    async fn cached_list<T, F>(
        &self,
        cache: &moka::future::Cache<String, Arc<Vec<T>>>,
        b: &BinaryView,
        kind: &'static str,
        rebuild: F,
    ) -> Result<Arc<Vec<T>>, AppError>
    where
        T: Serialize + DeserializeOwned + Send + Sync + 'static,
        F: Future<Output = Result<Vec<T>, AppError>>,
    {
        cache
            .try_get_with(b.sha256.clone(), async {
                let list = self
                    .digest_or_store(b, kind, LISTS_VERSION, rebuild)
                    .await?;
                Ok(Arc::new(list))
            })
            .await
            .map_err(Arc::unwrap_or_clone)
    }

    /// Disassemble the function at `addr` of a stored binary, with the
    /// binary's file parsed once and kept (within `parsed_cache_mb`).
    pub async fn listing(&self, sha256: &str, addr: u64) -> Result<Vec<ListingLine>, AppError> {
        let cfg = self.config.analysis();
        let parsed = self.parsed(sha256).await?;
        tokio::task::spawn_blocking(move || parsed.listing(addr, &cfg).map_err(AppError::from))
            .await
            .map_err(task_error("disassembly"))?
    }

    /// The binary's file parsed for disassembly: from the cache, or parsed
    /// now (concurrent callers wait for one parse).
    fn parsed(
        &self,
        sha256: &str,
    ) -> impl Future<Output = Result<Arc<Parsed>, AppError>> + Send + 'static {
        let (cache, blobs, cfg, reads) = (
            self.parsed.clone(),
            self.blobs.clone(),
            self.config.analysis(),
            self.reads.clone(),
        );
        let sha = sha256.to_string();
        async move {
            cache
                .try_get_with(sha.clone(), async move {
                    reads.count("parse", true);
                    tokio::task::spawn_blocking(move || {
                        let bytes = stored_file(&blobs, &sha)?;
                        Ok::<_, AppError>(Arc::new(Parsed::parse(bytes, 0, &cfg)?))
                    })
                    .await
                    .map_err(task_error("disassembly"))?
                })
                .await
                .map_err(Arc::unwrap_or_clone)
        }
    }

    /// Someone is reading this binary's code (its call graph was just
    /// loaded): parse its file for disassembly in the background, so the
    /// first function page does not wait for the parse. Files larger than
    /// a quarter of `parsed_cache_mb` are left for an actual request.
    fn warm_parse(&self, sha256: &str, size: u64) {
        if size.saturating_mul(4) > self.config.parsed_cache_mb.saturating_mul(1 << 20) {
            return;
        }
        let parse = self.parsed(sha256);
        tokio::spawn(async move {
            if let Err(e) = parse.await {
                tracing::debug!(error = %e, "background parse for disassembly failed");
            }
        });
    }

    /// Drop the cached read models of a binary (rewritten or removed).
    pub(super) async fn forget_lists(&self, sha256: &str) {
        self.parsed.invalidate(sha256).await;
        self.call_graphs.invalidate(sha256).await;
        self.symbols.invalidate(sha256).await;
        self.strings.invalidate(sha256).await;
    }

    /// The digest `kind` of binary `b` when it is there and taken from the
    /// subgraph the store holds now; else `rebuild` it and keep it.
    async fn digest_or_store<T, F>(
        &self,
        b: &BinaryView,
        kind: &'static str,
        version: u32,
        rebuild: F,
    ) -> Result<T, AppError>
    where
        T: Serialize + DeserializeOwned + Send + 'static,
        F: Future<Output = Result<T, AppError>>,
    {
        let (digests, sha, stamp) = (
            self.digests.clone(),
            b.sha256.clone(),
            b.ingested_at.clone(),
        );
        let kept =
            tokio::task::spawn_blocking(move || digests.get::<T>(&sha, kind, version, &stamp))
                .await
                .map_err(task_error("digest"))?;
        match kept {
            Ok(Some(v)) => {
                self.reads.count(kind, false);
                return Ok(v);
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(sha256 = %b.sha256, kind, error = %e, "reading a digest failed; rebuilding it from the store");
            }
        }
        self.reads.count(kind, true);
        let value = rebuild.await?;
        let (digests, sha, stamp) = (
            self.digests.clone(),
            b.sha256.clone(),
            b.ingested_at.clone(),
        );
        tokio::task::spawn_blocking(move || {
            if let Err(e) = digests.put(&sha, kind, version, &stamp, &value) {
                tracing::warn!(sha256 = %sha, kind, error = %e, "digest not written");
            }
            value
        })
        .await
        .map_err(task_error("digest"))
    }
}
