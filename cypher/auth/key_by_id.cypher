// The API key $id and its owner's name: one row (k, user), or none.
MATCH (u:User)-[:OWNS]->(k:ApiKey {uid: $id})
RETURN k, u.name AS user
