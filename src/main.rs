//! `bingraph` command line. Thin: parses arguments and calls into the library.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use bingraph::analysis::{self, AnalysisConfig};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "bingraph",
    version,
    about = "Binary intelligence as a property graph"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyse one file and print its facts as JSON.
    Analyze {
        file: PathBuf,
        /// Print counts only, not the full facts.
        #[arg(long)]
        summary: bool,
        /// Skip disassembly (identity, layout, symbols and strings only).
        #[arg(long)]
        no_code: bool,
    },
    /// Print the disassembly of the function at ADDR (hex with 0x, or decimal).
    Disasm {
        file: PathBuf,
        addr: String,
        /// Which binary of a fat file.
        #[arg(long, default_value_t = 0)]
        slice: usize,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Analyze {
            file,
            summary,
            no_code,
        } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let cfg = AnalysisConfig {
                disassemble: !no_code,
                ..AnalysisConfig::default()
            };
            let started = std::time::Instant::now();
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
        }
        Command::Disasm { file, addr, slice } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let a = match addr.strip_prefix("0x") {
                Some(h) => u64::from_str_radix(h, 16)?,
                None => addr.parse()?,
            };
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
        }
    }
    Ok(())
}
