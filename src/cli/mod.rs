//! The commands behind the `bingraph` binary: `serve`, `ingest`, `query`,
//! `users`, `keys`, `analyze` and `disasm`. `main.rs` only parses arguments
//! and calls these.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};

use crate::analysis::{self, AnalysisConfig};
use crate::app::{App, AppState};
use crate::auth::accounts::NewKeyRequest;
use crate::auth::{Scopes, Secret};
use crate::config::Config;
use crate::graph::{self, GraphStore, Params, Rows, Value};
use crate::jobs::{JobOptions, JobState, JobView};

mod accounts;
mod analyze;
mod ingest;
mod query;
mod search;
mod transfer;

pub use accounts::*;
pub use analyze::*;
pub use ingest::*;
pub use query::*;
pub use search::*;
pub use transfer::*;

/// Serve the API until Ctrl-C or SIGTERM.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let listen = config.listen;
    let app = App::open(config)
        .await
        .context("opening the data directory")?;
    tracing::info!(
        data_dir = %app.config.data_dir.display(),
        graph = app.store.backend(),
        "store open"
    );
    if let Some((password, path)) = app
        .auth
        .bootstrap_admin()
        .await
        .map_err(|e| anyhow::anyhow!("creating the admin user: {e}"))?
    {
        // Printed once, to the terminal, never to the log.
        println!(
            "bingraph: created the user 'admin'. Its password is shown once, here, and kept in {} (mode 0600):",
            path.display()
        );
        println!("{}", password.expose());
    }
    let app = Arc::new(app);
    app.start_workers()
        .await
        .context("starting the job workers")?;
    let app = AppState(app);
    let router = crate::router::router(app.clone());
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let addr = listener.local_addr()?;
    eprintln!("bingraph listening on http://{addr} (API reference: http://{addr}/api/v1/docs)");
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown())
    .await?;
    if let Err(e) = app.auth.usage.flush(app.auth.store()).await {
        tracing::warn!(error = %e, "writing usage at shutdown failed");
    }
    eprintln!("bingraph stopped");
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Read a password from the first line of stdin.
fn password_from_stdin() -> anyhow::Result<Secret> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    let pw = line.trim_end_matches(['\n', '\r']);
    if pw.is_empty() {
        bail!("no password on stdin");
    }
    Ok(Secret::new(pw))
}

async fn open_accounts(config: Config) -> anyhow::Result<App> {
    App::open(config)
        .await
        .context("opening the data directory")
}

/// Print string cells with the same table layout as `query`.
fn print_rows(header: &[&str], rows: Vec<Vec<String>>) -> anyhow::Result<()> {
    let rows = Rows {
        columns: header.iter().map(|h| h.to_string()).collect(),
        rows: rows
            .into_iter()
            .map(|r| r.into_iter().map(Value::String).collect())
            .collect(),
    };
    print_table(&mut std::io::stdout().lock(), &rows)?;
    Ok(())
}
