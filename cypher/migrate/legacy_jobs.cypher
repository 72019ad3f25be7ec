// Analysis jobs kept in the analysis graph by versions before the account
// store. Returns j.
MATCH (j:Job) RETURN j
