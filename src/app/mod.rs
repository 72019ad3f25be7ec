//! Application state shared by every handler and by the CLI: the config, the
//! graph store, the blob store, accounts, ingest, and the read caches.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use moka::sync::Cache;

use crate::analysis::{AnalysisError, Parsed};
use crate::auth::uploads::Uploader;
use crate::auth::{AccountError, Accounts, Principal};
use crate::blobs::{BlobStore, Digests};
use crate::callgraph::CallGraph;
use crate::config::Config;
use crate::graph::lists::{StringView, SymbolView};

mod reads;
use crate::graph::views::BinaryView;
use crate::graph::{self, GraphError, GraphStore};
use crate::jobs::{JobState, Jobs};
use crate::params;
use crate::pipeline::{Ingested, Pipeline, PipelineError};
use crate::provenance::Signer;
use crate::search::sync::IndexSync;
use crate::search::SearchIndex;
pub use reads::ReadCounts;

const BY_SHA256: &str = include_str!("../../cypher/binaries/by_sha256.cypher");
const BY_SHA1: &str = include_str!("../../cypher/binaries/by_sha1.cypher");
const BY_MD5: &str = include_str!("../../cypher/binaries/by_md5.cypher");
const BY_CONTAINER: &str = include_str!("../../cypher/binaries/by_container.cypher");

/// Cheap to clone: handlers get one per request.
#[derive(Clone)]
pub struct AppState(pub Arc<App>);

impl Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

/// Everything a request may need.
pub struct App {
    pub config: Config,
    pub store: Arc<dyn GraphStore>,
    pub blobs: BlobStore,
    /// Compact read models of each binary (its call graph).
    pub digests: Digests,
    /// Users, keys, sessions, rate limits and usage.
    pub auth: Arc<Accounts>,
    /// Analysis jobs: the queue, the workers and the stored reports.
    pub jobs: Arc<Jobs>,
    /// The Ed25519 key that signs provenance.
    pub signer: Arc<Signer>,
    /// Files through the analysis phases into the graph.
    pub pipeline: Pipeline,
    /// The search index.
    pub index: Arc<SearchIndex>,
    /// Keeps the index in step with the graph.
    pub sync: IndexSync,
    /// Loaded at most once at a time per binary (concurrent misses wait for one load).
    call_graphs: moka::future::Cache<String, Arc<CallGraph>>,
    /// Binary lookups by any hash; emptied by every ingest.
    binaries: Cache<String, Arc<Vec<BinaryView>>>,
    /// File names by (viewer, sha256): a user id, or `*` for admins; emptied
    /// with `binaries`.
    names: Cache<(String, String), Arc<Vec<String>>>,
    /// Each binary's strings and symbols, from its digests or the store.
    strings: moka::future::Cache<String, Arc<Vec<StringView>>>,
    symbols: moka::future::Cache<String, Arc<Vec<SymbolView>>>,
    /// Parsed binaries for disassembly, weighed in KiB of their files.
    parsed: moka::future::Cache<String, Arc<Parsed>>,
    /// Where the read models came from (digests or the store).
    pub reads: Arc<ReadCounts>,
}

/// Why a lookup through the app failed; `error.rs` maps it to the API's
/// envelope.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    /// A hash that is not one, or not the kind the route needs.
    #[error("{0}")]
    InvalidHash(String),
    #[error("{1}")]
    NotFound(&'static str, String),
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Analysis(#[from] AnalysisError),
    /// A task or the blob store failed; logged, not shown.
    #[error("{0}")]
    Internal(String),
}

/// Which hash a lookup string is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashKind {
    Sha256,
    Sha1,
    Md5,
}

/// Parse a hash given by a client: 64, 40 or 32 hex digits, any case.
pub fn parse_hash(s: &str) -> Result<(HashKind, String), AppError> {
    let kind = match s.len() {
        64 => Some(HashKind::Sha256),
        40 => Some(HashKind::Sha1),
        32 => Some(HashKind::Md5),
        _ => None,
    };
    match kind {
        Some(k) if s.bytes().all(|b| b.is_ascii_hexdigit()) => Ok((k, s.to_ascii_lowercase())),
        _ => Err(AppError::InvalidHash(format!(
            "'{s}' is not a hash: give a SHA-256 (64 hex digits), SHA-1 (40) or MD5 (32)."
        ))),
    }
}

impl App {
    /// Open the store and the data directory named by `config`.
    pub async fn open(config: Config) -> Result<Self, GraphError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            GraphError::Backend(format!(
                "cannot create the data directory {}: {e}",
                config.data_dir.display()
            ))
        })?;
        let store = graph::open(&config.graph_config()).await?;
        let accounts = graph::open_accounts(&config.graph_config()).await?;
        let blobs = BlobStore::new(&config.data_dir);
        let digests = Digests::new(&config.data_dir);
        let auth = Arc::new(
            Accounts::open(
                accounts.clone(),
                config.auth.clone(),
                config.data_dir.join("keys"),
            )
            .map_err(|e| GraphError::Backend(format!("opening the keys directory: {e}")))?,
        );
        let moved =
            crate::auth::migrate::run(store.as_ref(), accounts.as_ref(), auth.pepper()).await?;
        if moved.any() {
            tracing::info!(
                users = moved.users,
                keys = moved.keys,
                sessions = moved.sessions,
                usage = moved.usage,
                jobs = moved.jobs,
                uploads = moved.uploads,
                named_binaries = moved.named_binaries,
                "accounts moved out of the analysis graph into the account store"
            );
        }
        spawn_usage_flush(&auth);
        let index = Arc::new(
            SearchIndex::open(&config.data_dir.join("index"))
                .map_err(|e| GraphError::Backend(format!("opening the search index: {e}")))?,
        );
        let sync = IndexSync {
            store: store.clone(),
            blobs: blobs.clone(),
            digests: digests.clone(),
            analysis: config.analysis(),
            index: index.clone(),
            uploads: Arc::new(crate::auth::uploads::UploadStore(accounts.clone())),
        };
        let pipeline = Pipeline {
            store: store.clone(),
            accounts: accounts.clone(),
            blobs: blobs.clone(),
            digests: digests.clone(),
            analysis: config.analysis(),
            sync: sync.clone(),
        };
        let signer = Arc::new(
            Signer::open(&config.data_dir.join("keys"))
                .map_err(|e| GraphError::Backend(format!("opening the signing key: {e}")))?,
        );
        let jobs = Arc::new(Jobs::new(
            accounts.clone(),
            blobs.clone(),
            pipeline.clone(),
            config.jobs.clone(),
            signer.clone(),
            &config.data_dir,
        ));
        // Entries also expire, so a rewrite by another process (a CLI ingest
        // beside the server) shows up without a restart.
        let call_graphs = moka::future::Cache::builder()
            .max_capacity(config.call_graph_cache_weight)
            .time_to_live(Duration::from_secs(600))
            .weigher(|_k: &String, v: &Arc<CallGraph>| v.weight().max(1))
            .build();
        let binaries = Cache::builder()
            .max_capacity(100_000)
            .time_to_live(Duration::from_secs(30))
            .build();
        let names = Cache::builder()
            .max_capacity(100_000)
            .time_to_live(Duration::from_secs(30))
            .build();
        // Weighed in items: a few million strings or symbols, a few hundred MB.
        let strings = moka::future::Cache::builder()
            .max_capacity(5_000_000)
            .time_to_live(Duration::from_secs(600))
            .weigher(|_k: &String, v: &Arc<Vec<StringView>>| {
                v.len().clamp(1, u32::MAX as usize) as u32
            })
            .build();
        let symbols = moka::future::Cache::builder()
            .max_capacity(5_000_000)
            .time_to_live(Duration::from_secs(600))
            .weigher(|_k: &String, v: &Arc<Vec<SymbolView>>| {
                v.len().clamp(1, u32::MAX as usize) as u32
            })
            .build();
        let parsed = moka::future::Cache::builder()
            .max_capacity(config.parsed_cache_mb.saturating_mul(1024))
            .time_to_idle(Duration::from_secs(600))
            .weigher(|_k: &String, v: &Arc<Parsed>| {
                (v.size() / 1024).clamp(1, u32::MAX as usize) as u32
            })
            .build();
        Ok(App {
            config,
            store,
            blobs,
            digests,
            auth,
            jobs,
            signer,
            pipeline,
            index,
            sync,
            call_graphs,
            binaries,
            names,
            strings,
            symbols,
            parsed,
            reads: Arc::new(ReadCounts::default()),
        })
    }

    /// Start the job workers, and drop cached views of every binary a job writes.
    pub async fn start_workers(self: &Arc<Self>) -> Result<(), GraphError> {
        let mut events = self.jobs.subscribe();
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let e = match events.recv().await {
                    Ok(e) => e,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        if let Some(app) = weak.upgrade() {
                            app.forget_views();
                        }
                        continue;
                    }
                    Err(_) => break,
                };
                let Some(app) = weak.upgrade() else { break };
                if e.state == JobState::Succeeded {
                    for sha in &e.binaries {
                        app.forget_lists(sha).await;
                    }
                    app.forget_views();
                }
            }
        });
        self.sync.spawn_reconcile(self.config.index_reconcile);
        self.jobs.start().await
    }

    /// Ingest a file `uploader` sent (the upload is recorded in the account
    /// store) and drop whatever the caches held for it.
    pub async fn ingest(
        &self,
        uploader: &Uploader,
        bytes: Arc<Vec<u8>>,
        force: bool,
    ) -> Result<Vec<Ingested>, PipelineError> {
        let result = self.pipeline.ingest(bytes, force, uploader).await;
        if let Ok(done) = &result {
            for i in done {
                self.forget_lists(&i.sha256).await;
            }
        }
        // Any hash may have named the binary; lookups are cheap to redo.
        self.forget_views();
        result
    }

    /// Remove a stored binary: its subgraph, its file and what the caches held.
    /// Shared imports stay. Returns false when there was no such binary.
    pub async fn delete_binary(&self, sha256: &str) -> Result<bool, AppError> {
        let b = self.binary(sha256).await?;
        let sha = b.sha256.clone();
        self.store
            .write_batch(graph::model::delete_batch(&sha))
            .await?;
        crate::auth::uploads::forget(self.auth.store(), &sha).await?;
        self.blobs
            .remove(&sha)
            .map_err(|e| AppError::Internal(format!("removing the blob {sha}: {e}")))?;
        self.digests
            .remove(&sha)
            .map_err(|e| AppError::Internal(format!("removing the digests of {sha}: {e}")))?;
        if let Err(e) = self.sync.unindex(std::slice::from_ref(&sha)).await {
            tracing::warn!(error = %e, "binary left in the search index; the next reconcile removes it");
        }
        self.forget_lists(&sha).await;
        self.forget_views();
        tracing::info!(sha256 = %sha, "binary deleted");
        Ok(true)
    }

    /// Binaries matching a hash: one, or the slices of a fat Mach-O.
    pub async fn lookup(&self, hash: &str) -> Result<Arc<Vec<BinaryView>>, AppError> {
        let (kind, hash) = parse_hash(hash)?;
        if let Some(hit) = self.binaries.get(&hash) {
            return Ok(hit);
        }
        let query = match kind {
            HashKind::Sha256 => BY_SHA256,
            HashKind::Sha1 => BY_SHA1,
            HashKind::Md5 => BY_MD5,
        };
        let mut rows = self.store.read(query, params! { "hash" => &hash }).await?;
        if rows.rows.is_empty() && kind == HashKind::Sha256 {
            rows = self
                .store
                .read(BY_CONTAINER, params! { "hash" => &hash })
                .await?;
        }
        let found: Vec<BinaryView> = rows
            .rows
            .iter()
            .filter_map(|r| r.first().and_then(|v| v.as_node()))
            .map(BinaryView::from_node)
            .collect();
        if found.is_empty() {
            return Err(AppError::NotFound(
                "binary_not_found",
                format!("No binary with the hash {hash} has been ingested."),
            ));
        }
        let found = Arc::new(found);
        self.binaries.insert(hash, found.clone());
        Ok(found)
    }

    /// Drop cached binary views and file names (after an ingest or a delete).
    fn forget_views(&self) {
        self.binaries.invalidate_all();
        self.names.invalidate_all();
    }

    /// Fill each view's `names` with the file names `caller` may see: their
    /// own uploads' names (everyone's for an admin). Cached views carry none;
    /// the names are cached per viewer, like the views.
    pub async fn with_names(
        &self,
        caller: &Principal,
        views: &mut [BinaryView],
    ) -> Result<(), AppError> {
        let viewer = caller.viewer();
        let key = |sha: &str| (viewer.clone(), sha.to_string());
        let missing: Vec<String> = views
            .iter()
            .filter(|v| !self.names.contains_key(&key(&v.sha256)))
            .map(|v| v.sha256.clone())
            .collect();
        if !missing.is_empty() {
            let mut found = self.auth.upload_names(caller, &missing).await?;
            for sha in missing {
                let names = found.remove(&sha).unwrap_or_default();
                self.names.insert(key(&sha), Arc::new(names));
            }
        }
        for v in views {
            v.names = self
                .names
                .get(&key(&v.sha256))
                .map(|n| n.to_vec())
                .unwrap_or_default();
        }
        Ok(())
    }

    /// The one binary with this sha256 (routes under `/binaries/{sha256}/`).
    pub async fn binary(&self, sha256: &str) -> Result<BinaryView, AppError> {
        let (kind, hash) = parse_hash(sha256)?;
        if kind != HashKind::Sha256 {
            return Err(AppError::InvalidHash(format!(
                "'{sha256}' is not a SHA-256; this route needs the 64-digit SHA-256 of the binary."
            )));
        }
        let found = self.lookup(&hash).await?;
        found
            .iter()
            .find(|b| b.sha256 == hash)
            .cloned()
            .ok_or_else(|| {
                AppError::NotFound(
                    "binary_not_found",
                    format!(
                        "{hash} is a fat Mach-O file; use the sha256 of one of its slices: {}.",
                        found
                            .iter()
                            .map(|b| b.sha256.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })
    }
}

/// Write the usage tally every 10 s while the accounts service lives.
fn spawn_usage_flush(auth: &Arc<Accounts>) {
    let weak = Arc::downgrade(auth);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(10));
        tick.tick().await;
        loop {
            tick.tick().await;
            let Some(auth) = weak.upgrade() else { break };
            if let Err(e) = auth.usage.flush(auth.store()).await {
                tracing::warn!(error = %e, "writing usage failed; kept for the next try");
            }
        }
    });
}
