// The relationships leaving nodes whose ids are in ($after, $upto], for
// `bingraph export` (relationship ids are not portable across backends).
// Returns start, end, type, props.
MATCH (a)-[r]->(b)
WHERE id(a) > $after AND id(a) <= $upto
RETURN id(a) AS start, id(b) AS end, type(r) AS type, properties(r) AS props
