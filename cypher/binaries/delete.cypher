// Remove a binary ($sha256) and every node it owns; shared Import nodes stay.
// Returns nothing.
MATCH (b:Binary {sha256: $sha256})
OPTIONAL MATCH (b)-[:DEFINES|HAS_SECTION|HAS_SYMBOL|HAS_STRING|HAS_GLOBAL]->(n)
DETACH DELETE n, b
