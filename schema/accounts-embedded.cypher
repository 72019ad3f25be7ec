// Indexes of the account store on the embedded backend (graphdblite,
// `accounts.db`): users, their API keys (looked up by peppered hash on every
// request), login sessions, usage tallies, uploads and analysis jobs.
// Applied at every open; an index that already exists is left as it is.
CREATE INDEX ON :User(uid);
CREATE INDEX ON :User(name);
CREATE INDEX ON :ApiKey(uid);
CREATE INDEX ON :ApiKey(hash);
CREATE INDEX ON :Session(uid);
CREATE INDEX ON :Usage(uid);
CREATE INDEX ON :Upload(uid);
CREATE INDEX ON :Upload(user);
CREATE INDEX ON :Upload(sha256);
// Analysis jobs: by id, by state (the queue), by owner and by input file.
CREATE INDEX ON :Job(uid);
CREATE INDEX ON :Job(state);
CREATE INDEX ON :Job(owner);
CREATE INDEX ON :Job(file_sha256);
