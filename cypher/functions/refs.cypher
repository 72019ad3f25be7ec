// The data a function references (strings and globals). Returns kind, count,
// site, label, addr, value (string text or global name).
MATCH (f:Function {uid: $uid})-[r:REFERENCES]->(d)
RETURN r.kind AS kind, r.count AS count, r.site AS site,
       CASE WHEN d:String THEN 'string' ELSE 'global' END AS label,
       d.addr AS addr, coalesce(d.value, d.name) AS value
ORDER BY site
