// Indexes for the embedded backend (graphdblite). Applied at every open;
// an index that already exists is left as it is.
// Every node written by ingest has a unique `uid`. Labels whose nodes are
// looked up by uid from outside their own batch (functions by the API,
// imports merged across binaries, symbols) index it; sections, strings and
// globals are only reached through relationships or `binary`, and every index
// costs time on each write, so they do not.
CREATE INDEX ON :Binary(sha256);
CREATE INDEX ON :Binary(sha1);
CREATE INDEX ON :Binary(md5);
CREATE INDEX ON :Binary(container_sha256);
CREATE INDEX ON :Function(uid);
CREATE INDEX ON :Function(name);
CREATE INDEX ON :Function(exact_hash);
CREATE INDEX ON :Import(uid);
CREATE INDEX ON :Import(name);
CREATE INDEX ON :Symbol(uid);
CREATE INDEX ON :Symbol(name);
CREATE INDEX ON :Symbol(binary);
CREATE INDEX ON :String(binary);
CREATE INDEX ON :Global(binary);
// Findings are listed per binary.
CREATE INDEX ON :Finding(binary);
