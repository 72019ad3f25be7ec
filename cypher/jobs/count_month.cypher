// Jobs a user submitted since $since_ms (the start of the month); returns n.
MATCH (j:Job {owner: $owner}) WHERE j.created_ms >= $since_ms RETURN count(j) AS n
