// What a user ($user, the uid) uploaded: distinct binaries in all, their bytes,
// and how many were uploaded at or after $since (RFC 3339).
MATCH (x:Upload {user: $user})
RETURN count(x) AS binaries, sum(x.size) AS bytes,
       sum(CASE WHEN x.at >= $since THEN 1 ELSE 0 END) AS in_period
