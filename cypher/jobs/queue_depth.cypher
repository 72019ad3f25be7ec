// Jobs per state; returns state, n.
MATCH (j:Job) RETURN j.state AS state, count(j) AS n
