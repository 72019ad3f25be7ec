// Login sessions kept in the analysis graph by versions before the account
// store. Returns s (its `user` is the owner's uid).
MATCH (s:Session) RETURN s
