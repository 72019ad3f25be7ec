// Remove a job node and its ANALYZES relationships; returns nothing.
MATCH (j:Job {uid: $uid}) DETACH DELETE j
