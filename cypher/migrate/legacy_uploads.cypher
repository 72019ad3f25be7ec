// Who uploaded which binary, as versions before the account store linked
// them in the analysis graph. Returns user, sha256, size, first_at, at, count.
MATCH (u:User)-[r:UPLOADED]->(b:Binary)
RETURN u.uid AS user, b.sha256 AS sha256, b.size AS size, r.first_at AS first_at,
       r.at AS at, r.count AS count
