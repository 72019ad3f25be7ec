// How many binaries the graph holds. Returns binaries.
MATCH (b:Binary)
RETURN count(b) AS binaries
