//! The bulk writes (bingraph patch, PATCHES.md) against the per-element API:
//! the same operations in the same order must leave the same rows in every
//! table and answer the same Cypher.

use std::collections::HashMap;
use std::path::Path;

use graphdblite::{Database, NodeId, Properties, Value};

const FUNCTIONS: usize = 1500;

fn props(pairs: &[(&str, Value)]) -> Properties {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn open(path: &Path) -> Database {
    let mut db = Database::open(path).unwrap();
    db.execute("CREATE INDEX ON :Function(uid)").unwrap();
    db.execute("CREATE INDEX ON :Function(name)").unwrap();
    db
}

fn function(i: usize) -> Properties {
    props(&[
        ("uid", Value::String(format!("f{i}"))),
        ("name", Value::String(format!("sub_{:x}", i * 16))),
    ])
}

/// A hub with FUNCTIONS functions, calls between them (with a parallel
/// edge, a self-loop and a call to the hub), and a null property dropped.
fn edges(hub: NodeId, f: &[NodeId]) -> Vec<(NodeId, NodeId, &'static str, Properties)> {
    let mut out = Vec::new();
    for (i, &id) in f.iter().enumerate() {
        out.push((hub, id, "DEFINES", Properties::new()));
        out.push((
            id,
            f[(i * 7 + 3) % f.len()],
            "CALLS",
            props(&[("site", Value::I64(i as i64))]),
        ));
    }
    out.push((
        f[0],
        f[1],
        "CALLS",
        props(&[("site", Value::I64(-1)), ("gone", Value::Null)]),
    ));
    out.push((f[5], f[5], "CALLS", Properties::new()));
    out.push((f[9], hub, "BACK", Properties::new()));
    out
}

fn write_one_by_one(db: &mut Database) -> (NodeId, Vec<NodeId>) {
    let tx = db.write_tx().unwrap();
    let hub = tx
        .create_node("Binary", props(&[("uid", Value::String("bin".into()))]))
        .unwrap();
    let f: Vec<NodeId> = (0..FUNCTIONS)
        .map(|i| tx.create_node("Function", function(i)).unwrap())
        .collect();
    for (src, dst, label, p) in edges(hub, &f) {
        tx.create_edge(src, dst, label, p).unwrap();
    }
    tx.commit().unwrap();
    (hub, f)
}

fn write_in_bulk(db: &mut Database) -> (NodeId, Vec<NodeId>) {
    let tx = db.write_tx().unwrap();
    let hub = tx
        .create_nodes(
            &["Binary".to_string()],
            vec![props(&[("uid", Value::String("bin".into()))])],
        )
        .unwrap()[0];
    let f = tx
        .create_nodes(
            &["Function".to_string()],
            (0..FUNCTIONS).map(function).collect(),
        )
        .unwrap();
    tx.create_edges(edges(hub, &f)).unwrap();
    tx.commit().unwrap();
    (hub, f)
}

/// Every table's rows, keyed; node rows decoded (their property maps have
/// no fixed byte order).
fn tables(path: &Path, db: &mut Database) -> HashMap<String, Vec<(Vec<u8>, Vec<u8>)>> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut out = HashMap::new();
    for name in names {
        let rows: Vec<(Vec<u8>, Vec<u8>)> = if name == "nodes" {
            let keys: Vec<Vec<u8>> = conn
                .prepare("SELECT key FROM nodes ORDER BY key")
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let tx = db.read_tx().unwrap();
            keys.into_iter()
                .map(|k| {
                    let id = NodeId(u64::from_be_bytes(k[..8].try_into().unwrap()));
                    let n = tx.get_node(id).unwrap();
                    let mut p: Vec<_> = n.properties.into_iter().collect();
                    p.sort_by(|a, b| a.0.cmp(&b.0));
                    (k, format!("{:?} {:?}", n.labels, p).into_bytes())
                })
                .collect()
        } else {
            let sql = format!(
                "SELECT CAST(key AS BLOB), CAST(value AS BLOB) FROM \"{name}\" ORDER BY key"
            );
            conn.prepare(&sql)
                .unwrap()
                .query_map([], |r| {
                    Ok((
                        r.get(0)?,
                        r.get::<_, Option<Vec<u8>>>(1)?.unwrap_or_default(),
                    ))
                })
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        out.insert(name, rows);
    }
    out
}

const QUERIES: &[&str] = &[
    "MATCH (n) RETURN count(n) AS n",
    "MATCH ()-[r]->() RETURN count(r) AS n",
    "MATCH (:Binary {uid: 'bin'})-[:DEFINES]->(f:Function) RETURN count(f) AS n",
    "MATCH (a:Function {uid: 'f0'})-[r:CALLS]->(b) RETURN b.uid AS b, r.site AS site ORDER BY site",
    "MATCH (a:Function {name: 'sub_50'})-[:CALLS*1..3]->(b) RETURN count(DISTINCT b) AS n",
    "MATCH (a)-[:CALLS]->(b:Function {uid: 'f10'}) RETURN a.uid AS a ORDER BY a",
    "MATCH (f:Function) WHERE f.uid = 'f5' MATCH (f)-[:CALLS]->(f) RETURN count(*) AS n",
    "MATCH (f)-[:BACK]->(b:Binary) RETURN f.uid AS f",
];

fn count(db: &mut Database, query: &str) -> i64 {
    match db.execute(query).unwrap()[0].get("n") {
        Some(Value::I64(n)) => *n,
        other => panic!("{query}: {other:?}"),
    }
}

fn answers(db: &mut Database) -> Vec<String> {
    QUERIES
        .iter()
        .map(|q| format!("{:?}", db.execute(q).unwrap()))
        .collect()
}

#[test]
fn bulk_writes_leave_the_same_rows_and_answers_as_per_element_writes() {
    let dir = tempfile::tempdir().unwrap();
    let (pa, pb) = (dir.path().join("a.db"), dir.path().join("b.db"));
    let (mut a, mut b) = (open(&pa), open(&pb));
    let (hub_a, fa) = write_one_by_one(&mut a);
    let (hub_b, fb) = write_in_bulk(&mut b);
    assert_eq!((hub_a, &fa), (hub_b, &fb), "same ids in the same order");
    let written = tables(&pa, &mut a);
    for name in [
        "nodes",
        "adj_out",
        "adj_in",
        "edge_props",
        "metadata",
        "node_idx$^function$uid",
    ] {
        assert!(
            written.get(name).is_some_and(|rows| !rows.is_empty()),
            "{name}: {:?}",
            written.keys()
        );
    }
    assert_eq!(written, tables(&pb, &mut b));
    assert_eq!(count(&mut b, QUERIES[2]), FUNCTIONS as i64);
    assert_eq!(count(&mut b, QUERIES[1]), 2 * FUNCTIONS as i64 + 3);
    assert_eq!(answers(&mut a), answers(&mut b));

    // Detach-delete the hub and every third function: one by one, in bulk.
    let doomed: Vec<NodeId> = std::iter::once(hub_a)
        .chain(fa.iter().copied().step_by(3))
        .collect();
    let tx = a.write_tx().unwrap();
    for id in &doomed {
        tx.delete_node(*id).unwrap();
    }
    tx.commit().unwrap();
    let tx = b.write_tx().unwrap();
    // Twice and with an unknown id: each is deleted once, the rest skipped.
    let mut ids = doomed.clone();
    ids.push(doomed[1]);
    ids.push(NodeId(u64::MAX / 2));
    assert_eq!(tx.delete_nodes(&ids).unwrap(), doomed.len() as u64);
    tx.commit().unwrap();
    assert_eq!(tables(&pa, &mut a), tables(&pb, &mut b));
    assert_eq!(answers(&mut a), answers(&mut b));
    assert_eq!(
        count(&mut b, QUERIES[0]),
        (FUNCTIONS - FUNCTIONS.div_ceil(3)) as i64
    );
}

#[test]
fn an_edge_to_a_missing_node_fails_the_bulk_write_and_writes_nothing() {
    let mut db = Database::open_memory().unwrap();
    let tx = db.write_tx().unwrap();
    let f = tx
        .create_nodes(&["Function".to_string()], vec![function(0), function(1)])
        .unwrap();
    let err = tx
        .create_edges(vec![
            (f[0], f[1], "CALLS", Properties::new()),
            (f[0], NodeId(999_999), "CALLS", Properties::new()),
        ])
        .unwrap_err();
    assert!(
        matches!(err, graphdblite::GraphError::NodeNotFound { id, .. } if id == NodeId(999_999)),
        "{err:?}"
    );
    tx.commit().unwrap();
    assert_eq!(count(&mut db, QUERIES[1]), 0);
}

#[test]
fn bulk_writes_check_names_and_sizes_like_single_writes() {
    let mut db = Database::open_memory().unwrap();
    let tx = db.write_tx().unwrap();
    assert!(tx
        .create_nodes(&["bad label".to_string()], vec![Properties::new()])
        .is_err());
    assert!(tx
        .create_nodes(
            &["Ok".to_string()],
            vec![props(&[("bad key", Value::I64(1))])]
        )
        .is_err());
    let ids = tx
        .create_nodes(&["Ok".to_string()], vec![Properties::new(); 2])
        .unwrap();
    assert!(tx
        .create_edges(vec![(ids[0], ids[1], "BAD TYPE", Properties::new())])
        .is_err());
    assert_eq!(
        tx.create_nodes(&["Ok".to_string()], vec![]).unwrap(),
        vec![]
    );
    assert_eq!(tx.create_edges(vec![]).unwrap(), Vec::<u64>::new());
}
