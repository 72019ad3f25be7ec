// Add $n API calls to a user's usage in one period ($uid = "<user>:<period>").
// Returns nothing useful.
MERGE (n:Usage {uid: $uid})
ON CREATE SET n.user = $user, n.period = $period, n.api_calls = $n
ON MATCH SET n.api_calls = n.api_calls + $n
RETURN n.api_calls AS api_calls
