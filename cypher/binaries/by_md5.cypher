// A binary by its md5 (lowercase hex). Returns b, the Binary node (0 or 1 row).
MATCH (b:Binary {md5: $hash})
RETURN b
