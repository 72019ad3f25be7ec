//! One typed configuration, parsed once: defaults < `bingraph.toml` <
//! `BINGRAPH_*` environment < command-line flags.
//!
//! clap resolves flags over environment variables; [`Config::load`] adds the
//! variables that have no flag (secrets, which a flag would show in `ps`, and
//! the Bolt settings); values set nowhere fall back to the TOML file, then to
//! the defaults below.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::analysis::AnalysisConfig;
use crate::auth::rate_limit::Tier;
use crate::auth::{AuthSettings, Secret};
use crate::jobs::JobsConfig;

/// The service's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Holds `graph.db`, `blobs/`, `keys/` and `index/`.
    pub data_dir: PathBuf,
    /// Graph backend: `embedded` (default) or `bolt://host:port`.
    pub graph: String,
    /// Bolt user (`BINGRAPH_GRAPH_USER`, default `neo4j`).
    pub graph_user: String,
    /// Bolt password (`BINGRAPH_GRAPH_PASSWORD`).
    pub graph_password: Option<Secret>,
    /// Bolt database (`BINGRAPH_GRAPH_DATABASE`; default: the server's).
    pub graph_database: Option<String>,
    /// Where accounts and submissions live on the Bolt backend: a database of
    /// their own on the same server (`[accounts] database`,
    /// `BINGRAPH_ACCOUNTS_DATABASE`). Unset: the embedded file
    /// `accounts.db` in the data directory (a single API node). Never the
    /// graph's database.
    pub accounts_database: Option<String>,
    /// Address `serve` listens on.
    pub listen: SocketAddr,
    /// Largest upload accepted by `POST /binaries`, in bytes.
    pub max_upload_bytes: u64,
    /// Wall-clock budget for analysing one binary.
    pub analysis_timeout: Duration,
    /// Call graphs kept in memory, counted in functions + calls.
    pub call_graph_cache_weight: u64,
    /// Parsed binaries kept in memory for disassembly pages, in MiB of
    /// their files (the first function page of a binary parses it; the
    /// others reuse the parse while it stays within this budget).
    pub parsed_cache_mb: u64,
    /// How often a running server checks that the search index agrees with
    /// the graph (it also does at start).
    pub index_reconcile: Duration,
    /// Most nodes returned by `/graph` before `truncated` is set.
    pub max_graph_nodes: usize,
    /// Log lines as JSON (`true`) or text.
    pub log_json: bool,
    /// Most rows `POST /cypher` returns.
    pub cypher_max_rows: usize,
    /// Most bytes of JSON rows `POST /cypher` returns.
    pub cypher_max_result_bytes: usize,
    /// Longest `timeout_ms` a Cypher request may ask for.
    pub cypher_max_timeout: Duration,
    /// Accounts, tokens and rate limits.
    pub auth: AuthSettings,
    /// The analysis job workers.
    pub jobs: JobsConfig,
    pub ingest: IngestConfig,
}

/// How the analysis uses the machine (the `[ingest]` table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestConfig {
    /// Threads of the pool the per-function analysis work runs on
    /// (discovery, signatures, rules, similarity queries); 0: one per core.
    pub threads: usize,
    /// Files `bingraph ingest` keeps in flight (the graph write of one
    /// overlaps the analysis of the next); `--jobs` overrides it.
    pub files: usize,
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            threads: 0,
            files: 2,
        }
    }
}

/// The `[ingest]` table of `bingraph.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestFile {
    pub threads: Option<usize>,
    pub files: Option<usize>,
}

/// The `[auth]` table of `bingraph.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthFile {
    pub access_token_ttl_secs: Option<u64>,
    pub refresh_token_ttl_secs: Option<u64>,
    pub default_tier: Option<String>,
    pub admin_tier: Option<String>,
    pub login_attempts_per_min: Option<u32>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            graph: "embedded".into(),
            graph_user: "neo4j".into(),
            graph_password: None,
            graph_database: None,
            accounts_database: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_upload_bytes: 256 * 1024 * 1024,
            analysis_timeout: Duration::from_secs(300),
            call_graph_cache_weight: 20_000_000,
            parsed_cache_mb: 512,
            index_reconcile: Duration::from_secs(60),
            max_graph_nodes: 5_000,
            log_json: false,
            cypher_max_rows: 10_000,
            cypher_max_result_bytes: 16 * 1024 * 1024,
            cypher_max_timeout: Duration::from_secs(300),
            auth: AuthSettings::default(),
            jobs: JobsConfig::default(),
            ingest: IngestConfig::default(),
        }
    }
}

/// The `[jobs]` table of `bingraph.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobsFile {
    /// Jobs run at once by one process (default 2).
    pub workers: Option<usize>,
    /// Wall-clock limit of one job (default 900).
    pub timeout_secs: Option<u64>,
    /// Attempts before a job is failed for good (default 3).
    pub max_attempts: Option<u32>,
    /// Stop a job when the process's resident memory passes this (default: 3/4 of RAM; 0: off).
    pub memory_limit_mb: Option<u64>,
}

/// The `[accounts]` table of `bingraph.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountsFile {
    /// The Bolt database that holds accounts (not the graph's).
    pub database: Option<String>,
}

/// What `bingraph.toml` may set (every key optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub graph: Option<String>,
    pub graph_user: Option<String>,
    pub graph_database: Option<String>,
    pub listen: Option<SocketAddr>,
    pub max_upload_bytes: Option<u64>,
    pub analysis_timeout_secs: Option<u64>,
    pub call_graph_cache_weight: Option<u64>,
    pub parsed_cache_mb: Option<u64>,
    pub index_reconcile_secs: Option<u64>,
    pub max_graph_nodes: Option<usize>,
    pub log_json: Option<bool>,
    pub cypher_max_rows: Option<usize>,
    pub cypher_max_result_bytes: Option<usize>,
    pub cypher_max_timeout_secs: Option<u64>,
    #[serde(default)]
    pub auth: AuthFile,
    #[serde(default)]
    pub jobs: JobsFile,
    #[serde(default)]
    pub accounts: AccountsFile,
    #[serde(default)]
    pub ingest: IngestFile,
    /// Tiers to add, or to replace the built-in ones of the same name.
    #[serde(default)]
    pub tiers: BTreeMap<String, Tier>,
}

/// Values given by flags or environment (clap already merged those two).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub data_dir: Option<PathBuf>,
    pub graph: Option<String>,
    pub listen: Option<SocketAddr>,
    pub max_upload_bytes: Option<u64>,
    pub log_json: Option<bool>,
    pub admin_password: Option<Secret>,
    pub graph_user: Option<String>,
    pub graph_password: Option<Secret>,
    pub graph_database: Option<String>,
    pub accounts_database: Option<String>,
    /// `BINGRAPH_WORKERS`.
    pub workers: Option<usize>,
    /// `BINGRAPH_THREADS` (or `ingest --threads`).
    pub threads: Option<usize>,
}

impl Overrides {
    /// Fill what the flags left unset from the `BINGRAPH_*` variables that
    /// have no flag; `lookup` reads one variable (empty counts as unset).
    pub fn or_env(mut self, lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &str| lookup(name).filter(|v| !v.is_empty());
        fill(&mut self.admin_password, || {
            var("BINGRAPH_ADMIN_PASSWORD").map(Secret::new)
        });
        fill(&mut self.graph_user, || var("BINGRAPH_GRAPH_USER"));
        fill(&mut self.graph_password, || {
            var("BINGRAPH_GRAPH_PASSWORD").map(Secret::new)
        });
        fill(&mut self.graph_database, || var("BINGRAPH_GRAPH_DATABASE"));
        fill(&mut self.accounts_database, || {
            var("BINGRAPH_ACCOUNTS_DATABASE")
        });
        fill_count(
            &mut self.workers,
            "BINGRAPH_WORKERS",
            var("BINGRAPH_WORKERS"),
            1,
            "a whole number of at least 1",
        )?;
        fill_count(
            &mut self.threads,
            "BINGRAPH_THREADS",
            var("BINGRAPH_THREADS"),
            0,
            "a whole number (0: one per core)",
        )?;
        Ok(self)
    }
}

fn fill<T>(slot: &mut Option<T>, value: impl FnOnce() -> Option<T>) {
    if slot.is_none() {
        *slot = value();
    }
}

/// A whole number of at least `min` from the variable `name` into `slot`,
/// when the flags left it unset; `rule` says what is accepted.
fn fill_count(
    slot: &mut Option<usize>,
    name: &str,
    value: Option<String>,
    min: usize,
    rule: &str,
) -> Result<(), ConfigError> {
    let (None, Some(v)) = (&slot, value) else {
        return Ok(());
    };
    let n = v
        .parse::<usize>()
        .ok()
        .filter(|n| *n >= min)
        .ok_or_else(|| ConfigError::Invalid(format!("{name} is '{v}'; it must be {rule}")))?;
    *slot = Some(n);
    Ok(())
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the config file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("the configuration is not valid: {0}")]
    Invalid(String),
}

impl Config {
    /// Where the graph and the account store are.
    pub fn graph_config(&self) -> crate::graph::GraphConfig {
        crate::graph::GraphConfig {
            data_dir: self.data_dir.clone(),
            uri: self.graph.clone(),
            user: self.graph_user.clone(),
            password: self
                .graph_password
                .as_ref()
                .map(|p| p.expose().to_string())
                .unwrap_or_default(),
            database: self.graph_database.clone(),
            accounts_database: self.accounts_database.clone(),
        }
    }

    /// Load `file` (if given, or `./bingraph.toml` if it exists), then apply
    /// the environment and the overrides (flags win over both).
    pub fn load(file: Option<&Path>, over: Overrides) -> Result<Self, ConfigError> {
        let over = over.or_env(|name| std::env::var(name).ok())?;
        let default_file = Path::new("bingraph.toml");
        let file = match file {
            Some(f) => Some(f),
            None if default_file.exists() => Some(default_file),
            None => None,
        };
        let from_file = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
                toml::from_str::<FileConfig>(&text).map_err(|e| ConfigError::Parse {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                })?
            }
            None => FileConfig::default(),
        };
        let config = Self::merge(from_file, over);
        config.check()?;
        Ok(config)
    }

    /// Settings that cannot work together.
    pub fn check(&self) -> Result<(), ConfigError> {
        let a = &self.auth;
        for (what, tier) in [
            ("default_tier", &a.default_tier),
            ("admin_tier", &a.admin_tier),
        ] {
            if !a.tiers.contains_key(tier) {
                return Err(ConfigError::Invalid(format!(
                    "auth.{what} is '{tier}', but the tiers are: {}",
                    a.tiers.keys().cloned().collect::<Vec<_>>().join(", ")
                )));
            }
        }
        if let Some((name, _)) = a.tiers.iter().find(|(_, t)| {
            t.requests_per_min == 0
                || t.submissions_per_min == 0
                || t.downloads_per_min == 0
                || t.concurrent_jobs == 0
        }) {
            return Err(ConfigError::Invalid(format!(
                "tier '{name}' has a limit of 0; every limit must be at least 1"
            )));
        }
        if let Some(db) = &self.accounts_database {
            if self.graph == "embedded" || self.graph.is_empty() {
                return Err(ConfigError::Invalid(format!(
                    "accounts.database is '{db}', but the graph is embedded: accounts then live in accounts.db in the data directory; remove the setting or use a bolt:// graph"
                )));
            }
            if self.graph_database.as_deref() == Some(db.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "accounts.database must not be the graph's database ('{db}'): analysts' Cypher would read the accounts"
                )));
            }
        }
        Ok(())
    }

    fn merge(file: FileConfig, over: Overrides) -> Self {
        let d = Config::default();
        let da = d.auth;
        let mut tiers = da.tiers;
        tiers.extend(file.tiers);
        let auth = AuthSettings {
            access_ttl: file
                .auth
                .access_token_ttl_secs
                .map_or(da.access_ttl, Duration::from_secs),
            refresh_ttl: file
                .auth
                .refresh_token_ttl_secs
                .map_or(da.refresh_ttl, Duration::from_secs),
            default_tier: file.auth.default_tier.unwrap_or(da.default_tier),
            admin_tier: file.auth.admin_tier.unwrap_or(da.admin_tier),
            tiers,
            login_attempts_per_min: file
                .auth
                .login_attempts_per_min
                .unwrap_or(da.login_attempts_per_min),
            admin_password: over.admin_password,
        };
        let dj = d.jobs;
        let jobs = JobsConfig {
            workers: over
                .workers
                .or(file.jobs.workers)
                .unwrap_or(dj.workers)
                .max(1),
            timeout: file
                .jobs
                .timeout_secs
                .map_or(dj.timeout, |s| Duration::from_secs(s.max(1))),
            max_attempts: file.jobs.max_attempts.unwrap_or(dj.max_attempts).max(1),
            memory_limit_mb: file.jobs.memory_limit_mb.unwrap_or(dj.memory_limit_mb),
            lease: dj.lease,
        };
        let di = d.ingest;
        let ingest = IngestConfig {
            threads: over.threads.or(file.ingest.threads).unwrap_or(di.threads),
            files: file.ingest.files.unwrap_or(di.files).max(1),
        };
        Config {
            jobs,
            ingest,
            data_dir: over.data_dir.or(file.data_dir).unwrap_or(d.data_dir),
            graph: over.graph.or(file.graph).unwrap_or(d.graph),
            graph_user: over.graph_user.or(file.graph_user).unwrap_or(d.graph_user),
            graph_password: over.graph_password,
            graph_database: over.graph_database.or(file.graph_database),
            accounts_database: over.accounts_database.or(file.accounts.database),
            listen: over.listen.or(file.listen).unwrap_or(d.listen),
            max_upload_bytes: over
                .max_upload_bytes
                .or(file.max_upload_bytes)
                .unwrap_or(d.max_upload_bytes),
            analysis_timeout: file
                .analysis_timeout_secs
                .map_or(d.analysis_timeout, Duration::from_secs),
            call_graph_cache_weight: file
                .call_graph_cache_weight
                .unwrap_or(d.call_graph_cache_weight),
            parsed_cache_mb: file.parsed_cache_mb.unwrap_or(d.parsed_cache_mb),
            index_reconcile: file
                .index_reconcile_secs
                .map_or(d.index_reconcile, |s| Duration::from_secs(s.max(1))),
            max_graph_nodes: file.max_graph_nodes.unwrap_or(d.max_graph_nodes),
            log_json: over.log_json.or(file.log_json).unwrap_or(d.log_json),
            cypher_max_rows: file.cypher_max_rows.unwrap_or(d.cypher_max_rows).max(1),
            cypher_max_result_bytes: file
                .cypher_max_result_bytes
                .unwrap_or(d.cypher_max_result_bytes),
            cypher_max_timeout: file
                .cypher_max_timeout_secs
                .map_or(d.cypher_max_timeout, |s| Duration::from_secs(s.max(1))),
            auth,
        }
    }

    /// The analysis limits that follow from this configuration.
    pub fn analysis(&self) -> AnalysisConfig {
        AnalysisConfig {
            max_file_size: self.max_upload_bytes.max(1 << 30),
            time_budget: self.analysis_timeout,
            ..AnalysisConfig::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_file_and_file_beats_defaults() {
        let file: FileConfig = toml::from_str(
            "data_dir = \"/srv/bg\"\nlisten = \"0.0.0.0:9000\"\nmax_graph_nodes = 10\n",
        )
        .unwrap();
        let over = Overrides {
            listen: Some("127.0.0.1:7000".parse().unwrap()),
            ..Overrides::default()
        };
        let c = Config::merge(file, over);
        assert_eq!(c.data_dir, PathBuf::from("/srv/bg"));
        assert_eq!(c.listen.port(), 7000);
        assert_eq!(c.max_graph_nodes, 10);
        assert_eq!(c.graph, "embedded");
    }

    #[test]
    fn tiers_from_the_file_add_to_the_defaults() {
        let file: FileConfig = toml::from_str(
            "[auth]\ndefault_tier = \"bench\"\n[tiers.bench]\nrequests_per_min = 1000000\nsubmissions_per_min = 100\ndownloads_per_min = 100\nconcurrent_jobs = 4\n",
        )
        .unwrap();
        let c = Config::merge(file, Overrides::default());
        assert!(c.check().is_ok());
        assert_eq!(c.auth.tiers["bench"].requests_per_min, 1_000_000);
        assert_eq!(c.auth.tiers["starter"].requests_per_min, 60);
        let file: FileConfig = toml::from_str("[auth]\ndefault_tier = \"gold\"\n").unwrap();
        let err = Config::merge(file, Overrides::default())
            .check()
            .unwrap_err();
        assert!(err.to_string().contains("gold"), "{err}");
    }

    #[test]
    fn the_account_store_is_never_the_graph_s_database() {
        let bolt = |graph_db: Option<&str>, accounts: Option<&str>| Config {
            graph: "bolt://127.0.0.1:7687".into(),
            graph_database: graph_db.map(String::from),
            accounts_database: accounts.map(String::from),
            ..Config::default()
        };
        assert!(bolt(Some("graph"), Some("accounts")).check().is_ok());
        assert!(bolt(Some("graph"), None).check().is_ok());
        let same = bolt(Some("graph"), Some("graph")).check().unwrap_err();
        assert!(
            same.to_string().contains("must not be the graph's"),
            "{same}"
        );
        let embedded = Config {
            accounts_database: Some("accounts".into()),
            ..Config::default()
        };
        assert!(embedded
            .check()
            .unwrap_err()
            .to_string()
            .contains("accounts.db"));
    }

    #[test]
    fn the_environment_fills_only_what_the_flags_left_unset() {
        let env = |name: &str| match name {
            "BINGRAPH_GRAPH_USER" => Some("env-user".to_string()),
            "BINGRAPH_GRAPH_DATABASE" => Some(String::new()),
            "BINGRAPH_ADMIN_PASSWORD" => Some("s3cret".to_string()),
            "BINGRAPH_WORKERS" => Some("3".to_string()),
            _ => None,
        };
        let over = Overrides {
            graph_user: Some("flag-user".into()),
            ..Overrides::default()
        }
        .or_env(env)
        .unwrap();
        assert_eq!(over.graph_user.as_deref(), Some("flag-user"));
        assert_eq!(over.graph_database, None, "empty means unset");
        assert_eq!(over.admin_password.unwrap().expose(), "s3cret");
        assert_eq!(over.workers, Some(3));
        let c = Config::merge(
            FileConfig::default(),
            Overrides::default().or_env(env).unwrap(),
        );
        assert_eq!(c.graph_user, "env-user");
        assert_eq!(c.jobs.workers, 3);
        let bad = Overrides::default()
            .or_env(|n| (n == "BINGRAPH_WORKERS").then(|| "many".to_string()))
            .unwrap_err();
        assert!(
            bad.to_string().contains("BINGRAPH_WORKERS is 'many'"),
            "{bad}"
        );
    }

    #[test]
    fn ingest_threads_from_file_environment_and_flag() {
        let file = || toml::from_str::<FileConfig>("[ingest]\nthreads = 1\nfiles = 4\n").unwrap();
        let c = Config::merge(file(), Overrides::default());
        assert_eq!(
            c.ingest,
            IngestConfig {
                threads: 1,
                files: 4
            }
        );
        assert_eq!(
            Config::default().ingest,
            IngestConfig {
                threads: 0,
                files: 2
            }
        );
        let env = |n: &str| (n == "BINGRAPH_THREADS").then(|| "3".to_string());
        let c = Config::merge(file(), Overrides::default().or_env(env).unwrap());
        assert_eq!(c.ingest.threads, 3, "the environment beats the file");
        let flag = Overrides {
            threads: Some(2),
            ..Overrides::default()
        };
        assert_eq!(
            Config::merge(file(), flag.or_env(env).unwrap())
                .ingest
                .threads,
            2
        );
        let bad = Overrides::default()
            .or_env(|n| (n == "BINGRAPH_THREADS").then(|| "all".to_string()))
            .unwrap_err();
        assert!(
            bad.to_string().contains("BINGRAPH_THREADS is 'all'"),
            "{bad}"
        );
        assert!(toml::from_str::<FileConfig>("[ingest]\nthread = 1\n").is_err());
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(toml::from_str::<FileConfig>("data_dri = \"x\"").is_err());
    }
}
