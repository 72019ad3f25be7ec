// How many jobs a user has queued or running; returns n.
MATCH (j:Job {owner: $owner}) WHERE j.state IN ['queued', 'running'] RETURN count(j) AS n
