// Remove a binary's functions with their CALLS, REFERENCES, SIMILAR_TO and
// HAS_FINDING links. Returns nothing.
MATCH (:Binary {sha256: $sha256})-[:DEFINES]->(n:Function)
DETACH DELETE n
