//! One typed configuration, parsed once: defaults < `bingraph.toml` <
//! `BINGRAPH_*` environment < command-line flags.
//!
//! clap resolves flags over environment variables; values neither set there
//! fall back to the TOML file, then to the defaults below.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::analysis::AnalysisConfig;

/// The service's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Holds `graph.db`, `blobs/`, `keys/` and `index/`.
    pub data_dir: PathBuf,
    /// Graph backend: `embedded` (default).
    pub graph: String,
    /// Address `serve` listens on.
    pub listen: SocketAddr,
    /// Largest upload accepted by `POST /binaries`, in bytes.
    pub max_upload_bytes: u64,
    /// Wall-clock budget for analysing one binary.
    pub analysis_timeout: Duration,
    /// Call graphs kept in memory, counted in functions + calls.
    pub call_graph_cache_weight: u64,
    /// Most nodes returned by `/graph` before `truncated` is set.
    pub max_graph_nodes: usize,
    /// Log lines as JSON (`true`) or text.
    pub log_json: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            graph: "embedded".into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_upload_bytes: 256 * 1024 * 1024,
            analysis_timeout: Duration::from_secs(300),
            call_graph_cache_weight: 20_000_000,
            max_graph_nodes: 5_000,
            log_json: false,
        }
    }
}

/// What `bingraph.toml` may set (every key optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub graph: Option<String>,
    pub listen: Option<SocketAddr>,
    pub max_upload_bytes: Option<u64>,
    pub analysis_timeout_secs: Option<u64>,
    pub call_graph_cache_weight: Option<u64>,
    pub max_graph_nodes: Option<usize>,
    pub log_json: Option<bool>,
}

/// Values given by flags or environment (clap already merged those two).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub data_dir: Option<PathBuf>,
    pub graph: Option<String>,
    pub listen: Option<SocketAddr>,
    pub max_upload_bytes: Option<u64>,
    pub log_json: Option<bool>,
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
}

impl Config {
    /// Load `file` (if given, or `./bingraph.toml` if it exists), then apply overrides.
    pub fn load(file: Option<&Path>, over: Overrides) -> Result<Self, ConfigError> {
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
        Ok(Self::merge(from_file, over))
    }

    fn merge(file: FileConfig, over: Overrides) -> Self {
        let d = Config::default();
        Config {
            data_dir: over.data_dir.or(file.data_dir).unwrap_or(d.data_dir),
            graph: over.graph.or(file.graph).unwrap_or(d.graph),
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
            max_graph_nodes: file.max_graph_nodes.unwrap_or(d.max_graph_nodes),
            log_json: over.log_json.or(file.log_json).unwrap_or(d.log_json),
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
    fn unknown_keys_are_refused() {
        assert!(toml::from_str::<FileConfig>("data_dri = \"x\"").is_err());
    }
}
