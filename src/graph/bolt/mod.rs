//! The Bolt backend: Neo4j 5 (or any Bolt 4.4 server: tested against
//! ArcadeDB) through neo4rs 0.8, with its connection pool.
//!
//! - Reads run as auto-commit queries after the parse-level write check
//!   (`guard`), because not every Bolt server enforces read access modes.
//! - Writes and batches run in one explicit transaction each; batches become
//!   `UNWIND $rows` statements per (label, mode) and per (type, end labels),
//!   500 rows at a time.
//! - Transient failures (connection drops, `Neo.TransientError.*`) are
//!   retried three times with backoff; a retried transaction starts over.
//! - neo4rs 0.8 keeps a row's values in a hash map, so RETURN order is
//!   recovered from the query text (`return_columns`); columns it cannot name
//!   follow in name order.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use async_trait::async_trait;
use neo4rs::{BoltType, ConfigBuilder, Graph, Query, Txn};

use super::guard::first_write_clause;
use super::{
    Batch, GraphError, GraphStore, Node, NodeMode, Params, Path, Relationship, Rows, Schema, Value,
    WriteStats,
};

mod convert;
mod errors;

pub use convert::return_columns;
use convert::*;
use errors::*;

const SCHEMA: &str = include_str!("../../../schema/neo4j.cypher");
const ACCOUNTS_SCHEMA: &str = include_str!("../../../schema/accounts-neo4j.cypher");
/// Rows per UNWIND statement in a batch.
const CHUNK: usize = 500;
const ATTEMPTS: u32 = 3;
/// How long opening the store may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// A Bolt server's graph.
pub struct BoltStore {
    graph: Graph,
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct BoltConfig {
    /// `bolt://host:port` (or `neo4j://`).
    pub uri: String,
    pub user: String,
    pub password: String,
    /// The database (default: the server's default).
    pub database: Option<String>,
    pub max_connections: usize,
}

impl BoltStore {
    /// Remove a binary's subgraph (`model::delete_statements`), each
    /// statement run until it deletes nothing more.
    async fn remove_binary(&self, sha256: &str) -> Result<(), GraphError> {
        for (query, params) in super::model::delete_statements(sha256) {
            // A statement deletes at most 10,000 nodes per run; bounded in
            // case a backend reports rows it did not delete.
            for _ in 0..100_000 {
                let rows = self.write(query, params.clone()).await?;
                let more = rows.first("deleted").and_then(Value::as_u64).unwrap_or(0);
                if more == 0 {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Run a batch's steps in one transaction (retried when transient).
    async fn run_batch(&self, plan: Vec<Step>) -> Result<WriteStats, GraphError> {
        let result = self
            .with_retry("batch", || async {
                let mut txn = self.graph.start_txn().await?;
                match run_plan(&mut txn, &plan).await? {
                    Ok(stats) => {
                        txn.commit().await?;
                        Ok(Ok(stats))
                    }
                    Err(e) => {
                        txn.rollback().await?;
                        Ok(Err(e))
                    }
                }
            })
            .await?;
        result
    }

    pub async fn connect(c: &BoltConfig) -> Result<Self, GraphError> {
        let mut b = ConfigBuilder::default()
            .uri(c.uri.as_str())
            .user(c.user.as_str())
            .password(c.password.as_str())
            .max_connections(c.max_connections)
            .fetch_size(1000);
        if let Some(db) = &c.database {
            b = b.db(db.as_str());
        }
        let config = b
            .build()
            .map_err(|e| GraphError::Backend(format!("bolt config: {e}")))?;
        // neo4rs retries a failing connection or login with backoff for about
        // two minutes; say what is wrong sooner.
        let connect = async {
            let graph = Graph::connect(config)
                .await
                .map_err(|e| GraphError::Backend(format!("cannot connect to {}: {e}", c.uri)))?;
            let store = BoltStore { graph };
            // Fail at start, not at the first request, when the server is wrong.
            store.read("RETURN 1 AS ok", Params::new()).await?;
            Ok(store)
        };
        tokio::time::timeout(CONNECT_TIMEOUT, connect)
            .await
            .map_err(|_| {
                GraphError::Backend(format!(
                    "no answer from the Bolt server at {} within {} s: check the address, that it is up, and the user and password",
                    c.uri,
                    CONNECT_TIMEOUT.as_secs()
                ))
            })?
    }

    async fn with_retry<T, F, Fut>(&self, what: &str, mut f: F) -> Result<T, GraphError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, neo4rs::Error>>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match f().await {
                Ok(v) => return Ok(v),
                Err(e) if attempt < ATTEMPTS && transient(&e) => {
                    tracing::warn!(attempt, error = %e, what, "transient bolt error; retrying");
                    tokio::time::sleep(Duration::from_millis(100 * 2u64.pow(attempt))).await;
                }
                Err(e) => return Err(convert(e)),
            }
        }
    }
}

#[async_trait]
impl GraphStore for BoltStore {
    fn backend(&self) -> &'static str {
        "bolt"
    }

    async fn read(&self, query: &str, params: Params) -> Result<Rows, GraphError> {
        if first_write_clause(query).is_some() {
            return Err(GraphError::ReadOnly);
        }
        let columns = return_columns(query);
        self.with_retry("read", || async {
            let mut stream = self.graph.execute(build(query, &params)).await?;
            let mut rows = Vec::new();
            while let Some(row) = stream.next().await? {
                rows.push(row);
            }
            Ok(rows)
        })
        .await
        .and_then(|rows| to_rows(&columns, rows))
    }

    async fn write(&self, query: &str, params: Params) -> Result<Rows, GraphError> {
        let columns = return_columns(query);
        self.with_retry("write", || async {
            let mut txn = self.graph.start_txn().await?;
            let rows = collect(&mut txn, build(query, &params)).await?;
            txn.commit().await?;
            Ok(rows)
        })
        .await
        .and_then(|rows| to_rows(&columns, rows))
    }

    async fn write_batch(&self, mut batch: Batch) -> Result<WriteStats, GraphError> {
        // The old subgraph goes first, in transactions of its own: ArcadeDB
        // left hundreds of nodes behind when one statement deleted thousands,
        // and then refused the new nodes with the same uids (seen
        // re-ingesting libc with --force). Readers may see the binary absent
        // in between; a failed write leaves it absent until the next ingest.
        if let Some(sha) = batch.remove_binary.take() {
            self.remove_binary(&sha).await?;
        }
        self.run_batch(plan(&batch)).await
    }

    async fn ensure_uid_index(&self, label: &str) -> Result<(), GraphError> {
        // Index names cannot be quoted the same way everywhere: derive a plain one.
        let name: String = label
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        let statement = format!(
            "CREATE INDEX uid_{name} IF NOT EXISTS FOR (n:{}) ON (n.uid)",
            quoted(label)
        );
        self.with_retry("index", || async {
            self.graph.run(Query::new(statement.clone())).await
        })
        .await
    }

    async fn apply_schema(&self, schema: Schema) -> Result<(), GraphError> {
        let text = match schema {
            Schema::Analysis => SCHEMA,
            Schema::Accounts => ACCOUNTS_SCHEMA,
        };
        for statement in super::embedded::statements(text) {
            self.with_retry("schema", || async {
                self.graph.run(Query::new(statement.clone())).await
            })
            .await?;
        }
        Ok(())
    }
}

/// One statement of a batch, with its rows, and what it counts.
struct Step {
    query: String,
    rows: Vec<BoltType>,
    kind: StepKind,
}

enum StepKind {
    Before,
    /// Counts the uids that already exist (merged), before the merge step.
    CountExisting,
    CreateNodes,
    MergeNodes,
    Edges,
    /// Optional relationships: a missing end skips the row.
    Links,
}

fn plan(batch: &Batch) -> Vec<Step> {
    // `remove_binary` is done before the plan runs (`BoltStore::remove_binary`).
    let mut steps: Vec<Step> = batch
        .before
        .iter()
        .map(|(q, p)| Step {
            query: q.to_string(),
            rows: vec![params_map(p)],
            kind: StepKind::Before,
        })
        .collect();
    let mut node_groups: BTreeMap<(&str, bool), Vec<BoltType>> = BTreeMap::new();
    for n in &batch.nodes {
        let mut row = BTreeMap::new();
        row.insert("uid".to_string(), Value::String(n.uid.clone()));
        row.insert("props".to_string(), Value::Map(n.props.to_params()));
        node_groups
            .entry((n.label, n.mode == NodeMode::Merge))
            .or_default()
            .push(to_bolt(&Value::Map(row)));
    }
    for ((label, merge), rows) in node_groups {
        let label = quoted(label);
        for chunk in rows.chunks(CHUNK) {
            if merge {
                steps.push(Step {
                    query: format!(
                        "UNWIND $rows AS r MATCH (n:{label} {{uid: r.uid}}) RETURN count(n) AS n"
                    ),
                    rows: chunk.to_vec(),
                    kind: StepKind::CountExisting,
                });
                steps.push(Step {
                    query: format!("UNWIND $rows AS r MERGE (n:{label} {{uid: r.uid}}) SET n += r.props RETURN count(n) AS n"),
                    rows: chunk.to_vec(),
                    kind: StepKind::MergeNodes,
                });
            } else {
                steps.push(Step {
                    query: format!("UNWIND $rows AS r CREATE (n:{label} {{uid: r.uid}}) SET n += r.props RETURN count(n) AS n"),
                    rows: chunk.to_vec(),
                    kind: StepKind::CreateNodes,
                });
            }
        }
    }
    let mut edge_groups: BTreeMap<(bool, &str, &str, &str), Vec<BoltType>> = BTreeMap::new();
    let all = batch.edges.iter().map(|e| (false, e));
    for (optional, e) in all.chain(batch.links.iter().map(|e| (true, e))) {
        let mut row = BTreeMap::new();
        row.insert("from".to_string(), Value::String(e.from.1.clone()));
        row.insert("to".to_string(), Value::String(e.to.1.clone()));
        row.insert("props".to_string(), Value::Map(e.props.to_params()));
        edge_groups
            .entry((optional, e.rel_type, e.from.0, e.to.0))
            .or_default()
            .push(to_bolt(&Value::Map(row)));
    }
    for ((optional, rel, from, to), rows) in edge_groups {
        let (rel, from, to) = (quoted(rel), quoted(from), quoted(to));
        for chunk in rows.chunks(CHUNK) {
            steps.push(Step {
                query: format!(
                    "UNWIND $rows AS r MATCH (a:{from} {{uid: r.from}}) MATCH (b:{to} {{uid: r.to}}) \
                     CREATE (a)-[e:{rel}]->(b) SET e += r.props RETURN count(e) AS n"
                ),
                rows: chunk.to_vec(),
                kind: if optional {
                    StepKind::Links
                } else {
                    StepKind::Edges
                },
            });
        }
    }
    steps
}

/// Run a batch's steps. The outer error is the server's; the inner one a
/// batch that must be rolled back (an edge end that does not exist).
async fn run_plan(
    txn: &mut Txn,
    plan: &[Step],
) -> Result<Result<WriteStats, GraphError>, neo4rs::Error> {
    let mut stats = WriteStats::default();
    let mut existing = 0u64;
    for step in plan {
        let q = match step.kind {
            StepKind::Before => {
                let mut q = Query::new(step.query.clone());
                if let Some(BoltType::Map(m)) = step.rows.first() {
                    for (k, v) in &m.value {
                        q = q.param(&k.value, v.clone());
                    }
                }
                q
            }
            _ => Query::new(step.query.clone()).param("rows", step.rows.clone()),
        };
        let rows = collect(txn, q).await?;
        let n = rows
            .first()
            .and_then(|r| r.get::<i64>("n").ok())
            .unwrap_or(0) as u64;
        let expected = step.rows.len() as u64;
        match step.kind {
            StepKind::Before => {}
            StepKind::CountExisting => existing = n,
            StepKind::CreateNodes => stats.nodes_created += n,
            StepKind::MergeNodes => {
                stats.nodes_merged += existing;
                stats.nodes_created += expected.saturating_sub(existing);
            }
            StepKind::Edges => {
                if n != expected {
                    return Ok(Err(GraphError::Query(format!(
                        "{} of {expected} relationships have an end that does not exist",
                        expected - n.min(expected)
                    ))));
                }
                stats.relationships_created += n;
            }
            StepKind::Links => stats.relationships_created += n,
        }
    }
    Ok(Ok(stats))
}

async fn collect(txn: &mut Txn, q: Query) -> Result<Vec<neo4rs::Row>, neo4rs::Error> {
    let mut stream = txn.execute(q).await?;
    let mut rows = Vec::new();
    while let Some(row) = stream.next(txn.handle()).await? {
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_while_pulling_rows_is_the_query_s_error() {
        let text = r#"unexpected response for PULL: Failure(Failure { metadata: BoltMap { value: {BoltString { value: "code" }: String(BoltString { value: "Neo.ClientError.Statement.SemanticError" }), BoltString { value: "message" }: String(BoltString { value: "TypeError: toString() cannot convert \"ArrayList\"" })} } })"#;
        assert_eq!(
            convert(neo4rs::Error::UnexpectedMessage(text.into())),
            GraphError::Query("TypeError: toString() cannot convert \"ArrayList\"".into())
        );
        let other = "unexpected response for PULL: Record(..)";
        assert!(matches!(
            convert(neo4rs::Error::UnexpectedMessage(other.into())),
            GraphError::Backend(_)
        ));
        assert!(!transient(&neo4rs::Error::UnexpectedMessage(text.into())));
        assert!(!transient(&neo4rs::Error::UnexpectedMessage(other.into())));
    }

    #[test]
    fn a_write_conflict_answered_to_pull_is_retried() {
        // ArcadeDB's answer to a concurrent change of the same record.
        let text = r#"unexpected response for PULL: Failure(Failure { metadata: BoltMap { value: {BoltString { value: "code" }: String(BoltString { value: "Neo.TransientError.Transaction.DeadlockDetected" }), BoltString { value: "message" }: String(BoltString { value: "Slot rebase not possible on page PageId(x/6/0) slot 0 (concurrent change to the same record). Please retry the operation" })} } })"#;
        assert!(transient(&neo4rs::Error::UnexpectedMessage(text.into())));
    }

    #[test]
    fn return_columns_follow_cypher_naming() {
        assert_eq!(
            return_columns("MATCH (b:Binary) RETURN b.sha256 AS sha, count(f) AS n, b.name ORDER BY n DESC LIMIT 5"),
            ["sha", "n", "b.name"]
        );
        assert_eq!(
            return_columns("MATCH (u) WITH u RETURN u, collect(x)[..3] AS xs, {a: 1, b: 2} AS m"),
            ["u", "xs", "m"]
        );
        assert_eq!(return_columns("RETURN DISTINCT f.name AS name"), ["name"]);
        assert_eq!(
            return_columns("CREATE (n) RETURN n.uid = $uid AS created"),
            ["created"]
        );
        assert!(return_columns("CREATE (n)").is_empty());
        assert_eq!(
            return_columns("MATCH (n) RETURN n.x AS `odd name`"),
            ["odd name"]
        );
    }

    #[test]
    fn names_are_quoted_as_identifiers() {
        assert_eq!(quoted("Function"), "`Function`");
        assert_eq!(
            quoted("X`]->() DETACH DELETE a //"),
            "`X``]->() DETACH DELETE a //`"
        );
    }

    #[test]
    fn error_positions_from_both_servers() {
        assert_eq!(
            position("Invalid input 'X' (line 3, column 7 (offset: 20))"),
            (3, 7)
        );
        assert_eq!(
            position("Syntax error at line 1:16 - mismatched input"),
            (1, 16)
        );
        assert_eq!(position("no position"), (1, 1));
    }
}
