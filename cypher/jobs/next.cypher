// Queued jobs ready to run, highest priority then oldest first; returns uid.
MATCH (j:Job {state: 'queued'})
WHERE coalesce(j.not_before_ms, 0) <= $now_ms
RETURN j.uid AS uid ORDER BY j.priority DESC, j.created_ms ASC LIMIT 16
