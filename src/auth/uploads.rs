//! Who uploaded which binary under which file names: `(:Upload)` records in
//! the account store, one per user and binary. File names are the uploader's
//! business, so they are not in the analysis graph; a user sees their own,
//! an admin everyone's.

use std::collections::HashMap;
use std::sync::Arc;

use crate::graph::{GraphError, GraphStore, Value};
use crate::params;
use crate::search::sync::Uploads;
use crate::search::{PrivateDoc, ALL_VIEWERS};

const GET: &str = include_str!("../../cypher/uploads/get.cypher");
const RECORD: &str = include_str!("../../cypher/uploads/record.cypher");
const NAMES: &str = include_str!("../../cypher/uploads/names.cypher");
const TOTALS: &str = include_str!("../../cypher/uploads/totals.cypher");
const OF_BINARY: &str = include_str!("../../cypher/uploads/of_binary.cypher");
const DELETE: &str = include_str!("../../cypher/uploads/delete.cypher");

fn strings(v: Option<&Value>) -> Vec<String> {
    v.map(Value::strings).unwrap_or_default()
}

/// Add the items of `new` that `list` lacks, in order (empty ones never).
pub fn union(mut list: Vec<String>, new: &[String]) -> Vec<String> {
    for n in new {
        if !n.is_empty() && !list.contains(n) {
            list.push(n.clone());
        }
    }
    list
}

/// Who uploaded a file, under which name and with which tags.
#[derive(Debug, Clone, Default)]
pub struct Uploader {
    /// The user's id.
    pub user_id: String,
    /// The file name (empty: none).
    pub name: String,
    pub tags: Vec<String>,
}

/// Record that `who` uploaded the binary `sha256` (`size` bytes).
pub async fn record(
    store: &dyn GraphStore,
    who: &Uploader,
    sha256: &str,
    size: u64,
) -> Result<(), GraphError> {
    let uid = format!("{}:{sha256}", who.user_id);
    let rows = store.read(GET, params! { "uid" => &uid }).await?;
    let names = union(
        strings(rows.first("names")),
        std::slice::from_ref(&who.name),
    );
    let tags = union(strings(rows.first("tags")), &who.tags);
    store
        .write(
            RECORD,
            params! {
                "uid" => &uid, "user" => &who.user_id, "sha256" => sha256, "size" => size,
                "names" => names, "tags" => tags, "now" => crate::graph::time::now_rfc3339(),
            },
        )
        .await
        .map(|_| ())
}

/// Every upload of the binary `sha256`: (user id, names, tags), first first.
pub async fn of_binary(
    store: &dyn GraphStore,
    sha256: &str,
) -> Result<Vec<(String, Vec<String>, Vec<String>)>, GraphError> {
    let rows = store
        .read(OF_BINARY, params! { "sha256" => sha256 })
        .await?;
    Ok(rows
        .into_maps()
        .into_iter()
        .filter_map(|m| {
            Some((
                m.get("user")?.as_str()?.to_string(),
                strings(m.get("names")),
                strings(m.get("tags")),
            ))
        })
        .collect())
}

/// The file names each of `shas` was uploaded under, as `viewer` sees them:
/// a user id (their own uploads), or [`ALL_VIEWERS`] (anyone's). First
/// uploads first, no repeats.
pub async fn names(
    store: &dyn GraphStore,
    viewer: &str,
    shas: &[String],
) -> Result<HashMap<String, Vec<String>>, GraphError> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    if shas.is_empty() {
        return Ok(out);
    }
    let rows = store
        .read(
            NAMES,
            params! {
                "shas" => shas.to_vec(),
                "user" => (viewer != ALL_VIEWERS).then(|| viewer.to_string()),
            },
        )
        .await?;
    for m in rows.into_maps() {
        let Some(sha) = m.get("sha256").and_then(Value::as_str) else {
            continue;
        };
        let list = out.remove(sha).unwrap_or_default();
        out.insert(sha.to_string(), union(list, &strings(m.get("names"))));
    }
    Ok(out)
}

/// `(binaries uploaded in all, their bytes, uploaded at or after `since`)`.
pub async fn totals(
    store: &dyn GraphStore,
    user_id: &str,
    since: &str,
) -> Result<(u64, u64, u64), GraphError> {
    let rows = store
        .read(TOTALS, params! { "user" => user_id, "since" => since })
        .await?;
    let n = |c| rows.first(c).and_then(Value::as_u64).unwrap_or(0);
    Ok((n("binaries"), n("bytes"), n("in_period")))
}

/// Forget every upload of the binary `sha256` (it was deleted).
pub async fn forget(store: &dyn GraphStore, sha256: &str) -> Result<(), GraphError> {
    store
        .write(DELETE, params! { "sha256" => sha256 })
        .await
        .map(|_| ())
}

/// The uploads in an account store, as the search index reads them.
pub struct UploadStore(pub Arc<dyn GraphStore>);

#[async_trait::async_trait]
impl Uploads for UploadStore {
    async fn private_docs(&self, sha256: &str) -> Result<Vec<PrivateDoc>, GraphError> {
        let uploads = of_binary(self.0.as_ref(), sha256).await?;
        if uploads.is_empty() {
            return Ok(Vec::new());
        }
        let (mut names, mut tags) = (Vec::new(), Vec::new());
        let mut out = Vec::new();
        for (user, n, t) in uploads {
            names = union(names, &n);
            tags = union(tags, &t);
            out.push(private_doc(user, n, t, sha256));
        }
        out.push(private_doc(ALL_VIEWERS.to_string(), names, tags, sha256));
        Ok(out)
    }
}

fn private_doc(viewer: String, names: Vec<String>, tags: Vec<String>, sha256: &str) -> PrivateDoc {
    PrivateDoc {
        viewer,
        title: names.first().cloned().unwrap_or_else(|| sha256.to_string()),
        names,
        tags,
    }
}
