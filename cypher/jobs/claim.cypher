// Take a queued job for runner $runner (no row if another runner took it first); returns j.
MATCH (j:Job {uid: $uid}) WHERE j.state = 'queued'
SET j.state = 'running', j.runner = $runner, j.lease_until = $lease_ms,
    j.attempts = coalesce(j.attempts, 0) + 1, j.started_at = $now
RETURN j
