// Remove a binary's strings (and their REFERENCES). Deletes at most 10,000 per run
// and returns how many (`deleted`): run until 0 (ArcadeDB left some nodes
// behind when one statement deleted thousands).
MATCH (s:String {binary: $sha256})
WITH s LIMIT 10000
DETACH DELETE s
RETURN count(*) AS deleted
