//! Phase 9: each binary's functions against the corpus in the search index,
//! for the `SIMILAR_TO` links the graph write adds.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use super::progress::{hash_json, Progress, Summary};
use super::{blocking, ms, Analysed, Pipeline, PipelineError};
use crate::analysis::signature::{Match, Signature};
use crate::search::SearchIndex;

/// Most functions of one binary queried for `SIMILAR_TO` links.
pub const MAX_LINKED: usize = 5_000;
/// Links kept per function.
pub const LINKS_PER_FUNCTION: usize = 3;
/// Lowest score linked (false-positive rate on unrelated non-tiny functions
/// about 1.4 %, see README "Search and similarity").
pub const LINK_THRESHOLD: f64 = 0.7;

const NOTE: &str =
    "each non-tiny function (the largest 5000) against the index; links at score >= 0.7";

pub(super) async fn run<P: Progress>(
    pipeline: &Pipeline,
    mut analysed: Vec<Analysed>,
    sink: &mut P,
) -> Result<Vec<Analysed>, PipelineError> {
    sink.begin(9).await?;
    let t = Instant::now();
    let index = pipeline.sync.index.clone();
    let analysed = blocking("similarity", move || {
        for a in &mut analysed {
            a.similar = similar_for(&index, a);
        }
        analysed
    })
    .await?;
    let mut summary = Summary {
        ms: ms(t),
        note: Some(NOTE.into()),
        ..Summary::default()
    };
    if sink.records() {
        let links = || analysed.iter().flat_map(|a| a.similar.iter());
        let matched: HashSet<&str> = links().map(|(_, m)| m.sha256.as_str()).collect();
        summary.counts = vec![
            ("queried", queried(&analysed)),
            ("links", links().count() as u64),
            ("exact", links().filter(|(_, m)| m.exact).count() as u64),
            ("binaries", matched.len() as u64),
        ];
        summary.output = Some(hash_json(
            &links()
                .map(|(addr, m)| (addr, &m.sha256, m.addr, m.score))
                .collect::<Vec<_>>(),
        ));
    }
    sink.done(9, summary).await?;
    Ok(analysed)
}

/// Best matches in the corpus (other binaries) for the binary's non-tiny
/// functions; blocking. The largest [`MAX_LINKED`] functions are queried.
fn similar_for(index: &Arc<SearchIndex>, a: &Analysed) -> Vec<(u64, Match)> {
    let sha = &a.facts.hashes.sha256;
    let mut sigs: Vec<&Signature> = a.signatures.iter().filter(|s| !s.tiny()).collect();
    sigs.sort_by_key(|s| std::cmp::Reverse(s.instructions));
    sigs.truncate(MAX_LINKED);
    // One batch: both cores, each candidate decoded once, results in the
    // order of `sigs`.
    match index.similar_batch(&sigs, LINKS_PER_FUNCTION, LINK_THRESHOLD, Some(sha)) {
        Ok(found) => sigs
            .iter()
            .zip(found)
            .flat_map(|(s, found)| {
                found
                    .into_iter()
                    .filter(|m| !m.low_confidence)
                    .map(move |m| (s.addr, m))
            })
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "similarity query failed; no SIMILAR_TO links");
            Vec::new()
        }
    }
}

/// Functions queried (non-tiny, at most [`MAX_LINKED`] per binary).
fn queried(analysed: &[Analysed]) -> u64 {
    analysed
        .iter()
        .map(|a| {
            a.signatures
                .iter()
                .filter(|s| !s.tiny())
                .count()
                .min(MAX_LINKED) as u64
        })
        .sum()
}
