// The user named $name: one row (u), or none.
MATCH (u:User {name: $name})
RETURN u
