// Every symbol of a binary ($sha256), for the index. Returns name, demangled, addr, kind.
MATCH (s:Symbol {binary: $sha256})
RETURN s.name AS name, s.demangled AS demangled, s.addr AS addr, s.kind AS kind
