// Remove a binary's findings ($sha256), found by their `binary` property
// (before the binary: a finding has edges from both the binary and a
// function, and some backends refuse to delete one edge twice). Deletes at most 10,000 per run
// and returns how many (`deleted`): run until 0 (ArcadeDB left some nodes
// behind when one statement deleted thousands).
MATCH (f:Finding {binary: $sha256})
WITH f LIMIT 10000
DETACH DELETE f
RETURN count(*) AS deleted
