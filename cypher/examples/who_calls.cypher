// Functions in every binary that call an import directly (default: system), with where they are.
// param name: "system"
MATCH (b:Binary)-[:DEFINES]->(f:Function)-[:CALLS]->(i:Import {name: $name})
RETURN b.sha256 AS binary, b.arch AS arch, f.name AS function, f.addr AS addr, i.uid AS import
ORDER BY binary, addr
