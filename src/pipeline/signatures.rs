//! Phase 8: the similarity signature of every function (a pure feature
//! extraction over the analysis facts, decoding the bodies once more).

use std::collections::HashSet;
use std::time::Instant;

use super::progress::{hash_json, Progress, Summary};
use super::{blocking, ms, Analysed, Input, PipelineError};
use crate::analysis::signature;

pub(super) async fn run<P: Progress>(
    input: &Input,
    mut analysed: Vec<Analysed>,
    sink: &mut P,
) -> Result<Vec<Analysed>, PipelineError> {
    sink.begin(8).await?;
    let t = Instant::now();
    let bytes = input.bytes.clone();
    let (analysed, failed) = blocking("signatures", move || {
        let failed: Vec<String> = analysed
            .iter_mut()
            .filter_map(|a| sign(&bytes, a))
            .collect();
        (analysed, failed)
    })
    .await?;
    let mut summary = Summary {
        ms: ms(t),
        note: (!failed.is_empty()).then(|| failed.join("; ")),
        ..Summary::default()
    };
    if sink.records() {
        let sigs = || analysed.iter().flat_map(|a| a.signatures.iter());
        let exact: HashSet<&str> = sigs().map(|s| s.exact.as_str()).collect();
        summary.counts = vec![
            ("signatures", sigs().count() as u64),
            ("tiny", sigs().filter(|s| s.tiny()).count() as u64),
            ("exact_hashes", exact.len() as u64),
        ];
        summary.output = Some(hash_json(
            &analysed
                .iter()
                .map(|a| {
                    a.signatures
                        .iter()
                        .map(|s| (s.addr, &s.exact, &s.features))
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>(),
        ));
    }
    sink.done(8, summary).await?;
    Ok(analysed)
}

/// Compute the function signatures of one analysed binary (blocking). A
/// failure (the file parsed once already, so only a decoder bug) leaves the
/// binary without signatures rather than failing its ingest; the reason is
/// returned for the phase note.
fn sign(file: &[u8], a: &mut Analysed) -> Option<String> {
    match signature::signatures(file, a.index, &a.facts) {
        Ok(s) => {
            a.signatures = s;
            None
        }
        Err(e) => {
            tracing::warn!(sha256 = %a.facts.hashes.sha256, error = %e, "no function signatures");
            Some(format!("no signatures for {}: {e}", a.facts.hashes.sha256))
        }
    }
}
