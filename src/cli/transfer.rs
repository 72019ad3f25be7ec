//! `bingraph export` and `bingraph import`: a whole graph (or the account
//! store) as JSON lines.

use super::*;

/// The analysis graph, or the account store.
pub(super) async fn open_store(
    config: &Config,
    accounts: bool,
) -> anyhow::Result<Arc<dyn GraphStore>> {
    Ok(if accounts {
        graph::open_accounts(&config.graph_config())
            .await
            .context("opening the account store")?
    } else {
        graph::open(&config.graph_config())
            .await
            .context("opening the graph")?
    })
}

/// `bingraph export`: the whole analysis graph (or, with `accounts`, the
/// account store) as JSON lines to `output` (stdout for `-`).
pub async fn export(config: Config, output: &Path, accounts: bool) -> anyhow::Result<()> {
    let store = open_store(&config, accounts).await?;
    let started = Instant::now();
    let moved = if output == Path::new("-") {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        crate::transfer::export(store.as_ref(), &mut out).await?
    } else {
        let file = std::fs::File::create(output)
            .with_context(|| format!("creating {}", output.display()))?;
        let mut out = std::io::BufWriter::new(file);
        crate::transfer::export(store.as_ref(), &mut out).await?
    };
    eprintln!(
        "exported {} nodes and {} relationships from the {} store in {:.1}s",
        moved.nodes,
        moved.relationships,
        store.backend(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `bingraph import`: a file made by `export` (stdin for `-`) into the
/// analysis graph (or, with `accounts`, the account store).
pub async fn import(config: Config, input: &Path, accounts: bool) -> anyhow::Result<()> {
    let store = open_store(&config, accounts).await?;
    let started = Instant::now();
    let moved = if input == Path::new("-") {
        let mut r = std::io::BufReader::new(std::io::stdin().lock());
        crate::transfer::import(store.as_ref(), &mut r).await?
    } else {
        let file =
            std::fs::File::open(input).with_context(|| format!("opening {}", input.display()))?;
        let mut r = std::io::BufReader::new(file);
        crate::transfer::import(store.as_ref(), &mut r).await?
    };
    eprintln!(
        "imported {} nodes and {} relationships into the {} store in {:.1}s",
        moved.nodes,
        moved.relationships,
        store.backend(),
        started.elapsed().as_secs_f64()
    );
    drop(store);
    if accounts {
        return Ok(());
    }
    let app = App::open(config)
        .await
        .context("opening the data directory")?;
    let r = app
        .sync
        .reconcile()
        .await
        .context("indexing the imported binaries")?;
    eprintln!(
        "search index: {} binaries indexed, {} removed",
        r.added + r.updated,
        r.removed
    );
    Ok(())
}
