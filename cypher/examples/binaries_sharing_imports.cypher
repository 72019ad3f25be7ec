// Pairs of binaries that import the most functions in common.
MATCH (a:Binary)-[:IMPORTS]->(i:Import)<-[:IMPORTS]-(b:Binary)
WHERE a.sha256 < b.sha256
RETURN a.sha256 AS binary_a, b.sha256 AS binary_b, count(i) AS shared_imports
ORDER BY shared_imports DESC
LIMIT 25
