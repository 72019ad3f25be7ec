//! Full-text search, function similarity (LSH + exact tier), SIMILAR_TO
//! links, binary similarity, and the index following the graph after a
//! crash and through `bingraph reindex`.

use std::process::Command;

use bingraph::analysis::signature::Signature;
use serde_json::{json, Value};

use crate::support::{addr_of, assert_error, chain, compile, TestApp};

/// Names in every style the tokenizer splits, a marker string, and 60
/// numbered handlers for paging.
const NAMES: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define H(n) __attribute__((noinline)) int handler_##n(int x) { return x * (n + 3) + puts("h"); }
H(0) H(1) H(2) H(3) H(4) H(5) H(6) H(7) H(8) H(9) H(10) H(11) H(12) H(13) H(14)
H(15) H(16) H(17) H(18) H(19) H(20) H(21) H(22) H(23) H(24) H(25) H(26) H(27) H(28) H(29)
H(30) H(31) H(32) H(33) H(34) H(35) H(36) H(37) H(38) H(39) H(40) H(41) H(42) H(43) H(44)
H(45) H(46) H(47) H(48) H(49) H(50) H(51) H(52) H(53) H(54) H(55) H(56) H(57) H(58) H(59)
__attribute__((noinline)) unsigned computeChecksumValue(const char *s) { unsigned h = 7; while (*s) h = h * 31 + *s++; return h; }
__attribute__((noinline)) void *SSL_CTX_new_demo(void) { return malloc(64); }
__attribute__((noinline)) int HTTPServerStart(int port) { return printf("bingraph-search-marker: connection refused on %d\n", port); }
int main(int argc, char **argv) {
    int t = 0;
    for (int i = 0; i < argc; i++) t += handler_0(i) + handler_59(i);
    t += computeChecksumValue(argv[0]) + HTTPServerStart(argc);
    free(SSL_CTX_new_demo());
    return t;
}
"#;

async fn search(app: &TestApp, query: &str) -> Value {
    let (status, body) = app.get(&format!("/search?{query}")).await;
    assert_eq!(status, 200, "{query}: {body}");
    body
}

fn texts(body: &Value) -> Vec<String> {
    body["data"]["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["text"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn full_text_search_finds_symbols_strings_and_binaries() {
    let app = TestApp::start().await;
    let sha = app.ingest(&compile(NAMES, "searchdemo", &["-O1"])).await;
    let other = app.ingest(&chain("search-other", &["-O0"])).await;

    // camelCase parts, in any order of appearance, and a prefix.
    let body = search(&app, "q=checksum%20value&kind=symbol").await;
    assert_eq!(texts(&body), ["computeChecksumValue"], "{body}");
    let hit = &body["data"]["hits"][0];
    assert_eq!(hit["kind"], "symbol");
    assert_eq!(hit["sha256"], sha.as_str());
    assert_eq!(hit["highlights"], json!([[7, 20]]));
    assert!(hit["addr"].as_u64().is_some());
    assert_eq!(
        texts(&search(&app, "q=comput&kind=symbol").await),
        ["computeChecksumValue"]
    );
    // snake_case parts.
    let body = search(&app, "q=ctx_new&kind=symbol").await;
    assert_eq!(texts(&body), ["SSL_CTX_new_demo"], "{body}");
    assert_eq!(body["data"]["hits"][0]["highlights"], json!([[4, 11]]));
    // Acronym then word.
    assert_eq!(
        texts(&search(&app, "q=http%20server&kind=symbol").await),
        ["HTTPServerStart"]
    );

    // Strings, with highlights in characters.
    let body = search(&app, "q=connection%20refused&kind=string").await;
    let hits = texts(&body);
    assert_eq!(hits.len(), 1, "{body}");
    assert!(hits[0].starts_with("bingraph-search-marker: connection refused"));
    assert_eq!(
        body["data"]["hits"][0]["highlights"],
        json!([[24, 34], [35, 42]])
    );

    // Binaries by file name, format and by a hash prefix.
    let body = search(&app, "q=searchdemo&kind=binary").await;
    assert_eq!(body["data"]["hits"][0]["sha256"], sha.as_str(), "{body}");
    assert_eq!(body["data"]["hits"][0]["details"]["format"], "elf");
    let body = search(&app, &format!("q={}&kind=binary", &other[..12])).await;
    assert_eq!(body["data"]["total"], 1, "{body}");
    assert_eq!(body["data"]["hits"][0]["sha256"], other.as_str());

    // All kinds, with totals per kind; and one binary only.
    let body = search(&app, "q=puts").await;
    let totals = &body["data"]["totals"];
    assert!(totals["symbol"].as_u64().unwrap() >= 2, "{body}");
    assert_eq!(
        body["data"]["total"].as_u64().unwrap(),
        totals["symbol"].as_u64().unwrap()
            + totals["string"].as_u64().unwrap()
            + totals["binary"].as_u64().unwrap()
    );
    let body = search(&app, &format!("q=puts&kind=symbol&binary={other}")).await;
    assert!(body["data"]["hits"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["sha256"] == other.as_str()));
    assert!(body["data"]["total"].as_u64().unwrap() < totals["symbol"].as_u64().unwrap());

    // Every page, no duplicates, no cap; a page past the end is empty.
    let first = search(&app, "q=handler&kind=symbol&limit=7").await;
    let total = first["data"]["total"].as_u64().unwrap();
    assert_eq!(total, 60, "{first}");
    assert_eq!(first["meta"]["pagination"]["total"], 60);
    let mut seen = std::collections::HashSet::new();
    for page in 1..=9 {
        let body = search(&app, &format!("q=handler&kind=symbol&limit=7&page={page}")).await;
        for t in texts(&body) {
            assert!(t.starts_with("handler_"), "{t}");
            assert!(seen.insert(t), "duplicate across pages");
        }
    }
    assert_eq!(seen.len(), 60);
    let past = search(&app, "q=handler&kind=symbol&limit=7&page=1000").await;
    assert!(texts(&past).is_empty());
    assert_eq!(past["data"]["total"], 60);

    // Bad requests.
    let (s, b) = app.get("/search?q=").await;
    assert_error(s, &b, 400, "invalid_query");
    let (s, b) = app.get("/search?q=%3A%3A%20--").await;
    assert_error(s, &b, 400, "invalid_query");
    let (s, b) = app.get("/search?q=x&kind=function").await;
    assert_error(s, &b, 400, "invalid_parameter");
    let (s, b) = app.get("/search?q=x&binary=00").await;
    assert_eq!(s, 400, "{b}");
    let res = app
        .anonymous()
        .get(format!("{}/search?q=x", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
}

/// Distinctive functions for similarity: constants, strings, imports.
const SIMILAR: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
__attribute__((noinline)) unsigned checksum_block(const unsigned char *p, unsigned long n) {
    unsigned h = 0x9747b28cu;
    for (unsigned long i = 0; i < n; i++) {
        unsigned k = p[i] * 0x5bd1e995u;
        k ^= k >> 24;
        h = (h * 0x5bd1e995u) ^ (k * 0x1b873593u);
    }
    return h ^ (h >> 13);
}
__attribute__((noinline)) int parse_config_line(const char *line, char *key, long *value) {
    const char *eq = strchr(line, '=');
    if (!eq) { fprintf(stderr, "config: missing '=' in %s\n", line); return -1; }
    size_t n = (size_t)(eq - line);
    if (n > 63) { fprintf(stderr, "config: key too long\n"); return -2; }
    memcpy(key, line, n);
    key[n] = 0;
    *value = strtol(eq + 1, NULL, 10);
    return 0;
}
__attribute__((noinline)) int tiny_add(int x) { return x + 1; }
int main(int argc, char **argv) {
    char key[64]; long v = 0;
    if (argc > 1 && parse_config_line(argv[1], key, &v) == 0) printf("%s=%ld\n", key, v);
    return (int)checksum_block((const unsigned char *)argv[0], strlen(argv[0])) + tiny_add(argc);
}
"#;

async fn cypher(app: &TestApp, query: &str, params: Value) -> Value {
    let res = app
        .client
        .post(format!("{}/cypher", app.base))
        .json(&json!({ "query": query, "params": params }))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body["data"]["rows"].clone()
}

#[tokio::test]
async fn similar_functions_across_builds_and_the_exact_tier() {
    let app = TestApp::start().await;
    let o0 = app.ingest(&compile(SIMILAR, "similar-o0", &["-O0"])).await;
    let o2 = app.ingest(&compile(SIMILAR, "similar-o2", &["-O2"])).await;
    let unrelated = app.ingest(&chain("similar-unrelated", &["-O2"])).await;

    // Across optimization levels, the counterpart ranks first, with evidence.
    for name in ["checksum_block", "parse_config_line"] {
        let addr = addr_of(&app, &o2, name).await;
        let body = app
            .data(&format!(
                "/binaries/{o2}/functions/{addr:#x}/similar?k=5&min_score=0"
            ))
            .await;
        assert_eq!(body["name"], name);
        assert_eq!(body["low_confidence"], false);
        let best = &body["matches"][0];
        assert_eq!(best["sha256"], o0.as_str(), "{name}: {body}");
        assert_eq!(best["name"], name, "{name}: {body}");
        let score = best["score"].as_f64().unwrap();
        assert!(score > 0.3 && score <= 1.0, "{name}: {score}");
        assert!(body["matches"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["sha256"] != o2.as_str()));
        let scores: Vec<f64> = body["matches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["score"].as_f64().unwrap())
            .collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
        if name == "checksum_block" {
            let consts = best["evidence"]["constants"].as_array().unwrap();
            assert!(consts.iter().any(|c| c == "0x5bd1e995"), "{best}");
        } else {
            let imports = best["evidence"]["imports"].as_array().unwrap();
            assert!(imports.iter().any(|c| c == "strchr"), "{best}");
        }
    }
    // min_score filters, k caps.
    let addr = addr_of(&app, &o2, "checksum_block").await;
    let body = app
        .data(&format!(
            "/binaries/{o2}/functions/{addr}/similar?k=1&min_score=0.99"
        ))
        .await;
    assert!(body["matches"].as_array().unwrap().len() <= 1);
    assert!(body["matches"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["score"].as_f64().unwrap() >= 0.99));
    // A tiny function is flagged.
    let tiny = addr_of(&app, &o0, "tiny_add").await;
    let body = app
        .data(&format!(
            "/binaries/{o0}/functions/{tiny:#x}/similar?min_score=0"
        ))
        .await;
    assert_eq!(body["low_confidence"], true, "{body}");
    assert!(body["matches"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["low_confidence"] == true));

    // Exact tier: the same build at another place in another binary
    // (a different file: extra code before it shifts every address).
    let shifted = SIMILAR.replace(
        "__attribute__((noinline)) unsigned checksum_block",
        "__attribute__((noinline)) int padding_fn(int a) { return printf(\"pad %d\\n\", a * 77); }\n__attribute__((noinline)) unsigned checksum_block",
    ).replace("int main(int argc, char **argv) {", "int main(int argc, char **argv) {\n    padding_fn(argc);");
    let twin = app
        .ingest(&compile(&shifted, "similar-o2-shifted", &["-O2"]))
        .await;
    let a = addr_of(&app, &o2, "checksum_block").await;
    let b = addr_of(&app, &twin, "checksum_block").await;
    assert_ne!(a, b, "the twin's copy moved");
    let rows = cypher(
        &app,
        "MATCH (f:Function) WHERE f.name = 'checksum_block' RETURN f.binary AS binary, f.exact_hash AS h",
        json!({}),
    )
    .await;
    let hash = |sha: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r[0] == sha)
            .map(|r| r[1].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(hash(&o2), hash(&twin));
    assert_ne!(hash(&o2), hash(&o0));
    let body = app
        .data(&format!("/binaries/{twin}/functions/{b:#x}/similar?k=3"))
        .await;
    let best = &body["matches"][0];
    assert_eq!(best["sha256"], o2.as_str(), "{body}");
    assert_eq!(best["exact"], true);
    assert_eq!(best["score"], 1.0);

    // Ingest linked the twin's function to its exact copy.
    let rows = cypher(
        &app,
        "MATCH (a:Function {binary: $twin})-[r:SIMILAR_TO]->(b:Function {binary: $o2}) \
         WHERE a.name = 'checksum_block' RETURN b.name AS name, r.score AS score, r.exact AS exact",
        json!({ "twin": twin, "o2": o2 }),
    )
    .await;
    assert_eq!(rows, json!([["checksum_block", 1.0, true]]));
    let g = app
        .data(&format!("/binaries/{twin}/graph?kind=similarity"))
        .await;
    let edge = g["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["target"] == format!("{o2}:{a:x}"))
        .unwrap_or_else(|| panic!("{g}"));
    assert_eq!(
        (edge["type"].as_str(), edge["kind"].as_str()),
        (Some("SIMILAR_TO"), Some("exact"))
    );
    assert_eq!(edge["score"], 1.0);
    assert_eq!(edge["source"], format!("{twin}:{b:x}"));

    // Whole binaries: the twin is most like its original build.
    let ranked = app.data(&format!("/binaries/{twin}/similar")).await;
    let ranked = ranked.as_array().unwrap();
    assert_eq!(ranked[0]["sha256"], o2.as_str(), "{ranked:?}");
    assert!(ranked[0]["matched_functions"].as_u64().unwrap() >= 2);
    assert!(ranked[0]["imports"].as_f64().unwrap() > 0.5);
    if let Some(u) = ranked.iter().find(|r| r["sha256"] == unrelated.as_str()) {
        assert!(u["score"].as_f64().unwrap() < ranked[0]["score"].as_f64().unwrap());
    }

    // A batch of queries (ingest's path) answers as one query each does.
    let rows = cypher(
        &app,
        "MATCH (f:Function {binary: $twin}) RETURN f.addr AS addr, f.signature AS sig ORDER BY addr",
        json!({ "twin": twin }),
    )
    .await;
    let sigs: Vec<Signature> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| Signature::from_property(r[0].as_u64()?, r[1].as_str()?))
        .collect();
    assert!(sigs.len() >= 4, "{rows}");
    let refs: Vec<&Signature> = sigs.iter().collect();
    let key = |m: &Vec<bingraph::analysis::signature::Match>| {
        m.iter()
            .map(|m| (m.sha256.clone(), m.addr, m.score.to_bits(), m.exact))
            .collect::<Vec<_>>()
    };
    let batch = app
        .app
        .index
        .similar_batch(&refs, 3, 0.0, Some(twin.as_str()))
        .unwrap();
    assert_eq!(batch.len(), sigs.len());
    assert!(batch.iter().any(|m| !m.is_empty()), "no match at all");
    for (s, got) in sigs.iter().zip(&batch) {
        let one = app
            .app
            .index
            .similar(s, 3, 0.0, Some(twin.as_str()), None)
            .unwrap();
        assert_eq!(key(got), key(&one), "function {:#x}", s.addr);
    }

    // Errors.
    let (s, b) = app
        .get(&format!("/binaries/{o2}/functions/{a}/similar?k=0"))
        .await;
    assert_error(s, &b, 400, "invalid_parameter");
    let (s, b) = app
        .get(&format!("/binaries/{o2}/functions/{a}/similar?min_score=2"))
        .await;
    assert_error(s, &b, 400, "invalid_parameter");
    let (s, b) = app
        .get(&format!("/binaries/{o2}/functions/0x1/similar"))
        .await;
    assert_error(s, &b, 404, "function_not_found");
}

fn bingraph(app: &TestApp, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bingraph"));
    c.arg("--data-dir")
        .arg(&app.data_dir)
        .args(args)
        .envs(app.cli_env());
    c
}

async fn graph_binaries(app: &TestApp) -> Vec<String> {
    let rows = cypher(
        app,
        "MATCH (b:Binary) RETURN b.sha256 AS s ORDER BY s",
        json!({}),
    )
    .await;
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().unwrap().to_string())
        .collect()
}

fn index_binaries(app: &TestApp) -> Vec<String> {
    let index = &app.app.index;
    index.refresh().unwrap();
    let mut v: Vec<String> = index.binaries().unwrap().into_keys().collect();
    v.sort();
    v
}

#[tokio::test]
async fn the_index_follows_the_graph_after_a_crash() {
    // The server's own periodic reconcile stays out of the way of the checks.
    let app =
        TestApp::start_with(|c| c.index_reconcile = std::time::Duration::from_secs(3600)).await;
    app.ingest(&chain("crash-first", &["-O1"])).await;
    let file = compile(NAMES, "crash-victim", &["-O0"]);

    // The CLI dies right after the graph write, before the index commit.
    let out = bingraph(&app, &["ingest", file.to_str().unwrap()])
        .env("BINGRAPH_FAILPOINT", "after_graph_write")
        .output()
        .unwrap();
    assert!(!out.status.success(), "the failpoint aborts");
    assert!(String::from_utf8_lossy(&out.stderr).contains("failpoint after_graph_write"));
    let in_graph = graph_binaries(&app).await;
    assert_eq!(in_graph.len(), 2);
    assert_ne!(index_binaries(&app), in_graph, "the crash left them apart");
    let body = search(&app, "q=computeChecksumValue&kind=symbol").await;
    assert_eq!(body["data"]["total"], 0);

    // What the service does at start and every minute.
    let report = app.app.sync.reconcile().await.unwrap();
    assert_eq!((report.added, report.updated, report.removed), (1, 0, 0));
    assert_eq!(index_binaries(&app), in_graph);
    let body = search(&app, "q=computeChecksumValue&kind=symbol").await;
    assert_eq!(body["data"]["total"], 1);

    // The other way: a binary leaves the graph but not the index.
    let victim = body["data"]["hits"][0]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    app.app
        .store
        .write_batch(bingraph::graph::model::delete_batch(&victim))
        .await
        .unwrap();
    let report = app.app.sync.reconcile().await.unwrap();
    assert_eq!((report.added, report.updated, report.removed), (0, 0, 1));
    assert_eq!(index_binaries(&app), graph_binaries(&app).await);
    assert_eq!(
        search(&app, "q=computeChecksumValue").await["data"]["total"],
        0
    );
    // Nothing left to do.
    let report = app.app.sync.reconcile().await.unwrap();
    assert_eq!((report.added, report.updated, report.removed), (0, 0, 0));
}

#[tokio::test]
async fn reindex_rebuilds_the_index_from_the_graph() {
    let app = TestApp::start().await;
    let sha = app.ingest(&compile(NAMES, "reindex-demo", &["-O1"])).await;
    let before = app.app.index.counts().unwrap();
    let hits = texts(&search(&app, "q=handler&kind=symbol&limit=100").await);
    assert!(before["function"] > 60, "{before:?}");

    let out = bingraph(&app, &["reindex"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("indexed 1 binaries"), "{stdout}");
    app.app.index.refresh().unwrap();
    assert_eq!(app.app.index.counts().unwrap(), before);
    assert_eq!(
        texts(&search(&app, "q=handler&kind=symbol&limit=100").await),
        hits
    );

    // `bingraph search` answers from the same index.
    let out = bingraph(
        &app,
        &["search", "ctx", "new", "--kind", "symbol", "--json"],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["hits"][0]["text"], "SSL_CTX_new_demo");
    assert_eq!(r["hits"][0]["sha256"], sha.as_str());
    let out = bingraph(&app, &["search", "connection"]).output().unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("[connection]"), "{table}");
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(
        summary.contains(" symbols, ") && summary.contains(" binaries),"),
        "{summary}"
    );
}
