// Usage tallies kept in the analysis graph by versions before the account
// store. Returns n.
MATCH (n:Usage) RETURN n
