// Revoke the API key $id (kept, marked revoked). Returns the key and its
// owner's name, or nothing when there is no such key.
MATCH (u:User)-[:OWNS]->(k:ApiKey {uid: $id})
SET k.revoked = true, k.revoked_at = coalesce(k.revoked_at, $now)
RETURN k, u.name AS user
