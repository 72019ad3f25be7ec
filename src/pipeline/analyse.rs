//! Phases 2–7: one pass of the analysis core (headers, symbols, strings,
//! functions, CFG, data references), timed by stage; each stage is recorded
//! as its own phase.

use std::sync::Arc;
use std::time::Instant;

use super::progress::{hash_json, Progress, Summary};
use super::{blocking, ms, Analysed, Input, PipelineError};
use crate::analysis::{self, AnalysisConfig, AnalysisError, BinaryFacts, Stages};

pub(super) async fn run<P: Progress>(
    input: &Input,
    sink: &mut P,
) -> Result<Vec<Analysed>, PipelineError> {
    sink.begin(2).await?;
    let t = Instant::now();
    let (bytes, cfg) = (input.bytes.clone(), input.analysis.clone());
    let analysed = blocking("analysis", move || analyse(&bytes, &cfg)).await??;
    if sink.stopped() {
        return Err(PipelineError::Stopped);
    }
    if sink.records() {
        for (n, s) in summaries(&analysed, ms(t)) {
            sink.record(n, s);
        }
    }
    Ok(analysed)
}

/// Analyse a file (blocking): one [`Analysed`] per binary, without findings yet.
pub fn analyse(bytes: &Arc<Vec<u8>>, cfg: &AnalysisConfig) -> Result<Vec<Analysed>, AnalysisError> {
    let facts = analysis::analyze(bytes, cfg)?;
    Ok(analysis::split_slices(bytes, facts)
        .into_iter()
        .enumerate()
        .map(|(index, (facts, slice))| Analysed {
            facts,
            slice,
            index,
            findings: Vec::new(),
            signatures: Vec::new(),
            similar: Vec::new(),
        })
        .collect())
}

const SAME_PASS: &str = "parsed in the same pass as phase 2; its time is counted there";
const HEADERS_NOTE: &str = "the wall time of the analysis pass not spent on strings or code: hashing, parsing headers, symbols and imports";
const DATA_REFS_NOTE: &str = "built in the same pass as phase 6; its time is counted there";

/// The records of phases 2–7 from one pass that took `total` ms.
fn summaries(analysed: &[Analysed], total: u64) -> Vec<(u8, Summary)> {
    let sum = |f: &dyn Fn(&BinaryFacts) -> u64| analysed.iter().map(|a| f(&a.facts)).sum::<u64>();
    let st = |f: &dyn Fn(&Stages) -> u64| sum(&|b| f(&b.stages));
    let facts = || analysed.iter().map(|a| &a.facts);
    let summary = |ms, counts, output, note: Option<&str>| Summary {
        ms,
        counts,
        output: Some(output),
        note: note.map(String::from),
    };
    let functions = facts()
        .map(|b| {
            b.code
                .functions
                .iter()
                .map(|f| (f.addr, f.size, &f.name, f.instructions))
                .collect::<Vec<_>>()
        })
        .collect::<Vec<_>>();
    let cfg = facts()
        .map(|b| {
            let blocks = b.code.functions.iter().map(|f| (&f.blocks, &f.edges));
            (
                blocks.collect::<Vec<_>>(),
                &b.code.calls,
                &b.code.import_calls,
            )
        })
        .collect::<Vec<_>>();
    vec![
        (
            2,
            summary(
                total.saturating_sub(st(&|s| s.strings_ms + s.discovery_ms + s.build_ms)),
                vec![
                    ("sections", sum(&|b| b.sections.len() as u64)),
                    ("segments", sum(&|b| b.segments.len() as u64)),
                ],
                hash_json(
                    &facts()
                        .map(|b| (&b.sections, &b.segments))
                        .collect::<Vec<_>>(),
                ),
                Some(HEADERS_NOTE),
            ),
        ),
        (
            3,
            summary(
                0,
                vec![
                    ("symbols", sum(&|b| b.symbols.len() as u64)),
                    ("imports", sum(&|b| b.imports.len() as u64)),
                    ("exports", sum(&|b| b.exports.len() as u64)),
                    ("libraries", sum(&|b| b.libraries.len() as u64)),
                ],
                hash_json(
                    &facts()
                        .map(|b| (&b.symbols, &b.imports, &b.exports, &b.libraries))
                        .collect::<Vec<_>>(),
                ),
                Some(SAME_PASS),
            ),
        ),
        (
            4,
            summary(
                st(&|s| s.strings_ms),
                vec![("strings", sum(&|b| b.strings.len() as u64))],
                hash_json(&facts().map(|b| &b.strings).collect::<Vec<_>>()),
                None,
            ),
        ),
        (
            5,
            summary(
                st(&|s| s.discovery_ms),
                vec![
                    ("functions", sum(&|b| b.code.functions.len() as u64)),
                    ("instructions", sum(&|b| b.code.instructions)),
                ],
                hash_json(&functions),
                None,
            ),
        ),
        (
            6,
            summary(
                st(&|s| s.build_ms),
                vec![
                    (
                        "blocks",
                        sum(&|b| b.code.functions.iter().map(|f| f.blocks.len() as u64).sum()),
                    ),
                    ("calls", sum(&|b| b.code.calls.len() as u64)),
                    ("import_calls", sum(&|b| b.code.import_calls.len() as u64)),
                ],
                hash_json(&cfg),
                None,
            ),
        ),
        (
            7,
            summary(
                0,
                vec![("data_refs", sum(&|b| b.code.data_refs.len() as u64))],
                hash_json(&facts().map(|b| &b.code.data_refs).collect::<Vec<_>>()),
                Some(DATA_REFS_NOTE),
            ),
        ),
    ]
}
