// Remove API keys left in the analysis graph.
MATCH (k:ApiKey) DETACH DELETE k
