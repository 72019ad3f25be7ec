// Users kept in the analysis graph by versions before the account store.
// Returns u.
MATCH (u:User) RETURN u
