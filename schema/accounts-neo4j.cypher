// Constraints and indexes of the account store on Neo4j 5 (a database of its
// own, `[accounts] database`): users, API keys, sessions, usage, uploads and
// analysis jobs. Idempotent.
CREATE CONSTRAINT user_uid IF NOT EXISTS FOR (n:User) REQUIRE n.uid IS UNIQUE;
CREATE CONSTRAINT user_name IF NOT EXISTS FOR (n:User) REQUIRE n.name IS UNIQUE;
CREATE CONSTRAINT apikey_uid IF NOT EXISTS FOR (n:ApiKey) REQUIRE n.uid IS UNIQUE;
CREATE CONSTRAINT apikey_hash IF NOT EXISTS FOR (n:ApiKey) REQUIRE n.hash IS UNIQUE;
CREATE CONSTRAINT session_uid IF NOT EXISTS FOR (n:Session) REQUIRE n.uid IS UNIQUE;
CREATE CONSTRAINT usage_uid IF NOT EXISTS FOR (n:Usage) REQUIRE n.uid IS UNIQUE;
CREATE CONSTRAINT job_uid IF NOT EXISTS FOR (n:Job) REQUIRE n.uid IS UNIQUE;
CREATE INDEX job_state IF NOT EXISTS FOR (n:Job) ON (n.state);
CREATE INDEX job_owner IF NOT EXISTS FOR (n:Job) ON (n.owner);
CREATE INDEX job_file IF NOT EXISTS FOR (n:Job) ON (n.file_sha256);
CREATE CONSTRAINT upload_uid IF NOT EXISTS FOR (n:Upload) REQUIRE n.uid IS UNIQUE;
CREATE INDEX upload_user IF NOT EXISTS FOR (n:Upload) ON (n.user);
CREATE INDEX upload_sha256 IF NOT EXISTS FOR (n:Upload) ON (n.sha256);
