// Remove analysis jobs (and their ANALYZES links) from the analysis graph.
MATCH (j:Job) DETACH DELETE j
