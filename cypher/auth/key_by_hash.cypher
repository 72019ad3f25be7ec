// The API key whose SHA-256 is $hash and its owner: one row (k, u), or none.
MATCH (u:User)-[:OWNS]->(k:ApiKey {hash: $hash})
RETURN k, u
