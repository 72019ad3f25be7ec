// How many symbols match the symbol filters. Returns total.
MATCH (:Binary {sha256: $sha256})-[:HAS_SYMBOL]->(s:Symbol)
WHERE ($kind IS NULL OR s.kind = $kind) AND ($prefix IS NULL OR s.name STARTS WITH $prefix)
RETURN count(s) AS total
