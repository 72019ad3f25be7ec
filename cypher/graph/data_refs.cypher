// Every data reference of a binary's functions. Returns from_addr, to_uid,
// label ('string' or 'global'), addr, value, kind, count.
MATCH (:Binary {sha256: $sha256})-[:DEFINES]->(f:Function)-[r:REFERENCES]->(d)
RETURN f.addr AS from_addr, d.uid AS to_uid,
       CASE WHEN d:String THEN 'string' ELSE 'global' END AS label,
       d.addr AS addr, coalesce(d.value, d.name) AS value, r.kind AS kind, r.count AS count
LIMIT $limit
