//! Reading the index: text search over symbols, strings and binaries, and
//! similar functions (LSH candidates re-ranked by the exact weighted Jaccard).

use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use tantivy::{DocAddress, Searcher};

use super::*;

/// A function document as similarity reads it.
struct Candidate {
    sha256: String,
    name: String,
    signature: Signature,
}

/// Decoded candidates by document, shared by the queries of one batch
/// (one searcher, so addresses are stable).
#[derive(Default)]
struct Candidates(Mutex<HashMap<DocAddress, Arc<Candidate>>>);

/// Candidates kept per batch (about 1 KB each); past it, new ones are
/// decoded per query as without a cache.
const MAX_CACHED: usize = 100_000;

impl Candidates {
    fn get(&self, at: DocAddress) -> Option<Arc<Candidate>> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&at)
            .cloned()
    }
    fn put(&self, at: DocAddress, c: Arc<Candidate>) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() < MAX_CACHED {
            map.insert(at, c);
        }
    }
}

pub(super) fn term(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    ))
}

/// A query word matches a token whole (best), by prefix, or by all its parts.
pub(super) fn word_query(field: Field, w: &Word) -> Result<Box<dyn Query>, SearchError> {
    let text_term = |t: &str| -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, t),
            IndexRecordOption::WithFreqs,
        ))
    };
    let prefix = |t: &str| -> Result<Box<dyn Query>, SearchError> {
        let re = format!("{}.*", regex::escape(t));
        Ok(Box::new(RegexQuery::from_pattern(&re, field)?))
    };
    let mut any: Vec<(Occur, Box<dyn Query>)> = vec![(
        Occur::Should,
        Box::new(BoostQuery::new(text_term(&w.whole), 3.0)),
    )];
    if w.whole.chars().count() >= 2 {
        any.push((Occur::Should, prefix(&w.whole)?));
    }
    if !w.parts.is_empty() {
        let mut all: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (i, p) in w.parts.iter().enumerate() {
            let last = i + 1 == w.parts.len();
            let q = if last && p.chars().count() >= 2 {
                prefix(p)?
            } else {
                text_term(p)
            };
            all.push((Occur::Must, q));
        }
        any.push((Occur::Should, Box::new(BooleanQuery::new(all))));
    }
    Ok(Box::new(BooleanQuery::new(any)))
}

impl SearchIndex {
    /// Full-text search.
    pub fn search(&self, q: &TextQuery) -> Result<TextResults, SearchError> {
        let started = Instant::now();
        let words = text::words(&q.q);
        if words.is_empty() {
            return Err(SearchError::BadQuery(
                "the query has no words (letters, digits or '_')".into(),
            ));
        }
        let f = self.f;
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for w in &words {
            must.push((Occur::Must, word_query(f.text, w)?));
        }
        if let Some(b) = &q.binary {
            must.push((Occur::Must, term(f.binary, b)));
        }
        // The viewer's own copy of a binary document, or else the shared one:
        // exactly one of them per binary.
        must.push((
            Occur::Must,
            Box::new(BooleanQuery::new(vec![
                (Occur::Should, term(f.owner, &q.viewer)),
                (
                    Occur::Should,
                    Box::new(BooleanQuery::new(vec![
                        (Occur::Must, term(f.owner, SHARED)),
                        (Occur::MustNot, term(f.owners, &q.viewer)),
                    ])),
                ),
            ])),
        ));
        // Only binary, symbol and string documents have `text`: the query
        // itself never matches function documents. One pass counts hits per
        // kind and collects the page of the kinds asked for.
        let base = BooleanQuery::new(must);
        let searcher = self.reader.searcher();
        let kinds: Vec<Kind> = q.kind.map_or_else(|| Kind::TEXT.to_vec(), |k| vec![k]);
        let codes: Vec<u64> = kinds.iter().map(|k| k.code()).collect();
        let top = tantivy::collector::FilterCollector::new(
            "kind_code".to_string(),
            move |v: u64| codes.contains(&v),
            TopDocs::with_limit(q.limit.max(1))
                .and_offset(q.offset)
                .order_by_score(),
        );
        let (counts, top_docs) = searcher.search(&base, &(KindCounts, top))?;
        let totals: HashMap<String, u64> = Kind::TEXT
            .iter()
            .map(|k| (k.as_str().to_string(), counts[k.code() as usize]))
            .collect();
        let total = kinds.iter().map(|k| counts[k.code() as usize]).sum();
        let mut hits = Vec::new();
        if q.limit > 0 {
            for (score, a) in top_docs {
                let d: TantivyDocument = searcher.doc(a)?;
                let kind = match str_of(&d, f.kind) {
                    "binary" => Kind::Binary,
                    "symbol" => Kind::Symbol,
                    _ => Kind::String,
                };
                let title = str_of(&d, f.title).to_string();
                let details: serde_json::Value =
                    serde_json::from_str(str_of(&d, f.meta)).unwrap_or_default();
                let mut highlights = highlight(&title, &words);
                if highlights.is_empty() {
                    if let Some(dm) = details["demangled"].as_str() {
                        highlights = highlight(dm, &words);
                    }
                }
                hits.push(Hit {
                    kind,
                    sha256: str_of(&d, f.binary).to_string(),
                    text: title,
                    highlights,
                    addr: d.get_first(f.addr).and_then(|v| v.as_u64()),
                    score,
                    details,
                });
            }
        }
        Ok(TextResults {
            hits,
            total,
            totals,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }

    /// The stored signature of one function.
    pub fn signature(
        &self,
        sha256: &str,
        addr: u64,
    ) -> Result<Option<(String, Signature)>, SearchError> {
        Ok(self
            .doc_by_uid(&format!("fn:{sha256}:{addr:x}"))?
            .map(|d| self.function_of(&d)))
    }

    /// The document with this `uid`, if any.
    pub(super) fn doc_by_uid(&self, uid: &str) -> Result<Option<TantivyDocument>, SearchError> {
        let searcher = self.reader.searcher();
        let top = searcher.search(
            &TermQuery::new(
                Term::from_field_text(self.f.uid, uid),
                IndexRecordOption::Basic,
            ),
            &TopDocs::with_limit(1).order_by_score(),
        )?;
        match top.first() {
            Some((_, a)) => Ok(Some(searcher.doc(*a)?)),
            None => Ok(None),
        }
    }

    pub(super) fn function_of(&self, d: &TantivyDocument) -> (String, Signature) {
        let f = self.f;
        let meta: serde_json::Value = serde_json::from_str(str_of(d, f.meta)).unwrap_or_default();
        let sig = Signature {
            addr: d.get_first(f.addr).and_then(|v| v.as_u64()).unwrap_or(0),
            exact: str_of(d, f.exact).to_string(),
            features: signature::decode_features(
                d.get_first(f.sig)
                    .and_then(|v| v.as_bytes())
                    .unwrap_or_default(),
            ),
            instructions: meta["n"].as_u64().unwrap_or(0) as u32,
            blocks: meta["b"].as_u64().unwrap_or(0) as u32,
            evidence: serde_json::from_value(meta["e"].clone()).unwrap_or_default(),
        };
        (str_of(d, f.title).to_string(), sig)
    }

    /// Functions similar to `sig` in the whole index: the exact tier first,
    /// then LSH candidates re-ranked by weighted Jaccard. `skip_binary` leaves
    /// out one binary's functions, `skip_uid` the function itself.
    pub fn similar(
        &self,
        sig: &Signature,
        k: usize,
        min_score: f64,
        skip_binary: Option<&str>,
        skip_self: Option<(&str, u64)>,
    ) -> Result<Vec<Match>, SearchError> {
        let searcher = self.reader.searcher();
        let cache = Candidates::default();
        self.similar_in(&searcher, &cache, sig, k, min_score, skip_binary, skip_self)
    }

    /// [`similar`](Self::similar) for many signatures of one binary, on both
    /// cores, against one searcher: each candidate function is read from the
    /// doc store and decoded once for the whole batch (the candidates of a
    /// binary's functions overlap heavily), not once per query. Results are
    /// in the order of `sigs` and equal to one query each.
    pub fn similar_batch(
        &self,
        sigs: &[&Signature],
        k: usize,
        min_score: f64,
        skip_binary: Option<&str>,
    ) -> Result<Vec<Vec<Match>>, SearchError> {
        let searcher = self.reader.searcher();
        let cache = Candidates::default();
        sigs.par_iter()
            .map(|s| self.similar_in(&searcher, &cache, s, k, min_score, skip_binary, None))
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    fn similar_in(
        &self,
        searcher: &Searcher,
        cache: &Candidates,
        sig: &Signature,
        k: usize,
        min_score: f64,
        skip_binary: Option<&str>,
        skip_self: Option<(&str, u64)>,
    ) -> Result<Vec<Match>, SearchError> {
        let f = self.f;
        let mut not: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(b) = skip_binary {
            not.push((Occur::MustNot, term(f.binary, b)));
        }
        if let Some((b, a)) = skip_self {
            not.push((Occur::MustNot, term(f.uid, &format!("fn:{b}:{a:x}"))));
        }
        // Each match with its feature similarity, which orders equal scores:
        // among exact copies (all 1.0), the one whose callers, callees and
        // data agree most comes first.
        let mut found: HashMap<(String, u64), (Match, f64)> = HashMap::new();
        let mut consider = |at: DocAddress, exact_hit: bool| -> Result<(), SearchError> {
            let c = self.candidate(searcher, cache, at)?;
            let other = &c.signature;
            // The first hit of a function stands (the exact tier's comes first).
            let key = (c.sha256.clone(), other.addr);
            if found.contains_key(&key) {
                return Ok(());
            }
            let exact = exact_hit || (!sig.exact.is_empty() && other.exact == sig.exact);
            let similarity = signature::similarity(&sig.features, &other.features);
            let score = if exact { 1.0 } else { similarity };
            let m = Match {
                sha256: c.sha256.clone(),
                addr: other.addr,
                name: c.name.clone(),
                score,
                exact,
                low_confidence: sig.tiny() || other.tiny(),
                instructions: other.instructions,
                evidence: sig.evidence.shared(&other.evidence),
            };
            found.insert(key, (m, similarity));
            Ok(())
        };
        if !sig.exact.is_empty() {
            let mut q = vec![(Occur::Must, term(f.exact, &sig.exact))];
            q.extend(not.iter().map(|(o, q)| (*o, q.box_clone())));
            let top = searcher.search(
                &BooleanQuery::new(q),
                &TopDocs::with_limit(k.max(EXACT_CANDIDATES)).order_by_score(),
            )?;
            for (_, a) in top {
                consider(a, true)?;
            }
        }
        let bands: Vec<(Occur, Box<dyn Query>)> = sig
            .bands()
            .into_iter()
            .map(|t| (Occur::Should, term(f.lsh, &t)))
            .collect();
        let mut q = vec![(
            Occur::Must,
            Box::new(BooleanQuery::new(bands)) as Box<dyn Query>,
        )];
        q.extend(not);
        let top = searcher.search(
            &BooleanQuery::new(q),
            &TopDocs::with_limit(CANDIDATES.max(k)).order_by_score(),
        )?;
        for (_, a) in top {
            consider(a, false)?;
        }
        let mut out: Vec<(Match, f64)> = found
            .into_values()
            .filter(|m| m.0.score >= min_score)
            .collect();
        out.sort_by(|(a, sa), (b, sb)| {
            b.score
                .total_cmp(&a.score)
                .then(sb.total_cmp(sa))
                .then_with(|| a.sha256.cmp(&b.sha256))
                .then(a.addr.cmp(&b.addr))
        });
        out.truncate(k);
        Ok(out.into_iter().map(|m| m.0).collect())
    }

    /// A candidate function, decoded once per [`Candidates`] cache.
    fn candidate(
        &self,
        searcher: &Searcher,
        cache: &Candidates,
        at: DocAddress,
    ) -> Result<Arc<Candidate>, SearchError> {
        if let Some(c) = cache.get(at) {
            return Ok(c);
        }
        let d: TantivyDocument = searcher.doc(at)?;
        let (name, signature) = self.function_of(&d);
        let c = Arc::new(Candidate {
            sha256: str_of(&d, self.f.binary).to_string(),
            name,
            signature,
        });
        cache.put(at, c.clone());
        Ok(c)
    }

    /// Stored facts of one indexed binary: its metadata and string hashes.
    pub fn binary_doc(
        &self,
        sha256: &str,
    ) -> Result<Option<(serde_json::Value, Vec<u32>)>, SearchError> {
        let Some(d) = self.doc_by_uid(&format!("bin:{sha256}"))? else {
            return Ok(None);
        };
        let meta = serde_json::from_str(str_of(&d, self.f.meta)).unwrap_or_default();
        let hashes = d
            .get_first(self.f.sig)
            .and_then(|v| v.as_bytes())
            .unwrap_or_default()
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Ok(Some((meta, hashes)))
    }

    /// Signatures of one binary's functions, as indexed.
    pub fn functions_of(&self, sha256: &str) -> Result<Vec<(String, Signature)>, SearchError> {
        let searcher = self.reader.searcher();
        let q = BooleanQuery::new(vec![
            (Occur::Must, term(self.f.binary, sha256)),
            (Occur::Must, term(self.f.kind, Kind::Function.as_str())),
        ]);
        let docs = searcher.search(&q, &tantivy::collector::DocSetCollector)?;
        let mut out = Vec::with_capacity(docs.len());
        for a in docs {
            out.push(self.function_of(&searcher.doc(a)?));
        }
        Ok(out)
    }
}
