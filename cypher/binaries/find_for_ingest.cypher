// Binaries already stored for a file: the file itself, or the slices of a fat
// Mach-O whose container is $sha256. Returns sha256, model_version, first_seen, size.
MATCH (b:Binary)
WHERE b.sha256 = $sha256 OR b.container_sha256 = $sha256
RETURN b.sha256 AS sha256, b.model_version AS model_version, b.first_seen AS first_seen, b.size AS size
