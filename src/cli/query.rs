//! `bingraph query`: Cypher from the command line, as a table, JSON or CSV.

use super::*;

/// Output of `bingraph query`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum QueryFormat {
    Table,
    Json,
}

/// Parse `name=value`; the value is JSON when it parses as JSON, else a string.
pub fn parse_param(s: &str) -> anyhow::Result<(String, Value)> {
    let Some((name, value)) = s.split_once('=') else {
        bail!("--param takes name=value, got '{s}'");
    };
    let value = serde_json::from_str::<serde_json::Value>(value)
        .map(|v| Value::from_json(&v))
        .unwrap_or_else(|_| Value::String(value.to_string()));
    Ok((name.trim().to_string(), value))
}

/// Run one Cypher query and print its rows.
pub async fn query(
    config: Config,
    cypher: &str,
    params: Vec<(String, Value)>,
    format: QueryFormat,
    write: bool,
) -> anyhow::Result<()> {
    let store = graph::open(&config.graph_config())
        .await
        .context("opening the graph store")?;
    let params: Params = params.into_iter().collect();
    let rows = if write {
        store.write(cypher, params).await
    } else {
        store.read(cypher, params).await
    };
    let rows = match rows {
        Ok(r) => r,
        Err(graph::GraphError::ReadOnly) => {
            bail!("the query writes to the graph; add --write if that is what you want")
        }
        Err(e) => return Err(e.into()),
    };
    let mut out = std::io::stdout().lock();
    match format {
        QueryFormat::Json => {
            let objects: Vec<serde_json::Map<String, serde_json::Value>> = rows
                .rows
                .iter()
                .map(|r| {
                    rows.columns
                        .iter()
                        .cloned()
                        .zip(r.iter().map(Value::to_json))
                        .collect()
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &objects)?;
            use std::io::Write;
            writeln!(out)?;
        }
        QueryFormat::Table => print_table(&mut out, &rows)?,
    }
    Ok(())
}

pub(super) fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_json().to_string(),
    }
}

pub(super) fn print_table(out: &mut impl std::io::Write, rows: &Rows) -> std::io::Result<()> {
    let cells: Vec<Vec<String>> = rows
        .rows
        .iter()
        .map(|r| r.iter().map(cell).collect())
        .collect();
    let mut widths: Vec<usize> = rows.columns.iter().map(|c| c.chars().count()).collect();
    for r in &cells {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count().min(80));
        }
    }
    let line = |out: &mut dyn std::io::Write, items: &[String]| -> std::io::Result<()> {
        let parts: Vec<String> = items
            .iter()
            .zip(&widths)
            .map(|(c, w)| {
                let c: String = c.chars().take(80).collect();
                format!("{c:<w$}")
            })
            .collect();
        writeln!(out, "{}", parts.join(" | ").trim_end())
    };
    line(out, &rows.columns)?;
    writeln!(
        out,
        "{}",
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("-+-")
    )?;
    for r in &cells {
        line(out, r)?;
    }
    writeln!(out, "({} rows)", cells.len())
}
