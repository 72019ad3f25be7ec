// Remove a binary ($sha256) and the nodes linked to it (functions, sections,
// symbols, findings); shared Import nodes stay. Strings and globals go by
// delete_strings / delete_globals. Returns nothing.
MATCH (b:Binary {sha256: $sha256})
OPTIONAL MATCH (b)-[:DEFINES|HAS_SECTION|HAS_SYMBOL|HAS_FINDING]->(n)
DETACH DELETE n, b
