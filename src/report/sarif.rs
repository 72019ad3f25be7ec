//! SARIF 2.1.0 from a report's findings, with the rule catalog as the
//! tool's rules.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{findings_of, text};
use crate::analysis::findings::{rule, Severity};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning reads `security-severity` (0.0–10.0).
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// A URI reference for a file name: unreserved characters kept, the rest
/// percent-encoded.
fn uri(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.is_empty() {
        "upload".into()
    } else {
        out
    }
}

pub fn render(report: &Value) -> Value {
    let found = findings_of(report);
    let mut rule_index: BTreeMap<String, usize> = BTreeMap::new();
    let mut rules = Vec::new();
    for (_, f) in &found {
        if rule_index.contains_key(&f.rule) {
            continue;
        }
        let Some(r) = rule(&f.rule) else { continue };
        rule_index.insert(f.rule.clone(), rules.len());
        let mut tags = vec!["security".to_string()];
        if let Some(c) = r.cwe {
            tags.push(format!("external/cwe/cwe-{c}"));
        }
        rules.push(json!({
            "id": r.id,
            "name": r.name,
            "shortDescription": { "text": r.title },
            "fullDescription": { "text": r.description },
            "help": { "text": r.recommendation },
            "defaultConfiguration": { "level": level(r.severity) },
            "properties": { "tags": tags, "security-severity": security_severity(r.severity) },
        }));
    }
    let file = &report["file"];
    let name = text(&file["name"]);
    let results: Vec<Value> = found
        .iter()
        .map(|(sha, f)| {
            let mut physical = json!({ "artifactLocation": { "uri": uri(&name), "index": 0 } });
            if let Some(a) = f.addr {
                physical["address"] = json!({ "absoluteAddress": a });
            }
            let mut location = json!({ "physicalLocation": physical });
            if let Some(func) = &f.function {
                location["logicalLocations"] = json!([{ "name": func, "kind": "function" }]);
            }
            let mut message = format!("{}: {}", f.title, f.evidence.join("; "));
            if !f.path.is_empty() {
                message.push_str(&format!(" (path: {})", f.path.join(" -> ")));
            }
            let mut r = json!({
                "ruleId": f.rule,
                "level": level(f.severity),
                "message": { "text": message },
                "locations": [location],
                "partialFingerprints": { "bingraph/v1": format!("{sha}:{}:{}", f.rule, f.location) },
                "properties": {
                    "severity": f.severity.as_str(),
                    "cwe": f.cwe,
                    "binary_sha256": sha,
                    "location": f.location,
                    "recommendation": f.recommendation,
                },
            });
            if let Some(i) = rule_index.get(&f.rule) {
                r["ruleIndex"] = json!(i);
            }
            if let Some(cve) = &f.cve {
                r["properties"]["cve"] = json!(cve);
            }
            r
        })
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "bingraph",
                "version": text(&report["generator"]["version"]),
                "rules": rules,
            }},
            "automationDetails": { "id": format!("bingraph/{}", text(&report["job_id"])) },
            "invocations": [{ "executionSuccessful": true, "endTimeUtc": text(&report["generated_at"]) }],
            "artifacts": [{
                "location": { "uri": uri(&name) },
                "length": file["size"],
                "hashes": { "sha-256": text(&file["sha256"]) },
            }],
            "results": results,
        }],
    })
}
