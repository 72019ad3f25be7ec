// Remove a binary's findings ($sha256), found by their `binary` property
// (before the binary: a finding has edges from both the binary and a
// function, and some backends refuse to delete one edge twice). Returns nothing.
MATCH (f:Finding {binary: $sha256}) DETACH DELETE f
