//! `bingraph analyze`, `bingraph disasm` and `bingraph verify`: the analysis
//! core and report signatures, without a store.

use super::*;

/// `bingraph analyze`: print one file's facts.
pub fn analyze(file: &Path, summary: bool, no_code: bool) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let cfg = AnalysisConfig {
        disassemble: !no_code,
        ..AnalysisConfig::default()
    };
    let started = Instant::now();
    let facts = analysis::analyze(&bytes, &cfg)?;
    let took = started.elapsed();
    if summary {
        for f in &facts {
            println!(
                "{} {} {}: {} sections, {} symbols, {} imports, {} strings, {} functions, {} instructions, {} calls, {} import calls, {} data refs, {} warnings, {:.3}s",
                f.hashes.sha256,
                f.identity.format.as_str(),
                f.identity.arch.name(),
                f.sections.len(),
                f.symbols.len(),
                f.imports.len(),
                f.strings.len(),
                f.code.functions.len(),
                f.code.instructions,
                f.code.calls.len(),
                f.code.import_calls.len(),
                f.code.data_refs.len(),
                f.warnings.len(),
                took.as_secs_f64()
            );
        }
    } else {
        serde_json::to_writer_pretty(std::io::stdout().lock(), &facts)?;
        println!();
    }
    Ok(())
}

/// `bingraph disasm`: print the listing of one function.
pub fn disasm(file: &Path, addr: &str, slice: usize) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let a = crate::callgraph::parse_addr(addr)
        .with_context(|| format!("'{addr}' is not an address (0x-hex or decimal)"))?;
    for l in analysis::listing(&bytes, slice, a, &AnalysisConfig::default())? {
        let note = [
            l.target.map(|t| format!("<{t}>")),
            l.data.map(|d| format!("; {d}")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        println!(
            "{:>12x}  {:<24} {:<8} {} {}",
            l.addr, l.bytes, l.mnemonic, l.operands, note
        );
    }
    Ok(())
}

/// `bingraph verify REPORT PROVENANCE`: check a report offline.
pub fn verify(report: &Path, provenance: &Path, key: Option<&str>) -> anyhow::Result<()> {
    let r = std::fs::read(report).with_context(|| format!("reading {}", report.display()))?;
    let p =
        std::fs::read(provenance).with_context(|| format!("reading {}", provenance.display()))?;
    match crate::provenance::verify(&p, &r, key) {
        Ok(v) => {
            println!(
                "OK: {} is the {} report of analysis {} of file {}, signed by key {}",
                report.display(),
                v.format,
                v.job_id,
                v.subject_sha256,
                v.key_id
            );
            Ok(())
        }
        Err(e) => bail!("verification FAILED: {e}"),
    }
}
