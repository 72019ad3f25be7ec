// Names of the functions a binary ($sha256) imports. Returns name.
MATCH (b:Binary {sha256: $sha256})-[:IMPORTS]->(i:Import)
RETURN i.name AS name
