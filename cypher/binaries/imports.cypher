// Every import of a binary with its slot and stub, and how many of the
// binary's functions call it. Returns library, name, slot, stub, ordinal, callers.
MATCH (b:Binary {sha256: $sha256})-[r:IMPORTS]->(i:Import)
OPTIONAL MATCH (i)<-[:CALLS]-(f:Function {binary: $sha256})
RETURN i.library AS library, i.name AS name, r.slot AS slot, r.stub AS stub,
       r.ordinal AS ordinal, count(f) AS callers
ORDER BY library, name
