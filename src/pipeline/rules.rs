//! Phase 10: the vulnerability and hardening rules over the facts
//! (disassembling the callers of printf- and scanf-family functions once
//! more for the format-string rules).

use std::time::Instant;

use super::progress::{hash_json, Progress, Summary};
use super::{blocking, ms, Analysed, Input, PipelineError};
use crate::analysis::findings::{self, Severity};
use crate::analysis::{self, AnalysisConfig};

/// Most functions disassembled again for the format-string rules.
const MAX_RULE_LISTINGS: usize = 2_000;

pub(super) async fn run<P: Progress>(
    input: &Input,
    mut analysed: Vec<Analysed>,
    sink: &mut P,
) -> Result<Vec<Analysed>, PipelineError> {
    sink.begin(10).await?;
    let t = Instant::now();
    let (bytes, cfg) = (input.bytes.clone(), input.analysis.clone());
    let analysed = blocking("rules", move || {
        for a in &mut analysed {
            run_rules(&bytes, a, &cfg);
        }
        analysed
    })
    .await?;
    let mut summary = Summary {
        ms: ms(t),
        ..Summary::default()
    };
    if sink.records() {
        let all: Vec<_> = analysed.iter().flat_map(|a| a.findings.iter()).collect();
        summary.counts = vec![("findings", all.len() as u64)];
        for s in [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
            Severity::Info,
        ] {
            let n = all.iter().filter(|f| f.severity == s).count() as u64;
            summary.counts.push((s.as_str(), n));
        }
        summary.output = Some(hash_json(
            &analysed.iter().map(|a| &a.findings).collect::<Vec<_>>(),
        ));
    }
    sink.done(10, summary).await?;
    Ok(analysed)
}

/// Run the rules on one analysed binary (blocking).
fn run_rules(file: &[u8], a: &mut Analysed, cfg: &AnalysisConfig) {
    let wanted = findings::listing_requests(&a.facts, MAX_RULE_LISTINGS);
    let listings = analysis::listings(file, a.index, &wanted, cfg).unwrap_or_default();
    a.findings = findings::evaluate(&a.facts, &listings);
}
