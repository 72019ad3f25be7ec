// The file names the binaries $shas were uploaded under: by the user $user
// (uid), or by anyone when $user is null. Returns sha256, names; first
// uploads first.
MATCH (x:Upload)
WHERE x.sha256 IN $shas AND ($user IS NULL OR x.user = $user)
RETURN x.sha256 AS sha256, x.names AS names
ORDER BY x.first_at, x.uid
