// Health check: proves the store answers a query. Returns ok = 1.
RETURN 1 AS ok
