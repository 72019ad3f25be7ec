// A binary by its sha256 (lowercase hex). Returns b, the Binary node (0 or 1 row).
MATCH (b:Binary {sha256: $hash})
RETURN b
