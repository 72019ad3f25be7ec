// End a job held by $runner: succeeded, failed or cancelled; returns uid.
MATCH (j:Job {uid: $uid}) WHERE j.state = 'running' AND j.runner = $runner
SET j.state = $state, j.finished_at = $now, j.duration_ms = $duration_ms,
    j.error_code = $error_code, j.error = $error, j.binaries = $binaries,
    j.report_sha256 = $report_sha256, j.phases = $phases, j.findings = $findings,
    j.risk_score = $risk_score, j.risk_level = $risk_level, j.runner = null, j.lease_until = null
RETURN j.uid AS uid
