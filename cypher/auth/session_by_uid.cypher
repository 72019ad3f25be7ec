// The session $sid: one row (s), or none.
MATCH (s:Session {uid: $sid})
RETURN s
