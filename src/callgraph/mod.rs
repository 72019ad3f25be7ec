//! A binary's call graph in memory (petgraph), loaded once from the store
//! and cached (moka) until the binary is re-ingested: callers and callees to
//! any depth, function listings, and call paths between two ends.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use petgraph::Direction;
use serde::Serialize;

mod records;
pub use records::{CallRecord, CallRecords, Callee, FunctionRecord, DIGEST_KIND, DIGEST_VERSION};

/// A function of the binary, or an import it calls.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CallNode {
    /// `function` or `import`.
    pub kind: &'static str,
    pub uid: String,
    /// Virtual address (functions only).
    pub addr: Option<u64>,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demangled: Option<String>,
    /// Library (imports only; `*` when the format does not say).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub library: Option<String>,
    #[serde(skip)]
    pub size: u64,
    #[serde(skip)]
    pub source: String,
    #[serde(skip)]
    pub instructions: u64,
    #[serde(skip)]
    pub cyclomatic: u64,
    #[serde(skip)]
    pub blocks: u64,
}

/// A call relationship: how many sites, direct call or tail call.
#[derive(Debug, Clone, Serialize)]
pub struct CallInfo {
    pub kind: String,
    pub count: u64,
    pub site: Option<u64>,
}

/// One binary's call graph.
#[derive(Debug, Default)]
pub struct CallGraph {
    pub graph: DiGraph<CallNode, CallInfo>,
    by_addr: HashMap<u64, NodeIndex>,
    by_name: HashMap<String, Vec<NodeIndex>>,
    /// Import nodes by uid.
    imports: HashMap<String, NodeIndex>,
    /// Function nodes in address order.
    pub functions: Vec<NodeIndex>,
}

impl CallGraph {
    /// Build from records (read from the store, a write batch or a digest).
    /// Calls from or to an address that is no function are left out.
    pub fn build(records: CallRecords) -> Self {
        let CallRecords { functions, calls } = records;
        let mut g = CallGraph {
            graph: DiGraph::with_capacity(functions.len(), calls.len()),
            by_addr: HashMap::with_capacity(functions.len()),
            by_name: HashMap::with_capacity(functions.len()),
            imports: HashMap::new(),
            functions: Vec::with_capacity(functions.len()),
        };
        for f in functions {
            g.add(CallNode {
                kind: "function",
                uid: f.uid,
                addr: Some(f.addr),
                name: f.name,
                demangled: f.demangled,
                library: None,
                size: f.size,
                source: f.source,
                instructions: f.instructions,
                cyclomatic: f.cyclomatic,
                blocks: f.blocks,
            });
        }
        g.functions.sort_by_key(|i| g.graph[*i].addr);
        for c in calls {
            let Some(src) = g.by_addr.get(&c.from).copied() else {
                continue;
            };
            let dst = match c.to {
                Callee::Function(a) => match g.by_addr.get(&a) {
                    Some(i) => *i,
                    None => continue,
                },
                Callee::Import { uid, name, library } => match g.imports.get(uid.as_str()) {
                    Some(i) => *i,
                    None => {
                        let i = g.add(CallNode {
                            kind: "import",
                            uid: uid.clone(),
                            addr: None,
                            name,
                            demangled: None,
                            library,
                            size: 0,
                            source: String::new(),
                            instructions: 0,
                            cyclomatic: 0,
                            blocks: 0,
                        });
                        g.imports.insert(uid, i);
                        i
                    }
                },
            };
            g.graph.add_edge(
                src,
                dst,
                CallInfo {
                    kind: c.kind,
                    count: c.count,
                    site: c.site,
                },
            );
        }
        g
    }

    fn add(&mut self, node: CallNode) -> NodeIndex {
        let addr = node.addr;
        let names = [Some(node.name.clone()), node.demangled.clone()];
        let is_fn = node.kind == "function";
        let i = self.graph.add_node(node);
        if let Some(a) = addr {
            self.by_addr.insert(a, i);
        }
        for n in names.into_iter().flatten() {
            self.by_name.entry(n).or_default().push(i);
        }
        if is_fn {
            self.functions.push(i);
        }
        i
    }

    /// Roughly how much memory it holds, for the cache's weigher.
    pub fn weight(&self) -> u32 {
        (self.graph.node_count() + self.graph.edge_count()).min(u32::MAX as usize) as u32
    }

    /// How many functions call the import `uid` (0 when none does).
    pub fn callers_of_import(&self, uid: &str) -> u64 {
        let Some(&i) = self.imports.get(uid) else {
            return 0;
        };
        let mut callers: Vec<NodeIndex> = self
            .graph
            .neighbors_directed(i, Direction::Incoming)
            .collect();
        callers.sort_unstable();
        callers.dedup();
        callers.len() as u64
    }

    /// The function at `addr`.
    pub fn function(&self, addr: u64) -> Option<NodeIndex> {
        self.by_addr.get(&addr).copied()
    }

    /// Resolve a path end: an address (`0x...` or decimal) or a name, matching
    /// a function (raw or demangled name) or an import.
    pub fn resolve(&self, spec: &str) -> Vec<NodeIndex> {
        let spec = spec.trim();
        if let Some(a) = parse_addr(spec) {
            if let Some(i) = self.function(a) {
                return vec![i];
            }
        }
        if let Some(found) = self.by_name.get(spec) {
            return found.clone();
        }
        // `name@plt`, `library!name` spellings of imports.
        let bare = spec
            .split_once('!')
            .map_or(spec, |(_, n)| n)
            .trim_end_matches("@plt");
        self.by_name.get(bare).cloned().unwrap_or_default()
    }

    /// Nodes reachable from `start` within `depth` calls, following calls
    /// forward (`Outgoing`, callees) or backward (`Incoming`, callers), in
    /// breadth-first order, with the depth each was first reached at. Stops
    /// after `cap` nodes; the flag says whether it did.
    pub fn neighbourhood(
        &self,
        start: NodeIndex,
        dir: Direction,
        depth: u32,
        cap: usize,
    ) -> (Vec<(NodeIndex, u32, NodeIndex)>, bool) {
        let mut seen: HashMap<NodeIndex, ()> = HashMap::from([(start, ())]);
        let mut out = Vec::new();
        let mut queue = VecDeque::from([(start, 0u32)]);
        while let Some((n, d)) = queue.pop_front() {
            if d == depth {
                continue;
            }
            let mut next: Vec<NodeIndex> = self.graph.neighbors_directed(n, dir).collect();
            next.sort_by_key(|i| (self.graph[*i].addr, self.graph[*i].name.clone()));
            for m in next {
                if seen.insert(m, ()).is_some() {
                    continue;
                }
                if out.len() == cap {
                    return (out, true);
                }
                out.push((m, d + 1, n));
                queue.push_back((m, d + 1));
            }
        }
        (out, false)
    }

    /// Call paths from `from` to `to`: the shortest first, then other simple
    /// paths of at most `max_depth` calls, shortest first, `limit` in all.
    /// The search stops at `budget`; the flag says whether it did.
    pub fn paths(
        &self,
        from: NodeIndex,
        to: NodeIndex,
        max_depth: usize,
        limit: usize,
        budget: Duration,
    ) -> (Vec<Vec<NodeIndex>>, bool) {
        if limit == 0 {
            return (Vec::new(), false);
        }
        if from == to {
            return (vec![vec![from]], false);
        }
        // Distance of every node to `to`, walking calls backwards: the search
        // below only enters nodes from which `to` is still within reach.
        let mut dist: HashMap<NodeIndex, usize> = HashMap::from([(to, 0)]);
        let mut queue = VecDeque::from([to]);
        while let Some(n) = queue.pop_front() {
            let d = dist[&n];
            if d == max_depth {
                continue;
            }
            for m in self.graph.neighbors_directed(n, Direction::Incoming) {
                dist.entry(m).or_insert_with(|| {
                    queue.push_back(m);
                    d + 1
                });
            }
        }
        let Some(&shortest) = dist.get(&from) else {
            return (Vec::new(), false);
        };
        // Enumerate by increasing length so the first paths are the shortest.
        let deadline = Instant::now() + budget;
        let mut found: Vec<Vec<NodeIndex>> = Vec::new();
        let mut truncated = false;
        'lengths: for len in shortest..=max_depth {
            let mut stack = vec![from];
            let mut iters = vec![self.successors(from)];
            while let Some(it) = iters.last_mut() {
                if Instant::now() > deadline {
                    truncated = true;
                    break 'lengths;
                }
                let Some(next) = it.pop() else {
                    iters.pop();
                    stack.pop();
                    continue;
                };
                let depth = stack.len(); // calls taken once `next` is entered
                if next == to {
                    if depth == len {
                        let mut p = stack.clone();
                        p.push(to);
                        found.push(p);
                        if found.len() == limit {
                            break 'lengths;
                        }
                    }
                    continue;
                }
                let Some(&d) = dist.get(&next) else { continue };
                if depth + d > len || stack.contains(&next) {
                    continue;
                }
                stack.push(next);
                iters.push(self.successors(next));
            }
        }
        (found, truncated)
    }

    fn successors(&self, n: NodeIndex) -> Vec<NodeIndex> {
        let mut v: Vec<NodeIndex> = self
            .graph
            .edges_directed(n, Direction::Outgoing)
            .map(|e| e.target())
            .collect();
        v.sort();
        v.dedup();
        v.reverse(); // popped from the back: lowest index first
        v
    }
}

/// `0x401000`, `401000h` or decimal.
pub fn parse_addr(s: &str) -> Option<u64> {
    let s = s.trim();
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else if s.chars().all(|c| c.is_ascii_digit()) && !s.is_empty() {
        s.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Rows;
    use crate::graph::Value;

    fn graph(edges: &[(u64, u64)]) -> CallGraph {
        let mut addrs: Vec<u64> = edges.iter().flat_map(|e| [e.0, e.1]).collect();
        addrs.sort();
        addrs.dedup();
        let functions = Rows {
            columns: vec!["uid".into(), "addr".into(), "name".into()],
            rows: addrs
                .iter()
                .map(|a| {
                    vec![
                        Value::from(format!("x:{a:x}")),
                        Value::from(*a),
                        Value::from(format!("f{a}")),
                    ]
                })
                .collect(),
        };
        let calls = Rows {
            columns: vec!["from_addr".into(), "to_addr".into()],
            rows: edges
                .iter()
                .map(|(a, b)| vec![Value::from(*a), Value::from(*b)])
                .collect(),
        };
        CallGraph::build(CallRecords::from_rows(&functions, &calls))
    }

    fn names(g: &CallGraph, p: &[NodeIndex]) -> Vec<String> {
        p.iter().map(|i| g.graph[*i].name.clone()).collect()
    }

    #[test]
    fn paths_come_shortest_first_and_are_simple() {
        // 1 → 2 → 4, 1 → 3 → 2, 1 → 4, 2 → 1 (a cycle)
        let g = graph(&[(1, 2), (2, 4), (1, 3), (3, 2), (1, 4), (2, 1)]);
        let (from, to) = (g.function(1).unwrap(), g.function(4).unwrap());
        let (paths, truncated) = g.paths(from, to, 5, 10, Duration::from_secs(5));
        assert!(!truncated);
        let got: Vec<Vec<String>> = paths.iter().map(|p| names(&g, p)).collect();
        assert_eq!(
            got,
            vec![
                vec!["f1", "f4"],
                vec!["f1", "f2", "f4"],
                vec!["f1", "f3", "f2", "f4"]
            ]
        );
        let (paths, _) = g.paths(from, to, 1, 10, Duration::from_secs(5));
        assert_eq!(paths.len(), 1);
        let (paths, _) = g.paths(to, from, 5, 10, Duration::from_secs(5));
        assert!(paths.is_empty());
    }

    #[test]
    fn neighbourhood_respects_depth_and_cap() {
        let g = graph(&[(1, 2), (2, 3), (3, 4)]);
        let one = g.function(1).unwrap();
        let (n, t) = g.neighbourhood(one, Direction::Outgoing, 2, 100);
        assert_eq!(n.iter().map(|x| x.1).collect::<Vec<_>>(), [1, 2]);
        assert!(!t);
        let (n, t) = g.neighbourhood(one, Direction::Outgoing, 9, 1);
        assert_eq!(n.len(), 1);
        assert!(t);
        let four = g.function(4).unwrap();
        let (n, _) = g.neighbourhood(four, Direction::Incoming, 9, 100);
        assert_eq!(n.len(), 3);
    }

    #[test]
    fn addresses_parse() {
        assert_eq!(parse_addr("0x401000"), Some(0x401000));
        assert_eq!(parse_addr("4096"), Some(4096));
        assert_eq!(parse_addr("main"), None);
    }
}
