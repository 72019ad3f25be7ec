// Remove users (and their UPLOADED links) from the analysis graph once they
// are in the account store; run after drop_keys and drop_sessions.
MATCH (u:User) DETACH DELETE u
