// Remove a binary's symbols. Deletes at most 10,000 per run
// and returns how many (`deleted`): run until 0 (ArcadeDB left some nodes
// behind when one statement deleted thousands).
MATCH (:Binary {sha256: $sha256})-[:HAS_SYMBOL]->(n:Symbol)
WITH n LIMIT 10000
DETACH DELETE n
RETURN count(*) AS deleted
