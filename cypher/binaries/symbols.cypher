// Every symbol of a binary (the API pages through them in memory, by address
// then name). Returns name, demangled, kind, binding, addr, size, defined,
// dynamic, exported.
MATCH (s:Symbol {binary: $sha256})
RETURN s.name AS name, s.demangled AS demangled, s.kind AS kind, s.binding AS binding,
       s.addr AS addr, s.size AS size, s.defined AS defined, s.dynamic AS dynamic,
       s.exported AS exported
