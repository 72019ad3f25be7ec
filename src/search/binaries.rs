//! Whole binaries compared: the ranking behind `/binaries/{sha256}/similar`.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;
use utoipa::ToSchema;

use super::{SearchError, SearchIndex};

/// Functions of a binary compared (the largest).
pub const MAX_BINARY_FUNCTIONS: usize = 500;

/// A binary like the one asked about.
#[derive(Debug, Serialize, ToSchema)]
pub struct SimilarBinary {
    pub sha256: String,
    /// The first file name the caller uploaded it under (any uploader's for
    /// an admin); empty when they never did.
    pub name: String,
    /// 0.6 × `functions` + 0.2 × `imports` + 0.2 × `strings`.
    pub score: f64,
    /// Mean, over the functions compared, of each one's best match score
    /// in this binary (0 when it has none ≥ 0.5).
    pub functions: f64,
    /// Functions compared (the query binary's largest non-tiny ones).
    pub compared: usize,
    /// Of those, how many have a match (score ≥ 0.5) in this binary.
    pub matched_functions: usize,
    pub exact_functions: usize,
    /// Jaccard index of the import names.
    pub imports: f64,
    /// Jaccard index of the string sets.
    pub strings: f64,
    pub shared_imports: Vec<String>,
}

/// Function score at which a binary counts as having a function's match.
const BINARY_MATCH: f64 = 0.5;

impl SearchIndex {
    /// Binaries ranked by how much they share with `sha`: matched functions
    /// (60 %), imports (20 %) and strings (20 %); at most `k`, none under `min`.
    pub fn similar_binaries(
        &self,
        sha: &str,
        k: usize,
        min: f64,
    ) -> Result<Vec<SimilarBinary>, SearchError> {
        let i = self;
        let mut funcs = i.functions_of(sha)?;
        funcs.retain(|(_, s)| !s.tiny());
        funcs.sort_by_key(|(_, s)| std::cmp::Reverse(s.instructions));
        funcs.truncate(MAX_BINARY_FUNCTIONS);
        // Per other binary: matched functions, exact ones, and the sum of each
        // query function's best score there (results come best first).
        let mut per: BTreeMap<String, (usize, usize, f64)> = BTreeMap::new();
        for (_, s) in &funcs {
            let mut seen = HashSet::new();
            for m in i.similar(s, 20, BINARY_MATCH, Some(sha), None)? {
                if m.low_confidence || !seen.insert(m.sha256.clone()) {
                    continue;
                }
                let e = per.entry(m.sha256).or_default();
                e.0 += 1;
                e.1 += usize::from(m.exact);
                e.2 += m.score;
            }
        }
        let (meta, strings) = i.binary_doc(sha)?.unwrap_or_default();
        let imports_of = |m: &serde_json::Value| -> HashSet<String> {
            m["imports"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        let mine = imports_of(&meta);
        let my_strings: HashSet<u32> = strings.into_iter().collect();
        let mut out = Vec::new();
        for (other, (matched, exact, sum)) in per {
            let (ometa, ostrings) = i.binary_doc(&other)?.unwrap_or_default();
            let theirs = imports_of(&ometa);
            let their_strings: HashSet<u32> = ostrings.into_iter().collect();
            let imports = jaccard(&mine, &theirs);
            let strings = jaccard(&my_strings, &their_strings);
            let functions = sum / funcs.len().max(1) as f64;
            let score = 0.6 * functions + 0.2 * imports + 0.2 * strings;
            if score < min {
                continue;
            }
            let mut shared_imports: Vec<String> = mine.intersection(&theirs).cloned().collect();
            shared_imports.sort();
            shared_imports.truncate(50);
            out.push(SimilarBinary {
                name: String::new(),
                sha256: other,
                score,
                functions,
                compared: funcs.len(),
                matched_functions: matched,
                exact_functions: exact,
                imports,
                strings,
                shared_imports,
            });
        }
        out.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.sha256.cmp(&b.sha256))
        });
        out.truncate(k);
        Ok(out)
    }
}

fn jaccard<T: std::hash::Hash + Eq>(a: &HashSet<T>, b: &HashSet<T>) -> f64 {
    let union = a.union(b).count();
    if union == 0 {
        0.0
    } else {
        a.intersection(b).count() as f64 / union as f64
    }
}
