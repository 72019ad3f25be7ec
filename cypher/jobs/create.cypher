// Enqueue a job ($uid ...); returns the job node j, as made (queued). The job
// and its queue entry are one node.
CREATE (j:Job {uid: $uid, file_sha256: $file_sha256, name: $name, size: $size,
  owner: $owner, owner_name: $owner_name, state: 'queued', priority: $priority,
  tags: $tags, formats: $formats, force: $force, created_at: $created_at,
  created_ms: $created_ms, attempts: 0, phase: 0, phases: $phases, cancel: false})
RETURN j
