// Revoke the session $sid and with it every token of its family; $reason says
// why (logout, reuse). Returns the session id, or nothing.
MATCH (s:Session {uid: $sid})
SET s.revoked = true, s.revoked_at = coalesce(s.revoked_at, $now),
    s.revoked_reason = coalesce(s.revoked_reason, $reason)
RETURN s.uid AS sid
