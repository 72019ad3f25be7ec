//! `bingraph search` and `bingraph reindex`.

use super::*;

/// Options of `bingraph search`.
pub struct SearchOptions {
    pub text: String,
    pub kind: Option<String>,
    pub binary: Option<String>,
    pub limit: usize,
    pub page: usize,
    pub json: bool,
}

/// `bingraph search`: full-text search on the local index (brought up to
/// date with the graph first).
pub async fn search(config: Config, o: SearchOptions) -> anyhow::Result<()> {
    use crate::search::{Kind, TextQuery};
    let kind = o
        .kind
        .as_deref()
        .map(|k| {
            Kind::text_kind(k).ok_or_else(|| {
                anyhow::anyhow!("--kind must be symbol, string or binary, not {k:?}")
            })
        })
        .transpose()?;
    anyhow::ensure!(o.limit >= 1 && o.page >= 1, "--limit and --page start at 1");
    let app = App::open(config)
        .await
        .context("opening the data directory")?;
    app.sync
        .reconcile()
        .await
        .context("bringing the index up to date")?;
    let q = TextQuery {
        q: o.text,
        // The operator: every uploader's file names and tags match.
        viewer: crate::search::ALL_VIEWERS.to_string(),
        kind,
        binary: o.binary,
        offset: (o.page - 1).saturating_mul(o.limit),
        limit: o.limit,
    };
    let r = app.index.search(&q)?;
    if o.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    let mut rows = Vec::new();
    for h in &r.hits {
        let mut text = String::new();
        let mut at = 0;
        let chars: Vec<char> = h.text.chars().collect();
        for [s, e] in &h.highlights {
            text.extend(&chars[at..*s]);
            text.push('[');
            text.extend(&chars[*s..*e]);
            text.push(']');
            at = *e;
        }
        text.extend(&chars[at.min(chars.len())..]);
        if text.chars().count() > 100 {
            text = text.chars().take(97).collect::<String>() + "...";
        }
        rows.push(vec![
            h.kind.as_str().to_string(),
            text,
            h.addr.map(|a| format!("{a:#x}")).unwrap_or_default(),
            h.sha256[..h.sha256.len().min(16)].to_string(),
            format!("{:.2}", h.score),
        ]);
    }
    print_rows(&["kind", "match", "addr", "binary", "score"], rows)?;
    let totals: Vec<String> = [
        ("symbol", "symbols"),
        ("string", "strings"),
        ("binary", "binaries"),
    ]
    .iter()
    .map(|(k, plural)| format!("{} {plural}", r.totals.get(*k).copied().unwrap_or(0)))
    .collect();
    eprintln!(
        "{} hits ({}), page {} in {:.1} ms",
        r.total,
        totals.join(", "),
        o.page,
        r.took_ms
    );
    Ok(())
}

/// `bingraph reindex`: rebuild the search index from the graph.
pub async fn reindex(config: Config) -> anyhow::Result<()> {
    let app = App::open(config)
        .await
        .context("opening the data directory")?;
    let started = Instant::now();
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} binaries")
            .expect("valid template"),
    );
    let r = app
        .sync
        .rebuild(|done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        })
        .await
        .context("rebuilding the search index")?;
    bar.finish_and_clear();
    let counts = app.index.counts()?;
    let n = |k: &str| counts.get(k).copied().unwrap_or(0);
    println!(
        "indexed {} binaries in {:.1}s: {} symbols, {} strings, {} function signatures",
        r.added,
        started.elapsed().as_secs_f64(),
        n("symbol"),
        n("string"),
        n("function")
    );
    Ok(())
}
