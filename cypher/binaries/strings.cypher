// One page of a binary's strings in file order, optionally only those
// containing $contains. Returns s.
MATCH (:Binary {sha256: $sha256})-[:HAS_STRING]->(s:String)
WHERE $contains IS NULL OR s.value CONTAINS $contains
RETURN s
ORDER BY s.offset
SKIP $skip LIMIT $limit
