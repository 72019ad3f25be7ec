// Remove a binary's strings (and their REFERENCES). Returns nothing.
MATCH (s:String {binary: $sha256})
DETACH DELETE s
