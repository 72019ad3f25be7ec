//! Bulk writes (bingraph patch, see PATCHES.md).
//!
//! [`crate::edge::create_edge`] reads, decodes, inserts into, re-encodes and
//! rewrites the whole adjacency list of both ends for every edge, so a node
//! of degree n costs O(n²) to build, and `delete_node` has the same shape.
//! These functions write the same rows (the on-disk format is unchanged) but
//! merge each adjacency list once per call, reserve ids and sequence numbers
//! in one block, list a label's indexes once, and update the counters once.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use rusqlite::Connection;

use crate::edge::{adj_key, edge_props_key, edge_props_prefix, get_all_edge_labels};
use crate::fts::{self, FtsIndexInfo};
use crate::id::{reserve_edge_seqs, reserve_node_ids};
use crate::index;
use crate::node;
use crate::stats;
use crate::storage::encoding::{decode_id_list, encode_id_list};
use crate::storage::kv;
use crate::types::{validate_name, Direction, GraphError, NodeId, NodeRecord, Properties, Result};

/// A label's btree index tables (with their columns) and fulltext indexes.
struct LabelIndexes {
    btree: Vec<(String, Vec<String>)>,
    fulltext: Vec<FtsIndexInfo>,
}

impl LabelIndexes {
    fn of(conn: &Connection, label: &str) -> Result<Self> {
        Ok(Self {
            btree: index::index_tables_for_label(conn, label)?,
            fulltext: fts::list_fulltext_indexes_for_label(conn, label)?,
        })
    }
}

fn serialization(e: impl std::fmt::Display) -> GraphError {
    GraphError::Serialization {
        context: String::new(),
        source: e.to_string(),
        hint: None,
    }
}

/// Create one node per entry of `nodes`, all with `labels`; returns their
/// ids in order (consecutive).
pub fn create_nodes(
    conn: &Connection,
    labels: &[String],
    nodes: Vec<Properties>,
) -> Result<Vec<NodeId>> {
    for label in labels {
        validate_name(label)?;
    }
    for props in &nodes {
        for key in props.keys() {
            validate_name(key)?;
        }
    }
    if nodes.is_empty() {
        return Ok(Vec::new());
    }
    let labels = node::normalize_labels(labels);
    let label_col = labels.join(":");
    let indexes = labels
        .iter()
        .map(|l| LabelIndexes::of(conn, l))
        .collect::<Result<Vec<_>>>()?;
    let first = reserve_node_ids(conn, nodes.len() as u64)?.0;
    let mut put = conn
        .prepare_cached("INSERT OR REPLACE INTO nodes (key, label, value) VALUES (?1, ?2, ?3)")?;
    let mut ids = Vec::with_capacity(nodes.len());
    let mut record = NodeRecord {
        labels: labels.clone(),
        properties: Properties::new(),
    };
    for (i, properties) in nodes.into_iter().enumerate() {
        let id = NodeId(first + i as u64);
        record.properties = properties;
        let data = rmp_serde::to_vec(&record).map_err(serialization)?;
        put.execute(rusqlite::params![&id.to_be_bytes()[..], label_col, data])?;
        for idx in &indexes {
            for (table, columns) in &idx.btree {
                index::write_index_entry(conn, table, columns, id, &record.properties, true)?;
            }
            for info in &idx.fulltext {
                fts::update_fts_for_node_one_index(conn, id, info, None, &record.properties)?;
            }
        }
        ids.push(id);
    }
    for label in &labels {
        stats::add_to_label_count(conn, label, ids.len() as i64)?;
    }
    Ok(ids)
}

/// Create every `(src, dst, label, properties)` edge; returns their sequence
/// numbers in order. Both ends of every edge must exist.
pub fn create_edges(
    conn: &Connection,
    edges: Vec<(NodeId, NodeId, &str, Properties)>,
) -> Result<Vec<u64>> {
    let mut labels: HashMap<&str, u64> = HashMap::new();
    let mut ends: BTreeSet<u64> = BTreeSet::new();
    for (src, dst, label, props) in &edges {
        if !labels.contains_key(label) {
            validate_name(label)?;
        }
        *labels.entry(label).or_default() += 1;
        for key in props.keys() {
            validate_name(key)?;
        }
        ends.insert(src.0);
        ends.insert(dst.0);
    }
    for id in ends.into_iter().map(NodeId) {
        if !node::node_exists(conn, id)? {
            return Err(GraphError::NodeNotFound { id, hint: None });
        }
    }
    let first = reserve_edge_seqs(conn, edges.len() as u64)?;
    let mut out: BTreeMap<Vec<u8>, Vec<u64>> = BTreeMap::new();
    let mut inc: BTreeMap<Vec<u8>, Vec<u64>> = BTreeMap::new();
    let mut seqs = Vec::with_capacity(edges.len());
    for (i, (src, dst, label, props)) in edges.into_iter().enumerate() {
        let seq = first + i as u64;
        let data = rmp_serde::to_vec(&props).map_err(serialization)?;
        kv::put(
            conn,
            kv::TABLE_EDGE_PROPS,
            &edge_props_key(src, dst, label, seq),
            &data,
        )?;
        out.entry(adj_key(src, label)).or_default().push(dst.0);
        inc.entry(adj_key(dst, label)).or_default().push(src.0);
        seqs.push(seq);
    }
    merge_adjacency(conn, kv::TABLE_ADJ_OUT, out)?;
    merge_adjacency(conn, kv::TABLE_ADJ_IN, inc)?;
    for (label, n) in labels {
        stats::add_to_edge_type_count(conn, label, n)?;
    }
    Ok(seqs)
}

/// Add ids to adjacency lists, each list read and written once, in key order.
fn merge_adjacency(
    conn: &Connection,
    table: &str,
    additions: BTreeMap<Vec<u8>, Vec<u64>>,
) -> Result<()> {
    for (key, mut ids) in additions {
        if let Some(data) = kv::get(conn, table, &key)? {
            ids.extend(decode_id_list(&data)?);
        }
        ids.sort_unstable();
        ids.dedup();
        kv::put(conn, table, &key, &encode_id_list(&ids))?;
    }
    Ok(())
}

/// Remove ids from adjacency lists, each list read and written once; a list
/// left empty is deleted.
fn prune_adjacency(
    conn: &Connection,
    table: &str,
    removals: BTreeMap<Vec<u8>, HashSet<u64>>,
) -> Result<()> {
    for (key, gone) in removals {
        let Some(data) = kv::get(conn, table, &key)? else {
            continue;
        };
        let mut ids = decode_id_list(&data)?;
        ids.retain(|id| !gone.contains(id));
        if ids.is_empty() {
            kv::delete(conn, table, &key)?;
        } else {
            kv::put(conn, table, &key, &encode_id_list(&ids))?;
        }
    }
    Ok(())
}

/// Every parallel `(src, dst, label)` edge's property row; returns how many.
fn delete_edge_rows(conn: &Connection, src: NodeId, dst: NodeId, label: &str) -> Result<u64> {
    let rows = kv::scan_prefix(
        conn,
        kv::TABLE_EDGE_PROPS,
        &edge_props_prefix(src, dst, label),
    )?;
    for (key, _) in &rows {
        kv::delete(conn, kv::TABLE_EDGE_PROPS, key)?;
    }
    Ok(rows.len() as u64)
}

/// Delete these nodes with every edge that touches them (`DETACH DELETE`);
/// returns how many were deleted. Ids that do not exist are skipped.
/// Neighbours outside the set have their adjacency lists pruned once each.
pub fn delete_nodes(conn: &Connection, ids: &[NodeId]) -> Result<u64> {
    let set: HashSet<u64> = ids.iter().map(|id| id.0).collect();
    let mut order: Vec<u64> = set.iter().copied().collect();
    order.sort_unstable();
    let mut indexes: HashMap<String, LabelIndexes> = HashMap::new();
    let mut label_counts: HashMap<String, i64> = HashMap::new();
    let mut edge_counts: HashMap<String, u64> = HashMap::new();
    let mut prune_out: BTreeMap<Vec<u8>, HashSet<u64>> = BTreeMap::new();
    let mut prune_in: BTreeMap<Vec<u8>, HashSet<u64>> = BTreeMap::new();
    let mut deleted = 0;
    for raw in order {
        let id = NodeId(raw);
        let Some(data) = kv::get(conn, kv::TABLE_NODES, &id.to_be_bytes())? else {
            continue;
        };
        let record: NodeRecord = rmp_serde::from_slice(&data).map_err(serialization)?;
        // Every edge is in exactly one out-list: its source's. Edges from a
        // node outside the set are only in this node's in-lists.
        for (label, dsts) in get_all_edge_labels(conn, id, Direction::Outgoing)? {
            for dst in dsts {
                *edge_counts.entry(label.clone()).or_default() +=
                    delete_edge_rows(conn, id, NodeId(dst), &label)?;
                if !set.contains(&dst) {
                    prune_in
                        .entry(adj_key(NodeId(dst), &label))
                        .or_default()
                        .insert(raw);
                }
            }
            kv::delete(conn, kv::TABLE_ADJ_OUT, &adj_key(id, &label))?;
        }
        for (label, srcs) in get_all_edge_labels(conn, id, Direction::Incoming)? {
            for src in srcs.into_iter().filter(|s| !set.contains(s)) {
                *edge_counts.entry(label.clone()).or_default() +=
                    delete_edge_rows(conn, NodeId(src), id, &label)?;
                prune_out
                    .entry(adj_key(NodeId(src), &label))
                    .or_default()
                    .insert(raw);
            }
            kv::delete(conn, kv::TABLE_ADJ_IN, &adj_key(id, &label))?;
        }
        for label in &record.labels {
            if !indexes.contains_key(label) {
                indexes.insert(label.clone(), LabelIndexes::of(conn, label)?);
            }
            let idx = &indexes[label];
            for (table, columns) in &idx.btree {
                index::write_index_entry(conn, table, columns, id, &record.properties, false)?;
            }
            fts::remove_fts_with_infos(conn, id, &idx.fulltext, &record.properties)?;
            *label_counts.entry(label.clone()).or_default() -= 1;
        }
        kv::delete(conn, kv::TABLE_NODES, &id.to_be_bytes())?;
        deleted += 1;
    }
    prune_adjacency(conn, kv::TABLE_ADJ_OUT, prune_out)?;
    prune_adjacency(conn, kv::TABLE_ADJ_IN, prune_in)?;
    for (label, delta) in label_counts {
        stats::add_to_label_count(conn, &label, delta)?;
    }
    for (label, n) in edge_counts {
        stats::decrement_edge_type_count_by(conn, &label, n)?;
    }
    Ok(deleted)
}
