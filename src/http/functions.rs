//! `/binaries/{sha256}/functions`: the function list, one function with its
//! disassembly and CFG, and its callers and callees to any depth.

use axum::extract::{Path, Query, State};
use petgraph::Direction;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{hex, parse_addr, Paging};
use crate::analysis::ListingLine;
use crate::app::AppState;
use crate::callgraph::CallNode;
use crate::error::{Api, ApiError};
use crate::graph::model::function_uid;
use crate::graph::views::Props;
use crate::graph::Value;
use crate::http::extract::{Auth, Read};
use crate::params;

const BY_UID: &str = include_str!("../../cypher/functions/by_uid.cypher");
const REFS: &str = include_str!("../../cypher/functions/refs.cypher");

/// Deepest caller/callee walk a request may ask for.
pub const MAX_DEPTH: u32 = 16;
/// Most nodes a caller/callee walk returns.
pub const MAX_NEIGHBOURS: usize = 10_000;

/// A function in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct FunctionSummary {
    pub addr: u64,
    pub addr_hex: String,
    pub name: String,
    pub demangled: Option<String>,
    pub size: u64,
    /// Where its start was learnt: `symbol`, `unwind`, `call`, `gap`, ...
    pub source: String,
    pub instructions: u64,
    pub blocks: u64,
    pub cyclomatic: u64,
    pub callers: u64,
    pub callees: u64,
}

/// Order of the function list.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FunctionSort {
    #[default]
    Addr,
    Size,
    Name,
}

/// Function list options.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FunctionQuery {
    /// `addr` (default), `size` (largest first) or `name`.
    pub sort: Option<FunctionSort>,
}

/// A binary's functions.
#[utoipa::path(get, path = "/api/v1/binaries/{sha256}/functions", tag = "functions",
    params(("sha256" = String, Path), FunctionQuery, Paging),
    responses((status = 200, description = "One page of functions", body = [FunctionSummary]),
              (status = 404, description = "Unknown binary", body = crate::error::ErrorEnvelope)))]
pub async fn list_functions(
    State(app): State<AppState>,
    _caller: Auth<Read>,
    Path(sha256): Path<String>,
    Query(q): Query<FunctionQuery>,
    Query(paging): Query<Paging>,
) -> Result<Api<Vec<FunctionSummary>>, ApiError> {
    let b = app.binary(&sha256).await?;
    let (_, limit, skip) = paging.resolve()?;
    let g = app.call_graph(&b.sha256).await?;
    let mut order = g.functions.clone();
    match q.sort.unwrap_or_default() {
        FunctionSort::Addr => {}
        FunctionSort::Size => order.sort_by_key(|i| std::cmp::Reverse(g.graph[*i].size)),
        FunctionSort::Name => order.sort_by(|a, b| g.graph[*a].name.cmp(&g.graph[*b].name)),
    }
    let items = order
        .iter()
        .skip(skip as usize)
        .take(limit as usize)
        .map(|i| {
            let n = &g.graph[*i];
            let addr = n.addr.unwrap_or(0);
            FunctionSummary {
                addr,
                addr_hex: hex(addr),
                name: n.name.clone(),
                demangled: n.demangled.clone(),
                size: n.size,
                source: n.source.clone(),
                instructions: n.instructions,
                blocks: n.blocks,
                cyclomatic: n.cyclomatic,
                callers: g.graph.neighbors_directed(*i, Direction::Incoming).count() as u64,
                callees: g.graph.neighbors_directed(*i, Direction::Outgoing).count() as u64,
            }
        })
        .collect();
    Ok(Api::page(
        items,
        paging.pagination(g.functions.len() as u64),
    ))
}

/// A basic block `[start, end)`.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlockView {
    pub start: u64,
    pub end: u64,
    pub instructions: u64,
}

/// A CFG edge between blocks (by start address).
#[derive(Debug, Serialize, ToSchema)]
pub struct CfgEdgeView {
    pub from: u64,
    pub to: u64,
    /// `fallthrough`, `jump`, `true`, `false`, `switch`.
    pub kind: String,
}

/// Data a function references.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefView {
    /// `read`, `write` or `address_of`.
    pub kind: String,
    /// `string` or `global`.
    pub target: String,
    pub addr: Option<u64>,
    /// The string's text or the global's name.
    pub value: String,
    /// First referencing instruction.
    pub site: u64,
    pub count: u64,
}

/// One function in full.
#[derive(Debug, Serialize, ToSchema)]
pub struct FunctionDetail {
    pub uid: String,
    pub addr: u64,
    pub addr_hex: String,
    pub name: String,
    pub demangled: Option<String>,
    pub size: u64,
    pub source: String,
    pub instructions: u64,
    pub cyclomatic: u64,
    pub indirect_calls: u64,
    /// The body decoded with errors (bad opcode, ran off a section).
    pub incomplete: bool,
    pub blocks: Vec<BlockView>,
    pub edges: Vec<CfgEdgeView>,
    /// The CFG was too large to store (over 8 MiB as JSON); blocks and edges are empty.
    pub cfg_omitted: bool,
    pub callers: Vec<CallNode>,
    pub callees: Vec<CallNode>,
    pub references: Vec<RefView>,
    /// Absent with `?disasm=false`.
    #[schema(value_type = Option<Vec<Object>>)]
    pub disassembly: Option<Vec<ListingLine>>,
}

/// Function detail options.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DetailQuery {
    /// Include the disassembly (default true).
    pub disasm: Option<bool>,
}

/// One function: metadata, CFG blocks and edges, direct callers and callees,
/// data references and disassembly.
#[utoipa::path(get, path = "/api/v1/binaries/{sha256}/functions/{addr}", tag = "functions",
    params(("sha256" = String, Path), ("addr" = String, Path, description = "0x-hex or decimal"), DetailQuery),
    responses((status = 200, description = "The function", body = FunctionDetail),
              (status = 400, description = "Bad address (`invalid_address`)", body = crate::error::ErrorEnvelope),
              (status = 404, description = "No function starts there", body = crate::error::ErrorEnvelope)))]
pub async fn get_function(
    State(app): State<AppState>,
    _caller: Auth<Read>,
    Path((sha256, addr)): Path<(String, String)>,
    Query(q): Query<DetailQuery>,
) -> Result<Api<FunctionDetail>, ApiError> {
    let b = app.binary(&sha256).await?;
    let addr = parse_addr(&addr)?;
    let uid = function_uid(&b.sha256, addr);
    let rows = app.store.read(BY_UID, params! { "uid" => &uid }).await?;
    let node = rows
        .rows
        .first()
        .and_then(|r| r.first())
        .and_then(Value::as_node)
        .ok_or_else(|| no_function(&b.sha256, addr))?;
    let p = Props(&node.properties);
    let cfg: serde_json::Value = p
        .str("cfg")
        .and_then(|c| serde_json::from_str(&c).ok())
        .unwrap_or_default();
    let blocks = cfg["blocks"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|b| BlockView {
                    start: b[0].as_u64().unwrap_or(0),
                    end: b[1].as_u64().unwrap_or(0),
                    instructions: b[2].as_u64().unwrap_or(0),
                })
                .collect()
        })
        .unwrap_or_default();
    let edges = cfg["edges"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| CfgEdgeView {
                    from: e[0].as_u64().unwrap_or(0),
                    to: e[1].as_u64().unwrap_or(0),
                    kind: e[2].as_str().unwrap_or_default().to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    // The references, the call graph and the disassembly (a parse of the
    // file the first time) are independent: wait for them together.
    let listing = async {
        if q.disasm.unwrap_or(true) {
            app.listing(&b.sha256, addr).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let (refs, g, disassembly) = tokio::join!(
        app.store.read(REFS, params! { "uid" => &uid }),
        app.call_graph(&b.sha256),
        listing
    );
    let (refs, g, disassembly) = (refs?, g?, disassembly?);
    let references = refs
        .into_maps()
        .into_iter()
        .map(|m| {
            let r = Props(&m);
            RefView {
                kind: r.string("kind"),
                target: r.string("label"),
                addr: r.u64("addr"),
                value: r.string("value"),
                site: r.num("site"),
                count: r.num("count"),
            }
        })
        .collect();
    let (callers, callees) = match g.function(addr) {
        Some(i) => {
            let near = |dir| {
                g.neighbourhood(i, dir, 1, MAX_NEIGHBOURS)
                    .0
                    .into_iter()
                    .map(|(n, _, _)| g.graph[n].clone())
                    .collect()
            };
            (near(Direction::Incoming), near(Direction::Outgoing))
        }
        None => (Vec::new(), Vec::new()),
    };
    Ok(Api::ok(FunctionDetail {
        uid,
        addr,
        addr_hex: hex(addr),
        name: p.string("name"),
        demangled: p.str("demangled"),
        size: p.num("size"),
        source: p.string("source"),
        instructions: p.num("instructions"),
        cyclomatic: p.num("cyclomatic"),
        indirect_calls: p.num("indirect_calls"),
        incomplete: p.bool("incomplete"),
        blocks,
        edges,
        cfg_omitted: p.bool("cfg_omitted"),
        callers,
        callees,
        references,
        disassembly,
    }))
}

fn no_function(sha256: &str, addr: u64) -> ApiError {
    ApiError::NotFound(
        "function_not_found",
        format!(
            "Binary {sha256} has no function starting at {addr:#x}; list them with /functions."
        ),
    )
}

/// Caller/callee walk options.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DepthQuery {
    /// How many calls away, 1 to 16 (default 1).
    pub depth: Option<u32>,
}

/// A function or import reached by a caller/callee walk.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reached {
    #[serde(flatten)]
    pub node: CallNode,
    /// Calls between it and the start.
    pub depth: u32,
    /// The node it was reached through (the start at depth 1).
    pub via: String,
}

/// The result of a caller/callee walk.
#[derive(Debug, Serialize, ToSchema)]
pub struct Neighbourhood {
    pub function: CallNode,
    pub depth: u32,
    pub nodes: Vec<Reached>,
    /// More than 10,000 nodes were reached; the list stops there.
    pub truncated: bool,
}

async fn walk(
    app: AppState,
    sha256: String,
    addr: String,
    q: DepthQuery,
    dir: Direction,
) -> Result<Api<Neighbourhood>, ApiError> {
    let b = app.binary(&sha256).await?;
    let addr = parse_addr(&addr)?;
    let depth = q.depth.unwrap_or(1);
    if !(1..=MAX_DEPTH).contains(&depth) {
        return Err(ApiError::bad_request(
            "invalid_parameter",
            format!("depth must be between 1 and {MAX_DEPTH}."),
        ));
    }
    let g = app.call_graph(&b.sha256).await?;
    let start = g
        .function(addr)
        .ok_or_else(|| no_function(&b.sha256, addr))?;
    let (nodes, truncated) = g.neighbourhood(start, dir, depth, MAX_NEIGHBOURS);
    Ok(Api::ok(Neighbourhood {
        function: g.graph[start].clone(),
        depth,
        nodes: nodes
            .into_iter()
            .map(|(n, d, via)| Reached {
                node: g.graph[n].clone(),
                depth: d,
                via: g.graph[via].uid.clone(),
            })
            .collect(),
        truncated,
    }))
}

/// Functions that call this one, up to `depth` calls away.
#[utoipa::path(get, path = "/api/v1/binaries/{sha256}/functions/{addr}/callers", tag = "functions",
    params(("sha256" = String, Path), ("addr" = String, Path), DepthQuery),
    responses((status = 200, description = "Callers, nearest first", body = Neighbourhood),
              (status = 404, description = "No such function", body = crate::error::ErrorEnvelope)))]
pub async fn callers(
    State(app): State<AppState>,
    _caller: Auth<Read>,
    Path((sha256, addr)): Path<(String, String)>,
    Query(q): Query<DepthQuery>,
) -> Result<Api<Neighbourhood>, ApiError> {
    walk(app, sha256, addr, q, Direction::Incoming).await
}

/// Functions and imports this one calls, up to `depth` calls away.
#[utoipa::path(get, path = "/api/v1/binaries/{sha256}/functions/{addr}/callees", tag = "functions",
    params(("sha256" = String, Path), ("addr" = String, Path), DepthQuery),
    responses((status = 200, description = "Callees, nearest first", body = Neighbourhood),
              (status = 404, description = "No such function", body = crate::error::ErrorEnvelope)))]
pub async fn callees(
    State(app): State<AppState>,
    _caller: Auth<Read>,
    Path((sha256, addr)): Path<(String, String)>,
    Query(q): Query<DepthQuery>,
) -> Result<Api<Neighbourhood>, ApiError> {
    walk(app, sha256, addr, q, Direction::Outgoing).await
}
