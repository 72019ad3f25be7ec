// Every function of a binary, for the in-memory call graph.
// Returns uid, addr, size, name, demangled, source, instructions, cyclomatic, blocks.
MATCH (:Binary {sha256: $sha256})-[:DEFINES]->(f:Function)
RETURN f.uid AS uid, f.addr AS addr, f.size AS size, f.name AS name, f.demangled AS demangled,
       f.source AS source, f.instructions AS instructions, f.cyclomatic AS cyclomatic, f.blocks AS blocks
