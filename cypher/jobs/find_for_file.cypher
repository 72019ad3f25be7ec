// The caller's newest job for a file that is queued, running or done; returns j.
MATCH (j:Job {file_sha256: $sha256})
WHERE j.owner = $owner AND j.state IN ['queued', 'running', 'succeeded']
RETURN j ORDER BY j.created_ms DESC LIMIT 1
