//! Lookups by hash, the list, uploads and re-ingest, symbols, strings,
//! imports, and the command line's ingest and query.

use bingraph::graph::Params;
use serde_json::Value;

use crate::common::stdout_of;
use crate::support::{assert_error, chain, TestApp};

async fn graph_size(app: &TestApp) -> (i64, i64) {
    let n = app
        .app
        .store
        .read("MATCH (n) RETURN count(n) AS c", Params::new())
        .await
        .unwrap();
    let r = app
        .app
        .store
        .read("MATCH ()-[r]->() RETURN count(r) AS c", Params::new())
        .await
        .unwrap();
    (
        n.rows[0][0].as_i64().unwrap(),
        r.rows[0][0].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn lookup_by_each_hash_kind() {
    let app = TestApp::start().await;
    let path = chain("lookup", &["-O0"]);
    let sha = app.ingest(&path).await;
    let b = app.data(&format!("/binaries/{sha}")).await;
    assert_eq!(b["sha256"], sha.as_str());
    assert_eq!(b["format"], "elf");
    assert_eq!(b["arch"], "x86-64");
    assert_eq!(b["names"], serde_json::json!(["lookup"]));
    assert!(b["counts"]["functions"].as_u64().unwrap() >= 5, "{b}");
    assert_eq!(
        b["main"],
        b["main"].as_u64().map_or(Value::Null, Value::from)
    );
    for key in ["sha1", "md5"] {
        let h = b[key].as_str().unwrap().to_string();
        assert_eq!(
            app.data(&format!("/binaries/{h}")).await["sha256"],
            sha.as_str()
        );
        // Case does not matter.
        let upper = h.to_uppercase();
        assert_eq!(
            app.data(&format!("/binaries/{upper}")).await["sha256"],
            sha.as_str()
        );
    }
    // The file went into the content-addressed blob store.
    let blob = app.app.blobs.get(&sha).unwrap().expect("blob stored");
    assert_eq!(blob, std::fs::read(&path).unwrap());
}

#[tokio::test]
async fn reingest_never_duplicates() {
    let app = TestApp::start().await;
    let path = chain("again", &["-O0"]);
    let bytes = std::fs::read(&path).unwrap();
    let (status, first) = app.upload("again", bytes.clone(), false).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["data"]["ingest"][0]["status"], "created");
    let size = graph_size(&app).await;
    assert!(size.0 > 20 && size.1 > 20, "{size:?}");

    let (status, second) = app.upload("again-renamed", bytes.clone(), false).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["data"]["ingest"][0]["status"], "unchanged");
    assert_eq!(graph_size(&app).await, size);
    assert_eq!(
        second["data"]["binaries"][0]["names"],
        serde_json::json!(["again", "again-renamed"])
    );

    let (status, forced) = app.upload("again", bytes, true).await;
    assert_eq!(status, 200, "{forced}");
    assert_eq!(forced["data"]["ingest"][0]["status"], "replaced");
    assert_eq!(
        graph_size(&app).await,
        size,
        "a forced re-ingest rewrites, never adds"
    );
    // first_seen survives a rewrite; names too.
    assert_eq!(
        forced["data"]["binaries"][0]["first_seen"],
        first["data"]["binaries"][0]["first_seen"]
    );
    assert_eq!(
        forced["data"]["binaries"][0]["names"],
        serde_json::json!(["again", "again-renamed"])
    );
}

#[tokio::test]
async fn list_paginates_and_filters() {
    let app = TestApp::start().await;
    let mut shas = Vec::new();
    for (name, flags) in [
        ("p0", &["-O0"][..]),
        ("p2", &["-O2"][..]),
        ("ps", &["-O2", "-s"][..]),
    ] {
        shas.push(app.ingest(&chain(name, flags)).await);
    }
    let (status, page1) = app.get("/binaries?limit=2").await;
    assert_eq!(status, 200);
    assert_eq!(page1["data"].as_array().unwrap().len(), 2);
    let p = &page1["meta"]["pagination"];
    assert_eq!(
        (p["page"].as_u64(), p["total"].as_u64(), p["pages"].as_u64()),
        (Some(1), Some(3), Some(2))
    );
    let page2 = app.data("/binaries?limit=2&page=2").await;
    assert_eq!(page2.as_array().unwrap().len(), 1);
    let mut seen: Vec<String> = page1["data"]
        .as_array()
        .unwrap()
        .iter()
        .chain(page2.as_array().unwrap())
        .map(|b| b["sha256"].as_str().unwrap().to_string())
        .collect();
    seen.sort();
    shas.sort();
    assert_eq!(seen, shas, "the pages together hold every binary once");
    assert_eq!(
        app.data("/binaries?format=elf&arch=x86-64")
            .await
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        app.data("/binaries?format=pe")
            .await
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        app.data("/binaries?page=9").await.as_array().unwrap().len(),
        0
    );
}

#[tokio::test]
async fn symbols_strings_and_imports() {
    let app = TestApp::start().await;
    let sha = app.ingest(&chain("parts", &["-O0"])).await;

    let (status, syms) = app
        .get(&format!(
            "/binaries/{sha}/symbols?kind=function&prefix=unused"
        ))
        .await;
    assert_eq!(status, 200);
    let names: Vec<&str> = syms["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["unused_helper"]);
    assert_eq!(syms["meta"]["pagination"]["total"], 1);
    let all = app
        .data(&format!("/binaries/{sha}/symbols?limit=1000"))
        .await;
    assert!(all
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["name"] == "system" && s["defined"] == false));
    assert!(all
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["kind"] == "object" && s["name"] == "counter"));

    let strings = app
        .data(&format!("/binaries/{sha}/strings?contains=says%20hello"))
        .await;
    assert_eq!(strings.as_array().unwrap().len(), 1);
    assert_eq!(strings[0]["value"], "bingraph says hello");
    assert_eq!(strings[0]["section"], ".rodata");

    let imports = app.data(&format!("/binaries/{sha}/imports")).await;
    let system = imports
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "system")
        .expect("system is imported");
    assert_eq!(system["library"], "libc.so.6");
    assert_eq!(system["callers"], 1, "only b calls system: {system}");
    assert!(system["slot"].as_u64().is_some());
}

#[tokio::test]
async fn download_gives_back_the_stored_file() {
    let app = TestApp::start().await;
    let path = chain("download", &["-O0"]);
    let sha = app.ingest(&path).await;
    let res = app
        .client
        .get(format!("{}/binaries/{sha}/file", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], "application/octet-stream");
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename=\"download\""
    );
    assert!(
        res.headers().contains_key("x-ratelimit-limit"),
        "the download class is counted"
    );
    assert_eq!(
        res.bytes().await.unwrap().to_vec(),
        std::fs::read(&path).unwrap()
    );

    let (s, body) = app.get(&format!("/binaries/{}/file", "0".repeat(64))).await;
    assert_error(s, &body, 404, "binary_not_found");
    let (s, body) = app.get("/binaries/xyz/file").await;
    assert_error(s, &body, 400, "invalid_hash");
}

/// The analysis on one thread and on the default pool writes the same
/// graph: the parallel phases do not depend on thread timing.
#[test]
fn cli_ingest_threads_do_not_change_the_graph() {
    let bin = env!("CARGO_BIN_EXE_bingraph");
    let dir = tempfile::tempdir().unwrap();
    let program = chain("threads", &["-O2"]);
    let dump = |data: &std::path::Path, threads: Option<&str>| {
        let mut ingest = std::process::Command::new(bin);
        ingest.arg("--data-dir").arg(data).arg("ingest");
        if let Some(t) = threads {
            ingest.args(["--threads", t, "--jobs", "1"]);
        }
        stdout_of(ingest.arg(&program));
        let query = |cypher: &str| {
            let out = stdout_of(
                std::process::Command::new(bin)
                    .arg("--data-dir")
                    .arg(data)
                    .args(["query", "--format", "json", cypher]),
            );
            String::from_utf8(out).unwrap()
        };
        (
            query("MATCH (f:Function) RETURN f.addr AS addr, f.name AS name, f.signature AS sig, f.blocks AS blocks ORDER BY addr"),
            query("MATCH (a:Function)-[:CALLS]->(b) RETURN a.addr AS from, coalesce(b.addr, b.name) AS to ORDER BY from, to"),
            query("MATCH (b:Binary)-[:HAS_FINDING]->(f:Finding) RETURN f.rule AS rule, f.location AS location ORDER BY rule, location"),
        )
    };
    let one = dump(&dir.path().join("one"), Some("1"));
    let pool = dump(&dir.path().join("pool"), None);
    assert!(one.0.contains("\"main\""), "{}", one.0);
    assert!(one.1.len() > 100, "{}", one.1);
    assert_eq!(one, pool);

    let out = std::process::Command::new(bin)
        .arg("--data-dir")
        .arg(dir.path().join("bad"))
        .env("BINGRAPH_THREADS", "all")
        .arg("ingest")
        .arg(&program)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("BINGRAPH_THREADS is 'all'"), "{err}");
}

#[test]
fn cli_ingest_and_query() {
    let bin = env!("CARGO_BIN_EXE_bingraph");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(input.join("sub")).unwrap();
    std::fs::copy(chain("cli", &["-O0"]), input.join("sub/cli")).unwrap();
    std::fs::write(input.join("notes.txt"), "not an executable").unwrap();
    let data = dir.path().join("data");
    let out = std::process::Command::new(bin)
        .arg("--data-dir")
        .arg(&data)
        .arg("ingest")
        .arg(&input)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("2 files"), "{stdout}");
    assert!(stdout.contains("1 new"), "{stdout}");
    assert!(stdout.contains("1 skipped"), "{stdout}");

    let out = stdout_of(std::process::Command::new(bin)
        .arg("--data-dir")
        .arg(&data)
        .args(["query", "--format", "json", "--param", "name=b"])
        .arg("MATCH (f:Function {name: $name})-[c:CALLS]->(i:Import) RETURN f.name AS caller, i.name AS callee"));
    let rows: Value = serde_json::from_slice(&out).expect("JSON array");
    assert_eq!(
        rows,
        serde_json::json!([{ "caller": "b", "callee": "system" }])
    );

    // Read-only unless asked: a write is refused with a clear message.
    let out = std::process::Command::new(bin)
        .arg("--data-dir")
        .arg(&data)
        .args(["query", "CREATE (:X)"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--write"));
}
