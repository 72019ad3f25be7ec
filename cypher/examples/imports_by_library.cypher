// A binary's imports grouped by library, largest group first.
// param sha256: ""
MATCH (b:Binary {sha256: $sha256})-[:IMPORTS]->(i:Import)
RETURN i.library AS library, count(i) AS imports, collect(i.name) AS names
ORDER BY imports DESC, library
