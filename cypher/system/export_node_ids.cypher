// The next page of node ids above $after, in order, at most $page. Returns id.
MATCH (n)
WHERE id(n) > $after
RETURN id(n) AS id
ORDER BY id
LIMIT $page
