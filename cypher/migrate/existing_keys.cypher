// Uids of the API keys already in the account store (a migration that stopped
// half-way is run again without doubling their links). Returns uid.
MATCH (k:ApiKey) RETURN k.uid AS uid
