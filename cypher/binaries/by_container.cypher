// The slices of a fat Mach-O, by the sha256 of the whole file. Returns b per slice.
MATCH (b:Binary {container_sha256: $hash})
RETURN b
ORDER BY b.arch
