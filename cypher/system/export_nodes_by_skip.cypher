// A page of nodes for `bingraph export` on servers where id() cannot be
// compared in WHERE (ArcadeDB): in id order, $skip then at most $page.
// Returns id, n.
MATCH (n)
RETURN id(n) AS id, n
ORDER BY id
SKIP $skip
LIMIT $page
