//! `bingraph export` and `bingraph import`: a whole graph as JSON lines, to
//! move from one backend to another (embedded → Neo4j when a deployment
//! outgrows one machine), or to back it up.
//!
//! The file is a header line, then one line per node, then one line per
//! relationship:
//!
//! ```text
//! {"format":"bingraph-graph","version":1,"model_version":1,"backend":"embedded"}
//! {"node":"17","labels":["Function"],"properties":{"uid":"…","name":"main",…}}
//! {"rel":"1","type":"CALLS","start":"17","end":"18","properties":{"site":4602}}
//! ```
//!
//! Node ids are the source backend's and only tie the lines together
//! (relationships are numbered). On import every node is merged by (first
//! label, `uid`), with a `uid` index made for each label first; nodes
//! without a `uid` get `imported:<id>`. Relationships are created, so import
//! into an empty store (importing twice duplicates relationships, never nodes).

use std::collections::HashMap;
use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

use crate::graph::model::MODEL_VERSION;
use crate::graph::{Batch, EdgeWrite, GraphError, GraphStore, NodeMode, NodeWrite, Value};
use crate::params;

const NODES_PAGE: &str = include_str!("../cypher/system/export_nodes.cypher");
const NODE_IDS_PAGE: &str = include_str!("../cypher/system/export_node_ids.cypher");
const RELS_PAGE: &str = include_str!("../cypher/system/export_relationships.cypher");
const NODES_BY_SKIP: &str = include_str!("../cypher/system/export_nodes_by_skip.cypher");
const RELS_BY_SKIP: &str = include_str!("../cypher/system/export_relationships_by_skip.cypher");
/// Nodes read per query while exporting (with their relationships: the
/// embedded store decodes both ends' properties), and elements per import
/// transaction.
const PAGE: i64 = 2_000;

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    model_version: i64,
    backend: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct NodeLine {
    node: String,
    labels: Vec<String>,
    properties: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Serialize, Deserialize)]
struct RelLine {
    rel: String,
    #[serde(rename = "type")]
    rel_type: String,
    start: String,
    end: String,
    properties: serde_json::Map<String, serde_json::Value>,
}

/// What an export or import moved.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Moved {
    pub nodes: u64,
    pub relationships: u64,
}

/// Why a transfer failed.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("line {line}: {message}")]
    Format { line: u64, message: String },
}

fn props_json(v: &Value) -> serde_json::Map<String, serde_json::Value> {
    match v.to_json() {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

/// Write every node and relationship of `store` to `out`.
pub async fn export(store: &dyn GraphStore, out: &mut dyn Write) -> Result<Moved, TransferError> {
    let header = Header {
        format: "bingraph-graph".into(),
        version: 1,
        model_version: MODEL_VERSION,
        backend: store.backend().into(),
    };
    writeln!(
        out,
        "{}",
        serde_json::to_string(&header).unwrap_or_default()
    )?;
    let mut moved = Moved::default();
    // Embedded: a page of ids, then the nodes in that id range (no whole
    // nodes are sorted). Bolt servers: SKIP pages in id order (ArcadeDB
    // cannot compare id() in WHERE).
    let by_skip = store.backend() == "bolt";
    let mut after = -1i64;
    let mut skip = 0i64;
    loop {
        let rows = if by_skip {
            store
                .read(NODES_BY_SKIP, params! { "skip" => skip, "page" => PAGE })
                .await?
        } else {
            let Some(ids) = next_ids(store, &mut after).await? else {
                break;
            };
            store.read(NODES_PAGE, params! { "ids" => ids }).await?
        };
        if rows.rows.is_empty() {
            break;
        }
        skip += rows.rows.len() as i64;
        for row in &rows.rows {
            let (Some(id), Some(Value::Node(n))) =
                (row.first().and_then(Value::as_i64), row.get(1))
            else {
                continue;
            };
            let line = NodeLine {
                node: id.to_string(),
                labels: n.labels.clone(),
                properties: props_json(&Value::Map(n.properties.clone())),
            };
            writeln!(out, "{}", serde_json::to_string(&line).unwrap_or_default())?;
            moved.nodes += 1;
        }
    }
    // Relationships: embedded by ranges of their start nodes' ids
    // (graphdblite has no id() for relationships), Bolt by SKIP pages.
    let mut after = -1i64;
    let mut skip = 0i64;
    loop {
        let rows = if by_skip {
            let rows = store
                .read(RELS_BY_SKIP, params! { "skip" => skip, "page" => PAGE })
                .await?;
            if rows.rows.is_empty() {
                break;
            }
            skip += rows.rows.len() as i64;
            rows
        } else {
            let Some(ids) = next_ids(store, &mut after).await? else {
                break;
            };
            store.read(RELS_PAGE, params! { "ids" => ids }).await?
        };
        for row in &rows.rows {
            let (Some(start), Some(end)) = (
                row.first().and_then(Value::as_i64),
                row.get(1).and_then(Value::as_i64),
            ) else {
                continue;
            };
            let (Some(Value::String(t)), Some(props)) = (row.get(2), row.get(3)) else {
                continue;
            };
            moved.relationships += 1;
            let line = RelLine {
                rel: moved.relationships.to_string(),
                rel_type: t.clone(),
                start: start.to_string(),
                end: end.to_string(),
                properties: props_json(props),
            };
            writeln!(out, "{}", serde_json::to_string(&line).unwrap_or_default())?;
        }
    }
    out.flush()?;
    Ok(moved)
}

/// The next page of node ids above `after` (which moves past them), or
/// `None` at the end.
async fn next_ids(store: &dyn GraphStore, after: &mut i64) -> Result<Option<Vec<i64>>, GraphError> {
    let rows = store
        .read(NODE_IDS_PAGE, params! { "after" => *after, "page" => PAGE })
        .await?;
    let ids: Vec<i64> = rows
        .rows
        .iter()
        .filter_map(|r| r.first()?.as_i64())
        .collect();
    match ids.iter().max() {
        Some(&upto) => {
            *after = upto;
            Ok(Some(ids))
        }
        None => Ok(None),
    }
}

/// Labels and relationship types become `&'static str` in batches; there are
/// few distinct ones, so each is leaked once.
fn intern(cache: &mut HashMap<String, &'static str>, s: &str) -> &'static str {
    if let Some(v) = cache.get(s) {
        return v;
    }
    let v: &'static str = Box::leak(s.to_string().into_boxed_str());
    cache.insert(s.to_string(), v);
    v
}

/// Read an export from `input` into `store`.
pub async fn import(
    store: &dyn GraphStore,
    input: &mut dyn BufRead,
) -> Result<Moved, TransferError> {
    let mut moved = Moved::default();
    let mut names: HashMap<String, &'static str> = HashMap::new();
    // Source id -> (label, uid) of every node read so far.
    let mut ends: HashMap<String, (&'static str, String)> = HashMap::new();
    let mut batch = Batch::default();
    let mut indexed = std::collections::HashSet::new();
    let mut line_no = 0u64;
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            break;
        }
        line_no += 1;
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        let bad = |message: String| TransferError::Format {
            line: line_no,
            message,
        };
        if line_no == 1 {
            let h: Header = serde_json::from_str(text)
                .map_err(|e| bad(format!("not a bingraph export header: {e}")))?;
            if h.format != "bingraph-graph" || h.version != 1 {
                return Err(bad(format!(
                    "unsupported export format {} v{}",
                    h.format, h.version
                )));
            }
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        if v.get("node").is_some() {
            let n: NodeLine = serde_json::from_value(v).map_err(|e| bad(e.to_string()))?;
            let label = intern(&mut names, n.labels.first().map_or("Node", String::as_str));
            if indexed.insert(label) {
                store.ensure_uid_index(label).await?;
            }
            let mut props: crate::graph::Params = n
                .properties
                .iter()
                .map(|(k, v)| (k.clone(), Value::from_json(v)))
                .collect();
            let uid = match props.remove("uid") {
                Some(Value::String(u)) => u,
                Some(other) => other.to_json().to_string(),
                None => format!("imported:{}", n.node),
            };
            ends.insert(n.node, (label, uid.clone()));
            batch.nodes.push(NodeWrite {
                label,
                uid,
                props: props.into(),
                mode: NodeMode::Merge,
            });
        } else if v.get("rel").is_some() {
            let r: RelLine = serde_json::from_value(v).map_err(|e| bad(e.to_string()))?;
            let end = |id: &str| {
                ends.get(id).cloned().ok_or_else(|| {
                    bad(format!(
                        "relationship {} names node {id}, which is not in the file before it",
                        r.rel
                    ))
                })
            };
            batch.edges.push(EdgeWrite {
                rel_type: intern(&mut names, &r.rel_type),
                from: end(&r.start)?,
                to: end(&r.end)?,
                props: r
                    .properties
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            });
        } else {
            return Err(bad("neither a node nor a relationship".into()));
        }
        if batch.nodes.len() + batch.edges.len() >= PAGE as usize {
            flush(store, &mut batch, &mut moved).await?;
        }
    }
    if line_no == 0 {
        return Err(TransferError::Format {
            line: 0,
            message: "the file is empty; make one with `bingraph export`".into(),
        });
    }
    flush(store, &mut batch, &mut moved).await?;
    Ok(moved)
}

async fn flush(
    store: &dyn GraphStore,
    batch: &mut Batch,
    moved: &mut Moved,
) -> Result<(), GraphError> {
    if batch.nodes.is_empty() && batch.edges.is_empty() {
        return Ok(());
    }
    let b = std::mem::take(batch);
    let stats = store.write_batch(b).await?;
    moved.nodes += stats.nodes_created + stats.nodes_merged;
    moved.relationships += stats.relationships_created;
    Ok(())
}
