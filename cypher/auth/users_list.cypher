// Every user with the number of live API keys they own, by name.
MATCH (u:User)
OPTIONAL MATCH (u)-[:OWNS]->(k:ApiKey)
WHERE k.revoked = false
RETURN u, count(k) AS keys
ORDER BY u.name
