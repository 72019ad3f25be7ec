// Every upload of the binary $sha256: user (uid), names, tags; first uploads
// first.
MATCH (x:Upload {sha256: $sha256})
RETURN x.user AS user, x.names AS names, x.tags AS tags
ORDER BY x.first_at, x.uid
