//! Phase 1: what the file is (format, architecture, hashes), before the long
//! analysis. Only a recording sink runs it: the analysis pass of phase 2
//! identifies the file again anyway, and a silent run need not pay twice.

use std::time::Instant;

use serde_json::json;

use super::progress::{hash_json, Progress, Summary};
use super::{blocking, ms, Input, PipelineError};
use crate::analysis;

pub(super) async fn run<P: Progress>(input: &Input, sink: &mut P) -> Result<(), PipelineError> {
    if !sink.records() {
        return Ok(());
    }
    sink.begin(1).await?;
    let t = Instant::now();
    let (bytes, cfg) = (input.bytes.clone(), input.analysis.clone());
    let ids = blocking("identify", move || analysis::identify(&bytes, &cfg)).await??;
    sink.identified(
        ids.first().map(|f| f.identity.format.as_str().to_string()),
        ids.first().map(|f| f.identity.arch.name().to_string()),
    );
    let output = hash_json(
        &ids.iter()
            .map(|f| json!({"hashes": f.hashes, "identity": f.identity}))
            .collect::<Vec<_>>(),
    );
    let summary = Summary {
        ms: ms(t),
        counts: vec![
            ("binaries", ids.len() as u64),
            ("bytes", input.bytes.len() as u64),
        ],
        output: Some(output),
        note: None,
    };
    sink.done(1, summary).await
}
