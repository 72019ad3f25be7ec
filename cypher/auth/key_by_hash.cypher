// The API key whose peppered hash is $hash and its owner: one row (k, u), or none.
MATCH (u:User)-[:OWNS]->(k:ApiKey {hash: $hash})
RETURN k, u
