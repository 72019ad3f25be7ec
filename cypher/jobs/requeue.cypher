// Give a running job whose runner is gone back to the queue (only if $runner still holds it); returns uid.
MATCH (j:Job {uid: $uid}) WHERE j.state = 'running' AND j.runner = $runner
SET j.state = 'queued', j.runner = null, j.lease_until = null
RETURN j.uid AS uid
