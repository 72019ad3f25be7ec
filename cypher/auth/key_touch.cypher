// Record that the API key $id was used at $now. Returns nothing.
MATCH (k:ApiKey {uid: $id})
SET k.last_used_at = $now
