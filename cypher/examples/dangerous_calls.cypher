// Calls to libc functions that invite overflows (gets, strcpy, strcat, sprintf, vsprintf), in every binary.
MATCH (b:Binary)-[:DEFINES]->(f:Function)-[c:CALLS]->(i:Import)
WHERE i.name IN ['gets', 'strcpy', 'strcat', 'sprintf', 'vsprintf']
RETURN b.sha256 AS binary, f.name AS function, f.addr AS addr, i.name AS callee, c.count AS sites
ORDER BY binary, addr
