// API keys with their owner's name, oldest first: all of them when $user is
// null, else those of the user named $user.
MATCH (u:User)-[:OWNS]->(k:ApiKey)
WHERE $user IS NULL OR u.name = $user
RETURN k, u.name AS user
ORDER BY k.created_at, k.uid
