// What a user ($user, the uid) uploaded: distinct binaries in all, their bytes,
// and how many were uploaded at or after $since (RFC 3339).
MATCH (u:User {uid: $user})-[r:UPLOADED]->(b:Binary)
RETURN count(b) AS binaries, sum(b.size) AS bytes,
       sum(CASE WHEN r.at >= $since THEN 1 ELSE 0 END) AS in_period
