// Every import of a binary with its slot and stub (how many of its functions
// call each comes from the binary's call graph). Returns uid, library, name,
// slot, stub, ordinal.
MATCH (b:Binary {sha256: $sha256})-[r:IMPORTS]->(i:Import)
RETURN i.uid AS uid, i.library AS library, i.name AS name, r.slot AS slot, r.stub AS stub,
       r.ordinal AS ordinal
ORDER BY library, name
