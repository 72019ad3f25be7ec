// A binary by its sha1 (lowercase hex). Returns b, the Binary node (0 or 1 row).
MATCH (b:Binary {sha1: $hash})
RETURN b
