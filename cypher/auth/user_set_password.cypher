// Set the (peppered) password hash of the user named $name. Returns the user,
// or nothing.
MATCH (u:User {name: $name})
SET u.password_hash = $password_hash, u.pepper = true, u.updated_at = $now
RETURN u
