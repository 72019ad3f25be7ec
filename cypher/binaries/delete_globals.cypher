// Remove a binary's globals (and their REFERENCES). Returns nothing.
MATCH (g:Global {binary: $sha256})
DETACH DELETE g
