//! The HTML rendering of a report: one self-contained page (inline CSS, no
//! scripts, no external assets).

use serde_json::Value;

use super::{blocks, text, Block};

const STYLE: &str = "body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#1d232a}\
h1{font-size:1.6em;border-bottom:2px solid #ccd3da;padding-bottom:.3em}h2{margin-top:2em;border-bottom:1px solid #e1e6eb}\
h4{margin:1.2em 0 .4em;color:#4a5561;text-transform:capitalize}table{border-collapse:collapse;width:100%;margin:.4em 0 1em;font-size:13px}\
th,td{border:1px solid #e1e6eb;padding:3px 7px;text-align:left;vertical-align:top;word-break:break-word}th{background:#f3f5f7}\
td:first-child{white-space:nowrap}code{font-family:ui-monospace,Menlo,monospace}nav a{margin-right:.8em}\
.sev-critical{background:#7a0012;color:#fff}.sev-high{background:#d1242f;color:#fff}.sev-medium{background:#f0a000}.sev-low{background:#dde7f0}.sev-info{background:#eef1f4}\
.risk{display:inline-block;padding:2px 10px;border-radius:10px;font-weight:600}@media print{nav{display:none}}";

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn td(header: &str, v: &str) -> String {
    if header == "severity" {
        format!("<td class=\"sev-{0}\">{0}</td>", esc(v))
    } else {
        format!("<td>{}</td>", esc(v))
    }
}

pub fn render(report: &Value) -> String {
    let title = format!("bingraph report: {}", text(&report["file"]["name"]));
    let level = text(&report["risk"]["level"]);
    let mut body = String::new();
    let mut nav = String::new();
    for s in report["sections"].as_array().into_iter().flatten() {
        nav.push_str(&format!(
            "<a href=\"#s{0}\">{0}. {1}</a>",
            text(&s["number"]),
            esc(&text(&s["title"]))
        ));
    }
    let mut section = 0;
    for b in blocks(report) {
        match b {
            Block::Heading(1, t) => {
                body.push_str(&format!(
                    "<h1>{}</h1><p><span class=\"risk sev-{}\">risk: {} ({}/100)</span></p><nav>{nav}</nav>",
                    esc(&t),
                    esc(&level),
                    esc(&level),
                    esc(&text(&report["risk"]["score"]))
                ));
            }
            Block::Heading(2, t) => {
                section += 1;
                body.push_str(&format!("<h2 id=\"s{section}\">{}</h2>", esc(&t)));
            }
            Block::Heading(l, t) => body.push_str(&format!("<h{l}>{}</h{l}>", esc(&t))),
            Block::Para(t) => body.push_str(&format!("<p>{}</p>", esc(&t))),
            Block::Pairs(pairs) => {
                body.push_str("<table>");
                for (k, v) in pairs {
                    body.push_str(&format!("<tr><th>{}</th>{}</tr>", esc(&k), td(&k, &v)));
                }
                body.push_str("</table>");
            }
            Block::Table(headers, rows) => {
                body.push_str("<table><tr>");
                for h in &headers {
                    body.push_str(&format!("<th>{}</th>", esc(&h.replace('_', " "))));
                }
                body.push_str("</tr>");
                for r in rows {
                    body.push_str("<tr>");
                    for (h, c) in headers.iter().zip(&r) {
                        body.push_str(&td(h, c));
                    }
                    body.push_str("</tr>");
                }
                body.push_str("</table>");
            }
        }
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{}</title><style>{STYLE}</style></head><body>{body}</body></html>\n",
        esc(&title)
    )
}
