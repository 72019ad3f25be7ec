// One page of jobs matching the filters (a null filter matches all), oldest first; returns j.
MATCH (j:Job)
WHERE ($owner IS NULL OR j.owner = $owner)
  AND ($status IS NULL OR j.state = $status)
  AND ($format IS NULL OR j.format = $format)
  AND ($arch IS NULL OR j.arch = $arch)
  AND ($since_ms IS NULL OR j.created_ms >= $since_ms)
  AND ($until_ms IS NULL OR j.created_ms < $until_ms)
  AND ($tag IS NULL OR $tag IN j.tags)
RETURN j ORDER BY j.created_ms ASC SKIP $skip LIMIT $limit
