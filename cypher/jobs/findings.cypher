// The findings of one binary in the engine's order; returns f.
MATCH (b:Binary {sha256: $sha256})-[:HAS_FINDING]->(f:Finding)
RETURN f ORDER BY f.index
