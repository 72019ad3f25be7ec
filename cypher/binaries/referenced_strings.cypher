// The addresses of a binary's strings that code references, with how many
// distinct functions reference each. Returns addr, functions.
MATCH (s:String {binary: $sha256})
OPTIONAL MATCH (s)<-[:REFERENCES]-(f)
RETURN s.addr AS addr, count(DISTINCT f) AS functions
