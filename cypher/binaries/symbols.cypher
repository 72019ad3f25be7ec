// One page of a binary's symbols, filtered by kind and name prefix (null = any),
// ordered by address then name. Returns s.
MATCH (:Binary {sha256: $sha256})-[:HAS_SYMBOL]->(s:Symbol)
WHERE ($kind IS NULL OR s.kind = $kind) AND ($prefix IS NULL OR s.name STARTS WITH $prefix)
RETURN s
ORDER BY s.addr, s.name
SKIP $skip LIMIT $limit
