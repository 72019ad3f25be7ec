// How many binaries match the list filters. Returns total.
MATCH (b:Binary)
WHERE ($format IS NULL OR b.format = $format) AND ($arch IS NULL OR b.arch = $arch)
RETURN count(b) AS total
