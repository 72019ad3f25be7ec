// Record that a user ($user, the uid) uploaded a binary ($sha256) at $now.
// Returns the relationship's count of uploads.
MATCH (u:User {uid: $user}), (b:Binary {sha256: $sha256})
MERGE (u)-[r:UPLOADED]->(b)
ON CREATE SET r.first_at = $now, r.count = 0
SET r.at = $now, r.count = r.count + 1
RETURN r.count AS count
