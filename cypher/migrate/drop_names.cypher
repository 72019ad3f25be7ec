// Remove the file names versions before the account store kept on binaries.
MATCH (b:Binary) WHERE b.names IS NOT NULL REMOVE b.names
