// The relationships leaving the nodes with the ids in $ids, for `bingraph
// export` (relationship ids are not portable, and graphdblite has none).
// Returns start, end, type, props.
UNWIND $ids AS i
MATCH (a)
WHERE id(a) = i
MATCH (a)-[r]->(b)
RETURN id(a) AS start, id(b) AS end, type(r) AS type, properties(r) AS props
