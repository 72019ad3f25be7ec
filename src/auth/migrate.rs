//! Moving accounts out of the analysis graph.
//!
//! Versions before the account store kept users, API keys, login sessions,
//! usage tallies and analysis jobs in the graph analysts query, with key
//! hashes as plain SHA-256 and file names on `Binary` nodes. At start, any of
//! those found in the graph are copied into the account store in one batch,
//! then removed from the graph:
//!
//! - key hashes are peppered from the stored SHA-256 (`HMAC(pepper, sha256)`,
//!   the same value a fresh [`Pepper::hash_secret`] gives), so old keys work;
//! - a session's current refresh-token id is peppered likewise, so a login
//!   survives; passwords cannot be re-hashed without the password: the user
//!   keeps the old argon2id hash (marked unpeppered) until their next login;
//! - `UPLOADED` links become `Upload` records; file names, which did not say
//!   who gave them, become one record of the user [`LEGACY_UPLOADER`], which
//!   only admins see; jobs move as they are (their `ANALYZES` links go: a
//!   job lists its binaries).
//!
//! The copy is one transaction and nodes already copied are kept, so a start
//! that stops half-way is simply run again.

use std::collections::HashSet;

use crate::graph::{
    Batch, EdgeWrite, GraphError, GraphStore, NodeMode, NodeWrite, Params, Rows, Value,
};
use crate::params;

use super::pepper::Pepper;

const LEGACY_USERS: &str = include_str!("../../cypher/migrate/legacy_users.cypher");
const LEGACY_KEYS: &str = include_str!("../../cypher/migrate/legacy_keys.cypher");
const LEGACY_SESSIONS: &str = include_str!("../../cypher/migrate/legacy_sessions.cypher");
const LEGACY_USAGE: &str = include_str!("../../cypher/migrate/legacy_usage.cypher");
const LEGACY_JOBS: &str = include_str!("../../cypher/migrate/legacy_jobs.cypher");
const LEGACY_UPLOADS: &str = include_str!("../../cypher/migrate/legacy_uploads.cypher");
const LEGACY_NAMES: &str = include_str!("../../cypher/migrate/legacy_names.cypher");
const EXISTING_KEYS: &str = include_str!("../../cypher/migrate/existing_keys.cypher");
const EXISTING_SESSIONS: &str = include_str!("../../cypher/migrate/existing_sessions.cypher");
const DROP_KEYS: &str = include_str!("../../cypher/migrate/drop_keys.cypher");
const DROP_SESSIONS: &str = include_str!("../../cypher/migrate/drop_sessions.cypher");
const DROP_USERS: &str = include_str!("../../cypher/migrate/drop_users.cypher");
const DROP_USAGE: &str = include_str!("../../cypher/migrate/drop_usage.cypher");
const DROP_JOBS: &str = include_str!("../../cypher/migrate/drop_jobs.cypher");
const DROP_NAMES: &str = include_str!("../../cypher/migrate/drop_names.cypher");

/// The uploader of file names recorded before uploads said who gave them.
pub const LEGACY_UPLOADER: &str = "legacy";

/// What a migration moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Moved {
    pub users: usize,
    pub keys: usize,
    pub sessions: usize,
    pub usage: usize,
    pub jobs: usize,
    pub uploads: usize,
    pub named_binaries: usize,
}

impl Moved {
    pub fn any(&self) -> bool {
        *self != Moved::default()
    }
}

fn nodes(rows: &Rows, column: &str) -> Vec<Params> {
    let Some(i) = rows.column(column) else {
        return Vec::new();
    };
    rows.rows
        .iter()
        .filter_map(|r| r.get(i)?.as_node().map(|n| n.properties.clone()))
        .collect()
}

fn text(p: &Params, key: &str) -> String {
    p.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn uids(rows: Rows) -> HashSet<String> {
    rows.rows
        .iter()
        .filter_map(|r| r.first()?.as_str().map(String::from))
        .collect()
}

fn node(label: &'static str, props: Params) -> NodeWrite {
    NodeWrite {
        label,
        uid: text(&props, "uid"),
        props: props.into(),
        mode: NodeMode::Merge,
    }
}

fn edge(
    rel_type: &'static str,
    from: (&'static str, String),
    to: (&'static str, String),
) -> EdgeWrite {
    EdgeWrite {
        rel_type,
        from,
        to,
        props: crate::graph::WriteProps::new(),
    }
}

/// Move whatever a version before the account store left in `graph` into
/// `accounts`, peppering stored secrets with `pepper`.
pub async fn run(
    graph: &dyn GraphStore,
    accounts: &dyn GraphStore,
    pepper: &Pepper,
) -> Result<Moved, GraphError> {
    let none = Params::new;
    let users = nodes(&graph.read(LEGACY_USERS, none()).await?, "u");
    let keys = graph.read(LEGACY_KEYS, none()).await?;
    let sessions = nodes(&graph.read(LEGACY_SESSIONS, none()).await?, "s");
    let usage = nodes(&graph.read(LEGACY_USAGE, none()).await?, "n");
    let jobs = nodes(&graph.read(LEGACY_JOBS, none()).await?, "j");
    let uploads = graph.read(LEGACY_UPLOADS, none()).await?.into_maps();
    let names = graph.read(LEGACY_NAMES, none()).await?.into_maps();
    let mut moved = Moved {
        users: users.len(),
        keys: keys.rows.len(),
        sessions: sessions.len(),
        usage: usage.len(),
        jobs: jobs.len(),
        uploads: uploads.len(),
        named_binaries: names.len(),
    };
    if !moved.any() {
        return Ok(moved);
    }
    let have_keys = uids(accounts.read(EXISTING_KEYS, none()).await?);
    let have_sessions = uids(accounts.read(EXISTING_SESSIONS, none()).await?);

    let mut b = Batch::default();
    for u in users {
        b.nodes.push(node("User", u));
    }
    let key_owner = keys.column("user");
    let key_nodes = nodes(&keys, "k");
    for (row, mut k) in keys.rows.iter().zip(key_nodes) {
        let uid = text(&k, "uid");
        if have_keys.contains(&uid) {
            continue;
        }
        let sealed = pepper.seal_sha256(&text(&k, "hash"));
        k.insert("hash".into(), Value::String(sealed));
        let owner = key_owner
            .and_then(|i| row.get(i)?.as_str())
            .unwrap_or_default()
            .to_string();
        b.edges
            .push(edge("OWNS", ("User", owner), ("ApiKey", uid.clone())));
        b.nodes.push(node("ApiKey", k));
    }
    for mut s in sessions {
        let uid = text(&s, "uid");
        if have_sessions.contains(&uid) {
            continue;
        }
        let current = pepper.hash_secret(&text(&s, "current"));
        s.insert("current".into(), Value::String(current));
        b.edges.push(edge(
            "HAS_SESSION",
            ("User", text(&s, "user")),
            ("Session", uid),
        ));
        b.nodes.push(node("Session", s));
    }
    for n in usage {
        b.nodes.push(node("Usage", n));
    }
    for j in jobs {
        b.nodes.push(node("Job", j));
    }
    for u in uploads {
        let s = |k: &str| u.get(k).cloned().unwrap_or(Value::Null);
        let (user, sha) = (
            s("user").as_str().unwrap_or_default().to_string(),
            s("sha256").as_str().unwrap_or_default().to_string(),
        );
        b.nodes.push(node(
            "Upload",
            params! {
                "uid" => format!("{user}:{sha}"), "user" => user, "sha256" => sha,
                "size" => s("size"), "first_at" => s("first_at"), "at" => s("at"),
                "count" => s("count"), "names" => Vec::<String>::new(), "tags" => Vec::<String>::new(),
            },
        ));
    }
    for n in names {
        let s = |k: &str| n.get(k).cloned().unwrap_or(Value::Null);
        let sha = s("sha256").as_str().unwrap_or_default().to_string();
        b.nodes.push(node(
            "Upload",
            params! {
                "uid" => format!("{LEGACY_UPLOADER}:{sha}"), "user" => LEGACY_UPLOADER,
                "sha256" => sha, "size" => s("size"), "first_at" => s("first_seen"),
                "at" => s("first_seen"), "count" => 1, "names" => s("names"),
                "tags" => Vec::<String>::new(),
            },
        ));
    }
    accounts.write_batch(b).await?;
    for q in [
        DROP_KEYS,
        DROP_SESSIONS,
        DROP_USERS,
        DROP_USAGE,
        DROP_JOBS,
        DROP_NAMES,
    ] {
        graph.write(q, none()).await?;
    }
    // What the batch skipped was already there.
    moved.keys = moved.keys.saturating_sub(have_keys.len());
    moved.sessions = moved.sessions.saturating_sub(have_sessions.len());
    Ok(moved)
}
