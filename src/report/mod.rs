//! Analysis reports: one JSON document in numbered sections, rendered once
//! at the end of a job as JSON, SARIF 2.1.0, HTML and Markdown. The rendered
//! bytes are stored and signed, so a download is byte-for-byte what the
//! provenance signs.
//!
//! Sections: 1 overview, 2 identity, 3 layout, 4 imports and exports,
//! 5 symbols, 6 functions, 7 strings of interest, 8 hardening, 9 findings,
//! 10 provenance. Every section but the overview holds one entry per binary
//! (a fat Mach-O has several).

mod html;
mod markdown;
pub mod sarif;

use serde_json::{json, Value};

use crate::analysis::findings::{self, Finding, Severity};
use crate::analysis::BinaryFacts;

/// Report formats.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    Json,
    Sarif,
    Html,
    Md,
}

impl ReportFormat {
    pub const ALL: [ReportFormat; 4] = [
        ReportFormat::Json,
        ReportFormat::Sarif,
        ReportFormat::Html,
        ReportFormat::Md,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportFormat::Json => "json",
            ReportFormat::Sarif => "sarif",
            ReportFormat::Html => "html",
            ReportFormat::Md => "md",
        }
    }

    pub fn parse(s: &str) -> Option<ReportFormat> {
        ReportFormat::ALL
            .into_iter()
            .find(|f| f.as_str() == s.trim().to_ascii_lowercase())
            .or(match s.trim() {
                "markdown" => Some(ReportFormat::Md),
                _ => None,
            })
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ReportFormat::Json => "application/json",
            ReportFormat::Sarif => "application/sarif+json",
            ReportFormat::Html => "text/html; charset=utf-8",
            ReportFormat::Md => "text/markdown; charset=utf-8",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Json => "json",
            ReportFormat::Sarif => "sarif",
            ReportFormat::Html => "html",
            ReportFormat::Md => "md",
        }
    }
}

/// Section titles by number.
pub const SECTIONS: [(&str, &str); 10] = [
    ("overview", "Overview"),
    ("identity", "Identity"),
    ("layout", "Sections and segments"),
    ("imports_exports", "Imports and exports"),
    ("symbols", "Symbols"),
    ("functions", "Functions"),
    ("strings", "Strings of interest"),
    ("hardening", "Hardening"),
    ("findings", "Findings"),
    ("provenance", "Provenance"),
];

/// Lists in a report stop at this many entries (the API pages through all).
pub const MAX_LIST: usize = 5_000;

/// What the report is about.
pub struct Subject<'a> {
    pub job_id: &'a str,
    pub name: &'a str,
    pub sha256: &'a str,
    pub size: u64,
    pub submitted_at: &'a str,
    pub tags: &'a [String],
}

/// The provenance facts the report repeats in section 10.
pub struct Origin<'a> {
    pub version: &'a str,
    pub config_sha256: &'a str,
    /// `[{number, name, status, output_sha256}]`.
    pub phases: Value,
    pub key_id: &'a str,
}

/// A 0–100 risk score from findings, and its level.
pub fn risk(findings: &[&Finding]) -> (u32, &'static str) {
    let score: u32 = findings
        .iter()
        .map(|f| match f.severity {
            Severity::Critical => 40,
            Severity::High => 20,
            Severity::Medium => 8,
            Severity::Low => 2,
            Severity::Info => 0,
        })
        .sum::<u32>()
        .min(100);
    let level = match score {
        0..=19 => "low",
        20..=49 => "medium",
        50..=79 => "high",
        _ => "critical",
    };
    (score, level)
}

fn severity_counts(findings: &[&Finding]) -> Value {
    let mut m = serde_json::Map::new();
    for s in ["critical", "high", "medium", "low", "info"] {
        let n = findings.iter().filter(|f| f.severity.as_str() == s).count();
        m.insert(s.into(), n.into());
    }
    Value::Object(m)
}

fn capped<T>(items: impl Iterator<Item = T>, total: usize) -> (Vec<T>, bool) {
    let v: Vec<T> = items.take(MAX_LIST).collect();
    (v, total > MAX_LIST)
}

/// Build the report document.
pub fn build(
    subject: &Subject<'_>,
    binaries: &[(&BinaryFacts, &[Finding])],
    origin: &Origin<'_>,
    generated_at: &str,
) -> Value {
    let all: Vec<&Finding> = binaries.iter().flat_map(|(_, f)| f.iter()).collect();
    let (score, level) = risk(&all);
    let per = |f: &dyn Fn(&BinaryFacts, &[Finding]) -> Value| -> Value {
        Value::Array(
            binaries
                .iter()
                .map(|(b, fs)| {
                    let mut v = f(b, fs);
                    if let Value::Object(m) = &mut v {
                        m.shift_insert(0, "sha256".into(), b.hashes.sha256.clone().into());
                    }
                    v
                })
                .collect(),
        )
    };
    let overview = json!({
        "file": { "name": subject.name, "sha256": subject.sha256, "size": subject.size },
        "submitted_at": subject.submitted_at,
        "tags": subject.tags,
        "binaries": binaries.iter().map(|(b, fs)| json!({
            "sha256": b.hashes.sha256, "format": b.identity.format.as_str(),
            "arch": b.identity.arch.name(), "bits": b.identity.bits, "kind": b.identity.kind,
            "functions": b.code.functions.len(), "imports": b.imports.len(),
            "strings": b.strings.len(), "findings": fs.len(),
        })).collect::<Vec<_>>(),
        "risk": { "score": score, "level": level },
        "findings_by_severity": severity_counts(&all),
        "warnings": binaries.iter().flat_map(|(b, _)| b.warnings.iter().cloned()).collect::<Vec<_>>(),
    });
    let identity = per(&|b, _| identity_section(b));
    let layout = per(&|b, _| layout_section(b));
    let imports_exports = per(&|b, _| imports_exports_section(b));
    let symbols = per(&|b, _| symbols_section(b));
    let functions = per(&|b, _| functions_section(b));
    let strings = per(&|b, _| strings_section(b));
    let hardening = per(&|b, _| json!({ "hardening": b.hardening }));
    let findings_section = per(
        &|_, fs| json!({ "count": fs.len(), "by_severity": severity_counts(&fs.iter().collect::<Vec<_>>()), "findings": fs }),
    );
    let provenance = json!({
        "input_sha256": subject.sha256,
        "bingraph_version": origin.version,
        "config_sha256": origin.config_sha256,
        "phases": origin.phases,
        "signing_key_id": origin.key_id,
        "note": format!("The signed chain, with this report's hash, is GET /api/v1/analysis/{}/provenance; check it offline with `bingraph verify REPORT PROVENANCE`.", subject.job_id),
    });
    let data = [
        overview,
        identity,
        layout,
        imports_exports,
        symbols,
        functions,
        strings,
        hardening,
        findings_section,
        provenance,
    ];
    let sections: Vec<Value> = SECTIONS
        .iter()
        .zip(data)
        .enumerate()
        .map(|(i, ((id, title), data))| json!({ "number": i + 1, "id": id, "title": title, "data": data }))
        .collect();
    json!({
        "report_version": 1,
        "generator": { "name": "bingraph", "version": origin.version },
        "job_id": subject.job_id,
        "generated_at": generated_at,
        "file": { "name": subject.name, "sha256": subject.sha256, "size": subject.size },
        "risk": { "score": score, "level": level },
        "sections": sections,
    })
}

fn identity_section(b: &BinaryFacts) -> Value {
    let i = &b.identity;
    json!({
        "sha1": b.hashes.sha1, "md5": b.hashes.md5, "size": b.hashes.size,
        "format": i.format.as_str(), "arch": i.arch.name(), "bits": i.bits,
        "endian": if i.endian == crate::analysis::Endian::Little { "little" } else { "big" },
        "kind": i.kind, "os_abi": i.os_abi, "entry": i.entry.map(hex),
        "image_base": hex(i.image_base), "build_id": i.build_id, "imphash": i.imphash,
        "interpreter": i.interpreter, "soname": i.soname, "pdb_path": i.pdb_path,
        "macho_uuid": i.macho_uuid,
    })
}

fn layout_section(b: &BinaryFacts) -> Value {
    json!({
        "sections": b.sections.iter().map(|s| json!({
            "name": s.name, "vaddr": hex(s.vaddr), "size": s.size, "flags": s.flags, "entropy": s.entropy,
        })).collect::<Vec<_>>(),
        "segments": b.segments.iter().map(|s| json!({
            "name": s.name, "vaddr": hex(s.vaddr), "mem_size": s.mem_size, "flags": s.flags,
        })).collect::<Vec<_>>(),
    })
}

fn imports_exports_section(b: &BinaryFacts) -> Value {
    let (imports, it) = capped(
        b.imports
            .iter()
            .map(|i| json!({"library": i.library, "name": i.name})),
        b.imports.len(),
    );
    let (exports, et) = capped(
        b.exports
            .iter()
            .map(|e| json!({"name": e.name, "addr": hex(e.addr), "forward": e.forward})),
        b.exports.len(),
    );
    json!({
        "libraries": b.libraries, "import_count": b.imports.len(), "imports": imports,
        "export_count": b.exports.len(), "exports": exports, "truncated": it || et,
    })
}

fn symbols_section(b: &BinaryFacts) -> Value {
    let (list, t) = capped(
        b.symbols.iter().map(|s| {
            json!({
                "name": s.name, "demangled": s.demangled, "kind": s.kind, "binding": s.binding,
                "addr": hex(s.addr), "size": s.size, "defined": s.defined,
            })
        }),
        b.symbols.len(),
    );
    json!({ "count": b.symbols.len(), "stripped": b.hardening.stripped, "symbols": list, "truncated": t })
}

fn functions_section(b: &BinaryFacts) -> Value {
    let c = &b.code;
    let (list, t) = capped(
        c.functions.iter().map(|f| {
            json!({
                "addr": hex(f.addr), "name": f.name, "size": f.size, "blocks": f.blocks.len(),
                "instructions": f.instructions, "cyclomatic": f.cyclomatic, "source": f.source,
            })
        }),
        c.functions.len(),
    );
    json!({
        "count": c.functions.len(), "instructions": c.instructions, "calls": c.calls.len(),
        "import_calls": c.import_calls.len(), "data_refs": c.data_refs.len(),
        "main": c.main.map(hex), "functions": list, "truncated": t,
    })
}

fn strings_section(b: &BinaryFacts) -> Value {
    let picked: Vec<Value> = b
        .strings
        .iter()
        .filter_map(|s| {
            interest(&s.value).map(|why| {
                json!({
                    "value": s.value.chars().take(300).collect::<String>(),
                    "why": why, "addr": s.addr.map(hex), "section": s.section,
                })
            })
        })
        .take(500)
        .collect();
    json!({ "total_strings": b.strings.len(), "of_interest": picked })
}

fn hex(a: u64) -> String {
    format!("{a:#x}")
}

/// Why a string is worth a look, if it is.
fn interest(s: &str) -> Option<&'static str> {
    let lower = s.to_ascii_lowercase();
    if lower.contains("://") {
        Some("url")
    } else if !findings::advisories::detect(s).is_empty() {
        Some("library version")
    } else if lower.contains("/bin/sh")
        || lower.contains("cmd.exe")
        || lower.contains("powershell")
        || lower.starts_with("sh -c")
    {
        Some("shell")
    } else if lower.contains("password")
        || lower.contains("passwd")
        || lower.contains("secret")
        || lower.contains("private key")
        || lower.contains("token")
    {
        Some("credential word")
    } else if lower.starts_with("hkey_") || lower.contains("\\currentversion\\run") {
        Some("registry")
    } else if (s.starts_with("/etc/")
        || s.starts_with("/proc/")
        || s.starts_with("/tmp/")
        || s.starts_with("/dev/")
        || s.starts_with("/var/")
        || lower.starts_with("c:\\"))
        && !s.contains(' ')
    {
        Some("path")
    } else if s.contains('@')
        && s.contains('.')
        && !s.contains(' ')
        && !s.contains('%')
        && s.len() < 100
        && s.split('@').count() == 2
    {
        Some("email")
    } else if s.split('.').count() == 4 && s.split('.').all(|p| p.parse::<u8>().is_ok()) {
        Some("ip address")
    } else if s.contains("%n") {
        Some("format with %n")
    } else {
        None
    }
}

/// Render the report in `format`. `rules` describe the findings for SARIF.
pub fn render(report: &Value, format: ReportFormat) -> Vec<u8> {
    match format {
        ReportFormat::Json => serde_json::to_vec_pretty(report).unwrap_or_default(),
        ReportFormat::Sarif => {
            serde_json::to_vec_pretty(&sarif::render(report)).unwrap_or_default()
        }
        ReportFormat::Html => html::render(report).into_bytes(),
        ReportFormat::Md => markdown::render(report).into_bytes(),
    }
}

/// All findings of a report, each with its binary's sha256.
pub(crate) fn findings_of(report: &Value) -> Vec<(String, Finding)> {
    report
        .pointer("/sections/8/data")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|b| {
            let sha = b["sha256"].as_str().unwrap_or_default().to_string();
            b["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(move |f| {
                    serde_json::from_value::<Finding>(f.clone())
                        .ok()
                        .map(|f| (sha.clone(), f))
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A scalar as display text (`-` for null).
pub(crate) fn text(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// A renderer-neutral piece of the human-readable report.
pub(crate) enum Block {
    Heading(u8, String),
    Para(String),
    /// Key-value pairs.
    Pairs(Vec<(String, String)>),
    /// Header row, then rows.
    Table(Vec<String>, Vec<Vec<String>>),
}

/// Rows shown per table in the HTML and Markdown reports (JSON has them all).
const MAX_ROWS: usize = 2_000;

/// The report as headings, paragraphs and tables, for HTML and Markdown.
pub(crate) fn blocks(report: &Value) -> Vec<Block> {
    let mut out = Vec::new();
    let file = &report["file"];
    out.push(Block::Heading(
        1,
        format!("bingraph report: {}", text(&file["name"])),
    ));
    out.push(Block::Pairs(vec![
        ("File sha256".into(), text(&file["sha256"])),
        ("Size".into(), format!("{} bytes", text(&file["size"]))),
        ("Job".into(), text(&report["job_id"])),
        ("Generated".into(), text(&report["generated_at"])),
        (
            "Risk".into(),
            format!(
                "{} ({}/100)",
                text(&report["risk"]["level"]),
                text(&report["risk"]["score"])
            ),
        ),
        (
            "Generator".into(),
            format!("bingraph {}", text(&report["generator"]["version"])),
        ),
    ]));
    for s in report["sections"].as_array().into_iter().flatten() {
        out.push(Block::Heading(
            2,
            format!("{}. {}", text(&s["number"]), text(&s["title"])),
        ));
        let data = &s["data"];
        match data {
            Value::Array(per_binary) => {
                for b in per_binary {
                    if per_binary.len() > 1 {
                        out.push(Block::Heading(3, format!("Binary {}", text(&b["sha256"]))));
                    }
                    object_blocks(b, &mut out);
                }
                if per_binary.is_empty() {
                    out.push(Block::Para("Nothing to show.".into()));
                }
            }
            other => object_blocks(other, &mut out),
        }
    }
    out
}

fn object_blocks(v: &Value, out: &mut Vec<Block>) {
    let Value::Object(m) = v else {
        out.push(Block::Para(text(v)));
        return;
    };
    let mut pairs = Vec::new();
    let mut later = Vec::new();
    for (k, val) in m {
        match val {
            Value::Array(items) if items.iter().any(Value::is_object) => later.push((k, val)),
            Value::Object(inner)
                if inner.values().all(|x| {
                    !x.is_object() && !x.is_array()
                        || x.as_array()
                            .is_some_and(|a| a.iter().all(|y| !y.is_object()))
                }) =>
            {
                for (ik, iv) in inner {
                    pairs.push((format!("{k}.{ik}"), text(iv)));
                }
            }
            Value::Object(_) => later.push((k, val)),
            _ => pairs.push((k.replace('_', " "), text(val))),
        }
    }
    if !pairs.is_empty() {
        out.push(Block::Pairs(pairs));
    }
    for (k, val) in later {
        out.push(Block::Heading(4, k.replace('_', " ")));
        match val {
            Value::Array(items) => {
                let mut headers: Vec<String> = Vec::new();
                for it in items.iter().take(50) {
                    if let Value::Object(o) = it {
                        for key in o.keys() {
                            if !headers.contains(key) {
                                headers.push(key.clone());
                            }
                        }
                    }
                }
                let rows: Vec<Vec<String>> = items
                    .iter()
                    .take(MAX_ROWS)
                    .map(|it| headers.iter().map(|h| text(&it[h.as_str()])).collect())
                    .collect();
                if items.len() > MAX_ROWS {
                    out.push(Block::Para(format!(
                        "Showing {MAX_ROWS} of {}; the JSON report and the API have all of them.",
                        items.len()
                    )));
                }
                out.push(Block::Table(headers, rows));
            }
            other => object_blocks(other, out),
        }
    }
}
