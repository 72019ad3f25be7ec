// Every function of a binary ($sha256) with its signature property (a JSON
// string, see src/search/signature.rs). Returns addr, name, signature.
MATCH (:Binary {sha256: $sha256})-[:DEFINES]->(f:Function)
RETURN f.addr AS addr, f.name AS name, f.signature AS signature
