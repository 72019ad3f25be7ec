// Remove a binary's functions with their CALLS, REFERENCES, SIMILAR_TO and
// HAS_FINDING links. Deletes at most 10,000 per run
// and returns how many (`deleted`): run until 0 (ArcadeDB left some nodes
// behind when one statement deleted thousands).
MATCH (:Binary {sha256: $sha256})-[:DEFINES]->(n:Function)
WITH n LIMIT 10000
DETACH DELETE n
RETURN count(*) AS deleted
