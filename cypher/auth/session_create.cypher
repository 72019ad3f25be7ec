// Start a login session (a refresh-token family) for the user $user (uid);
// $jti is the peppered hash of the id of the refresh token that is current.
// Returns the session.
MATCH (u:User {uid: $user})
CREATE (u)-[:HAS_SESSION]->(s:Session {uid: $sid, user: $user, current: $jti,
  created_at: $now, expires_at: $expires_at, revoked: false})
RETURN s
