//! Accounts out of analysts' reach: raw Cypher reads the analysis graph
//! only, so no query returns a credential or another user's file names and
//! tags; the REST routes agree; a data directory of the previous layout
//! migrates; and the account store passes one contract on both backends.

use std::sync::Arc;

use base64::Engine as _;
use bingraph::auth::accounts::NewKeyRequest;
use bingraph::auth::AuthSettings;
use bingraph::auth::{Accounts, Scopes, Secret};
use bingraph::graph::{GraphStore, Params, Value};
use bingraph::params;
use serde_json::{json, Value as Json};

use crate::support::{chain, file_form, send, TestApp, ADMIN_PASSWORD};

/// Alice's private words: her file name, her job's tag, her user name.
const FILE_NAME: &str = "alice-invoice-acme-7731.bin";
const TAG: &str = "alice-private-tag-4417";
const ALICE: &str = "alice7731";

/// The JSON payload of a JWT.
fn claims(token: &str) -> Json {
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Every string value of the account store, and each key's prefix.
async fn account_secrets(store: &dyn GraphStore) -> Vec<String> {
    let mut out = Vec::new();
    for q in [
        "MATCH (u:User) RETURN u.password_hash AS v",
        "MATCH (k:ApiKey) RETURN k.hash AS v",
        "MATCH (k:ApiKey) RETURN k.prefix AS v",
        "MATCH (s:Session) RETURN s.uid AS v",
        "MATCH (s:Session) RETURN s.current AS v",
    ] {
        for r in store.read(q, Params::new()).await.unwrap().rows {
            if let Some(v) = r[0].as_str() {
                out.push(v.to_string());
            }
        }
    }
    out
}

/// Queries an analyst might try to reach accounts, jobs and file names:
/// direct labels, every node, property maps, key lists, label filters,
/// paths, collect, UNWIND, string functions, parameters, another database.
/// Each is `(query, params)`.
fn probes() -> Vec<(&'static str, Json)> {
    vec![
        ("MATCH (u:User) RETURN u.password_hash AS h", json!({})),
        ("MATCH (k:ApiKey) RETURN k.hash, k.prefix", json!({})),
        ("MATCH (s:Session) RETURN s", json!({})),
        ("MATCH (u:User) RETURN u", json!({})),
        ("MATCH (n) RETURN n", json!({})),
        ("MATCH (n) RETURN properties(n) AS p", json!({})),
        ("MATCH (n) RETURN keys(n) AS k, labels(n) AS l", json!({})),
        ("MATCH (n) WHERE 'User' IN labels(n) RETURN n", json!({})),
        ("MATCH (n) WHERE 'ApiKey' IN labels(n) OR 'Session' IN labels(n) RETURN properties(n)", json!({})),
        ("MATCH p = ()-[]->() RETURN p", json!({})),
        ("MATCH (a)-[r]->(b) RETURN type(r), properties(r), properties(a), properties(b)", json!({})),
        ("MATCH (n) RETURN collect(properties(n)) AS everything", json!({})),
        ("MATCH (n) UNWIND keys(n) AS k RETURN k, n[k] AS v", json!({})),
        ("MATCH (n) WITH n UNWIND keys(n) AS k RETURN toString(n[k]) AS v", json!({})),
        ("MATCH (j:Job) RETURN j", json!({})),
        ("MATCH (j:Job) RETURN j.name, j.tags, j.owner_name, j.owner", json!({})),
        ("MATCH (b:Binary) RETURN b.names AS names", json!({})),
        ("MATCH (b:Binary) RETURN b", json!({})),
        ("MATCH (x:Upload) RETURN x", json!({})),
        ("MATCH (n:Usage) RETURN n", json!({})),
        ("MATCH (n) WHERE n.password_hash IS NOT NULL RETURN n.password_hash", json!({})),
        ("MATCH (n) WHERE n.hash IS NOT NULL RETURN n.hash AS h", json!({})),
        ("MATCH (n) WHERE n.current IS NOT NULL RETURN n.current, n.uid", json!({})),
        ("MATCH (n) WHERE toLower(toString(n.name)) CONTAINS 'alice' RETURN n", json!({})),
        ("MATCH (n) WHERE n.name STARTS WITH $p RETURN n", json!({ "p": "alice" })),
        ("MATCH (n {name: $name}) RETURN n", json!({ "name": ALICE })),
        ("MATCH (n) WHERE $name IN n.names RETURN n", json!({ "name": FILE_NAME })),
        ("MATCH (n) WHERE $tag IN n.tags RETURN n", json!({ "tag": TAG })),
        ("MATCH ()-[r:OWNS]->(k) RETURN r, k", json!({})),
        ("MATCH (u)-[r:UPLOADED]->(b) RETURN u, r, b", json!({})),
        ("MATCH (u)-[:HAS_SESSION]->(s) RETURN s.current, s.uid", json!({})),
        ("MATCH ()-[r:ANALYZES]->(b) RETURN r, b", json!({})),
        ("MATCH (n) RETURN substring(toString(n.password_hash), 0, 40) AS h", json!({})),
        ("MATCH (n) RETURN [k IN keys(n) | k] AS ks, size(keys(n)) AS n", json!({})),
        ("UNWIND ['User', 'ApiKey', 'Session', 'Job'] AS l MATCH (n) WHERE l IN labels(n) RETURN n", json!({})),
        ("CALL db.labels() YIELD label RETURN label", json!({})),
        ("USE accounts MATCH (u:User) RETURN u", json!({})),
        ("MATCH (n) CALL { USE accounts MATCH (u:User) RETURN u } RETURN u", json!({})),
    ]
}

#[tokio::test]
async fn cypher_never_reveals_a_credential_or_anothers_upload() {
    let app = TestApp::start().await;
    if let Some(db) = &app.app.config.accounts_database {
        assert_ne!(Some(db), app.app.config.graph_database.as_ref());
    }
    app.user(ALICE, "alice-password-1", "read,write").await;
    app.user("bob", "bob-password-1", "read").await;
    let alice = app.key(ALICE, "read,write", Some("test")).await;
    let bob = app.key("bob", "read", Some("test")).await;

    // Alice uploads a program under a telling name, then analyses it with a tag.
    let bin = chain("acct_leak", &["-O0"]);
    let bytes = std::fs::read(&bin).unwrap();
    let form = || file_form(FILE_NAME, bytes.clone());
    let (s, body) = send(app.as_key(&alice).multipart("/binaries", form())).await;
    assert_eq!(s, 201, "{body}");
    let sha = body["data"]["binaries"][0]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(body["data"]["binaries"][0]["names"], json!([FILE_NAME]));
    let (s, body) = send(
        app.as_key(&alice)
            .multipart("/analysis", form().text("tags", TAG).text("force", "true")),
    )
    .await;
    assert_eq!(s, 202, "{body}");
    let job_id = body["data"]["job_id"].as_str().unwrap().to_string();
    let job = app.wait_job(&job_id).await;
    assert_eq!(job["state"], "succeeded", "{job}");

    // Alice logs in: her session id and tokens are secrets too.
    let (s, login) = send(
        app.anonymous()
            .post(format!("{}/auth/login", app.base))
            .json(&json!({ "username": ALICE, "password": "alice-password-1" })),
    )
    .await;
    assert_eq!(s, 200, "{login}");
    let access = login["data"]["access_token"].as_str().unwrap().to_string();
    let refresh = login["data"]["refresh_token"].as_str().unwrap().to_string();
    let mut needles = account_secrets(app.app.auth.store()).await;
    assert!(
        needles.iter().any(|n| n.starts_with("$argon2id$")),
        "{needles:?}"
    );
    needles.extend([
        alice.clone(),
        alice[8..].to_string(),
        access.clone(),
        refresh.clone(),
        claims(&access)["sid"].as_str().unwrap().to_string(),
        claims(&refresh)["jti"].as_str().unwrap().to_string(),
        FILE_NAME.to_string(),
        TAG.to_string(),
        ALICE.to_string(),
        "argon2".to_string(),
    ]);

    // Bob (read) and even the admin: /cypher reads the analysis graph only.
    let mut answered = 0;
    for key in [&bob, &app.admin_key] {
        for (q, p) in probes() {
            let (s, body) = send(app.as_key(key).cypher(q, p)).await;
            assert!(s == 200 || (400..500).contains(&s), "{q}: {s} {body}");
            let text = body.to_string();
            for n in &needles {
                assert!(!text.contains(n.as_str()), "{q} revealed {n:?}: {text}");
            }
            answered += usize::from(s == 200);
        }
    }
    assert!(answered >= 40, "only {answered} probes ran");
    // The probes do reach the graph: every node, the binary among them.
    let (_, all) = send(app.as_key(&bob).cypher("MATCH (n) RETURN n", json!({}))).await;
    assert!(all["data"]["rows"].as_array().unwrap().len() > 20, "{all}");
    let (_, b) = send(app.as_key(&bob).cypher(
        "MATCH (b:Binary {sha256: $s}) RETURN b.sha256 AS s",
        json!({ "s": sha }),
    ))
    .await;
    assert_eq!(b["data"]["rows"][0][0], sha.as_str(), "{b}");
    // Naming another database is refused outright.
    let (s, body) = send(
        app.as_key(&app.admin_key)
            .cypher("USE accounts MATCH (u:User) RETURN u", json!({})),
    )
    .await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (403, Some("forbidden")),
        "{body}"
    );

    // The REST routes agree: the binary is shared, the file name is Alice's.
    let names = |body: &Json| body["data"]["names"].clone();
    let (_, theirs) = send(app.as_key(&bob).get(&format!("/binaries/{sha}"))).await;
    assert_eq!(names(&theirs), json!([]), "{theirs}");
    let (_, hers) = send(app.as_key(&alice).get(&format!("/binaries/{sha}"))).await;
    assert_eq!(names(&hers), json!([FILE_NAME]));
    let (_, admins) = send(app.as_key(&app.admin_key).get(&format!("/binaries/{sha}"))).await;
    assert_eq!(names(&admins), json!([FILE_NAME]));
    let (_, list) = send(app.as_key(&bob).get("/binaries")).await;
    assert!(!list.to_string().contains(FILE_NAME), "{list}");
    let res = app
        .as_key(&bob)
        .get(&format!("/binaries/{sha}/file"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(!disposition.contains("invoice"), "{disposition}");
    // Search matches a file name or tag for its uploader and admins only.
    for (key, want) in [(&bob, 0), (&alice, 1), (&app.admin_key, 1)] {
        for q in ["alice-invoice-acme-7731", TAG] {
            let (_, body) = send(app.as_key(key).get(&format!("/search?q={q}&kind=binary"))).await;
            assert_eq!(body["data"]["total"], want, "{q}: {body}");
            assert_eq!(body.to_string().contains(FILE_NAME), want == 1, "{body}");
        }
    }
    // Bob does not see Alice's job, by id or in the list.
    let (s, _) = send(app.as_key(&bob).get(&format!("/analysis/{job_id}"))).await;
    assert_eq!(s, 404);
    let (_, list) = send(app.as_key(&bob).get("/analyses")).await;
    assert!(!list.to_string().contains(&job_id), "{list}");
    let (_, similar) = send(app.as_key(&bob).get(&format!("/binaries/{sha}/similar"))).await;
    assert!(!similar.to_string().contains(FILE_NAME), "{similar}");
}

/// Write what a version before the account store kept in the graph: the
/// admin (unpeppered argon2id), a key stored as plain SHA-256, a session, a
/// usage tally, a job linked to a binary, and a binary with its file names.
async fn legacy_layout(graph: &dyn GraphStore, key: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let argon = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(19 * 1024, 2, 1, None).unwrap(),
    );
    let hash = argon
        .hash_password(
            ADMIN_PASSWORD.as_bytes(),
            &SaltString::generate(&mut rand_core::OsRng),
        )
        .unwrap()
        .to_string();
    let key_sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(key.as_bytes()));
    let sha = "ab".repeat(32);
    for (q, p) in [
        (
            "CREATE (u:User {uid: 'u-admin', name: 'admin', password_hash: $hash, scopes: ['read', 'write', 'admin'], tier: 'test', disabled: false, created_at: '2026-01-01T00:00:00Z'})",
            params! { "hash" => &hash },
        ),
        (
            "MATCH (u:User {uid: 'u-admin'}) CREATE (u)-[:OWNS]->(:ApiKey {uid: 'key_old', name: 'old', prefix: $prefix, hash: $hash, scopes: ['admin'], tier: 'test', created_at: '2026-01-01T00:00:00Z', revoked: false})",
            params! { "prefix" => &key[..16], "hash" => &key_sha },
        ),
        (
            "MATCH (u:User {uid: 'u-admin'}) CREATE (u)-[:HAS_SESSION]->(:Session {uid: 'sess-old', user: 'u-admin', current: 'jti-old', created_at: '2026-01-01T00:00:00Z', expires_at: '2099-01-01T00:00:00Z', revoked: false})",
            params! {},
        ),
        (
            "CREATE (:Usage {uid: 'u-admin:2026-01', user: 'u-admin', period: '2026-01', api_calls: 41})",
            params! {},
        ),
        (
            "CREATE (:Binary {uid: $sha, sha256: $sha, sha1: '', md5: '', size: 10, format: 'elf', names: ['legacy-name.bin'], first_seen: '2026-01-01T00:00:00Z', ingested_at: '2026-01-01T00:00:00Z'})",
            params! { "sha" => &sha },
        ),
        (
            "MATCH (u:User {uid: 'u-admin'}), (b:Binary {sha256: $sha}) CREATE (u)-[:UPLOADED {first_at: '2026-01-01T00:00:00Z', at: '2026-01-01T00:00:00Z', count: 1}]->(b)",
            params! { "sha" => &sha },
        ),
        (
            "MATCH (b:Binary {sha256: $sha}) CREATE (:Job {uid: 'job_legacy', file_sha256: $sha, name: 'legacy-name.bin', size: 10, owner: 'u-admin', owner_name: 'admin', state: 'succeeded', priority: 0, tags: ['old'], formats: ['json'], force: false, created_at: '2026-01-01T00:00:00Z', created_ms: 1, attempts: 1, phase: 12, phases: '[]', cancel: false, binaries: [$sha]})-[:ANALYZES]->(b)",
            params! { "sha" => &sha },
        ),
    ] {
        graph.write(q, p).await.unwrap();
    }
    sha
}

async fn count(store: &dyn GraphStore, query: &str) -> i64 {
    store
        .read(query, Params::new())
        .await
        .unwrap()
        .first("n")
        .and_then(Value::as_i64)
        .unwrap()
}

#[tokio::test]
async fn a_data_directory_of_the_graph_layout_migrates() {
    let (config, dir) = TestApp::config().await;
    std::fs::create_dir_all(&config.data_dir).unwrap();
    let old_key = format!("bg_live_{}", "5a".repeat(32));
    let sha = {
        let graph = bingraph::graph::open(&config.graph_config()).await.unwrap();
        legacy_layout(graph.as_ref(), &old_key).await
    };
    let app = TestApp::start_on(config, dir).await;
    let graph = app.app.store.as_ref();
    let accounts = app.app.auth.store();

    // Nothing of the accounts is left in the analysis graph.
    for label in ["User", "ApiKey", "Session", "Usage", "Job"] {
        let q = format!("MATCH (n:{label}) RETURN count(n) AS n");
        assert_eq!(count(graph, &q).await, 0, "{label} in the graph");
    }
    assert_eq!(
        count(
            graph,
            "MATCH (b:Binary) WHERE b.names IS NOT NULL RETURN count(b) AS n"
        )
        .await,
        0
    );
    assert_eq!(
        count(graph, "MATCH (b:Binary) RETURN count(b) AS n").await,
        1
    );
    // The key's hash is peppered from its old SHA-256, the session's too.
    let pepper = app.app.auth.pepper();
    let value = |query: &'static str| async move {
        let rows = accounts.read(query, Params::new()).await.unwrap();
        rows.first("v").and_then(Value::as_str).map(String::from)
    };
    assert_eq!(
        value("MATCH (k:ApiKey {uid: 'key_old'}) RETURN k.hash AS v").await,
        Some(bingraph::auth::api_key::hash(&old_key, pepper))
    );
    assert_eq!(
        value("MATCH (s:Session {uid: 'sess-old'}) RETURN s.current AS v").await,
        Some(pepper.hash_secret("jti-old"))
    );

    // The old key still works; the admin logs in with the old password, and
    // the hash is peppered at that login (and works again after it).
    let (s, me) = send(app.as_key(&old_key).get("/me")).await;
    assert_eq!(
        (s, me["data"]["user"].as_str()),
        (200, Some("admin")),
        "{me}"
    );
    let hash_now = || async {
        accounts
            .read(
                "MATCH (u:User {name: 'admin'}) RETURN u.password_hash AS h, u.pepper AS p",
                Params::new(),
            )
            .await
            .unwrap()
    };
    let before = hash_now().await;
    assert_eq!(before.first("p"), Some(&Value::Null));
    for _ in 0..2 {
        let (s, body) = send(
            app.anonymous()
                .post(format!("{}/auth/login", app.base))
                .json(&json!({ "username": "admin", "password": ADMIN_PASSWORD })),
        )
        .await;
        assert_eq!(s, 200, "{body}");
    }
    let after = hash_now().await;
    assert_eq!(after.first("p"), Some(&Value::Bool(true)));
    assert_ne!(after.first("h"), before.first("h"));
    // Usage, the job and the file names moved; the names are the admins'.
    assert_eq!(
        count(accounts, "MATCH (n:Usage) RETURN count(n) AS n").await,
        1
    );
    let job = app.data("/analysis/job_legacy").await;
    assert_eq!(job["tags"], json!(["old"]));
    assert_eq!(job["binaries"], json!([sha.as_str()]));
    let b = app.data(&format!("/binaries/{sha}")).await;
    assert_eq!(b["names"], json!(["legacy-name.bin"]));
    // A second start has nothing left to move and changes nothing.
    let moved = bingraph::auth::migrate::run(graph, accounts, pepper)
        .await
        .unwrap();
    assert!(!moved.any(), "{moved:?}");
}

/// The account store's contract, the same on both backends: users, logins,
/// refresh rotation with reuse detection, keys and revocation, disabling.
async fn account_store_contract(store: Arc<dyn GraphStore>) {
    let keys = tempfile::tempdir().unwrap();
    let accounts =
        Accounts::open(store, AuthSettings::default(), keys.path().to_path_buf()).unwrap();
    let user = accounts
        .create_user(
            "carol",
            &Secret::new("carol-password-1"),
            Scopes::parse("read,write").unwrap(),
            None,
        )
        .await
        .unwrap();
    assert!(accounts
        .create_user(
            "carol",
            &Secret::new("carol-password-2"),
            Scopes::parse("read").unwrap(),
            None
        )
        .await
        .is_err());
    assert!(accounts
        .login("carol", Secret::new("wrong-password"), None)
        .await
        .is_err());
    let tokens = accounts
        .login("carol", Secret::new("carol-password-1"), None)
        .await
        .unwrap();
    assert_eq!(tokens.user.id, user.id);
    let first = Secret::new(tokens.refresh_token.clone());
    let next = accounts.refresh(&first).await.unwrap();
    // The old refresh token again is a replay: the session ends.
    assert!(accounts.refresh(&first).await.is_err());
    assert!(accounts
        .refresh(&Secret::new(next.refresh_token))
        .await
        .is_err());

    let made = accounts
        .create_key(
            NewKeyRequest {
                scopes: vec!["read".into()],
                user: Some("carol".into()),
                ..NewKeyRequest::default()
            },
            None,
        )
        .await
        .unwrap();
    let mut headers = axum::http::HeaderMap::new();
    headers.insert("x-api-key", made.key.parse().unwrap());
    let who = accounts.authenticate(&headers).await.unwrap();
    assert_eq!(
        (who.user.as_str(), who.scopes.names()),
        ("carol", vec!["read"])
    );
    assert_eq!(accounts.list_keys(Some("carol")).await.unwrap().len(), 1);
    accounts.revoke_key(&made.info.id, None).await.unwrap();
    assert!(accounts.authenticate(&headers).await.is_err());
    accounts.set_disabled("carol", true).await.unwrap();
    assert!(accounts
        .login("carol", Secret::new("carol-password-1"), None)
        .await
        .is_err());
    let users = accounts.list_users().await.unwrap();
    assert!(users
        .iter()
        .any(|(u, keys)| u.name == "carol" && u.disabled && *keys == 0));
}

mod contract {
    use std::sync::Arc;

    use bingraph::graph::embedded::EmbeddedStore;
    use bingraph::graph::{GraphStore, Schema};

    #[tokio::test]
    async fn embedded_account_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(&dir.path().join("accounts.db"))
            .await
            .unwrap();
        store.apply_schema(Schema::Accounts).await.unwrap();
        super::account_store_contract(Arc::new(store)).await;
    }

    #[tokio::test]
    async fn bolt_account_store() {
        let Some(config) = crate::support::bolt_database().await else {
            eprintln!("skipped: BINGRAPH_TEST_BOLT is unset");
            return;
        };
        let store = bingraph::graph::bolt::BoltStore::connect(&config)
            .await
            .unwrap();
        store.apply_schema(Schema::Accounts).await.unwrap();
        let store: Arc<dyn GraphStore> = Arc::new(store);
        super::account_store_contract(store).await;
    }
}
