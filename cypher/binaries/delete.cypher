// Remove a binary ($sha256) itself, once delete_strings, delete_globals,
// delete_findings, delete_sections, delete_symbols and delete_functions have
// removed what hangs off it (one kind per statement: ArcadeDB refuses to
// detach the same relationship twice when a node and its neighbours are
// deleted in one DETACH DELETE). Shared Import nodes stay. Returns nothing.
MATCH (b:Binary {sha256: $sha256})
DETACH DELETE b
