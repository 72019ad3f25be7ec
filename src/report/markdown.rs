//! The Markdown rendering of a report.

use serde_json::Value;

use super::{blocks, Block};

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

pub fn render(report: &Value) -> String {
    let mut out = String::new();
    for b in blocks(report) {
        match b {
            Block::Heading(level, t) => {
                out.push_str(&format!(
                    "\n{} {}\n\n",
                    "#".repeat(level as usize),
                    cell(&t)
                ));
            }
            Block::Para(t) => out.push_str(&format!("{}\n\n", cell(&t))),
            Block::Pairs(pairs) => {
                out.push_str("| | |\n|---|---|\n");
                for (k, v) in pairs {
                    out.push_str(&format!("| **{}** | {} |\n", cell(&k), cell(&v)));
                }
                out.push('\n');
            }
            Block::Table(headers, rows) => {
                if headers.is_empty() {
                    continue;
                }
                out.push_str(&format!(
                    "| {} |\n",
                    headers
                        .iter()
                        .map(|h| cell(h))
                        .collect::<Vec<_>>()
                        .join(" | ")
                ));
                out.push_str(&format!("|{}\n", "---|".repeat(headers.len())));
                for r in rows {
                    out.push_str(&format!(
                        "| {} |\n",
                        r.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
                    ));
                }
                out.push('\n');
            }
        }
    }
    out.trim_start().to_string()
}
