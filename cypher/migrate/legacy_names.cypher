// File names versions before the account store kept on binaries. Returns
// sha256, size, names, first_seen.
MATCH (b:Binary) WHERE b.names IS NOT NULL
RETURN b.sha256 AS sha256, b.size AS size, b.names AS names, b.first_seen AS first_seen
