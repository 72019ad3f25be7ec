// Remove a binary ($sha256) and the nodes linked to it (functions, sections,
// symbols); shared Import nodes stay. Strings, globals and findings go first by
// delete_strings / delete_globals / delete_findings. Returns nothing.
MATCH (b:Binary {sha256: $sha256})
OPTIONAL MATCH (b)-[:DEFINES|HAS_SECTION|HAS_SYMBOL]->(n)
DETACH DELETE n, b
