// One page of a binary's symbols, filtered by kind and name prefix (null = any),
// ordered by address then name. Returns the symbol's properties as columns
// (sorting whole nodes of a large binary would hold them all in memory).
MATCH (s:Symbol {binary: $sha256})
WHERE ($kind IS NULL OR s.kind = $kind) AND ($prefix IS NULL OR s.name STARTS WITH $prefix)
WITH s.addr AS addr, s.name AS name, s.demangled AS demangled, s.kind AS kind,
     s.binding AS binding, s.size AS size, s.defined AS defined, s.dynamic AS dynamic,
     s.exported AS exported
ORDER BY addr, name
SKIP $skip LIMIT $limit
RETURN name, demangled, kind, binding, addr, size, defined, dynamic, exported
