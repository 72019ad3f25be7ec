// Record phase progress and renew the lease, only while $runner holds the job;
// returns cancel (no row: the lease was lost).
MATCH (j:Job {uid: $uid}) WHERE j.state = 'running' AND j.runner = $runner
SET j.phases = $phases, j.phase = $phase, j.lease_until = $lease_ms,
    j.format = coalesce($format, j.format), j.arch = coalesce($arch, j.arch)
RETURN coalesce(j.cancel, false) AS cancel
