// One job by id; returns the node as j.
MATCH (j:Job {uid: $uid}) RETURN j
