// Functions in one binary that reach an import (default: system) within 3 calls, nearest first.
// param sha256: ""
// param name: "system"
MATCH (b:Binary {sha256: $sha256})-[:DEFINES]->(f:Function)
MATCH p = (f)-[:CALLS*1..3]->(i:Import {name: $name})
RETURN f.name AS function, f.addr AS addr, min(length(p)) AS calls_away
ORDER BY calls_away, function
