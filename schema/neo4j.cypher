// Constraints and indexes for Neo4j 5 (the Bolt backend). Idempotent.
CREATE CONSTRAINT binary_uid IF NOT EXISTS FOR (n:Binary) REQUIRE n.uid IS UNIQUE;
CREATE INDEX binary_sha256 IF NOT EXISTS FOR (n:Binary) ON (n.sha256);
CREATE INDEX binary_sha1 IF NOT EXISTS FOR (n:Binary) ON (n.sha1);
CREATE INDEX binary_md5 IF NOT EXISTS FOR (n:Binary) ON (n.md5);
CREATE INDEX binary_container IF NOT EXISTS FOR (n:Binary) ON (n.container_sha256);
CREATE CONSTRAINT section_uid IF NOT EXISTS FOR (n:Section) REQUIRE n.uid IS UNIQUE;
CREATE CONSTRAINT function_uid IF NOT EXISTS FOR (n:Function) REQUIRE n.uid IS UNIQUE;
CREATE INDEX function_name IF NOT EXISTS FOR (n:Function) ON (n.name);
CREATE CONSTRAINT import_uid IF NOT EXISTS FOR (n:Import) REQUIRE n.uid IS UNIQUE;
CREATE INDEX import_name IF NOT EXISTS FOR (n:Import) ON (n.name);
CREATE CONSTRAINT symbol_uid IF NOT EXISTS FOR (n:Symbol) REQUIRE n.uid IS UNIQUE;
CREATE INDEX symbol_name IF NOT EXISTS FOR (n:Symbol) ON (n.name);
CREATE CONSTRAINT string_uid IF NOT EXISTS FOR (n:String) REQUIRE n.uid IS UNIQUE;
CREATE CONSTRAINT global_uid IF NOT EXISTS FOR (n:Global) REQUIRE n.uid IS UNIQUE;
CREATE INDEX string_binary IF NOT EXISTS FOR (n:String) ON (n.binary);
CREATE INDEX global_binary IF NOT EXISTS FOR (n:Global) ON (n.binary);
CREATE INDEX symbol_binary IF NOT EXISTS FOR (n:Symbol) ON (n.binary);
