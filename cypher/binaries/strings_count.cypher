// How many strings match the string filter. Returns total.
MATCH (:Binary {sha256: $sha256})-[:HAS_STRING]->(s:String)
WHERE $contains IS NULL OR s.value CONTAINS $contains
RETURN count(s) AS total
