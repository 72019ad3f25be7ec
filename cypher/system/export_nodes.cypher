// A page of nodes for `bingraph export`: ids above $after, in id order, at most $page.
// Returns id, n.
MATCH (n)
WHERE id(n) > $after
RETURN id(n) AS id, n
ORDER BY id
LIMIT $page
