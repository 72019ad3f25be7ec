// Binaries that define a function of this name (default: main), with its address and size there.
// param name: "main"
MATCH (b:Binary)-[:DEFINES]->(f:Function {name: $name})
RETURN b.sha256 AS binary, b.arch AS arch, f.addr AS addr, f.size AS size
ORDER BY binary
