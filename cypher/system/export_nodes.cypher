// The nodes with the ids in $ids, for `bingraph export` (the ids come from
// export_node_ids, so no whole nodes are sorted). Returns id, n.
UNWIND $ids AS i
MATCH (n)
WHERE id(n) = i
RETURN id(n) AS id, n
