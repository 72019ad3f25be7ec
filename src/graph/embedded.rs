//! The embedded backend: graphdblite (openCypher on SQLite) in `data/graph.db`.
//!
//! A graphdblite `Database` is one SQLite connection used by one thread at a
//! time, so the store keeps one writer connection and a small pool of reader
//! connections (WAL mode lets readers run beside the writer). All calls run on
//! tokio's blocking pool. Batched writes use the bulk API of the patched
//! graphdblite in `vendor/graphdblite` (PATCHES.md): nodes per label and all
//! relationships in one pass each, every adjacency list merged once, and the
//! removal of a binary as one bulk detach-delete. `UNWIND ... MATCH` is far
//! slower there (see DESIGN.md).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use graphdblite as gdb;

use super::{
    Batch, GraphError, GraphStore, Node, NodeMode, Params, Relationship, Rows, Schema, Value,
    WriteStats,
};

const SCHEMA: &str = include_str!("../../schema/embedded.cypher");
const ACCOUNTS_SCHEMA: &str = include_str!("../../schema/accounts-embedded.cypher");

/// Readers kept open; more than the cores of a small server gains nothing.
const READERS: usize = 4;

/// The graphdblite backend.
pub struct EmbeddedStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<gdb::Database>,
    readers: Vec<Mutex<gdb::Database>>,
    next: AtomicUsize,
}

fn config(busy_timeout_ms: u32) -> gdb::Config {
    gdb::Config {
        busy_timeout_ms,
        // Loading a large binary's call graph reads hundreds of thousands of
        // rows; user queries get their own, smaller caps above the store.
        max_result_rows: 10_000_000,
        // A function's CFG is one JSON property; huge functions have big ones
        // (the model leaves out any over MAX_CFG_BYTES).
        max_property_value_bytes: 16 * 1024 * 1024,
        ..gdb::Config::default()
    }
}

impl EmbeddedStore {
    /// Open (or create) the database file at `path`.
    pub async fn open(path: &Path) -> Result<Self, GraphError> {
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    GraphError::Backend(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
            // Long ingests hold the write lock: wait for them rather than fail.
            let writer =
                gdb::Database::open_with_config(&path, config(120_000)).map_err(convert)?;
            let readers = (0..READERS)
                .map(|_| {
                    gdb::Database::open_with_config(&path, config(10_000))
                        .map(Mutex::new)
                        .map_err(convert)
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Self {
                inner: Arc::new(Inner {
                    path,
                    writer: Mutex::new(writer),
                    readers,
                    next: AtomicUsize::new(0),
                }),
            })
        })
        .await
        .map_err(|e| GraphError::Backend(format!("open task failed: {e}")))?
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    async fn blocking<T, F>(&self, f: F) -> Result<T, GraphError>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T, GraphError> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || f(&inner))
            .await
            .map_err(|e| GraphError::Backend(format!("graph task failed: {e}")))?
    }
}

impl Inner {
    fn reader(&self) -> MutexGuard<'_, gdb::Database> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..self.readers.len() {
            if let Ok(guard) = self.readers[(start + i) % self.readers.len()].try_lock() {
                return guard;
            }
        }
        lock(&self.readers[start % self.readers.len()])
    }

    fn writer(&self) -> MutexGuard<'_, gdb::Database> {
        lock(&self.writer)
    }
}

/// A poisoned lock only means another query panicked; the connection is fine.
fn lock(m: &Mutex<gdb::Database>) -> MutexGuard<'_, gdb::Database> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[async_trait]
impl GraphStore for EmbeddedStore {
    fn backend(&self) -> &'static str {
        "embedded"
    }

    async fn read(&self, query: &str, params: Params) -> Result<Rows, GraphError> {
        let query = query.to_string();
        self.blocking(move |inner| {
            let mut db = inner.reader();
            let tx = db.read_tx().map_err(convert)?;
            let rows = tx
                .query_with_params(&query, Some(&to_params(params)))
                .map_err(convert)?;
            tx.commit().map_err(convert)?;
            Ok(to_rows(rows))
        })
        .await
    }

    async fn write(&self, query: &str, params: Params) -> Result<Rows, GraphError> {
        let query = query.to_string();
        self.blocking(move |inner| {
            let mut db = inner.writer();
            let tx = db.write_tx().map_err(convert)?;
            let rows = tx
                .query_with_params(&query, Some(&to_params(params)))
                .map_err(convert)?;
            tx.commit().map_err(convert)?;
            Ok(to_rows(rows))
        })
        .await
    }

    async fn write_batch(&self, batch: Batch) -> Result<WriteStats, GraphError> {
        self.blocking(move |inner| {
            let mut db = inner.writer();
            let tx = db.write_tx().map_err(convert)?;
            if let Some(sha) = &batch.remove_binary {
                let owned = owned_nodes(&tx, sha)?;
                tx.delete_nodes(&owned).map_err(convert)?;
            }
            for (query, params) in &batch.before {
                tx.query_with_params(query, Some(&to_params(params.clone())))
                    .map_err(convert)?;
            }
            let mut stats = WriteStats::default();
            let mut ids = write_nodes(&tx, batch.nodes, &mut stats)?;
            let mut edges = Vec::with_capacity(batch.edges.len() + batch.links.len());
            for edge in batch.edges {
                let from = resolve(&tx, &mut ids, edge.from)?;
                let to = resolve(&tx, &mut ids, edge.to)?;
                edges.push((from, to, edge.rel_type, to_params(edge.props)));
            }
            for edge in batch.links {
                let (Some(from), Some(to)) = (
                    resolve_optional(&tx, &mut ids, edge.from)?,
                    resolve_optional(&tx, &mut ids, edge.to)?,
                ) else {
                    continue;
                };
                edges.push((from, to, edge.rel_type, to_params(edge.props)));
            }
            stats.relationships_created = edges.len() as u64;
            tx.create_edges(edges).map_err(convert)?;
            tx.commit().map_err(convert)?;
            Ok(stats)
        })
        .await
    }

    async fn ensure_uid_index(&self, label: &str) -> Result<(), GraphError> {
        let statement = uid_index_statement(label)?;
        self.blocking(move |inner| {
            let mut db = inner.writer();
            match db.execute(&statement) {
                Ok(_) | Err(gdb::GraphError::IndexAlreadyExists { .. }) => Ok(()),
                Err(e) => Err(convert(e)),
            }
        })
        .await
    }

    async fn apply_schema(&self, schema: Schema) -> Result<(), GraphError> {
        let text = match schema {
            Schema::Analysis => SCHEMA,
            Schema::Accounts => ACCOUNTS_SCHEMA,
        };
        self.blocking(move |inner| {
            let mut db = inner.writer();
            for statement in statements(text) {
                match db.execute(&statement) {
                    Ok(_) | Err(gdb::GraphError::IndexAlreadyExists { .. }) => {}
                    Err(e) => return Err(convert(e)),
                }
            }
            Ok(())
        })
        .await
    }
}

/// `CREATE INDEX ON :label(uid)` for a label name that is safe to splice.
fn uid_index_statement(label: &str) -> Result<String, GraphError> {
    if label.is_empty() || !label.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return Err(GraphError::Query(format!(
            "'{label}' is not a label bingraph can index"
        )));
    }
    Ok(format!("CREATE INDEX ON :{label}(uid)"))
}

type NodeIds = HashMap<(&'static str, String), gdb::NodeId>;

/// The nodes a binary owns, as `model::delete_statements` finds them: the
/// binary, its functions, sections and symbols, and the strings, globals and
/// findings that carry its sha256 in `binary`. Shared imports are not owned.
/// Uses the indexes of the analysis schema and adjacency, not Cypher: a
/// Cypher match materialises whole nodes, and a big binary's functions (with
/// their CFGs) pass the store's 1 GiB limit on that.
fn owned_nodes(tx: &gdb::WriteTxGuard<'_>, sha: &str) -> Result<Vec<gdb::NodeId>, GraphError> {
    let key = gdb::Value::String(sha.to_string());
    let mut owned = Vec::new();
    for (label, property) in [
        ("String", "binary"),
        ("Global", "binary"),
        ("Finding", "binary"),
        ("Binary", "sha256"),
    ] {
        let found = tx.index_lookup(label, property, &key).map_err(convert)?;
        if label == "Binary" {
            for binary in &found {
                // The model links sections, symbols and functions (only)
                // by these, and analysts' Cypher cannot write.
                for rel in ["HAS_SECTION", "HAS_SYMBOL", "DEFINES"] {
                    owned.extend(
                        tx.get_neighbors(*binary, rel, gdb::Direction::Outgoing)
                            .map_err(convert)?,
                    );
                }
            }
        }
        owned.extend(found);
    }
    Ok(owned)
}

/// Create the batch's nodes, in bulk writes of one label each (merged nodes
/// that exist already are looked up, not written); returns every node's id.
fn write_nodes(
    tx: &gdb::WriteTxGuard<'_>,
    nodes: Vec<super::NodeWrite>,
    stats: &mut WriteStats,
) -> Result<NodeIds, GraphError> {
    let mut ids: NodeIds = HashMap::with_capacity(nodes.len());
    let mut seen: std::collections::HashSet<(&'static str, String)> =
        std::collections::HashSet::with_capacity(nodes.len());
    // Nodes go to the store in runs of one label, at most NODES_PER_CALL at
    // a time: the store's property maps are several times the size of the
    // batch's, and node's 230k nodes converted at once held ~0.2 GB more.
    let mut run: (&'static str, Vec<String>, Vec<gdb::Properties>) = ("", Vec::new(), Vec::new());
    let mut flush = |run: &mut (&'static str, Vec<String>, Vec<gdb::Properties>),
                     ids: &mut NodeIds|
     -> Result<(), GraphError> {
        if run.1.is_empty() {
            return Ok(());
        }
        let label = run.0;
        let created = tx
            .create_nodes(&[label.to_string()], std::mem::take(&mut run.2))
            .map_err(convert)?;
        stats.nodes_created += created.len() as u64;
        for (uid, id) in std::mem::take(&mut run.1).into_iter().zip(created) {
            ids.insert((label, uid), id);
        }
        Ok(())
    };
    for node in nodes {
        let key = (node.label, node.uid);
        if !seen.insert(key.clone()) {
            continue;
        }
        if node.mode == NodeMode::Merge {
            let found = tx
                .index_lookup(node.label, "uid", &gdb::Value::String(key.1.clone()))
                .map_err(convert)?;
            if let Some(id) = found.first() {
                ids.insert(key, *id);
                stats.nodes_merged += 1;
                continue;
            }
        }
        if run.0 != node.label || run.1.len() >= NODES_PER_CALL {
            flush(&mut run, &mut ids)?;
            run.0 = node.label;
        }
        let mut props = to_params(node.props);
        props.insert("uid".into(), gdb::Value::String(key.1.clone()));
        run.1.push(key.1);
        run.2.push(props);
    }
    flush(&mut run, &mut ids)?;
    Ok(ids)
}

/// Nodes created per bulk call (see [`write_nodes`]).
const NODES_PER_CALL: usize = 8192;

/// Find a relationship end: a node of this batch, or one already stored.
fn resolve(
    tx: &gdb::WriteTxGuard<'_>,
    ids: &mut NodeIds,
    key: (&'static str, String),
) -> Result<gdb::NodeId, GraphError> {
    if let Some(id) = ids.get(&key) {
        return Ok(*id);
    }
    let found = tx
        .index_lookup(key.0, "uid", &gdb::Value::String(key.1.clone()))
        .map_err(convert)?;
    match found.first() {
        Some(id) => {
            ids.insert(key, *id);
            Ok(*id)
        }
        None => Err(GraphError::Query(format!(
            "relationship end (:{} {{uid: '{}'}}) is neither in the batch nor in the graph",
            key.0, key.1
        ))),
    }
}

/// Like [`resolve`], but `None` for a node that does not exist.
fn resolve_optional(
    tx: &gdb::WriteTxGuard<'_>,
    ids: &mut NodeIds,
    key: (&'static str, String),
) -> Result<Option<gdb::NodeId>, GraphError> {
    if let Some(id) = ids.get(&key) {
        return Ok(Some(*id));
    }
    let found = tx
        .index_lookup(key.0, "uid", &gdb::Value::String(key.1.clone()))
        .map_err(convert)?;
    Ok(found.first().map(|id| {
        ids.insert(key, *id);
        *id
    }))
}

/// Split a schema file into statements: `;`-terminated, `//` comments dropped.
pub fn statements(text: &str) -> Vec<String> {
    let cleaned: String = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    cleaned
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

fn to_params<K: Into<String>>(
    params: impl IntoIterator<Item = (K, Value)>,
) -> HashMap<String, gdb::Value> {
    params
        .into_iter()
        .map(|(k, v)| (k.into(), to_gdb(v)))
        .collect()
}

fn to_gdb(v: Value) -> gdb::Value {
    match v {
        Value::Null => gdb::Value::Null,
        Value::Bool(b) => gdb::Value::Bool(b),
        Value::Int(i) => gdb::Value::I64(i),
        Value::Float(f) => gdb::Value::F64(f),
        Value::String(s) => gdb::Value::String(s),
        Value::List(l) => gdb::Value::List(l.into_iter().map(to_gdb).collect()),
        Value::Map(m) => gdb::Value::Map(m.into_iter().map(|(k, v)| (k, to_gdb(v))).collect()),
        // Graph entities are never sent as parameters; pass their ids.
        Value::Node(n) => gdb::Value::String(n.id.clone()),
        Value::Relationship(r) => gdb::Value::String(r.id.clone()),
        Value::Path(_) => gdb::Value::Null,
    }
}

fn to_rows(records: Vec<gdb::Record>) -> Rows {
    let columns: Vec<String> = records
        .first()
        .map(|r| r.keys().cloned().collect())
        .unwrap_or_default();
    let rows = records
        .into_iter()
        .map(|r| r.values().cloned().map(from_gdb).collect())
        .collect();
    Rows { columns, rows }
}

fn props(p: gdb::Properties) -> std::collections::BTreeMap<String, Value> {
    p.into_iter().map(|(k, v)| (k, from_gdb(v))).collect()
}

fn node(n: gdb::Node) -> Node {
    Node {
        id: n.id.0.to_string(),
        labels: n.labels,
        properties: props(n.properties),
    }
}

fn rel(e: gdb::Edge) -> Relationship {
    Relationship {
        id: format!("{}-{}-{}-{}", e.src.0, e.label, e.dst.0, e.seq),
        rel_type: e.label,
        start: e.src.0.to_string(),
        end: e.dst.0.to_string(),
        properties: props(e.properties),
    }
}

fn from_gdb(v: gdb::Value) -> Value {
    match v {
        gdb::Value::Null => Value::Null,
        gdb::Value::Bool(b) => Value::Bool(b),
        gdb::Value::I64(i) => Value::Int(i),
        gdb::Value::F64(f) => Value::Float(f),
        gdb::Value::String(s) => Value::String(s),
        gdb::Value::List(l) => Value::List(l.into_iter().map(from_gdb).collect()),
        gdb::Value::Map(m) => Value::Map(m.into_iter().map(|(k, v)| (k, from_gdb(v))).collect()),
        gdb::Value::Node(n) => Value::Node(Box::new(node(n))),
        gdb::Value::Edge(e) => Value::Relationship(Box::new(rel(e))),
        gdb::Value::Path(p) => Value::Path(Box::new(super::Path {
            nodes: p.nodes.into_iter().map(node).collect(),
            relationships: p.edges.into_iter().map(rel).collect(),
        })),
        // Temporal values: their ISO 8601 text.
        other => Value::String(other.to_string()),
    }
}

fn convert(e: gdb::GraphError) -> GraphError {
    match e {
        gdb::GraphError::Query(q) => {
            let message = q.message().to_string();
            if matches!(q, gdb::QueryError::SyntaxError { .. }) {
                let span = q.span();
                GraphError::Syntax {
                    message,
                    line: span.map_or(0, |s| s.line),
                    column: span.map_or(0, |s| s.col),
                }
            } else {
                GraphError::Query(message)
            }
        }
        gdb::GraphError::SizeLimit { .. } => GraphError::Limit(e.to_string()),
        gdb::GraphError::Transaction { ref message, .. }
            if message.contains("not permitted inside a read transaction") =>
        {
            GraphError::ReadOnly
        }
        other => GraphError::Backend(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::statements;

    #[test]
    fn schema_statements_drop_comments_and_blanks() {
        let s =
            statements("// a comment\nCREATE INDEX ON :A(x);\n\n// b; c\nCREATE INDEX ON :B(y);\n");
        assert_eq!(s, vec!["CREATE INDEX ON :A(x)", "CREATE INDEX ON :B(y)"]);
    }
}
