// Remove a binary's globals (and their REFERENCES). Deletes at most 10,000 per run
// and returns how many (`deleted`): run until 0 (ArcadeDB left some nodes
// behind when one statement deleted thousands).
MATCH (g:Global {binary: $sha256})
WITH g LIMIT 10000
DETACH DELETE g
RETURN count(*) AS deleted
