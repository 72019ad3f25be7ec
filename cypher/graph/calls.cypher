// Every call edge leaving a binary's functions: to its own functions (to_addr
// set) or to imports (to_library set). Returns from_addr, to_uid, to_addr,
// to_name, to_library, kind, count, site.
MATCH (:Binary {sha256: $sha256})-[:DEFINES]->(f:Function)-[c:CALLS]->(g)
RETURN f.addr AS from_addr, g.uid AS to_uid, g.addr AS to_addr, g.name AS to_name,
       g.library AS to_library, c.kind AS kind, c.count AS count, c.site AS site
