// Remove a binary's sections. Returns nothing.
MATCH (:Binary {sha256: $sha256})-[:HAS_SECTION]->(n:Section)
DETACH DELETE n
