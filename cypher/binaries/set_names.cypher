// Record the file names a binary was ingested under. Returns nothing.
MATCH (b:Binary {sha256: $sha256})
SET b.names = $names
