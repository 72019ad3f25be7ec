// The SIMILAR_TO links of a binary's functions, either direction. Returns
// from_uid, from_addr, to_uid, to_name, to_addr, score, exact.
MATCH (:Binary {sha256: $sha256})-[:DEFINES]->(f:Function)-[r:SIMILAR_TO]-(g:Function)
RETURN f.uid AS from_uid, f.addr AS from_addr, g.uid AS to_uid, g.name AS to_name,
       g.addr AS to_addr, r.score AS score, r.exact AS exact
LIMIT $limit
