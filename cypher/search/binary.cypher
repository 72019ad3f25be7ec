// The metadata of one binary ($sha256) that full-text search covers.
// Returns one row (none when the binary is gone).
MATCH (b:Binary {sha256: $sha256})
RETURN b.sha256 AS sha256, b.sha1 AS sha1, b.md5 AS md5,
       b.format AS format, b.arch AS arch, b.kind AS kind, b.os_abi AS os_abi,
       b.libraries AS libraries, b.build_id AS build_id, b.imphash AS imphash,
       b.soname AS soname, b.pdb_path AS pdb_path, b.interpreter AS interpreter,
       b.ingested_at AS stamp, b.function_count AS functions
