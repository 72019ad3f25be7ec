// Cancel a job that has not started; returns uid (no row: it started meanwhile).
MATCH (j:Job {uid: $uid}) WHERE j.state = 'queued'
SET j.state = 'cancelled', j.finished_at = $now, j.error_code = 'cancelled', j.error = $error
RETURN j.uid AS uid
