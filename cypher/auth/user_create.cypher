// Create a user unless the name is taken (the hash is peppered). Returns the user and whether this
// call created it (`created` is false when the name already existed).
MERGE (u:User {name: $name})
ON CREATE SET u.uid = $uid, u.password_hash = $password_hash, u.pepper = true, u.scopes = $scopes,
              u.tier = $tier, u.disabled = false, u.created_at = $now
RETURN u, u.uid = $uid AS created
