//! The search index: full text over binaries, symbols and strings, and
//! function similarity (exact hashes and MinHash LSH bands), in one tantivy
//! index under `data/index/` whose schema is `index/schema.json`.
//!
//! The graph is the source of truth. A binary's documents are built from its
//! graph entry (plus the strings of its stored file) and replaced as a unit,
//! in one commit, after the graph write. [`sync`] makes the index agree with
//! the graph again after a crash between the two, or after a change made by
//! another process.

pub mod binaries;
mod query;
mod staged;
pub mod sync;
use query::term;
pub mod text;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, RegexQuery, TermQuery};
use tantivy::schema::{
    BytesOptions, Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions,
    Value, STORED, STRING,
};
use tantivy::tokenizer::{LowerCaser, RemoveLongFilter, TextAnalyzer};
use tantivy::{doc, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

pub use self::staged::Staged;
use self::text::{highlight, Word};
pub use crate::analysis::signature::Match;
use crate::analysis::signature::{self, Signature};

/// The schema and analyzer definition, as committed in `index/`.
pub const SCHEMA_JSON: &str = include_str!("../../index/schema.json");

/// LSH candidates re-ranked exactly per similarity query.
pub const CANDIDATES: usize = 400;
/// Exact-hash copies considered per query (ordered by their features).
pub const EXACT_CANDIDATES: usize = 100;

/// Why the index could not do something.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index: {0}")]
    Io(#[from] std::io::Error),
    #[error("search index: the index is being written by another process (waited {0} s)")]
    Busy(u64),
    #[error("bad search: {0}")]
    BadQuery(String),
}

/// Document kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Binary,
    Symbol,
    String,
    Function,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Binary => "binary",
            Kind::Symbol => "symbol",
            Kind::String => "string",
            Kind::Function => "function",
        }
    }

    /// The kinds full-text search returns.
    pub const TEXT: [Kind; 3] = [Kind::Symbol, Kind::String, Kind::Binary];

    /// A full-text kind by name (`symbol`, `string`, `binary`).
    pub fn text_kind(name: &str) -> Option<Kind> {
        Kind::TEXT.into_iter().find(|k| k.as_str() == name)
    }

    /// The `kind_code` fast-field value.
    fn code(self) -> u64 {
        match self {
            Kind::Binary => 0,
            Kind::Symbol => 1,
            Kind::String => 2,
            Kind::Function => 3,
        }
    }
}

/// Counts hits per kind in the same pass as the search (`kind_code`).
struct KindCounts;

struct KindSegmentCounts {
    column: tantivy::columnar::Column<u64>,
    counts: [u64; 4],
}

impl tantivy::collector::Collector for KindCounts {
    type Fruit = [u64; 4];
    type Child = KindSegmentCounts;

    fn for_segment(
        &self,
        _id: u32,
        reader: &tantivy::SegmentReader,
    ) -> tantivy::Result<KindSegmentCounts> {
        Ok(KindSegmentCounts {
            column: reader.fast_fields().u64("kind_code")?,
            counts: [0; 4],
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<[u64; 4]>) -> tantivy::Result<[u64; 4]> {
        let mut out = [0; 4];
        for f in fruits {
            for (o, n) in out.iter_mut().zip(f) {
                *o += n;
            }
        }
        Ok(out)
    }
}

impl tantivy::collector::SegmentCollector for KindSegmentCounts {
    type Fruit = [u64; 4];

    fn collect(&mut self, doc: tantivy::DocId, _score: tantivy::Score) {
        if let Some(k) = self.column.first(doc) {
            if let Some(c) = self.counts.get_mut(k as usize) {
                *c += 1;
            }
        }
    }

    fn harvest(self) -> [u64; 4] {
        self.counts
    }
}

#[derive(Clone, Copy)]
struct Fields {
    kind: Field,
    kind_code: Field,
    uid: Field,
    binary: Field,
    text: Field,
    title: Field,
    owner: Field,
    owners: Field,
    addr: Field,
    meta: Field,
    stamp: Field,
    exact: Field,
    lsh: Field,
    sig: Field,
}

#[derive(Deserialize)]
struct SchemaFile {
    version: u32,
    fields: Vec<FieldDef>,
}

#[derive(Deserialize)]
struct FieldDef {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    stored: bool,
    #[serde(default)]
    fast: bool,
    analyzer: Option<String>,
}

/// Build the tantivy schema from `index/schema.json`.
fn schema() -> (Schema, u32) {
    let file: SchemaFile =
        serde_json::from_str(SCHEMA_JSON).expect("index/schema.json is valid (tested)");
    let mut b = Schema::builder();
    for f in &file.fields {
        match f.kind.as_str() {
            "raw" => {
                let opts: TextOptions = if f.stored { STRING | STORED } else { STRING };
                b.add_text_field(&f.name, opts);
            }
            "text" => {
                let analyzer = f.analyzer.as_deref().unwrap_or("identifier");
                let mut opts = TextOptions::default().set_indexing_options(
                    TextFieldIndexing::default()
                        .set_tokenizer(analyzer)
                        .set_index_option(IndexRecordOption::WithFreqs),
                );
                if f.stored {
                    opts = opts.set_stored();
                }
                b.add_text_field(&f.name, opts);
            }
            "stored" => {
                b.add_text_field(&f.name, STORED);
            }
            "u64" => {
                let mut opts = NumericOptions::default().set_indexed();
                if f.stored {
                    opts = opts.set_stored();
                }
                if f.fast {
                    opts = opts.set_fast();
                }
                b.add_u64_field(&f.name, opts);
            }
            "bytes" => {
                let opts = BytesOptions::default();
                b.add_bytes_field(&f.name, if f.stored { opts.set_stored() } else { opts });
            }
            other => panic!("index/schema.json: unknown field type {other}"),
        }
    }
    (b.build(), file.version)
}

/// One binary's documents, replaced as a unit.
#[derive(Debug, Clone, Default)]
pub struct BinaryDocs {
    pub sha256: String,
    /// The graph's `ingested_at` of the binary.
    pub stamp: String,
    /// Display name (the sha256: file names are private) and the
    /// searchable metadata text, as everyone sees them.
    pub title: String,
    pub text: String,
    /// The uploaders' own copies of the binary document, with their file
    /// names and tags, and the admins' copy (viewer `*`) with everyone's.
    pub private: Vec<PrivateDoc>,
    pub meta: serde_json::Value,
    /// 4-byte hashes of the binary's strings (sorted, unique), for binary similarity.
    pub string_hashes: Vec<u32>,
    pub symbols: Vec<SymbolDoc>,
    pub strings: Vec<StringDoc>,
    pub functions: Vec<FunctionDoc>,
}

#[derive(Debug, Clone)]
pub struct SymbolDoc {
    pub name: String,
    pub demangled: Option<String>,
    pub addr: u64,
    pub kind: String,
}

#[derive(Debug, Clone)]
pub struct StringDoc {
    pub value: String,
    pub addr: Option<u64>,
    pub offset: u64,
    pub section: Option<String>,
}

#[derive(Debug, Clone)]
pub struct FunctionDoc {
    pub name: String,
    pub signature: Signature,
}

/// One viewer's copy of a binary document.
#[derive(Debug, Clone, Default)]
pub struct PrivateDoc {
    /// A user id, or [`ALL_VIEWERS`].
    pub viewer: String,
    /// Their first file name for it.
    pub title: String,
    /// Their file names and tags: added to the shared text, and shown in
    /// the hit's details.
    pub names: Vec<String>,
    pub tags: Vec<String>,
}

/// The viewer whose copies hold every uploader's names: admins.
pub const ALL_VIEWERS: &str = "*";
/// The owner of documents everyone sees.
const SHARED: &str = "-";

/// A full-text query.
#[derive(Debug, Clone)]
pub struct TextQuery {
    pub q: String,
    /// Who asks: a user id (their own file names and tags match), or
    /// [`ALL_VIEWERS`] (an admin: everyone's).
    pub viewer: String,
    pub kind: Option<Kind>,
    pub binary: Option<String>,
    /// 0-based offset of the first hit.
    pub offset: usize,
    pub limit: usize,
}

/// One full-text hit.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Hit {
    pub kind: Kind,
    /// The binary it belongs to (for a binary: itself).
    pub sha256: String,
    /// Symbol name, string value or binary file name.
    pub text: String,
    /// Where the query matched `text`: `[start, end)` in characters.
    pub highlights: Vec<[usize; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addr: Option<u64>,
    pub score: f32,
    /// Per kind: demangled name and symbol kind; string section and offset;
    /// binary format, arch and names.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// One page of full-text hits.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TextResults {
    pub hits: Vec<Hit>,
    /// Hits of the requested kind(s), all pages.
    pub total: u64,
    /// Hits per kind for the same query, all pages.
    pub totals: HashMap<String, u64>,
    pub took_ms: f64,
}

/// Indexing threads of a writer (64 MiB each). One: with two, documents
/// land in segments by thread timing, and hits of equal score came back in
/// another order after a reindex (tests/api/search.rs caught it); two
/// threads took node's reindex from 6.3 to 4.5 s.
const INDEX_THREADS: usize = 1;

/// The index and its reader.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    f: Fields,
    /// In-process writers take turns (the lock file covers other processes).
    write: Mutex<()>,
}

const VERSION_FILE: &str = "bingraph-index.json";

impl SearchIndex {
    /// Open (or create) the index in `dir`. An index of another schema
    /// version is removed and a new, empty one created (the reconcile then
    /// fills it from the graph).
    pub fn open(dir: &Path) -> Result<SearchIndex, SearchError> {
        let (schema, version) = schema();
        std::fs::create_dir_all(dir)?;
        let version_path = dir.join(VERSION_FILE);
        let on_disk: Option<u32> = std::fs::read_to_string(&version_path)
            .ok()
            .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
            .and_then(|v| v["version"].as_u64())
            .map(|v| v as u32);
        let exists = dir.join("meta.json").exists();
        if exists && on_disk != Some(version) {
            let aside = dir.with_extension(format!("old-{}", std::process::id()));
            std::fs::rename(dir, &aside)?;
            std::fs::create_dir_all(dir)?;
            let _ = std::fs::remove_dir_all(&aside);
        }
        let index = if !dir.join("meta.json").exists() {
            match Index::create_in_dir(dir, schema.clone()) {
                Ok(i) => i,
                // Another process created it first.
                Err(_) if dir.join("meta.json").exists() => Index::open_in_dir(dir)?,
                Err(e) => return Err(e.into()),
            }
        } else {
            Index::open_in_dir(dir)?
        };
        std::fs::write(
            &version_path,
            serde_json::json!({ "version": version }).to_string(),
        )?;
        index.tokenizers().register(
            "identifier",
            TextAnalyzer::builder(text::IdentifierTokenizer::default())
                .filter(RemoveLongFilter::limit(text::MAX_WORD + 1))
                .filter(LowerCaser)
                .build(),
        );
        let s = index.schema();
        let field = |n: &str| s.get_field(n).expect("field from index/schema.json");
        let f = Fields {
            kind: field("kind"),
            kind_code: field("kind_code"),
            uid: field("uid"),
            binary: field("binary"),
            text: field("text"),
            title: field("title"),
            owner: field("owner"),
            owners: field("owners"),
            addr: field("addr"),
            meta: field("meta"),
            stamp: field("stamp"),
            exact: field("exact"),
            lsh: field("lsh"),
            sig: field("sig"),
        };
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(SearchIndex {
            index,
            reader,
            f,
            write: Mutex::new(()),
        })
    }

    /// A writer (it takes the index's lock, or fails with `LockFailure`).
    fn new_writer(&self) -> tantivy::Result<IndexWriter> {
        self.index
            .writer_with_num_threads(INDEX_THREADS, INDEX_THREADS * 64 * 1024 * 1024)
    }

    /// Run `f` with a writer, commit, and release the lock. Waits up to
    /// `wait` for another process that holds the index.
    fn with_writer(
        &self,
        wait: Duration,
        f: impl FnOnce(&mut IndexWriter, &Fields) -> Result<(), SearchError>,
    ) -> Result<(), SearchError> {
        let _turn = self.write.lock().unwrap_or_else(|p| p.into_inner());
        let started = Instant::now();
        let mut writer: IndexWriter = loop {
            match self.new_writer() {
                Ok(w) => break w,
                Err(tantivy::TantivyError::LockFailure(_, _)) if started.elapsed() < wait => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(tantivy::TantivyError::LockFailure(_, _)) => {
                    return Err(SearchError::Busy(wait.as_secs()))
                }
                Err(e) => return Err(e.into()),
            }
        };
        f(&mut writer, &self.f)?;
        writer.commit()?;
        writer.wait_merging_threads()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Replace every document of these binaries with the given ones (one commit).
    pub fn replace(&self, binaries: &[BinaryDocs], wait: Duration) -> Result<(), SearchError> {
        self.with_writer(wait, |w, f| {
            for b in binaries {
                w.delete_term(Term::from_field_text(f.binary, &b.sha256));
                add_head(w, f, b)?;
                add_parts(w, f, b)?;
            }
            Ok(())
        })
    }

    /// Remove the documents of these binaries (one commit).
    pub fn remove(&self, shas: &[String], wait: Duration) -> Result<(), SearchError> {
        self.with_writer(wait, |w, f| {
            for s in shas {
                w.delete_term(Term::from_field_text(f.binary, s));
            }
            Ok(())
        })
    }

    /// Remove everything (before a full rebuild).
    pub fn clear(&self, wait: Duration) -> Result<(), SearchError> {
        self.with_writer(wait, |w, _| {
            w.delete_all_documents()?;
            Ok(())
        })
    }

    /// Make the latest commit (of any process) visible now.
    pub fn refresh(&self) -> Result<(), SearchError> {
        Ok(self.reader.reload()?)
    }

    /// Every indexed binary with its stamp.
    pub fn binaries(&self) -> Result<HashMap<String, String>, SearchError> {
        let searcher = self.reader.searcher();
        let q = TermQuery::new(
            Term::from_field_text(self.f.kind, Kind::Binary.as_str()),
            IndexRecordOption::Basic,
        );
        let docs = searcher.search(&q, &tantivy::collector::DocSetCollector)?;
        let mut out = HashMap::with_capacity(docs.len());
        for a in docs {
            let d: TantivyDocument = searcher.doc(a)?;
            out.insert(
                str_of(&d, self.f.binary).to_string(),
                str_of(&d, self.f.stamp).to_string(),
            );
        }
        Ok(out)
    }

    /// Documents per kind.
    pub fn counts(&self) -> Result<HashMap<String, u64>, SearchError> {
        let searcher = self.reader.searcher();
        let mut out = HashMap::new();
        for k in [Kind::Binary, Kind::Symbol, Kind::String, Kind::Function] {
            let q = BooleanQuery::new(vec![
                (Occur::Must, term(self.f.kind, k.as_str())),
                (Occur::Must, term(self.f.owner, SHARED)),
            ]);
            out.insert(k.as_str().to_string(), searcher.search(&q, &Count)? as u64);
        }
        Ok(out)
    }
}

fn str_of(d: &TantivyDocument, f: Field) -> &str {
    d.get_first(f).and_then(|v| v.as_str()).unwrap_or("")
}

/// The binary documents: the shared one and one per private viewer.
fn add_head(w: &mut IndexWriter, f: &Fields, b: &BinaryDocs) -> Result<(), SearchError> {
    let sha = b.sha256.as_str();
    let hashes: Vec<u8> = b
        .string_hashes
        .iter()
        .flat_map(|h| h.to_le_bytes())
        .collect();
    let mut shared = doc!(
        f.kind => "binary", f.kind_code => Kind::Binary.code(), f.uid => format!("bin:{sha}"), f.binary => sha,
        f.text => b.text.as_str(), f.title => b.title.as_str(), f.meta => b.meta.to_string(),
        f.stamp => b.stamp.as_str(), f.sig => hashes, f.owner => SHARED,
    );
    for p in &b.private {
        shared.add_text(f.owners, &p.viewer);
    }
    w.add_document(shared)?;
    for p in &b.private {
        let mut meta = b.meta.clone();
        meta["names"] = serde_json::json!(p.names);
        meta["tags"] = serde_json::json!(p.tags);
        w.add_document(doc!(
            f.kind => "binary", f.kind_code => Kind::Binary.code(),
            f.uid => format!("bin:{sha}:{}", p.viewer), f.binary => sha,
            f.text => format!("{} {} {}", b.text, p.names.join(" "), p.tags.join(" ")),
            f.title => p.title.as_str(),
            f.meta => meta.to_string(), f.stamp => b.stamp.as_str(), f.owner => p.viewer.as_str(),
        ))?;
    }
    Ok(())
}

/// The symbol, string and function documents of a binary.
fn add_parts(w: &mut IndexWriter, f: &Fields, b: &BinaryDocs) -> Result<(), SearchError> {
    let sha = b.sha256.as_str();
    for (i, s) in b.symbols.iter().enumerate() {
        let text = match &s.demangled {
            Some(d) => format!("{} {d}", s.name),
            None => s.name.clone(),
        };
        let meta = serde_json::json!({ "demangled": s.demangled, "kind": s.kind });
        w.add_document(doc!(
            f.kind => "symbol", f.kind_code => Kind::Symbol.code(), f.uid => format!("sym:{sha}:{i}"), f.binary => sha,
            f.text => text, f.title => s.name.as_str(), f.addr => s.addr, f.meta => meta.to_string(),
            f.owner => SHARED,
        ))?;
    }
    for (i, s) in b.strings.iter().enumerate() {
        let meta = serde_json::json!({ "offset": s.offset, "section": s.section });
        let mut d = doc!(
            f.kind => "string", f.kind_code => Kind::String.code(), f.uid => format!("str:{sha}:{i}"), f.binary => sha,
            f.text => s.value.as_str(), f.title => s.value.as_str(), f.meta => meta.to_string(),
            f.owner => SHARED,
        );
        if let Some(a) = s.addr {
            d.add_u64(f.addr, a);
        }
        w.add_document(d)?;
    }
    for func in &b.functions {
        let s = &func.signature;
        let meta = serde_json::json!({ "n": s.instructions, "b": s.blocks, "e": s.evidence });
        let mut d = doc!(
            f.kind => "function", f.kind_code => Kind::Function.code(), f.uid => format!("fn:{sha}:{:x}", s.addr), f.binary => sha,
            f.title => func.name.as_str(), f.addr => s.addr, f.meta => meta.to_string(),
            f.exact => s.exact.as_str(), f.sig => s.feature_bytes(), f.owner => SHARED,
        );
        for t in s.bands() {
            d.add_text(f.lsh, t);
        }
        w.add_document(d)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_file_names_every_field_the_code_uses() {
        let (s, v) = schema();
        assert!(v >= 1);
        for n in [
            "kind",
            "kind_code",
            "uid",
            "binary",
            "text",
            "title",
            "owner",
            "owners",
            "addr",
            "meta",
            "stamp",
            "exact",
            "lsh",
            "sig",
        ] {
            assert!(s.get_field(n).is_ok(), "{n}");
        }
    }
}
