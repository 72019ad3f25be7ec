// Tags of the analysis jobs that wrote a binary ($sha256). Returns tags (lists).
MATCH (j:Job)-[:ANALYZES]->(b:Binary {sha256: $sha256})
RETURN j.tags AS tags
