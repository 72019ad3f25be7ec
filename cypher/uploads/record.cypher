// Record that the user $user (uid) uploaded the binary $sha256 ($size bytes)
// at $now; $names and $tags are every file name and tag that user gave it.
// One record per user and binary ($uid = "<user>:<sha256>"). Returns the
// upload count.
MERGE (x:Upload {uid: $uid})
ON CREATE SET x.user = $user, x.sha256 = $sha256, x.first_at = $now, x.count = 0
SET x.size = $size, x.names = $names, x.tags = $tags, x.at = $now, x.count = x.count + 1
RETURN x.count AS count
