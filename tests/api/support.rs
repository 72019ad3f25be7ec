//! `TestApp`: the real router on a temp data dir, served on a loopback port,
//! spoken to over HTTP; and C programs compiled with the system `cc`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bingraph::app::{App, AppState};
use bingraph::auth::accounts::NewKeyRequest;
use bingraph::auth::rate_limit::Tier;
use bingraph::auth::{Scopes, Secret};
use bingraph::config::Config;
use bingraph::graph::bolt::BoltConfig;
use serde_json::Value;

/// A fresh, empty database on the Bolt server `scripts/test` started
/// (ArcadeDB): `None` when `BINGRAPH_TEST_BOLT` is unset, a panic then if
/// `BINGRAPH_REQUIRE_BOLT` is set.
pub async fn bolt_database() -> Option<BoltConfig> {
    let Ok(uri) = std::env::var("BINGRAPH_TEST_BOLT") else {
        assert!(
            std::env::var_os("BINGRAPH_REQUIRE_BOLT").is_none(),
            "BINGRAPH_REQUIRE_BOLT is set but BINGRAPH_TEST_BOLT is not"
        );
        return None;
    };
    let http = std::env::var("BINGRAPH_TEST_ARCADEDB_HTTP").expect("BINGRAPH_TEST_ARCADEDB_HTTP");
    let password =
        std::env::var("BINGRAPH_TEST_BOLT_PASSWORD").expect("BINGRAPH_TEST_BOLT_PASSWORD");
    let name = format!("t{}", uuid::Uuid::new_v4().simple());
    let res = reqwest::Client::new()
        .post(format!("{http}/api/v1/server"))
        .basic_auth("root", Some(&password))
        .json(&serde_json::json!({ "command": format!("create database {name}") }))
        .send()
        .await
        .expect("ArcadeDB answers");
    assert!(
        res.status().is_success(),
        "create database: {}",
        res.text().await.unwrap_or_default()
    );
    Some(BoltConfig {
        uri,
        user: "root".into(),
        password,
        database: Some(name),
        max_connections: 8,
    })
}

/// The password of the `admin` user in every `TestApp`.
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";

/// A running service on a fresh data directory.
pub struct TestApp {
    pub base: String,
    /// Sends an admin API key on every request (tier `test`, no practical limit).
    pub client: reqwest::Client,
    /// That key.
    pub admin_key: String,
    pub app: AppState,
    pub data_dir: PathBuf,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Start with a config adjusted by `f` (the data dir is a fresh temp dir).
    pub async fn start_with(f: impl FnOnce(&mut Config)) -> Self {
        let (mut config, dir) = Self::config().await;
        f(&mut config);
        Self::start_on(config, dir).await
    }

    /// The config every test app starts from, on a fresh temp dir (and, with
    /// `BINGRAPH_TEST_GRAPH=bolt`, fresh ArcadeDB databases for the graph and
    /// for the account store).
    pub async fn config() -> (Config, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config {
            data_dir: dir.path().join("data"),
            ..Config::default()
        };
        config.auth.admin_password = Some(Secret::new(ADMIN_PASSWORD));
        // The same tests on the Bolt backend: `BINGRAPH_TEST_GRAPH=bolt`.
        if std::env::var("BINGRAPH_TEST_GRAPH").as_deref() == Ok("bolt") {
            let bolt = bolt_database()
                .await
                .expect("BINGRAPH_TEST_GRAPH=bolt needs BINGRAPH_TEST_BOLT");
            config.graph = bolt.uri;
            config.graph_user = bolt.user;
            config.graph_password = Some(Secret::new(bolt.password));
            config.graph_database = bolt.database;
            config.accounts_database = bolt_database().await.and_then(|b| b.database);
        }
        config.auth.tiers.insert(
            "test".into(),
            Tier {
                requests_per_min: 10_000_000,
                submissions_per_min: 10_000_000,
                downloads_per_min: 10_000_000,
                concurrent_jobs: 1_000,
            },
        );
        (config, dir)
    }

    /// Start on `config` (from [`TestApp::config`]), whose data dir is in `dir`.
    pub async fn start_on(config: Config, dir: tempfile::TempDir) -> Self {
        let data_dir = config.data_dir.clone();
        let want_backend = if config.graph == "embedded" {
            "embedded"
        } else {
            "bolt"
        };
        let app = Arc::new(App::open(config).await.expect("open app"));
        app.start_workers().await.expect("job workers");
        let app = AppState(app);
        assert_eq!(app.store.backend(), want_backend);
        app.auth.bootstrap_admin().await.expect("admin user");
        let admin_key = app
            .auth
            .create_key(
                NewKeyRequest {
                    name: Some("tests".into()),
                    scopes: vec!["admin".into()],
                    tier: Some("test".into()),
                    ..NewKeyRequest::default()
                },
                None,
            )
            .await
            .expect("admin key")
            .key;
        let router = bingraph::router::router(app.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
            .unwrap()
        });
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-api-key", admin_key.parse().unwrap());
        TestApp {
            base: format!("http://{addr}/api/v1"),
            client: reqwest::Client::builder()
                .default_headers(headers)
                .build()
                .unwrap(),
            admin_key,
            app,
            data_dir,
            _dir: dir,
        }
    }

    /// The environment a `bingraph` child process needs to use this app's store.
    pub fn cli_env(&self) -> Vec<(&'static str, String)> {
        let c = &self.app.config;
        let mut env = vec![("BINGRAPH_GRAPH", c.graph.clone())];
        if c.graph != "embedded" {
            env.push(("BINGRAPH_GRAPH_USER", c.graph_user.clone()));
            if let Some(p) = &c.graph_password {
                env.push(("BINGRAPH_GRAPH_PASSWORD", p.expose().to_string()));
            }
            if let Some(d) = &c.graph_database {
                env.push(("BINGRAPH_GRAPH_DATABASE", d.clone()));
            }
            if let Some(d) = &c.accounts_database {
                env.push(("BINGRAPH_ACCOUNTS_DATABASE", d.clone()));
            }
        }
        env
    }

    /// The OpenAPI document, fetched without credentials.
    pub async fn openapi(&self) -> Value {
        let res = self
            .anonymous()
            .get(format!("{}/openapi.json", self.base))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status().as_u16(), 200);
        res.json().await.expect("JSON body")
    }

    /// A client that sends no credentials.
    pub fn anonymous(&self) -> reqwest::Client {
        reqwest::Client::new()
    }

    /// Requests made with `key` (another user's, or a narrower one).
    pub fn as_key(&self, key: &str) -> Caller {
        Caller::new(&self.base, key)
    }

    /// A new user with `scopes` (e.g. `read,write`) in the default tier.
    pub async fn user(&self, name: &str, password: &str, scopes: &str) {
        self.app
            .auth
            .create_user(
                name,
                &Secret::new(password),
                Scopes::parse(scopes).unwrap(),
                None,
            )
            .await
            .expect("user");
    }

    /// A new API key for `user` with `scopes` (e.g. `read,write`) and `tier`.
    pub async fn key(&self, user: &str, scopes: &str, tier: Option<&str>) -> String {
        self.app
            .auth
            .create_key(
                NewKeyRequest {
                    scopes: scopes.split(',').map(String::from).collect(),
                    user: Some(user.into()),
                    tier: tier.map(String::from),
                    ..NewKeyRequest::default()
                },
                None,
            )
            .await
            .expect("key")
            .key
    }

    /// GET `path` (under /api/v1); the status and the JSON body.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.expect("JSON body"))
    }

    /// GET that must succeed: the envelope's `data`.
    pub async fn data(&self, path: &str) -> Value {
        let (status, body) = self.get(path).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        assert_eq!(body["status"], "success", "{body}");
        body["data"].clone()
    }

    /// Upload a file as multipart `file`; the status and the JSON body.
    pub async fn upload(&self, name: &str, bytes: Vec<u8>, force: bool) -> (u16, Value) {
        let mut form = file_form(name, bytes);
        if force {
            form = form.text("force", "true");
        }
        send(
            self.client
                .post(format!("{}/binaries", self.base))
                .multipart(form),
        )
        .await
    }

    /// Upload a compiled program and return its sha256.
    pub async fn ingest(&self, path: &Path) -> String {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let (status, body) = self
            .upload(&name, std::fs::read(path).unwrap(), false)
            .await;
        assert!(
            status == 201 || status == 200,
            "upload {name}: {status} {body}"
        );
        body["data"]["binaries"][0]["sha256"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

/// One caller's requests: every one carries its API key.
#[derive(Clone)]
pub struct Caller {
    base: String,
    key: String,
    client: reqwest::Client,
}

impl Caller {
    /// A caller of the service at `base` (…/api/v1).
    pub fn new(base: &str, key: &str) -> Self {
        Caller {
            base: base.to_string(),
            key: key.to_string(),
            client: reqwest::Client::new(),
        }
    }

    /// `method path` (under /api/v1) with the key.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .header("x-api-key", &self.key)
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::GET, path)
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::POST, path)
    }

    pub fn delete(&self, path: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::DELETE, path)
    }

    /// `POST path` with a multipart body (see [`file_form`]).
    pub fn multipart(&self, path: &str, form: reqwest::multipart::Form) -> reqwest::RequestBuilder {
        self.post(path).multipart(form)
    }

    /// `POST /cypher` with `query`, `params` and a high row limit.
    pub fn cypher(&self, query: &str, params: Value) -> reqwest::RequestBuilder {
        self.post("/cypher").json(&serde_json::json!({
            "query": query, "params": params, "limit": 10000
        }))
    }
}

/// A multipart body with the file `name` as its `file` part; add text fields
/// with `.text(k, v)`.
pub fn file_form(name: &str, bytes: Vec<u8>) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
    )
}

/// Send; the status and the JSON body.
pub async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.expect("JSON body"))
}

/// Send; the status and the raw body.
pub async fn send_bytes(req: reqwest::RequestBuilder) -> (u16, Vec<u8>) {
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    (status, res.bytes().await.expect("body").to_vec())
}

/// Address of the function named `name` in a stored binary.
pub async fn addr_of(app: &TestApp, sha: &str, name: &str) -> u64 {
    let fns = app
        .data(&format!("/binaries/{sha}/functions?limit=1000"))
        .await;
    fns.as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no function {name}"))["addr"]
        .as_u64()
        .unwrap()
}

/// Whether an OpenAPI operation is marked as needing no credentials
/// (`security: [{}]`).
pub fn is_public(op: &Value) -> bool {
    op["security"].as_array().is_some_and(|s| {
        s.iter()
            .any(|r| r.as_object().is_some_and(|o| o.is_empty()))
    })
}

/// Assert an error envelope with `status` and `code`.
pub fn assert_error(status: u16, body: &Value, want_status: u16, want_code: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["status"], "error", "{body}");
    assert_eq!(body["error"]["code"], want_code, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.len() > 10, "a real message: {body}");
    assert!(
        body["meta"]["request_id"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "{body}"
    );
}

/// A scratch directory under the target dir.
pub fn scratch(name: &str) -> PathBuf {
    crate::common::scratch(&format!("api/{name}"))
}

/// Compile C source with the system `cc`.
pub fn compile(src: &str, name: &str, flags: &[&str]) -> PathBuf {
    compile_with("cc", src, name, flags)
}

/// Compile C source with `compiler` (scripts/test installs the cross compilers).
pub fn compile_with(compiler: &str, src: &str, name: &str, flags: &[&str]) -> PathBuf {
    crate::common::compile_c(compiler, src, &scratch("bin"), name, flags)
}

/// main → a → b → system, plus c → puts and an unreferenced helper.
pub const CHAIN: &str = r#"
#include <stdio.h>
#include <stdlib.h>
int counter;
__attribute__((noinline)) int b(const char *cmd) { return system(cmd); }
__attribute__((noinline)) int a(const char *cmd) { counter++; return b(cmd) + 1; }
__attribute__((noinline)) void c(void) { puts("bingraph says hello"); }
__attribute__((noinline)) int unused_helper(int x) { return x * 3; }
int main(int argc, char **argv) { c(); return a(argc > 1 ? argv[1] : "true"); }
"#;

/// The chain program, built once per flag set (stripped when asked).
pub fn chain(name: &str, flags: &[&str]) -> PathBuf {
    compile(CHAIN, name, flags)
}
