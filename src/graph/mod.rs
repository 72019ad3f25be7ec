//! The graph store: a small, backend-neutral trait that speaks openCypher with
//! parameters, plus a batched write for one binary's subgraph.
//!
//! Backends: [`embedded`] (graphdblite on `data/graph.db`, the default). A Bolt
//! backend comes later and must pass the same [`contract`] suite.

pub mod bolt;
pub mod contract;
pub mod embedded;
pub mod guard;
pub mod lists;
pub mod model;
pub mod time;
mod value;
pub mod views;

use std::borrow::Cow;
use std::collections::BTreeMap;

use async_trait::async_trait;

pub use value::{Node, Path, Relationship, Value};

/// Query parameters, by name.
pub type Params = BTreeMap<String, Value>;

/// Build a [`Params`] map: `params! { "sha" => sha, "limit" => 10 }`.
#[macro_export]
macro_rules! params {
    ($($k:expr => $v:expr),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut p = $crate::graph::Params::new();
        $(p.insert($k.to_string(), $crate::graph::Value::from($v));)*
        p
    }};
}

/// A query result: column names and rows in column order.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Rows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl Rows {
    /// Rows as maps keyed by column name.
    pub fn into_maps(self) -> Vec<BTreeMap<String, Value>> {
        let columns = self.columns;
        self.rows
            .into_iter()
            .map(|r| columns.iter().cloned().zip(r).collect())
            .collect()
    }

    /// The value of `column` in the first row, if any.
    pub fn first(&self, column: &str) -> Option<&Value> {
        let i = self.columns.iter().position(|c| c == column)?;
        self.rows.first().and_then(|r| r.get(i))
    }

    /// Index of a column, for reading many rows.
    pub fn column(&self, column: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == column)
    }
}

/// Why a graph operation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GraphError {
    /// The query text does not parse.
    #[error("Cypher syntax error at line {line}, column {column}: {message}")]
    Syntax {
        message: String,
        line: u32,
        column: u32,
    },
    /// The query parses but cannot run (unknown function, type error, ...).
    #[error("the query failed: {0}")]
    Query(String),
    /// A write was attempted in a read-only transaction.
    #[error("the query writes to the graph, but this transaction is read-only")]
    ReadOnly,
    /// A size or time limit of the store was reached.
    #[error("the query hit a limit of the graph store: {0}")]
    Limit(String),
    /// The store itself failed (I/O, lock timeout, connection).
    #[error("graph store error: {0}")]
    Backend(String),
}

/// How a batched node write treats a node whose `uid` already exists.
/// Which database a store holds, and so which `schema/` file it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// The analysis graph that analysts query (`graph.db`).
    Analysis,
    /// The account store: users, keys, sessions, usage, uploads, jobs
    /// (`accounts.db`, or the Bolt database `[accounts] database`).
    Accounts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeMode {
    /// Always create (the caller knows it is new).
    Create,
    /// Reuse the existing node with this label and uid (its properties are kept).
    Merge,
}

/// The properties of a node or relationship of a write batch, in the order
/// given (a key given twice keeps its last value). One allocation for all
/// of them: a `BTreeMap` took a 600-byte node per relationship, and node's
/// batch holds 230k nodes and 560k relationships.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteProps(Vec<(Cow<'static, str>, Value)>);

impl WriteProps {
    pub fn new() -> Self {
        WriteProps(Vec::new())
    }

    /// Set `key` to `value`.
    pub fn insert(&mut self, key: impl Into<Cow<'static, str>>, value: impl Into<Value>) {
        let (key, value) = (key.into(), value.into());
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Keep the properties `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &Value) -> bool) {
        self.0.retain(|(k, v)| keep(k, v));
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// As a parameter map (for a Cypher `SET n += $props`).
    pub fn to_params(&self) -> Params {
        self.iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }
}

impl IntoIterator for WriteProps {
    type Item = (Cow<'static, str>, Value);
    type IntoIter = std::vec::IntoIter<(Cow<'static, str>, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<K: Into<Cow<'static, str>>> FromIterator<(K, Value)> for WriteProps {
    fn from_iter<I: IntoIterator<Item = (K, Value)>>(iter: I) -> Self {
        let mut p = WriteProps::new();
        for (k, v) in iter {
            p.insert(k, v);
        }
        p
    }
}

impl From<Params> for WriteProps {
    fn from(p: Params) -> Self {
        WriteProps(p.into_iter().map(|(k, v)| (Cow::Owned(k), v)).collect())
    }
}

/// Build [`WriteProps`]: `props! { "addr" => 4096, "name" => name }`.
#[macro_export]
macro_rules! props {
    ($($k:literal => $v:expr),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut p = $crate::graph::WriteProps::new();
        $(p.insert($k, $crate::graph::Value::from($v));)*
        p
    }};
}

/// One node of a batched write, identified by `label` and the `uid` property.
#[derive(Debug, Clone)]
pub struct NodeWrite {
    pub label: &'static str,
    pub uid: String,
    pub props: WriteProps,
    pub mode: NodeMode,
}

/// One relationship of a batched write, between nodes named by label and uid;
/// the ends are nodes of the same batch or nodes already in the store.
#[derive(Debug, Clone)]
pub struct EdgeWrite {
    pub rel_type: &'static str,
    pub from: (&'static str, String),
    pub to: (&'static str, String),
    pub props: WriteProps,
}

/// A batched write that runs in one transaction: the removal of
/// `remove_binary`, the `before` statements, then the nodes, then the
/// relationships.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// A binary (sha256) whose subgraph is removed first, shared imports
    /// kept (`model::delete_statements`). The embedded store does it with a
    /// bulk detach-delete that prunes each neighbour's adjacency once; Bolt
    /// runs the statements.
    pub remove_binary: Option<String>,
    pub before: Vec<(&'static str, Params)>,
    pub nodes: Vec<NodeWrite>,
    pub edges: Vec<EdgeWrite>,
    /// Relationships to nodes outside the batch that may have gone since they
    /// were looked up (e.g. `SIMILAR_TO` another binary's function): written
    /// when both ends exist, skipped otherwise.
    pub links: Vec<EdgeWrite>,
}

/// What a batched write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct WriteStats {
    pub nodes_created: u64,
    pub nodes_merged: u64,
    pub relationships_created: u64,
}

/// A graph backend. Every method is safe to call from async code: backends
/// that block (SQLite) move the work off the runtime themselves.
#[async_trait]
pub trait GraphStore: Send + Sync + 'static {
    /// Short backend name for logs and `/health` (`embedded`, `bolt`).
    fn backend(&self) -> &'static str;

    /// Run a query in a read-only transaction.
    async fn read(&self, query: &str, params: Params) -> Result<Rows, GraphError>;

    /// Run a query in a write transaction of its own.
    async fn write(&self, query: &str, params: Params) -> Result<Rows, GraphError>;

    /// Run a whole [`Batch`] in one write transaction: all of it or none of it.
    async fn write_batch(&self, batch: Batch) -> Result<WriteStats, GraphError>;

    /// Apply the backend's `schema/` file for `schema` (constraints and
    /// indexes); idempotent.
    async fn apply_schema(&self, schema: Schema) -> Result<(), GraphError>;

    /// Make sure nodes of `label` are indexed by `uid` (batches find
    /// relationship ends by it). Idempotent.
    async fn ensure_uid_index(&self, label: &str) -> Result<(), GraphError>;
}

/// Where the graph and the account store live (from the service config).
#[derive(Debug, Clone)]
pub struct GraphConfig {
    /// The data directory (embedded stores are files in it).
    pub data_dir: std::path::PathBuf,
    /// `embedded`, or a `bolt://host:port` URI.
    pub uri: String,
    pub user: String,
    pub password: String,
    /// Bolt database of the analysis graph (default: the server's).
    pub database: Option<String>,
    /// Bolt database of the account store (unset: the embedded file).
    pub accounts_database: Option<String>,
}

/// Open the analysis graph named by `config.graph` (`graph.db` in the data
/// directory, or the Bolt server's `graph_database`).
pub async fn open(config: &GraphConfig) -> Result<std::sync::Arc<dyn GraphStore>, GraphError> {
    let path = config.data_dir.join("graph.db");
    open_store(config, &path, config.database.clone(), Schema::Analysis).await
}

/// Open the account store: on the Bolt backend with `accounts_database`
/// set, that database of the same server; else the embedded file
/// `accounts.db` in the data directory. Never the analysis graph.
pub async fn open_accounts(
    config: &GraphConfig,
) -> Result<std::sync::Arc<dyn GraphStore>, GraphError> {
    let path = config.data_dir.join("accounts.db");
    match &config.accounts_database {
        Some(db) => open_store(config, &path, Some(db.clone()), Schema::Accounts).await,
        None => {
            let store = embedded::EmbeddedStore::open(&path).await?;
            store.apply_schema(Schema::Accounts).await?;
            Ok(std::sync::Arc::new(store))
        }
    }
}

async fn open_store(
    config: &GraphConfig,
    path: &std::path::Path,
    database: Option<String>,
    schema: Schema,
) -> Result<std::sync::Arc<dyn GraphStore>, GraphError> {
    let uri = config.uri.as_str();
    match uri {
        "embedded" | "" => {
            let store = embedded::EmbeddedStore::open(path).await?;
            store.apply_schema(schema).await?;
            Ok(std::sync::Arc::new(store))
        }
        _ if [
            "bolt://",
            "bolt+s://",
            "bolt+ssc://",
            "neo4j://",
            "neo4j+s://",
        ]
        .iter()
        .any(|p| uri.starts_with(p)) =>
        {
            let store = bolt::BoltStore::connect(&bolt::BoltConfig {
                uri: uri.to_string(),
                user: config.user.clone(),
                password: config.password.clone(),
                database,
                max_connections: 16,
            })
            .await?;
            store.apply_schema(schema).await?;
            Ok(std::sync::Arc::new(store))
        }
        other => Err(GraphError::Backend(format!(
            "unknown graph backend '{other}': use 'embedded' or a bolt://host:port URI"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_props_keep_order_and_the_last_value_of_a_key() {
        let mut p = crate::props! { "b" => 1, "a" => "x" };
        p.insert("b", 2);
        p.insert(String::from("c"), Value::Null);
        assert_eq!(p.len(), 3);
        assert_eq!(p.get("b"), Some(&Value::Int(2)));
        assert_eq!(
            p.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            ["b", "a", "c"]
        );
        p.retain(|_, v| !v.is_null());
        assert_eq!(p.get("c"), None);
        let params = p.to_params();
        assert_eq!(params["a"], Value::from("x"));
        assert_eq!(WriteProps::from(params.clone()).to_params(), params);
        let views = views::Props(&p);
        assert_eq!((views.num("b"), views.string("a")), (2, "x".to_string()));
    }
}
