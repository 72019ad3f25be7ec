// Disable or enable the user named $name. Returns the user, or nothing.
MATCH (u:User {name: $name})
SET u.disabled = $disabled, u.updated_at = $now
RETURN u
