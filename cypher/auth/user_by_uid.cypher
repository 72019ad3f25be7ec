// The user with id $uid: one row (u), or none.
MATCH (u:User {uid: $uid})
RETURN u
