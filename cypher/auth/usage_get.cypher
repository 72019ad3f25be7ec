// A user's API calls in one period ($uid = "<user>:<period>"): one row, or none.
MATCH (n:Usage {uid: $uid})
RETURN n.api_calls AS api_calls
