// Binaries missing a hardening feature (PIE, NX, stack canary, full RELRO).
MATCH (b:Binary)
WHERE b.pie = false OR b.nx = false OR b.canary = false OR b.relro <> 'full'
RETURN b.sha256 AS binary, b.arch AS arch, b.format AS format, b.pie AS pie, b.nx AS nx,
       b.canary AS canary, b.relro AS relro
ORDER BY binary
