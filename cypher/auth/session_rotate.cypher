// Move the session $sid from refresh token $old to $new (peppered hashes of
// their ids), only if $old is the current one and the session is live. One
// row when rotated, none otherwise (the caller then treats $old as reused).
MATCH (s:Session {uid: $sid})
WHERE s.current = $old AND s.revoked = false
SET s.current = $new, s.rotated_at = $now
RETURN s.uid AS sid
