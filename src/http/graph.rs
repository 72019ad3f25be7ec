//! `/binaries/{sha256}/graph` (the call or data graph as JSON) and
//! `/binaries/{sha256}/paths` (call paths between two ends).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use axum::extract::{Path, Query, State};
use petgraph::visit::EdgeRef;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::AppState;
use crate::callgraph::{CallGraph, CallNode};
use crate::error::{Api, ApiError};
use crate::graph::Value;
use crate::http::extract::{Auth, Read};
use crate::params;

const DATA_REFS: &str = include_str!("../../cypher/graph/data_refs.cypher");
const SIMILARITY: &str = include_str!("../../cypher/graph/similarity.cypher");

/// Which graph `/graph` returns.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum GraphKind {
    /// Functions and imports, joined by calls.
    #[default]
    Calls,
    /// Functions and the strings and globals they reference.
    Data,
    /// Functions and their `SIMILAR_TO` matches in other binaries.
    Similarity,
}

/// `/graph` options.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GraphQuery {
    /// `calls` (default), `data` or `similarity`.
    pub kind: Option<GraphKind>,
    /// Most nodes to return (default and maximum: the server's max_graph_nodes).
    pub limit: Option<usize>,
}

/// A node of `/graph`.
#[derive(Debug, Serialize, ToSchema)]
pub struct GraphNode {
    pub id: String,
    /// `function`, `import`, `string` or `global`.
    pub kind: String,
    pub name: String,
    pub addr: Option<u64>,
}

/// A relationship of `/graph`.
#[derive(Debug, Serialize, ToSchema)]
pub struct GraphEdge {
    pub source: String,
    pub target: String,
    /// `CALLS`, `REFERENCES` or `SIMILAR_TO`.
    #[serde(rename = "type")]
    pub rel_type: String,
    /// `call`/`tail_call`, `read`/`write`/`address_of`, or `exact`/`similar`.
    pub kind: String,
    pub count: u64,
    /// `SIMILAR_TO` only: the similarity score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

/// Nodes and edges, capped.
#[derive(Debug, Serialize, ToSchema)]
pub struct GraphView {
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
    /// The graph had more nodes than returned; edges are only those among the returned nodes.
    pub truncated: bool,
}

/// The binary's call graph or data-reference graph as nodes and edges.
#[utoipa::path(get, path = "/api/v1/binaries/{sha256}/graph", tag = "graph",
    params(("sha256" = String, Path), GraphQuery),
    responses((status = 200, description = "The graph", body = GraphView),
              (status = 404, description = "Unknown binary", body = crate::error::ErrorEnvelope)))]
pub async fn graph(
    State(app): State<AppState>,
    _caller: Auth<Read>,
    Path(sha256): Path<String>,
    Query(q): Query<GraphQuery>,
) -> Result<Api<GraphView>, ApiError> {
    let b = app.binary(&sha256).await?;
    let cap = q
        .limit
        .unwrap_or(app.config.max_graph_nodes)
        .clamp(1, app.config.max_graph_nodes);
    let g = app.call_graph(&b.sha256).await?;
    match q.kind.unwrap_or_default() {
        GraphKind::Calls => {
            let kept: Vec<_> = g.graph.node_indices().take(cap).collect();
            let truncated = g.graph.node_count() > kept.len();
            let edges = g
                .graph
                .edge_references()
                .filter(|e| e.source().index() < cap && e.target().index() < cap)
                .map(|e| GraphEdge {
                    source: g.graph[e.source()].uid.clone(),
                    target: g.graph[e.target()].uid.clone(),
                    rel_type: "CALLS".into(),
                    kind: e.weight().kind.clone(),
                    count: e.weight().count,
                    score: None,
                })
                .collect();
            Ok(Api::ok(GraphView {
                nodes: kept.iter().map(|i| function_node(&g.graph[*i])).collect(),
                edges,
                truncated,
            }))
        }
        GraphKind::Data => {
            let rows = app
                .store
                .read(
                    DATA_REFS,
                    params! { "sha256" => &b.sha256, "limit" => (cap * 20) as u64 + 1 },
                )
                .await?;
            Ok(Api::ok(linked(
                &g,
                rows.into_maps(),
                cap,
                "REFERENCES",
                |m, uid| {
                    let node = GraphNode {
                        id: uid.to_string(),
                        kind: m
                            .get("label")
                            .and_then(Value::as_str)
                            .unwrap_or("global")
                            .into(),
                        name: m
                            .get("value")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .into(),
                        addr: m.get("addr").and_then(Value::as_u64),
                    };
                    let kind = m.get("kind").and_then(Value::as_str).unwrap_or_default();
                    let count = m.get("count").and_then(Value::as_u64).unwrap_or(1);
                    (node, kind.to_string(), count, None)
                },
            )))
        }
        GraphKind::Similarity => {
            let rows = app
                .store
                .read(
                    SIMILARITY,
                    params! { "sha256" => &b.sha256, "limit" => (cap * 20) as u64 + 1 },
                )
                .await?;
            Ok(Api::ok(linked(
                &g,
                rows.into_maps(),
                cap,
                "SIMILAR_TO",
                |m, uid| {
                    let node = GraphNode {
                        id: uid.to_string(),
                        kind: "function".into(),
                        name: m
                            .get("to_name")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .into(),
                        addr: m.get("to_addr").and_then(Value::as_u64),
                    };
                    let exact = m.get("exact").and_then(Value::as_bool).unwrap_or(false);
                    let kind = if exact { "exact" } else { "similar" };
                    (
                        node,
                        kind.to_string(),
                        1,
                        m.get("score").and_then(Value::as_f64),
                    )
                },
            )))
        }
    }
}

fn function_node(n: &CallNode) -> GraphNode {
    GraphNode {
        id: n.uid.clone(),
        kind: n.kind.to_string(),
        name: n.name.clone(),
        addr: n.addr,
    }
}

/// A graph of the binary's functions (`from_addr`) linked to other nodes
/// (`to_uid`), one row per link; `other` makes the far node and the edge's
/// kind, count and score. Rows past `cap * 20` or nodes past `cap` truncate.
fn linked(
    g: &CallGraph,
    rows: Vec<BTreeMap<String, Value>>,
    cap: usize,
    rel_type: &str,
    other: impl Fn(&BTreeMap<String, Value>, &str) -> (GraphNode, String, u64, Option<f64>),
) -> GraphView {
    let by_addr: HashMap<u64, &CallNode> = g
        .functions
        .iter()
        .filter_map(|i| g.graph[*i].addr.map(|a| (a, &g.graph[*i])))
        .collect();
    let mut nodes: Vec<GraphNode> = Vec::new();
    let mut seen: HashMap<String, ()> = HashMap::new();
    let mut edges = Vec::new();
    let mut truncated = rows.len() > cap * 20;
    for m in rows.into_iter().take(cap * 20) {
        let Some(f) = m
            .get("from_addr")
            .and_then(Value::as_u64)
            .and_then(|a| by_addr.get(&a))
        else {
            continue;
        };
        let to_uid = m
            .get("to_uid")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let new =
            usize::from(!seen.contains_key(&f.uid)) + usize::from(!seen.contains_key(&to_uid));
        if nodes.len() + new > cap {
            truncated = true;
            break;
        }
        if seen.insert(f.uid.clone(), ()).is_none() {
            nodes.push(function_node(f));
        }
        let (node, kind, count, score) = other(&m, &to_uid);
        if seen.insert(to_uid.clone(), ()).is_none() {
            nodes.push(node);
        }
        edges.push(GraphEdge {
            source: f.uid.clone(),
            target: to_uid,
            rel_type: rel_type.into(),
            kind,
            count,
            score,
        });
    }
    GraphView {
        nodes,
        edges,
        truncated,
    }
}

/// `/paths` options.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PathQuery {
    /// Start: a function name (raw or demangled) or address (`0x...` or decimal).
    pub from: String,
    /// End: a function or import name (`system`, `system@plt`, `libc.so.6!system`) or address.
    pub to: String,
    /// Most calls in a path, 1 to 32 (default 10).
    pub max_depth: Option<usize>,
    /// Most paths, 1 to 1000 (default 10).
    pub limit: Option<usize>,
}

/// One call path.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallPath {
    /// Calls in the path.
    pub length: usize,
    pub nodes: Vec<CallNode>,
}

/// Paths between two ends.
#[derive(Debug, Serialize, ToSchema)]
pub struct PathsView {
    pub from: CallNode,
    pub to: CallNode,
    /// Shortest first.
    pub paths: Vec<CallPath>,
    /// The search ran out of time before finding `limit` paths.
    pub truncated: bool,
}

/// Call paths from one function to another function or an import: the
/// shortest first, then other simple paths up to `limit`.
#[utoipa::path(get, path = "/api/v1/binaries/{sha256}/paths", tag = "graph",
    params(("sha256" = String, Path), PathQuery),
    responses((status = 200, description = "Paths, shortest first (empty when none)", body = PathsView),
              (status = 400, description = "Bad depth or limit", body = crate::error::ErrorEnvelope),
              (status = 404, description = "An end names nothing in this binary", body = crate::error::ErrorEnvelope)))]
pub async fn paths(
    State(app): State<AppState>,
    _caller: Auth<Read>,
    Path(sha256): Path<String>,
    Query(q): Query<PathQuery>,
) -> Result<Api<PathsView>, ApiError> {
    let b = app.binary(&sha256).await?;
    let max_depth = q.max_depth.unwrap_or(10);
    let limit = q.limit.unwrap_or(10);
    if !(1..=32).contains(&max_depth) || !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_parameter",
            "max_depth must be 1 to 32 and limit 1 to 1000.",
        ));
    }
    let g = app.call_graph(&b.sha256).await?;
    let end = |spec: &str, which: &str| {
        let found = g.resolve(spec);
        match found.as_slice() {
            [] => Err(ApiError::NotFound(
                "path_end_not_found",
                format!("The {which} end '{spec}' names no function or import of this binary."),
            )),
            [one] => Ok(*one),
            [first, ..] => {
                // Prefer a function over an import of the same name.
                Ok(*found
                    .iter()
                    .find(|i| g.graph[**i].kind == "function")
                    .unwrap_or(first))
            }
        }
    };
    let from = end(&q.from, "from")?;
    let to = end(&q.to, "to")?;
    let g2 = g.clone();
    let (found, truncated) = tokio::task::spawn_blocking(move || {
        g2.paths(from, to, max_depth, limit, Duration::from_secs(2))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("path task: {e}")))?;
    Ok(Api::ok(PathsView {
        from: g.graph[from].clone(),
        to: g.graph[to].clone(),
        paths: found
            .into_iter()
            .map(|p| CallPath {
                length: p.len() - 1,
                nodes: p.into_iter().map(|i| g.graph[i].clone()).collect(),
            })
            .collect(),
        truncated,
    }))
}
