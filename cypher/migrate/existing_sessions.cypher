// Uids of the login sessions already in the account store. Returns uid.
MATCH (s:Session) RETURN s.uid AS uid
