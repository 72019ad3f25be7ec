// Forget every upload of the binary $sha256 (it was deleted). Returns nothing.
MATCH (x:Upload {sha256: $sha256}) DETACH DELETE x
