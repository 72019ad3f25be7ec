// Remove login sessions left in the analysis graph.
MATCH (s:Session) DETACH DELETE s
