// One page of binaries, optionally filtered by format and arch (null = any),
// newest ingest first. Returns b.
MATCH (b:Binary)
WHERE ($format IS NULL OR b.format = $format) AND ($arch IS NULL OR b.arch = $arch)
RETURN b
ORDER BY b.ingested_at DESC, b.sha256
SKIP $skip LIMIT $limit
