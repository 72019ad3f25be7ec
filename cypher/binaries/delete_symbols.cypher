// Remove a binary's symbols. Returns nothing.
MATCH (:Binary {sha256: $sha256})-[:HAS_SYMBOL]->(n:Symbol)
DETACH DELETE n
