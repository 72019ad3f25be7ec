// Jobs that analysed a file successfully (their ANALYZES links are made again
// when the file's binaries are rewritten); returns uid.
MATCH (j:Job {file_sha256: $sha256}) WHERE j.state = 'succeeded' RETURN j.uid AS uid
