// Indexes for the embedded backend (graphdblite). Applied at every open;
// an index that already exists is left as it is.
// Every node written by ingest has a unique `uid`; lookups by uid are how
// batched writes find relationship ends and how the API finds functions.
CREATE INDEX ON :Binary(uid);
CREATE INDEX ON :Binary(sha256);
CREATE INDEX ON :Binary(sha1);
CREATE INDEX ON :Binary(md5);
CREATE INDEX ON :Binary(container_sha256);
CREATE INDEX ON :Section(uid);
CREATE INDEX ON :Function(uid);
CREATE INDEX ON :Function(name);
CREATE INDEX ON :Import(uid);
CREATE INDEX ON :Import(name);
CREATE INDEX ON :Symbol(uid);
CREATE INDEX ON :Symbol(name);
CREATE INDEX ON :String(uid);
CREATE INDEX ON :Global(uid);
