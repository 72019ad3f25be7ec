// Remove usage tallies from the analysis graph.
MATCH (n:Usage) DETACH DELETE n
