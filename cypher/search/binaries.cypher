// Every binary with the stamp of its last write, to compare with the index.
// Returns sha256, stamp.
MATCH (b:Binary)
RETURN b.sha256 AS sha256, b.ingested_at AS stamp
