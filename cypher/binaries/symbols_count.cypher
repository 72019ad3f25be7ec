// How many symbols match the symbol filters. Returns total.
MATCH (s:Symbol {binary: $sha256})
WHERE ($kind IS NULL OR s.kind = $kind) AND ($prefix IS NULL OR s.name STARTS WITH $prefix)
RETURN count(s) AS total
