//! Keeping the index in step with the graph.
//!
//! A binary's documents are always built from the graph (its node, symbols
//! and function signatures) and the strings of its stored file, so an ingest,
//! a reconcile after a crash and `bingraph reindex` produce the same index.
//! The symbols, strings and signatures are read from the binary's digests
//! when they carry the graph's stamp (the ingest writes them from the same
//! batch; a test holds the two sources equal), else from the graph and file.
//! The graph is written first; the index follows in one commit per call
//! (the ingest stages a binary's symbol, string and function documents from
//! its digests while its graph write runs, and commits them with its binary
//! documents after it, when the graph carries the digests' stamp). A
//! crash in between leaves a binary the index lacks or has stale (its stamp is
//! the graph's `ingested_at`), and [`IndexSync::reconcile`] repairs exactly
//! that: it runs when the service starts, every minute while it runs, and
//! before `bingraph search` answers.
//!
//! File names and tags are not in the graph: they come from the uploads in
//! the account store, one copy of the binary's document per uploader (and
//! one for admins), so a search matches only the names a caller may see.
//! Recording an upload re-indexes its binary.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::{
    BinaryDocs, FunctionDoc, PrivateDoc, SearchError, SearchIndex, Staged, StringDoc, SymbolDoc,
};
use crate::analysis::signature::{self, Signature};
use crate::analysis::{self, AnalysisConfig};
use crate::blobs::{BlobStore, Digests};
use crate::graph::lists::{StringView, SymbolView, LISTS_VERSION};
use crate::graph::{Batch, GraphError, GraphStore, Value};
use crate::params;

const BINARIES: &str = include_str!("../../cypher/search/binaries.cypher");
const BINARY: &str = include_str!("../../cypher/search/binary.cypher");
const IMPORTS: &str = include_str!("../../cypher/search/imports.cypher");
const SYMBOLS: &str = include_str!("../../cypher/search/symbols.cypher");
const FUNCTIONS: &str = include_str!("../../cypher/search/functions.cypher");

/// How long an index write waits for another process's writer.
pub const WRITE_WAIT: Duration = Duration::from_secs(60);
/// Binaries per commit when many are (re)indexed.
const PER_COMMIT: usize = 16;

/// Why the index could not be brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error("index task failed: {0}")]
    Task(String),
}

/// What a reconcile or rebuild changed.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct SyncReport {
    /// Binaries in the graph the index lacked.
    pub added: usize,
    /// Binaries whose index entry was older than the graph's.
    pub updated: usize,
    /// Index entries of binaries no longer in the graph.
    pub removed: usize,
}

/// Where each binary's private copies come from: its uploads (who, under
/// which file names and tags), kept in the account store by `auth::uploads`.
#[async_trait::async_trait]
pub trait Uploads: Send + Sync {
    /// One copy per uploader with their names and tags, and one for admins
    /// ([`super::ALL_VIEWERS`]) with everyone's; empty when nobody uploaded it.
    async fn private_docs(&self, sha256: &str) -> Result<Vec<PrivateDoc>, GraphError>;
}

/// Layout version of the `signatures` digest.
pub const SIGNATURES_VERSION: u32 = 1;
/// The digest kind of a binary's function signatures.
pub const SIGNATURES_KIND: &str = "signatures";

/// A function's signature as its Function node carries it (`signature`,
/// a JSON string), kept as the binary's `signatures` digest.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, Serialize)]
pub struct SignatureRecord {
    pub addr: u64,
    pub name: String,
    pub signature: String,
}

impl SignatureRecord {
    /// The Function nodes of a write batch that carry a signature.
    pub fn list_from_batch(batch: &Batch) -> Vec<SignatureRecord> {
        batch
            .nodes
            .iter()
            .filter(|n| n.label == "Function")
            .filter_map(|n| {
                Some(SignatureRecord {
                    addr: n.props.get("addr")?.as_u64()?,
                    name: n
                        .props
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    signature: n.props.get("signature")?.as_str()?.to_string(),
                })
            })
            .collect()
    }

    fn doc(&self) -> Option<FunctionDoc> {
        Some(FunctionDoc {
            name: self.name.clone(),
            signature: Signature::from_property(self.addr, &self.signature)?,
        })
    }
}

/// A binary's symbols, functions and strings into its documents, in one
/// order whatever their source (the store's is its own), with the string
/// hashes of its binary document.
fn fill_parts(
    docs: &mut BinaryDocs,
    mut symbols: Vec<SymbolDoc>,
    mut functions: Vec<FunctionDoc>,
    strings: Vec<StringDoc>,
) {
    symbols.sort_by(|a, b| (a.addr, &a.name).cmp(&(b.addr, &b.name)));
    functions.sort_by_key(|f| f.signature.addr);
    let mut string_hashes: Vec<u32> = strings
        .iter()
        .map(|s| signature::fnv(s.value.as_bytes()))
        .collect();
    string_hashes.sort_unstable();
    string_hashes.dedup();
    docs.symbols = symbols;
    docs.functions = functions;
    docs.strings = strings;
    docs.string_hashes = string_hashes;
}

/// A binary's index documents staged during its graph write, waiting for
/// [`IndexSync::commit_staged`]. Dropped, nothing of it is indexed.
pub struct StagedIndex {
    staged: Staged,
    /// The graph write's `ingested_at`, which the digests carried.
    stamp: String,
    string_hashes: Vec<u32>,
}

impl StagedIndex {
    pub fn sha256(&self) -> &str {
        self.staged.sha256()
    }
}

/// The string documents of a binary's strings (in file order).
fn string_docs(strings: Vec<StringView>) -> Vec<StringDoc> {
    strings
        .into_iter()
        .map(|s| StringDoc {
            value: s.value,
            addr: s.addr,
            offset: s.offset,
            section: s.section,
        })
        .collect()
}

/// Keeps the search index in step with the analysis graph: builds each
/// binary's documents from the graph, its stored file and its uploads.
#[derive(Clone)]
pub struct IndexSync {
    /// The analysis graph.
    pub store: Arc<dyn GraphStore>,
    /// The stored files (their strings are indexed).
    pub blobs: BlobStore,
    /// The binaries' digests (symbols, strings, signatures).
    pub digests: Digests,
    /// How strings are extracted (as the analysis does).
    pub analysis: AnalysisConfig,
    pub index: Arc<SearchIndex>,
    pub uploads: Arc<dyn Uploads>,
}

impl IndexSync {
    /// Build the index documents of one binary from the graph (and its file's
    /// strings). `None` when the binary is not in the graph.
    pub async fn index_docs(&self, sha256: &str) -> Result<Option<BinaryDocs>, SyncError> {
        let Some(mut docs) = self.head(sha256).await? else {
            return Ok(None);
        };
        let (symbols, functions, strings) = match self.kept(sha256, &docs.stamp).await? {
            Some(k) => k,
            None => (
                self.symbols_from_graph(sha256).await?,
                self.functions_from_graph(sha256).await?,
                self.strings_from_file(sha256).await?,
            ),
        };
        fill_parts(&mut docs, symbols, functions, strings);
        Ok(Some(docs))
    }

    /// Stage the symbol, string and function documents of a binary whose
    /// digests carry `stamp`, while its graph write (with that stamp) runs:
    /// see [`SearchIndex::stage`]. `None` when there is nothing to stage (no
    /// digests, the index busy or failing): the binary is then indexed the
    /// usual way after the write.
    pub async fn stage(&self, sha256: &str, stamp: &str) -> Option<StagedIndex> {
        let (symbols, functions, strings) = match self.kept(sha256, stamp).await {
            Ok(Some(k)) => k,
            _ => return None,
        };
        let mut parts = BinaryDocs {
            sha256: sha256.to_string(),
            stamp: stamp.to_string(),
            ..BinaryDocs::default()
        };
        fill_parts(&mut parts, symbols, functions, strings);
        let index = self.index.clone();
        let staged = tokio::task::spawn_blocking(move || {
            let staged = index.stage(&parts).map_err(|e| e.to_string());
            staged.map(|s| {
                s.map(|staged| StagedIndex {
                    staged,
                    stamp: parts.stamp,
                    string_hashes: parts.string_hashes,
                })
            })
        })
        .await
        .map_err(|e| e.to_string());
        staged.and_then(|s| s).unwrap_or_else(|e| {
            tracing::warn!(sha256, error = %e, "staging the index documents failed");
            None
        })
    }

    /// Commit a staged binary with its binary documents as the graph has
    /// them now. `Ok(false)` (nothing committed) when the graph does not
    /// hold the staged write: the binary is gone or was written again.
    pub async fn commit_staged(&self, staged: StagedIndex) -> Result<bool, SyncError> {
        let Some(mut head) = self.head(staged.staged.sha256()).await? else {
            return Ok(false);
        };
        if head.stamp != staged.stamp {
            return Ok(false);
        }
        head.string_hashes = staged.string_hashes;
        tokio::task::spawn_blocking(move || staged.staged.commit(&head))
            .await
            .map_err(|e| SyncError::Task(e.to_string()))??;
        Ok(true)
    }

    /// The binary's own documents (its node's fields, imports and uploads),
    /// without its symbols, strings and functions. `None` when the binary is
    /// not in the graph.
    async fn head(&self, sha256: &str) -> Result<Option<BinaryDocs>, SyncError> {
        let p = || params! { "sha256" => sha256 };
        let rows = self.store.read(BINARY, p()).await?.into_maps();
        let Some(b) = rows.into_iter().next() else {
            return Ok(None);
        };
        let s = |k: &str| b.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let libraries = b.get("libraries").map(Value::strings).unwrap_or_default();
        let mut imports: Vec<String> = self
            .store
            .read(IMPORTS, p())
            .await?
            .rows
            .iter()
            .filter_map(|r| r.first().and_then(Value::as_str).map(String::from))
            .collect();
        imports.sort();
        imports.dedup();
        let fields = [
            "sha256",
            "sha1",
            "md5",
            "format",
            "arch",
            "kind",
            "os_abi",
            "build_id",
            "imphash",
            "soname",
            "pdb_path",
            "interpreter",
        ];
        let mut text: Vec<String> = fields
            .iter()
            .map(|k| s(k))
            .filter(|v| !v.is_empty())
            .collect();
        text.extend(libraries.iter().cloned());
        let meta = serde_json::json!({
            "names": [], "format": s("format"), "arch": s("arch"), "libraries": libraries,
            "tags": [], "imports": imports,
            "functions": b.get("functions").and_then(Value::as_i64).unwrap_or(0),
        });
        Ok(Some(BinaryDocs {
            sha256: sha256.to_string(),
            stamp: s("stamp"),
            title: sha256.to_string(),
            text: text.join(" "),
            private: self.uploads.private_docs(sha256).await?,
            meta,
            ..BinaryDocs::default()
        }))
    }

    /// The symbol, function and string documents from the binary's digests
    /// taken from the subgraph stamped `stamp`; `None` when one is missing.
    async fn kept(
        &self,
        sha256: &str,
        stamp: &str,
    ) -> Result<Option<(Vec<SymbolDoc>, Vec<FunctionDoc>, Vec<StringDoc>)>, SyncError> {
        let (digests, sha, stamp) = (self.digests.clone(), sha256.to_string(), stamp.to_string());
        tokio::task::spawn_blocking(move || {
            let get = || -> std::io::Result<Option<_>> {
                let Some(symbols) =
                    digests.get::<Vec<SymbolView>>(&sha, "symbols", LISTS_VERSION, &stamp)?
                else {
                    return Ok(None);
                };
                let Some(signatures) = digests.get::<Vec<SignatureRecord>>(
                    &sha,
                    SIGNATURES_KIND,
                    SIGNATURES_VERSION,
                    &stamp,
                )?
                else {
                    return Ok(None);
                };
                let Some(strings) =
                    digests.get::<Vec<StringView>>(&sha, "strings", LISTS_VERSION, &stamp)?
                else {
                    return Ok(None);
                };
                Ok(Some((
                    symbols
                        .into_iter()
                        .map(|s| SymbolDoc {
                            name: s.name,
                            demangled: s.demangled,
                            addr: s.addr,
                            kind: s.kind,
                        })
                        .collect(),
                    signatures.iter().filter_map(SignatureRecord::doc).collect(),
                    string_docs(strings),
                )))
            };
            get().unwrap_or_else(|e| {
                tracing::warn!(sha256 = %sha, error = %e, "reading digests failed; indexing from the graph");
                None
            })
        })
        .await
        .map_err(|e| SyncError::Task(e.to_string()))
    }

    async fn symbols_from_graph(&self, sha256: &str) -> Result<Vec<SymbolDoc>, SyncError> {
        Ok(self
            .store
            .read(SYMBOLS, params! { "sha256" => sha256 })
            .await?
            .into_maps()
            .into_iter()
            .map(|m| SymbolDoc {
                name: m["name"].as_str().unwrap_or("").to_string(),
                demangled: m["demangled"].as_str().map(String::from),
                addr: m["addr"].as_i64().unwrap_or(0) as u64,
                kind: m["kind"].as_str().unwrap_or("").to_string(),
            })
            .collect())
    }

    async fn functions_from_graph(&self, sha256: &str) -> Result<Vec<FunctionDoc>, SyncError> {
        Ok(self
            .store
            .read(FUNCTIONS, params! { "sha256" => sha256 })
            .await?
            .into_maps()
            .into_iter()
            .filter_map(|m| {
                SignatureRecord {
                    addr: m["addr"].as_i64()? as u64,
                    name: m["name"].as_str().unwrap_or("").to_string(),
                    signature: m["signature"].as_str()?.to_string(),
                }
                .doc()
            })
            .collect())
    }

    async fn strings_from_file(&self, sha256: &str) -> Result<Vec<StringDoc>, SyncError> {
        let blobs = self.blobs.clone();
        let cfg = self.analysis.clone();
        let sha = sha256.to_string();
        let strings = tokio::task::spawn_blocking(move || {
            let bytes = match blobs.get(&sha) {
                Ok(Some(b)) => b,
                _ => {
                    tracing::warn!(sha256 = %sha, "no stored file: its strings are not indexed");
                    return Vec::new();
                }
            };
            analysis::file_strings(&bytes, &cfg).unwrap_or_default()
        })
        .await
        .map_err(|e| SyncError::Task(e.to_string()))?;
        Ok(string_docs(StringView::list(&strings, 0, &HashMap::new())))
    }

    /// Index (or re-index) these binaries as the graph has them now; those
    /// gone from the graph leave the index. One commit per 16 binaries.
    pub async fn index_binaries(&self, shas: &[String]) -> Result<usize, SyncError> {
        let mut done = 0;
        for chunk in shas.chunks(PER_COMMIT) {
            let mut docs = Vec::new();
            let mut gone = Vec::new();
            for sha in chunk {
                match self.index_docs(sha).await? {
                    Some(d) => docs.push(d),
                    None => gone.push(sha.clone()),
                }
            }
            done += docs.len();
            let index = self.index.clone();
            tokio::task::spawn_blocking(move || {
                if !gone.is_empty() {
                    index.remove(&gone, WRITE_WAIT)?;
                }
                index.replace(&docs, WRITE_WAIT)
            })
            .await
            .map_err(|e| SyncError::Task(e.to_string()))??;
        }
        Ok(done)
    }

    /// Remove binaries from the index (after they left the graph).
    pub async fn unindex(&self, shas: &[String]) -> Result<(), SyncError> {
        let index = self.index.clone();
        let shas = shas.to_vec();
        tokio::task::spawn_blocking(move || index.remove(&shas, WRITE_WAIT))
            .await
            .map_err(|e| SyncError::Task(e.to_string()))??;
        Ok(())
    }

    /// Make the index agree with the graph: add what it lacks, refresh what
    /// is stale, drop what the graph no longer has.
    pub async fn reconcile(&self) -> Result<SyncReport, SyncError> {
        let graph: HashMap<String, String> = self
            .store
            .read(BINARIES, params! {})
            .await?
            .into_maps()
            .into_iter()
            .filter_map(|m| {
                Some((
                    m["sha256"].as_str()?.to_string(),
                    m["stamp"].as_str().unwrap_or("").to_string(),
                ))
            })
            .collect();
        let index = self.index.clone();
        let indexed = tokio::task::spawn_blocking(move || {
            index.refresh()?;
            index.binaries()
        })
        .await
        .map_err(|e| SyncError::Task(e.to_string()))??;
        let mut report = SyncReport::default();
        let mut todo = Vec::new();
        for (sha, stamp) in &graph {
            match indexed.get(sha) {
                None => {
                    report.added += 1;
                    todo.push(sha.clone());
                }
                Some(s) if s != stamp => {
                    report.updated += 1;
                    todo.push(sha.clone());
                }
                Some(_) => {}
            }
        }
        let gone: Vec<String> = indexed
            .keys()
            .filter(|s| !graph.contains_key(*s))
            .cloned()
            .collect();
        report.removed = gone.len();
        todo.sort();
        self.index_binaries(&todo).await?;
        if !gone.is_empty() {
            self.unindex(&gone).await?;
        }
        if report != SyncReport::default() {
            tracing::info!(?report, "search index reconciled with the graph");
        }
        Ok(report)
    }

    /// Rebuild the whole index from the graph; `progress(done, total)`.
    pub async fn rebuild(&self, progress: impl Fn(usize, usize)) -> Result<SyncReport, SyncError> {
        let mut shas: Vec<String> = self
            .store
            .read(BINARIES, params! {})
            .await?
            .rows
            .iter()
            .filter_map(|r| r.first().and_then(Value::as_str).map(String::from))
            .collect();
        shas.sort();
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || index.clear(WRITE_WAIT))
            .await
            .map_err(|e| SyncError::Task(e.to_string()))??;
        let total = shas.len();
        progress(0, total);
        let mut done = 0;
        for chunk in shas.chunks(PER_COMMIT) {
            self.index_binaries(chunk).await?;
            done += chunk.len();
            progress(done, total);
        }
        Ok(SyncReport {
            added: total,
            ..SyncReport::default()
        })
    }

    /// Keep reconciling in the background, every `every`.
    pub fn spawn_reconcile(&self, every: Duration) {
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = this.reconcile().await {
                    tracing::warn!(error = %e, "search index reconcile failed; will retry");
                }
                tokio::time::sleep(every).await;
            }
        });
    }
}
