// Mean run time of succeeded jobs; returns ms (null when there are none).
MATCH (j:Job {state: 'succeeded'}) RETURN avg(j.duration_ms) AS ms
