// A binary's functions called from the most places (callers counted once each).
// param sha256: ""
MATCH (b:Binary {sha256: $sha256})-[:DEFINES]->(f:Function)
MATCH (caller:Function)-[:CALLS]->(f)
RETURN f.name AS function, f.addr AS addr, count(DISTINCT caller) AS callers
ORDER BY callers DESC, addr
LIMIT 25
