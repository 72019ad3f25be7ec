// Put a job held by $runner back in the queue after a transient failure; returns uid.
MATCH (j:Job {uid: $uid}) WHERE j.state = 'running' AND j.runner = $runner
SET j.state = 'queued', j.runner = null, j.lease_until = null,
    j.not_before_ms = $not_before_ms, j.error = $error
RETURN j.uid AS uid
