// A page of relationships for `bingraph export` on Bolt servers: in id order,
// $skip then at most $page. Returns start, end, type, props, rid.
MATCH (a)-[r]->(b)
RETURN id(a) AS start, id(b) AS end, type(r) AS type, properties(r) AS props, id(r) AS rid
ORDER BY rid
SKIP $skip
LIMIT $page
