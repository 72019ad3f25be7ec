// Store a new API key for the user $user (uid). Only the key's hash and its
// first characters are stored. Returns the key node.
MATCH (u:User {uid: $user})
CREATE (u)-[:OWNS]->(k:ApiKey {uid: $id, name: $name, prefix: $prefix, hash: $hash,
  scopes: $scopes, tier: $tier, created_at: $now, expires_at: $expires_at,
  revoked: false})
RETURN k
