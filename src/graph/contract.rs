//! The `GraphStore` contract: the behaviour every backend must show, written
//! once and run against each backend with `graph_store_contract_tests!`
//! (quickwit's metastore test-suite pattern).
//!
//! ```ignore
//! bingraph::graph_store_contract_tests!(async { Some(my_backend().await) });
//! ```
//! Each check starts from an empty store that the expression returns.

use std::sync::Arc;

use super::{
    Batch, EdgeWrite, GraphError, GraphStore, NodeMode, NodeWrite, Params, Rows, Schema, Value,
};
use crate::{params, props};

type Store = Arc<dyn GraphStore>;

async fn count(store: &Store, query: &str, params: Params) -> i64 {
    let rows = store.read(query, params).await.expect("count query runs");
    rows.rows[0][0].as_i64().expect("count is an integer")
}

/// Parameters of every scalar kind go in and come back unchanged, with the
/// columns in RETURN order.
pub async fn parameters_round_trip(store: Store) {
    store
        .write(
            "CREATE (:Thing {uid: $uid, n: $n, f: $f, ok: $ok, tags: $tags})",
            params! { "uid" => "t1", "n" => -42i64, "f" => 1.5, "ok" => true, "tags" => vec!["a", "b"] },
        )
        .await
        .expect("write with parameters");
    let rows = store
        .read(
            "MATCH (t:Thing {uid: $uid}) RETURN t.tags AS tags, t.n AS n, t.f AS f, t.ok AS ok, t.missing AS missing",
            params! { "uid" => "t1" },
        )
        .await
        .expect("read back");
    assert_eq!(rows.columns, ["tags", "n", "f", "ok", "missing"]);
    assert_eq!(
        rows.rows,
        vec![vec![
            Value::from(vec!["a", "b"]),
            Value::Int(-42),
            Value::Float(1.5),
            Value::Bool(true),
            Value::Null
        ]]
    );
    // Values are data, never query text.
    let hostile = "x'}) DETACH DELETE t //";
    let rows = store
        .read(
            "MATCH (t:Thing) WHERE t.uid = $uid RETURN count(t) AS c",
            params! { "uid" => hostile },
        )
        .await
        .expect("hostile parameter is just a string");
    assert_eq!(rows.rows[0][0], Value::Int(0));
    assert_eq!(
        count(&store, "MATCH (t:Thing) RETURN count(t)", Params::new()).await,
        1
    );
}

/// Large unsigned addresses survive the trip through a signed integer.
pub async fn addresses_survive(store: Store) {
    let addr = 0xffff_ffff_8100_0000u64;
    store
        .write(
            "CREATE (:Thing {uid: 'a', addr: $addr})",
            params! { "addr" => addr },
        )
        .await
        .expect("write");
    let rows = store
        .read(
            "MATCH (t:Thing {addr: $addr}) RETURN t.addr AS addr",
            params! { "addr" => addr },
        )
        .await
        .expect("read");
    assert_eq!(rows.first("addr").and_then(Value::as_u64), Some(addr));
}

/// A read transaction refuses to write, and nothing is written.
pub async fn reads_are_read_only(store: Store) {
    let err = store
        .read("CREATE (:Thing {uid: 'nope'})", Params::new())
        .await
        .expect_err("a write in a read transaction fails");
    assert_eq!(err, GraphError::ReadOnly);
    assert_eq!(
        count(&store, "MATCH (t:Thing) RETURN count(t)", Params::new()).await,
        0
    );
}

/// Syntax errors say where they are.
pub async fn syntax_errors_have_a_position(store: Store) {
    let err = store
        .read("MATCH (n)\nRETRUN n", Params::new())
        .await
        .expect_err("bad Cypher fails");
    match err {
        GraphError::Syntax { line, .. } => assert_eq!(line, 2, "{err:?}"),
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

/// Nodes, relationships and paths come back as graph values.
pub async fn graph_values(store: Store) {
    store
        .write(
            "CREATE (:Function {uid: 'f1', name: 'main'})-[:CALLS {site: 7}]->(:Function {uid: 'f2', name: 'helper'})",
            Params::new(),
        )
        .await
        .expect("write");
    let rows = store
        .read(
            "MATCH p = (a:Function {uid: 'f1'})-[r:CALLS]->(b) RETURN a, r, b, p",
            Params::new(),
        )
        .await
        .expect("read");
    let [a, r, b, p] = &rows.rows[0][..] else {
        panic!("four columns expected: {rows:?}")
    };
    let a = a.as_node().expect("a node");
    assert_eq!(a.labels, ["Function"]);
    assert_eq!(a.properties["name"], Value::from("main"));
    let Value::Relationship(r) = r else {
        panic!("a relationship expected: {r:?}")
    };
    assert_eq!(r.rel_type, "CALLS");
    assert_eq!(r.properties["site"], Value::Int(7));
    assert_eq!(r.start, a.id);
    assert_eq!(Some(&r.end), b.as_node().map(|b| &b.id));
    let Value::Path(p) = p else {
        panic!("a path expected: {p:?}")
    };
    assert_eq!((p.nodes.len(), p.relationships.len()), (2, 1));
}

fn node(label: &'static str, uid: &str, mode: NodeMode) -> NodeWrite {
    NodeWrite {
        label,
        uid: uid.to_string(),
        // `library!name` for imports: the name is the part after `!`.
        props: props! { "name" => uid.rsplit('!').next().unwrap_or(uid) },
        mode,
    }
}

fn edge(rel_type: &'static str, from: (&'static str, &str), to: (&'static str, &str)) -> EdgeWrite {
    EdgeWrite {
        rel_type,
        from: (from.0, from.1.to_string()),
        to: (to.0, to.1.to_string()),
        props: props! { "site" => 1 },
    }
}

/// A batch creates its nodes and relationships, merges shared nodes with
/// those already stored, and reaches ends outside the batch by uid.
pub async fn batches_write_and_merge(store: Store) {
    store
        .write(
            "CREATE (:Import {uid: 'libc!system', name: 'system'})",
            Params::new(),
        )
        .await
        .expect("seed");
    let batch = Batch {
        remove_binary: None,
        before: vec![],
        nodes: vec![
            node("Function", "b1:10", NodeMode::Create),
            node("Function", "b1:20", NodeMode::Create),
            node("Import", "libc!system", NodeMode::Merge),
            node("Import", "libc!puts", NodeMode::Merge),
        ],
        edges: vec![
            edge("CALLS", ("Function", "b1:10"), ("Function", "b1:20")),
            edge("CALLS", ("Function", "b1:20"), ("Import", "libc!system")),
            edge("CALLS", ("Function", "b1:20"), ("Import", "libc!puts")),
        ],
        // Optional links: one end gone, that one is skipped.
        links: vec![
            edge("SIMILAR_TO", ("Function", "b1:10"), ("Function", "b1:20")),
            edge("SIMILAR_TO", ("Function", "b1:10"), ("Function", "gone:10")),
        ],
    };
    let stats = store.write_batch(batch).await.expect("batch");
    assert_eq!(
        (
            stats.nodes_created,
            stats.nodes_merged,
            stats.relationships_created
        ),
        (3, 1, 4)
    );
    assert_eq!(
        count(&store, "MATCH (i:Import) RETURN count(i)", Params::new()).await,
        2
    );
    let rows = store
        .read(
            "MATCH (:Function {uid: $uid})-[:CALLS*1..2]->(i:Import) RETURN i.name AS name ORDER BY name",
            params! { "uid" => "b1:10" },
        )
        .await
        .expect("traverse");
    assert_eq!(
        rows.rows,
        vec![vec![Value::from("puts")], vec![Value::from("system")]]
    );
    // A second batch may point at nodes written by the first.
    let stats = store
        .write_batch(Batch {
            remove_binary: None,
            before: vec![],
            nodes: vec![node("Function", "b2:10", NodeMode::Create)],
            edges: vec![edge(
                "CALLS",
                ("Function", "b2:10"),
                ("Import", "libc!system"),
            )],
            links: vec![],
        })
        .await
        .expect("second batch");
    assert_eq!(stats.relationships_created, 1);
    assert_eq!(
        count(
            &store,
            "MATCH (:Function)-[:CALLS]->(i:Import {uid: 'libc!system'}) RETURN count(*)",
            Params::new()
        )
        .await,
        2
    );
}

/// A batch is one transaction: when any part fails, nothing is kept.
pub async fn batches_are_atomic(store: Store) {
    let err = store
        .write_batch(Batch {
            remove_binary: None,
            before: vec![],
            nodes: vec![node("Function", "x:1", NodeMode::Create)],
            edges: vec![edge("CALLS", ("Function", "x:1"), ("Function", "missing"))],
            links: vec![],
        })
        .await
        .expect_err("an edge to a missing node fails the batch");
    assert!(matches!(err, GraphError::Query(_)), "{err:?}");
    assert_eq!(
        count(&store, "MATCH (f:Function) RETURN count(f)", Params::new()).await,
        0
    );
}

/// `before` statements run inside the batch, so replacing a subgraph leaves
/// exactly one copy however often it is written.
pub async fn batches_replace(store: Store) {
    let batch = || Batch {
        remove_binary: None,
        before: vec![(
            "MATCH (b:Binary {uid: $uid}) OPTIONAL MATCH (b)-[:DEFINES]->(f) DETACH DELETE f, b",
            params! { "uid" => "bin" },
        )],
        nodes: vec![
            node("Binary", "bin", NodeMode::Create),
            node("Function", "bin:1", NodeMode::Create),
            node("Function", "bin:2", NodeMode::Create),
        ],
        edges: vec![
            edge("DEFINES", ("Binary", "bin"), ("Function", "bin:1")),
            edge("DEFINES", ("Binary", "bin"), ("Function", "bin:2")),
            edge("CALLS", ("Function", "bin:1"), ("Function", "bin:2")),
        ],
        links: vec![],
    };
    for _ in 0..3 {
        store.write_batch(batch()).await.expect("batch");
    }
    assert_eq!(
        count(&store, "MATCH (n) RETURN count(n)", Params::new()).await,
        3
    );
    assert_eq!(
        count(&store, "MATCH ()-[r]->() RETURN count(r)", Params::new()).await,
        3
    );
}

/// One binary's subgraph as ingest writes it, in miniature: what it owns
/// (functions, a section, a symbol, a string, a global, a finding) and a
/// shared import, each kind linked the way the model links it.
fn binary_subgraph(sha: &str) -> Batch {
    let own = |label: &'static str, part: &str| NodeWrite {
        label,
        uid: format!("{sha}:{part}"),
        mode: NodeMode::Create,
        props: props! { "binary" => sha, "name" => part },
    };
    let at = |label: &'static str, part: &str| (label, format!("{sha}:{part}"));
    let link = |rel_type: &'static str, from: (&'static str, String), to| EdgeWrite {
        rel_type,
        from,
        to,
        props: super::WriteProps::new(),
    };
    let binary = ("Binary", sha.to_string());
    let mut b = crate::graph::model::delete_batch(sha);
    b.nodes = vec![
        NodeWrite {
            label: "Binary",
            uid: sha.to_string(),
            mode: NodeMode::Create,
            props: props! { "sha256" => sha },
        },
        own("Function", "1"),
        own("Function", "2"),
        own("Section", "text"),
        own("Symbol", "main"),
        own("String", "s"),
        own("Global", "g"),
        own("Finding", "f"),
        node("Import", "libc!system", NodeMode::Merge),
    ];
    b.edges = vec![
        link("DEFINES", binary.clone(), at("Function", "1")),
        link("DEFINES", binary.clone(), at("Function", "2")),
        link("HAS_SECTION", binary.clone(), at("Section", "text")),
        link("HAS_SYMBOL", binary.clone(), at("Symbol", "main")),
        link("HAS_FINDING", binary, at("Finding", "f")),
        link("HAS_FINDING", at("Function", "1"), at("Finding", "f")),
        link("CALLS", at("Function", "1"), at("Function", "2")),
        link(
            "CALLS",
            at("Function", "2"),
            ("Import", "libc!system".into()),
        ),
        link("REFERENCES", at("Function", "1"), at("String", "s")),
        link("REFERENCES", at("Function", "2"), at("Global", "g")),
    ];
    b
}

/// `remove_binary` takes away everything a binary owns and nothing it
/// shares: rewriting a binary leaves one copy, and removing it leaves the
/// other binaries' links to a shared import whole.
pub async fn binaries_are_replaced_and_removed(store: Store) {
    store.apply_schema(Schema::Analysis).await.expect("schema");
    for _ in 0..3 {
        store.write_batch(binary_subgraph("a")).await.expect("a");
    }
    store.write_batch(binary_subgraph("b")).await.expect("b");
    let nodes = "MATCH (n) RETURN count(n)";
    let rels = "MATCH ()-[r]->() RETURN count(r)";
    assert_eq!(count(&store, nodes, Params::new()).await, 2 * 8 + 1);
    assert_eq!(count(&store, rels, Params::new()).await, 2 * 10);
    store
        .write_batch(crate::graph::model::delete_batch("a"))
        .await
        .expect("remove a");
    assert_eq!(count(&store, nodes, Params::new()).await, 8 + 1);
    assert_eq!(count(&store, rels, Params::new()).await, 10);
    assert_eq!(
        count(
            &store,
            "MATCH (n) WHERE n.binary = 'a' OR n.sha256 = 'a' RETURN count(n)",
            Params::new()
        )
        .await,
        0
    );
    let rows = store
        .read(
            "MATCH (f:Function)-[:CALLS]->(i:Import) RETURN f.uid AS f, i.name AS i",
            Params::new(),
        )
        .await
        .expect("calls");
    assert_eq!(
        rows.rows,
        vec![vec![Value::from("b:2"), Value::from("system")]]
    );
    // Removing a binary that is not there is not an error.
    store
        .write_batch(crate::graph::model::delete_batch("a"))
        .await
        .expect("remove again");
    assert_eq!(count(&store, nodes, Params::new()).await, 8 + 1);
}

/// A binary of thousands of functions and symbols is replaced and removed
/// whole (ArcadeDB once left hundreds behind when one statement deleted
/// thousands, then refused the new copies' uids).
pub async fn large_binaries_are_replaced(store: Store) {
    store.apply_schema(Schema::Analysis).await.expect("schema");
    const N: usize = 3_000;
    let big = || {
        let mut b = crate::graph::model::delete_batch("big");
        b.nodes.push(NodeWrite {
            label: "Binary",
            uid: "big".into(),
            mode: NodeMode::Create,
            props: props! { "sha256" => "big" },
        });
        for i in 0..N {
            for label in ["Function", "Symbol"] {
                b.nodes.push(NodeWrite {
                    label,
                    uid: format!("big:{label}:{i}"),
                    mode: NodeMode::Create,
                    props: props! { "binary" => "big", "addr" => i },
                });
            }
            b.edges.push(EdgeWrite {
                rel_type: "DEFINES",
                from: ("Binary", "big".into()),
                to: ("Function", format!("big:Function:{i}")),
                props: super::WriteProps::new(),
            });
            b.edges.push(EdgeWrite {
                rel_type: "HAS_SYMBOL",
                from: ("Binary", "big".into()),
                to: ("Symbol", format!("big:Symbol:{i}")),
                props: super::WriteProps::new(),
            });
        }
        b
    };
    let nodes = "MATCH (n) RETURN count(n)";
    for _ in 0..2 {
        store.write_batch(big()).await.expect("write big");
        assert_eq!(count(&store, nodes, Params::new()).await, 2 * N as i64 + 1);
    }
    store
        .write_batch(crate::graph::model::delete_batch("big"))
        .await
        .expect("remove big");
    assert_eq!(count(&store, nodes, Params::new()).await, 0);
}

/// The schema can be applied again and again.
pub async fn schema_is_idempotent(store: Store) {
    for schema in [Schema::Analysis, Schema::Accounts] {
        store.apply_schema(schema).await.expect("first");
        store.apply_schema(schema).await.expect("second");
    }
}

/// Many concurrent reads beside a write all succeed.
pub async fn concurrent_reads(store: Store) {
    store
        .write(
            "UNWIND range(1, 100) AS i CREATE (:Thing {uid: toString(i), i: i})",
            Params::new(),
        )
        .await
        .expect("seed");
    let mut tasks = Vec::new();
    for i in 0..32i64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let rows: Rows = store
                .read(
                    "MATCH (t:Thing {uid: $uid}) RETURN t.i AS i",
                    params! { "uid" => (i + 1).to_string() },
                )
                .await
                .expect("read");
            assert_eq!(rows.first("i"), Some(&Value::Int(i + 1)));
        }));
    }
    let writer = store.write("CREATE (:Thing {uid: 'late'})", Params::new());
    writer.await.expect("write beside reads");
    for t in tasks {
        t.await.expect("task");
    }
}

/// Expands to one `#[tokio::test]` per contract check, each on a fresh store
/// made by `$make` (an async expression returning
/// `Option<Arc<dyn GraphStore>>`; `None` skips the check, for a backend whose
/// server is not available, and says so).
#[macro_export]
macro_rules! graph_store_contract_tests {
    ($make:expr) => {
        $crate::graph_store_contract_tests!(@each $make;
            parameters_round_trip, addresses_survive, reads_are_read_only,
            syntax_errors_have_a_position, graph_values, batches_write_and_merge,
            batches_are_atomic, batches_replace, binaries_are_replaced_and_removed,
            large_binaries_are_replaced,
            schema_is_idempotent, concurrent_reads);
    };
    (@each $make:expr; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(store) = $make.await else {
                    eprintln!("skipped {}: no server for this backend", stringify!($name));
                    return;
                };
                $crate::graph::contract::$name(store).await;
            }
        )*
    };
}
