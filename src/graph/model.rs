//! The graph model of DESIGN.md: how one binary's facts become nodes and
//! relationships ([`binary_batch`]), and the uids that tie them together.
//!
//! Nodes owned by a binary (functions, sections, symbols, strings, globals)
//! have uids prefixed with its sha256 and a `binary` property; imports are
//! shared by every binary that calls them (`<library>!<name>`).
//!
//! Only the strings that code references become nodes, and strings and
//! globals are not linked to their binary by a relationship (a choice made
//! when graphdblite wrote a node's adjacency list once per edge, O(n²) for a
//! hub; the patched copy in `vendor/graphdblite` merges it once per batch,
//! but every relationship still costs a row). They are found by their indexed
//! `binary` property and reached from code by `REFERENCES`;
//! `GET /binaries/{sha256}/strings` lists every string from the stored file.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::analysis::findings::Finding;
use crate::analysis::{BinaryFacts, CallKind, Relro};
use crate::{params, props};

use super::{Batch, EdgeWrite, NodeMode, NodeWrite, Params, Value, WriteProps};

/// Bumped whenever the analysis or the graph model changes what ingest
/// writes, so that re-ingesting a binary of an older version rewrites it.
/// Version 2 added findings.
pub const MODEL_VERSION: i64 = 3;

/// A function's CFG (blocks and edges as JSON) is stored on it up to this
/// size; larger ones are left out and `cfg_omitted` is set.
pub const MAX_CFG_BYTES: usize = 8 * 1024 * 1024;

/// Removes a binary and the nodes it links to (imports stay: they are shared).
pub const DELETE_BINARY: &str = include_str!("../../cypher/binaries/delete.cypher");
/// Removes a binary's strings and globals, found by their `binary` property.
pub const DELETE_STRINGS: &str = include_str!("../../cypher/binaries/delete_strings.cypher");
pub const DELETE_GLOBALS: &str = include_str!("../../cypher/binaries/delete_globals.cypher");
pub const DELETE_FINDINGS: &str = include_str!("../../cypher/binaries/delete_findings.cypher");
pub const DELETE_SECTIONS: &str = include_str!("../../cypher/binaries/delete_sections.cypher");
pub const DELETE_SYMBOLS: &str = include_str!("../../cypher/binaries/delete_symbols.cypher");
pub const DELETE_FUNCTIONS: &str = include_str!("../../cypher/binaries/delete_functions.cypher");

pub fn function_uid(sha256: &str, addr: u64) -> String {
    format!("{sha256}:{addr:x}")
}

pub fn import_uid(library: &str, name: &str) -> String {
    format!("{library}!{name}")
}

/// Where a binary came from, beyond its own facts.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// RFC 3339 time of the first ingest.
    pub first_seen: String,
    /// RFC 3339 time of this ingest.
    pub ingested_at: String,
    /// For a slice of a fat Mach-O: the sha256 of the whole file.
    pub container_sha256: Option<String>,
}

fn relro(r: Option<Relro>) -> Option<&'static str> {
    r.map(|r| match r {
        Relro::None => "none",
        Relro::Partial => "partial",
        Relro::Full => "full",
    })
}

fn call_kind(k: CallKind) -> &'static str {
    match k {
        CallKind::Call => "call",
        CallKind::TailCall => "tail_call",
    }
}

fn json_str<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// The batch that removes a binary's subgraph (shared imports stay).
pub fn delete_batch(sha: &str) -> Batch {
    Batch {
        remove_binary: Some(sha.to_string()),
        ..Batch::default()
    }
}

/// The Cypher statements that remove a binary's subgraph, in order: what
/// hangs off the binary (one kind per statement), then the binary.
pub fn delete_statements(sha: &str) -> Vec<(&'static str, Params)> {
    [
        DELETE_STRINGS,
        DELETE_GLOBALS,
        DELETE_FINDINGS,
        DELETE_SECTIONS,
        DELETE_SYMBOLS,
        DELETE_FUNCTIONS,
        DELETE_BINARY,
    ]
    .into_iter()
    .map(|q| (q, params! { "sha256" => sha }))
    .collect()
}

/// Add a binary's findings to its batch: `(:Binary)-[:HAS_FINDING]->(:Finding)`
/// and, for findings inside a function, `(:Function)-[:HAS_FINDING]->(:Finding)`.
/// Uids are `<sha256>:finding:<n>` in the engine's (stable) order.
pub fn add_findings(b: &mut Batch, sha: &str, findings: &[Finding], functions: &HashSet<u64>) {
    for (i, f) in findings.iter().enumerate() {
        let uid = format!("{sha}:finding:{i}");
        b.nodes.push(NodeWrite {
            label: "Finding",
            uid: uid.clone(),
            mode: NodeMode::Create,
            props: props! {
                "binary" => sha, "rule" => &f.rule, "name" => &f.name, "cwe" => f.cwe.clone(),
                "severity" => f.severity.as_str(), "title" => &f.title, "location" => &f.location,
                "addr" => f.addr, "function" => f.function.clone(), "function_addr" => f.function_addr,
                "evidence" => f.evidence.clone(), "recommendation" => &f.recommendation,
                "path" => f.path.clone(), "cve" => f.cve.clone(), "index" => i,
            },
        });
        b.edges.push(EdgeWrite {
            rel_type: "HAS_FINDING",
            from: ("Binary", sha.to_string()),
            to: ("Finding", uid.clone()),
            props: WriteProps::new(),
        });
        if let Some(addr) = f.function_addr.filter(|a| functions.contains(a)) {
            b.edges.push(EdgeWrite {
                rel_type: "HAS_FINDING",
                from: ("Function", function_uid(sha, addr)),
                to: ("Finding", uid),
                props: WriteProps::new(),
            });
        }
    }
}

/// Put the function signatures (`signature`, `exact_hash`) on the batch's
/// function nodes and link functions to their best matches in other
/// binaries (`SIMILAR_TO {score, exact, low_confidence}`; skipped if the
/// other binary has gone meanwhile).
pub fn add_similarity(
    b: &mut Batch,
    sha: &str,
    signatures: &[crate::analysis::signature::Signature],
    similar: &[(u64, crate::analysis::signature::Match)],
) {
    let by_uid: HashMap<String, usize> = b
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.label == "Function")
        .map(|(i, n)| (n.uid.clone(), i))
        .collect();
    for s in signatures {
        if let Some(&i) = by_uid.get(&function_uid(sha, s.addr)) {
            let props = &mut b.nodes[i].props;
            props.insert("exact_hash", Value::from(s.exact.as_str()));
            props.insert("signature", Value::from(s.to_property()));
        }
    }
    for (addr, m) in similar {
        b.links.push(EdgeWrite {
            rel_type: "SIMILAR_TO",
            from: ("Function", function_uid(sha, *addr)),
            to: ("Function", function_uid(&m.sha256, m.addr)),
            props: props! {
                "score" => m.score, "exact" => m.exact, "low_confidence" => m.low_confidence,
            },
        });
    }
}

/// The batch that replaces a binary's subgraph with `facts` in one transaction.
pub fn binary_batch(facts: &BinaryFacts, origin: &Origin) -> Batch {
    let sha = facts.hashes.sha256.as_str();
    let mut b = delete_batch(sha);
    b.nodes.push(NodeWrite {
        label: "Binary",
        uid: sha.to_string(),
        mode: NodeMode::Create,
        props: binary_props(facts, origin),
    });
    sections(&mut b, facts);
    symbols(&mut b, facts);
    let mut seen_imports = imports(&mut b, facts);
    functions(&mut b, facts);
    calls(&mut b, facts, &mut seen_imports);
    data_refs(&mut b, facts);
    b
}

/// A relationship from the binary to a node it owns.
fn owned(sha: &str, rel: &'static str, label: &'static str, uid: &str) -> EdgeWrite {
    EdgeWrite {
        rel_type: rel,
        from: ("Binary", sha.to_string()),
        to: (label, uid.to_string()),
        props: WriteProps::new(),
    }
}

/// The `Binary` node's properties: identity, hardening and counts.
fn binary_props(facts: &BinaryFacts, origin: &Origin) -> WriteProps {
    let sha = facts.hashes.sha256.as_str();
    let id = &facts.identity;
    let h = &facts.hardening;
    let code = &facts.code;
    props! {
        "sha256" => sha,
        "sha1" => &facts.hashes.sha1,
        "md5" => &facts.hashes.md5,
        "size" => facts.hashes.size,
        "format" => id.format.as_str(),
        "arch" => id.arch.name(),
        "bits" => id.bits,
        "endian" => json_str(&id.endian).trim_matches('"'),
        "entry" => id.entry,
        "kind" => &id.kind,
        "os_abi" => &id.os_abi,
        "image_base" => id.image_base,
        "first_seen" => &origin.first_seen,
        "ingested_at" => &origin.ingested_at,
        "container_sha256" => origin.container_sha256.clone(),
        "slice_offset" => id.slice_offset,
        "build_id" => id.build_id.clone(),
        "imphash" => id.imphash.clone(),
        "pdb_path" => id.pdb_path.clone(),
        "pdb_guid" => id.pdb_guid.clone(),
        "macho_uuid" => id.macho_uuid.clone(),
        "interpreter" => id.interpreter.clone(),
        "soname" => id.soname.clone(),
        "libraries" => facts.libraries.clone(),
        "stripped" => h.stripped,
        "pie" => h.pie,
        "nx" => h.nx,
        "relro" => relro(h.relro),
        "canary" => h.canary,
        "fortify" => h.fortify,
        "hardening" => json_str(h),
        "main" => code.main,
        "function_count" => code.functions.len(),
        "call_count" => code.calls.len() + code.import_calls.len(),
        "import_count" => facts.imports.len(),
        "export_count" => facts.exports.len(),
        "symbol_count" => facts.symbols.len(),
        "string_count" => facts.strings.len(),
        "section_count" => facts.sections.len(),
        "instruction_count" => code.instructions,
        "warnings" => facts.warnings.clone(),
        "model_version" => MODEL_VERSION,
    }
}

fn sections(b: &mut Batch, facts: &BinaryFacts) {
    let sha = facts.hashes.sha256.as_str();
    for (i, s) in facts.sections.iter().enumerate() {
        let uid = format!("{sha}:section:{i}");
        b.nodes.push(NodeWrite {
            label: "Section",
            uid: uid.clone(),
            mode: NodeMode::Create,
            props: props! {
                "binary" => sha, "index" => i, "name" => &s.name, "vaddr" => s.vaddr,
                "size" => s.size, "file_offset" => s.file_offset, "file_size" => s.file_size,
                "flags" => &s.flags, "entropy" => s.entropy,
            },
        });
        b.edges.push(owned(sha, "HAS_SECTION", "Section", &uid));
    }
}

fn symbols(b: &mut Batch, facts: &BinaryFacts) {
    let sha = facts.hashes.sha256.as_str();
    // Symbols: one node per (name, addr); exports are symbols too.
    let mut symbols: BTreeMap<(u64, &str), WriteProps> = BTreeMap::new();
    for s in &facts.symbols {
        let entry = symbols.entry((s.addr, s.name.as_str())).or_insert_with(|| {
            props! {
                "binary" => sha, "name" => &s.name, "demangled" => s.demangled.clone(),
                "kind" => json_str(&s.kind).trim_matches('"'), "binding" => &s.binding,
                "addr" => s.addr, "size" => s.size, "defined" => s.defined,
                "dynamic" => s.dynamic, "exported" => false,
            }
        });
        if s.dynamic {
            entry.insert("dynamic", Value::Bool(true));
        }
    }
    for e in &facts.exports {
        let entry = symbols.entry((e.addr, e.name.as_str())).or_insert_with(|| {
            props! {
                "binary" => sha, "name" => &e.name, "demangled" => crate::analysis::demangle(&e.name),
                "kind" => "function", "binding" => "global", "addr" => e.addr, "size" => 0,
                "defined" => e.forward.is_none(), "dynamic" => true,
            }
        });
        entry.insert("exported", Value::Bool(true));
        entry.insert("forward", Value::from(e.forward.clone()));
    }
    for ((addr, name), props) in symbols {
        let uid = format!("{sha}:symbol:{addr:x}:{name}");
        b.nodes.push(NodeWrite {
            label: "Symbol",
            uid: uid.clone(),
            mode: NodeMode::Create,
            props,
        });
        b.edges.push(owned(sha, "HAS_SYMBOL", "Symbol", &uid));
    }
}

/// The binary's imports; the uids written (calls may add more).
fn imports(b: &mut Batch, facts: &BinaryFacts) -> HashSet<String> {
    let binary = ("Binary", facts.hashes.sha256.clone());
    // Imports are shared nodes; the binary's link to one carries its slot.
    let mut seen_imports = HashSet::new();
    for imp in &facts.imports {
        let uid = import_uid(&imp.library, &imp.name);
        if !seen_imports.insert(uid.clone()) {
            continue;
        }
        b.nodes.push(NodeWrite {
            label: "Import",
            uid: uid.clone(),
            mode: NodeMode::Merge,
            props: props! { "library" => &imp.library, "name" => &imp.name },
        });
        b.edges.push(EdgeWrite {
            rel_type: "IMPORTS",
            from: binary.clone(),
            to: ("Import", uid),
            props: props! { "slot" => imp.slot, "stub" => imp.stub, "ordinal" => imp.ordinal.map(u32::from) },
        });
    }
    seen_imports
}

fn functions(b: &mut Batch, facts: &BinaryFacts) {
    let sha = facts.hashes.sha256.as_str();
    for f in &facts.code.functions {
        let uid = function_uid(sha, f.addr);
        let blocks: Vec<[u64; 3]> = f
            .blocks
            .iter()
            .map(|bl| [bl.start, bl.end, u64::from(bl.instructions)])
            .collect();
        let edges: Vec<(u64, u64, &crate::analysis::EdgeKind)> =
            f.edges.iter().map(|e| (e.from, e.to, &e.kind)).collect();
        let cfg = json_str(&serde_json::json!({ "blocks": blocks, "edges": edges }));
        let (cfg, cfg_omitted) = if cfg.len() > MAX_CFG_BYTES {
            (None, true)
        } else {
            (Some(cfg), false)
        };
        let mut props = props! {
                "binary" => sha, "addr" => f.addr, "size" => f.size, "name" => &f.name,
                "demangled" => f.demangled.clone(),
                "source" => json_str(&f.source).trim_matches('"'),
                "thumb" => f.thumb, "blocks" => f.blocks.len(), "instructions" => f.instructions,
                "cyclomatic" => f.cyclomatic, "indirect_calls" => f.indirect_calls,
                "incomplete" => f.incomplete,
                "cfg" => cfg, "cfg_omitted" => cfg_omitted,
        };
        props.retain(|_, v| !v.is_null());
        b.nodes.push(NodeWrite {
            label: "Function",
            uid: uid.clone(),
            mode: NodeMode::Create,
            props,
        });
        b.edges.push(owned(sha, "DEFINES", "Function", &uid));
    }
}

fn calls(b: &mut Batch, facts: &BinaryFacts, seen_imports: &mut HashSet<String>) {
    let sha = facts.hashes.sha256.as_str();
    let code = &facts.code;
    // Calls: one relationship per (caller, callee), with every call site.
    let calls = group_calls(
        code.calls
            .iter()
            .map(|c| ((c.caller, c.callee), c.site, c.kind)),
    );
    for ((caller, callee), (sites, kind)) in calls {
        b.edges.push(call_edge(
            function_uid(sha, caller),
            ("Function", function_uid(sha, callee)),
            sites,
            kind,
        ));
    }
    for c in &code.import_calls {
        let uid = import_uid(&c.library, &c.name);
        if seen_imports.insert(uid.clone()) {
            // Called through a thunk the import table did not list.
            b.nodes.push(NodeWrite {
                label: "Import",
                uid,
                mode: NodeMode::Merge,
                props: props! { "library" => &c.library, "name" => &c.name },
            });
        }
    }
    let import_calls = group_calls(
        code.import_calls
            .iter()
            .map(|c| ((c.caller, import_uid(&c.library, &c.name)), c.site, c.kind)),
    );
    for ((caller, uid), (sites, kind)) in import_calls {
        b.edges.push(call_edge(
            function_uid(sha, caller),
            ("Import", uid),
            sites,
            kind,
        ));
    }
}

fn data_refs(b: &mut Batch, facts: &BinaryFacts) {
    let sha = facts.hashes.sha256.as_str();
    let code = &facts.code;
    // The strings and globals that code references. Strings nothing
    // references stay out of the graph (the API lists them from the file).
    let targets: HashSet<u64> = code.data_refs.iter().map(|r| r.target).collect();
    let mut string_uids: HashMap<u64, String> = HashMap::new();
    for (i, s) in facts.strings.iter().enumerate() {
        let Some(addr) = s.addr.filter(|a| targets.contains(a)) else {
            continue;
        };
        if string_uids.contains_key(&addr) {
            continue;
        }
        let uid = format!("{sha}:string:{i}");
        string_uids.insert(addr, uid.clone());
        b.nodes.push(NodeWrite {
            label: "String",
            uid: uid.clone(),
            mode: NodeMode::Create,
            props: props! {
                "binary" => sha, "value" => &s.value, "addr" => s.addr, "offset" => s.offset,
                "section" => s.section.clone(), "encoding" => &s.encoding,
            },
        });
    }
    let mut refs: BTreeMap<(u64, u64, &'static str), Vec<u64>> = BTreeMap::new();
    let mut globals: BTreeMap<u64, Option<&str>> = BTreeMap::new();
    for r in &code.data_refs {
        let kind = match r.kind {
            crate::analysis::RefKind::Read => "read",
            crate::analysis::RefKind::Write => "write",
            crate::analysis::RefKind::AddressOf => "address_of",
        };
        if !string_uids.contains_key(&r.target) {
            let name = globals.entry(r.target).or_insert(None);
            if name.is_none() {
                *name = r.symbol.as_deref();
            }
        }
        refs.entry((r.function, r.target, kind))
            .or_default()
            .push(r.site);
    }
    for (addr, name) in &globals {
        let uid = format!("{sha}:global:{addr:x}");
        b.nodes.push(NodeWrite {
            label: "Global",
            uid: uid.clone(),
            mode: NodeMode::Create,
            props: props! {
                "binary" => sha, "addr" => *addr,
                "name" => name.map_or_else(|| format!("data_{addr:x}"), str::to_string),
                "named" => name.is_some(),
            },
        });
    }
    for ((function, target, kind), sites) in refs {
        let to = match string_uids.get(&target) {
            Some(uid) => ("String", uid.clone()),
            None => ("Global", format!("{sha}:global:{target:x}")),
        };
        b.edges.push(EdgeWrite {
            rel_type: "REFERENCES",
            from: ("Function", function_uid(sha, function)),
            to,
            props: props! { "kind" => kind, "site" => sites[0], "count" => sites.len() },
        });
    }
}

/// Call sites grouped by (caller, callee); a plain call wins over a tail call.
fn group_calls<K: Ord>(
    calls: impl Iterator<Item = (K, u64, CallKind)>,
) -> BTreeMap<K, (Vec<u64>, CallKind)> {
    let mut out: BTreeMap<K, (Vec<u64>, CallKind)> = BTreeMap::new();
    for (key, site, kind) in calls {
        let e = out.entry(key).or_insert((Vec::new(), kind));
        e.0.push(site);
        if kind == CallKind::Call {
            e.1 = CallKind::Call;
        }
    }
    out
}

fn call_edge(
    caller: String,
    to: (&'static str, String),
    sites: Vec<u64>,
    kind: CallKind,
) -> EdgeWrite {
    EdgeWrite {
        rel_type: "CALLS",
        from: ("Function", caller),
        to,
        props: props! {
            "site" => sites[0], "count" => sites.len(), "sites" => sites, "kind" => call_kind(kind),
        },
    }
}
