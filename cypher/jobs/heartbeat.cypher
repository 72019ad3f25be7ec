// Renew the lease while $runner holds the job; returns cancel (no row: the lease was lost).
MATCH (j:Job {uid: $uid}) WHERE j.state = 'running' AND j.runner = $runner
SET j.lease_until = $lease_ms
RETURN coalesce(j.cancel, false) AS cancel
