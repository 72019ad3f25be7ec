// The upload record $uid ("<user uid>:<sha256>"): one row (names, tags), or none.
MATCH (x:Upload {uid: $uid})
RETURN x.names AS names, x.tags AS tags
