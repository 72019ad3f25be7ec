//! The call graph as plain records: what the store's Cypher returns, what an
//! ingest's write batch holds, and what is kept on disk as the binary's
//! call-graph digest (so the first call-graph query of a large binary reads
//! one compact file instead of expanding every function in the store).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::graph::{Batch, Rows, Value};

/// Version of the digest's layout; a digest of another version is rebuilt.
pub const DIGEST_VERSION: u32 = 1;
/// The digest kind under which the records are kept.
pub const DIGEST_KIND: &str = "callgraph";

/// One function of the binary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionRecord {
    pub uid: String,
    pub addr: u64,
    pub name: String,
    pub demangled: Option<String>,
    pub size: u64,
    pub source: String,
    pub instructions: u64,
    pub cyclomatic: u64,
    pub blocks: u64,
}

/// What a call reaches: a function of the binary (by address) or an import.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Callee {
    Function(u64),
    Import {
        uid: String,
        name: String,
        library: Option<String>,
    },
}

/// One CALLS relationship.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallRecord {
    pub from: u64,
    pub to: Callee,
    pub kind: String,
    pub count: u64,
    pub site: Option<u64>,
}

/// A binary's functions and calls, in a canonical order (functions by
/// address; calls by caller, callee and site), whatever they were read from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CallRecords {
    pub functions: Vec<FunctionRecord>,
    pub calls: Vec<CallRecord>,
}

fn u64_of(v: Option<&Value>) -> Option<u64> {
    v.and_then(Value::as_u64)
}

fn str_of(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(String::from)
}

impl CallRecords {
    /// From the rows of `cypher/graph/functions.cypher` and `calls.cypher`.
    pub fn from_rows(functions: &Rows, calls: &Rows) -> Self {
        let cell = |rows: &Rows, row: &[Value], name: &str| -> Option<Value> {
            rows.column(name).and_then(|i| row.get(i)).cloned()
        };
        let mut out = CallRecords::default();
        for row in &functions.rows {
            let get = |n: &str| cell(functions, row, n);
            let Some(addr) = u64_of(get("addr").as_ref()) else {
                continue;
            };
            out.functions.push(FunctionRecord {
                uid: str_of(get("uid").as_ref()).unwrap_or_default(),
                addr,
                name: str_of(get("name").as_ref()).unwrap_or_else(|| format!("sub_{addr:x}")),
                demangled: str_of(get("demangled").as_ref()),
                size: u64_of(get("size").as_ref()).unwrap_or(0),
                source: str_of(get("source").as_ref()).unwrap_or_default(),
                instructions: u64_of(get("instructions").as_ref()).unwrap_or(0),
                cyclomatic: u64_of(get("cyclomatic").as_ref()).unwrap_or(0),
                blocks: u64_of(get("blocks").as_ref()).unwrap_or(0),
            });
        }
        for row in &calls.rows {
            let get = |n: &str| cell(calls, row, n);
            let Some(from) = u64_of(get("from_addr").as_ref()) else {
                continue;
            };
            let to = match u64_of(get("to_addr").as_ref()) {
                Some(a) => Callee::Function(a),
                None => Callee::Import {
                    uid: str_of(get("to_uid").as_ref()).unwrap_or_default(),
                    name: str_of(get("to_name").as_ref()).unwrap_or_default(),
                    library: str_of(get("to_library").as_ref()),
                },
            };
            out.calls.push(CallRecord {
                from,
                to,
                kind: str_of(get("kind").as_ref()).unwrap_or_else(|| "call".into()),
                count: u64_of(get("count").as_ref()).unwrap_or(1),
                site: u64_of(get("site").as_ref()),
            });
        }
        out.canonical()
    }

    /// From the write batch of one binary (`graph::model::binary_batch`):
    /// its Function nodes and the CALLS relationships leaving them, to its own
    /// functions or to Import nodes, the same records the store's Cypher gives
    /// back once the batch is written.
    pub fn from_batch(batch: &Batch) -> Self {
        let mut out = CallRecords::default();
        let mut addr_of: HashMap<&str, u64> = HashMap::new();
        let mut imports: HashMap<&str, (String, Option<String>)> = HashMap::new();
        for n in &batch.nodes {
            let p = &n.props;
            match n.label {
                "Function" => {
                    let Some(addr) = u64_of(p.get("addr")) else {
                        continue;
                    };
                    addr_of.insert(n.uid.as_str(), addr);
                    out.functions.push(FunctionRecord {
                        uid: n.uid.clone(),
                        addr,
                        name: str_of(p.get("name")).unwrap_or_else(|| format!("sub_{addr:x}")),
                        demangled: str_of(p.get("demangled")),
                        size: u64_of(p.get("size")).unwrap_or(0),
                        source: str_of(p.get("source")).unwrap_or_default(),
                        instructions: u64_of(p.get("instructions")).unwrap_or(0),
                        cyclomatic: u64_of(p.get("cyclomatic")).unwrap_or(0),
                        blocks: u64_of(p.get("blocks")).unwrap_or(0),
                    });
                }
                "Import" => {
                    imports.insert(
                        n.uid.as_str(),
                        (
                            str_of(p.get("name")).unwrap_or_default(),
                            str_of(p.get("library")),
                        ),
                    );
                }
                _ => {}
            }
        }
        for e in batch.edges.iter().filter(|e| e.rel_type == "CALLS") {
            let Some(&from) = addr_of.get(e.from.1.as_str()) else {
                continue;
            };
            let to = match e.to.0 {
                "Function" => match addr_of.get(e.to.1.as_str()) {
                    Some(&a) => Callee::Function(a),
                    None => continue,
                },
                "Import" => {
                    let (name, library) = imports.get(e.to.1.as_str()).cloned().unwrap_or_default();
                    Callee::Import {
                        uid: e.to.1.clone(),
                        name,
                        library,
                    }
                }
                _ => continue,
            };
            out.calls.push(CallRecord {
                from,
                to,
                kind: str_of(e.props.get("kind")).unwrap_or_else(|| "call".into()),
                count: u64_of(e.props.get("count")).unwrap_or(1),
                site: u64_of(e.props.get("site")),
            });
        }
        out.canonical()
    }

    fn canonical(mut self) -> Self {
        self.functions.sort_by_key(|f| f.addr);
        self.calls
            .sort_by(|a, b| (a.from, &a.to, a.site).cmp(&(b.from, &b.to, b.site)));
        self
    }
}
