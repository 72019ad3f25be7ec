// Running jobs and who holds them; returns uid, runner, lease_until.
MATCH (j:Job {state: 'running'}) RETURN j.uid AS uid, j.runner AS runner, j.lease_until AS lease_until
