// One function by uid ("<sha256>:<addr hex>"). Returns f.
MATCH (f:Function {uid: $uid})
RETURN f
