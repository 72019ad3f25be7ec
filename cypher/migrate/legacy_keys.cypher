// API keys kept in the analysis graph by versions before the account store,
// with their owner's uid. Returns user, k.
MATCH (u:User)-[:OWNS]->(k:ApiKey) RETURN u.uid AS user, k
