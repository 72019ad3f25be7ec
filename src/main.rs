//! `bingraph` command line. Thin: parses arguments and configuration, sets up
//! logging, and calls into the library (`bingraph::cli`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use bingraph::auth::accounts::NewKeyRequest;
use bingraph::cli::{self, QueryFormat};
use bingraph::config::{Config, Overrides};
use bingraph::graph::Value;
use clap::{Parser, Subcommand};

/// mimalloc rather than glibc's malloc: with the analysis on several threads
/// glibc keeps an arena per thread and returns little of it, so the resident
/// size ran to about twice the live heap (python3.11 ingest: 275 MB live,
/// 625 MB resident). Built without transparent huge pages (see Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "bingraph",
    version,
    about = "Binary intelligence as a property graph"
)]
struct Cli {
    /// Data directory (graph.db, blobs/, keys/, index/).
    #[arg(long, global = true, env = "BINGRAPH_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Graph backend: `embedded`, or `bolt://host:port` (with BINGRAPH_GRAPH_USER,
    /// BINGRAPH_GRAPH_PASSWORD, BINGRAPH_GRAPH_DATABASE).
    #[arg(long, global = true, env = "BINGRAPH_GRAPH")]
    graph: Option<String>,
    /// Config file (default: ./bingraph.toml when it exists).
    #[arg(long, global = true, env = "BINGRAPH_CONFIG")]
    config: Option<PathBuf>,
    /// Log lines as JSON.
    #[arg(long, global = true, env = "BINGRAPH_LOG_JSON")]
    log_json: Option<bool>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the REST API.
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080].
        #[arg(long, env = "BINGRAPH_LISTEN")]
        listen: Option<SocketAddr>,
        /// Largest upload accepted, in bytes [default: 268435456].
        #[arg(long, env = "BINGRAPH_MAX_UPLOAD_BYTES")]
        max_upload_bytes: Option<u64>,
    },
    /// Ingest files and directories (walked) into the graph.
    Ingest {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Re-analyse binaries that are already stored.
        #[arg(long)]
        force: bool,
        /// Files in flight at once (default: `[ingest] files`, 2): the graph
        /// write of one overlaps the analysis of the next.
        #[arg(long)]
        jobs: Option<usize>,
        /// Analysis threads (default: `[ingest] threads`, `BINGRAPH_THREADS`;
        /// 0: one per core).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Run a Cypher query against the graph (read-only unless --write).
    Query {
        cypher: String,
        #[arg(long, value_enum, default_value_t = QueryFormat::Table)]
        format: QueryFormat,
        /// A parameter, `name=value`; the value is read as JSON when it parses, else as a string.
        #[arg(long = "param", value_parser = cli::parse_param)]
        params: Vec<(String, Value)>,
        /// Allow the query to write.
        #[arg(long)]
        write: bool,
    },
    /// Full-text search over symbols, strings and binaries in the index.
    Search {
        /// Words to find (all must match: whole, by prefix, or by their parts).
        text: Vec<String>,
        /// Only `symbol`, `string` or `binary` hits.
        #[arg(long)]
        kind: Option<String>,
        /// Only hits in this binary (sha256).
        #[arg(long)]
        binary: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long, default_value_t = 1)]
        page: usize,
        /// Print the hits as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Rebuild the search index from the graph (and the stored files' strings).
    Reindex,
    /// Manage users (works on the data directory, with or without a running server).
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Manage API keys (works on the data directory, with or without a running server).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Write the whole analysis graph as JSON lines (to move it to another
    /// backend); with --accounts, the account store instead.
    Export {
        /// Output file, or `-` for stdout.
        #[arg(long, short, default_value = "-")]
        output: PathBuf,
        /// Export the account store (users, keys, sessions, uploads, jobs;
        /// secrets stay peppered: the target needs the same keys/pepper).
        #[arg(long)]
        accounts: bool,
    },
    /// Read a file made by `export` into the graph (best into an empty one);
    /// with --accounts, into the account store.
    Import {
        /// Input file, or `-` for stdin.
        input: PathBuf,
        /// Import into the account store (a file made by `export --accounts`).
        #[arg(long)]
        accounts: bool,
    },
    /// Analyse one file and print its facts as JSON (no store needed).
    Analyze {
        file: PathBuf,
        /// Print counts only, not the full facts.
        #[arg(long)]
        summary: bool,
        /// Skip disassembly (identity, layout, symbols and strings only).
        #[arg(long)]
        no_code: bool,
    },
    /// Check a downloaded report against its signed provenance, offline.
    /// Exits 0 when the signature holds and the report is one it signs.
    Verify {
        /// The report file (any format: json, sarif, html, md).
        report: PathBuf,
        /// The provenance document (GET /analysis/{job_id}/provenance).
        provenance: PathBuf,
        /// Require this signer: its public key (base64) or key id
        /// (GET /provenance/key).
        #[arg(long)]
        key: Option<String>,
    },
    /// Print the disassembly of the function at ADDR (hex with 0x, or decimal).
    Disasm {
        file: PathBuf,
        addr: String,
        /// Which binary of a fat file.
        #[arg(long, default_value_t = 0)]
        slice: usize,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Add a user. The password is read from stdin with --password-stdin,
    /// else generated and printed once.
    Add {
        name: String,
        /// Comma-separated: read, write, admin.
        #[arg(long, default_value = "read,write")]
        scopes: String,
        /// Rate-limit tier [default: auth.default_tier].
        #[arg(long)]
        tier: Option<String>,
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users.
    List,
    /// Disable a user: their keys and tokens stop working.
    Disable { name: String },
    /// Enable a disabled user.
    Enable { name: String },
    /// Set a user's password (from stdin with --password-stdin, else generated and printed).
    Passwd {
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Make an API key; the key is printed alone on the last line of stdout.
    Create {
        /// Owner [default: admin].
        #[arg(long)]
        user: Option<String>,
        /// Comma-separated: read, write, admin.
        #[arg(long, required = true)]
        scopes: String,
        /// Days until the key stops working [default: never].
        #[arg(long)]
        expires: Option<u32>,
        /// A label for people.
        #[arg(long)]
        name: Option<String>,
        /// Rate-limit tier [default: the owner's].
        #[arg(long)]
        tier: Option<String>,
    },
    /// List keys (never the keys themselves).
    List {
        /// Only this user's keys.
        #[arg(long)]
        user: Option<String>,
    },
    /// Revoke a key by id.
    Revoke { id: String },
}

fn init_logging(json: bool, default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only on a terminal, not in files or pipes.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let mut over = Overrides {
        data_dir: cli.data_dir,
        graph: cli.graph,
        log_json: cli.log_json,
        ..Overrides::default()
    };
    if let Command::Serve {
        listen,
        max_upload_bytes,
    } = &cli.command
    {
        over.listen = *listen;
        over.max_upload_bytes = *max_upload_bytes;
    }
    if let Command::Ingest { threads, .. } = &cli.command {
        over.threads = *threads;
    }
    let config = Config::load(cli.config.as_deref(), over)?;
    // Before anything uses the pool: the analysis's parallel work runs on it.
    rayon::ThreadPoolBuilder::new()
        .num_threads(config.ingest.threads)
        .thread_name(|i| format!("analysis-{i}"))
        .build_global()
        .context("starting the analysis threads")?;
    let runtime = || {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    };
    match cli.command {
        Command::Serve { .. } => {
            init_logging(config.log_json, "info,graphdblite=warn");
            runtime()?.block_on(cli::serve(config))
        }
        Command::Ingest {
            paths, force, jobs, ..
        } => {
            init_logging(config.log_json, "warn");
            let jobs = jobs.unwrap_or(config.ingest.files);
            let summary = runtime()?.block_on(cli::ingest(config, &paths, force, jobs))?;
            if summary.failed > 0 {
                anyhow::bail!("{} files failed", summary.failed);
            }
            Ok(())
        }
        Command::Query {
            cypher,
            format,
            params,
            write,
        } => {
            init_logging(config.log_json, "warn");
            runtime()?.block_on(cli::query(config, &cypher, params, format, write))
        }
        Command::Search {
            text,
            kind,
            binary,
            limit,
            page,
            json,
        } => {
            init_logging(config.log_json, "warn");
            let opts = cli::SearchOptions {
                text: text.join(" "),
                kind,
                binary,
                limit,
                page,
                json,
            };
            runtime()?.block_on(cli::search(config, opts))
        }
        Command::Reindex => {
            init_logging(config.log_json, "warn");
            runtime()?.block_on(cli::reindex(config))
        }
        Command::Users { command } => {
            init_logging(config.log_json, "warn");
            runtime()?.block_on(users(config, command))
        }
        Command::Keys { command } => {
            init_logging(config.log_json, "warn");
            runtime()?.block_on(keys(config, command))
        }
        Command::Export { output, accounts } => {
            init_logging(config.log_json, "warn");
            runtime()?.block_on(cli::export(config, &output, accounts))
        }
        Command::Import { input, accounts } => {
            init_logging(config.log_json, "warn");
            runtime()?.block_on(cli::import(config, &input, accounts))
        }
        Command::Analyze {
            file,
            summary,
            no_code,
        } => cli::analyze(&file, summary, no_code),
        Command::Disasm { file, addr, slice } => cli::disasm(&file, &addr, slice),
        Command::Verify {
            report,
            provenance,
            key,
        } => cli::verify(&report, &provenance, key.as_deref()),
    }
}

async fn users(config: Config, command: UsersCommand) -> anyhow::Result<()> {
    match command {
        UsersCommand::Add {
            name,
            scopes,
            tier,
            password_stdin,
        } => cli::users_add(config, &name, &scopes, tier.as_deref(), password_stdin).await,
        UsersCommand::List => cli::users_list(config).await,
        UsersCommand::Disable { name } => cli::users_set_disabled(config, &name, true).await,
        UsersCommand::Enable { name } => cli::users_set_disabled(config, &name, false).await,
        UsersCommand::Passwd {
            name,
            password_stdin,
        } => cli::users_passwd(config, &name, password_stdin).await,
    }
}

async fn keys(config: Config, command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::Create {
            user,
            scopes,
            expires,
            name,
            tier,
        } => {
            let request = NewKeyRequest {
                name,
                scopes: scopes.split(',').map(|s| s.trim().to_string()).collect(),
                expires_in_days: expires,
                user,
                tier,
            };
            cli::keys_create(config, request).await
        }
        KeysCommand::List { user } => cli::keys_list(config, user.as_deref()).await,
        KeysCommand::Revoke { id } => cli::keys_revoke(config, &id).await,
    }
}
