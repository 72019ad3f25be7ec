// Ask a queued or running job to stop; returns its state (no row: already finished).
MATCH (j:Job {uid: $uid}) WHERE j.state IN ['queued', 'running']
SET j.cancel = true
RETURN j.state AS state
