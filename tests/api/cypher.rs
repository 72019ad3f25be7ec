//! `POST /cypher` and the saved examples.

use serde_json::{json, Value};

use crate::support::{assert_error, chain, send, TestApp};

async fn cypher(app: &TestApp, key: Option<&str>, body: Value) -> (u16, Value) {
    let caller = app.as_key(key.unwrap_or(&app.admin_key));
    send(caller.post("/cypher").json(&body)).await
}

#[tokio::test]
async fn reads_with_params_values_and_caps() {
    let app = TestApp::start().await;
    let sha = app.ingest(&chain("cypher_reads", &["-O0"])).await;
    let read = app.key("admin", "read", None).await;

    let (s, body) = cypher(
        &app,
        Some(&read),
        json!({
            "query": "MATCH (b:Binary {sha256: $sha})-[:DEFINES]->(f:Function) WHERE f.name IN $names RETURN f.name AS name, f AS node ORDER BY name",
            "params": { "sha": sha, "names": ["a", "b", "main"] }
        }),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let d = &body["data"];
    assert_eq!(d["columns"], json!(["name", "node"]));
    assert_eq!(d["row_count"], 3);
    assert_eq!(d["truncated"], false);
    let names: Vec<&str> = d["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b", "main"]);
    let node = &d["rows"][0][1];
    assert_eq!(node["labels"], json!(["Function"]));
    assert_eq!(node["properties"]["name"], "a");
    assert!(node["id"].is_string() || node["id"].is_number(), "{node}");

    // Paths and relationships as objects.
    let (s, body) = cypher(
        &app,
        None,
        json!({ "query": "MATCH p = (a:Function {name: 'a'})-[r:CALLS]->(b:Function {name: 'b'}) WHERE a.binary = $sha OR a.uid STARTS WITH $sha RETURN p, r", "params": { "sha": sha } }),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let row = &body["data"]["rows"][0];
    assert_eq!(row[0]["nodes"].as_array().unwrap().len(), 2, "{row}");
    assert_eq!(row[0]["relationships"][0]["type"], "CALLS");
    assert_eq!(row[1]["type"], "CALLS");

    // The row cap, and the size cap.
    let (_, body) = cypher(
        &app,
        None,
        json!({ "query": "UNWIND range(1, 50) AS x RETURN x", "limit": 10 }),
    )
    .await;
    assert_eq!(body["data"]["row_count"], 10);
    assert_eq!(body["data"]["truncated"], true);
    assert_eq!(body["data"]["truncated_by"], "rows");
    let small = TestApp::start_with(|c| c.cypher_max_result_bytes = 100).await;
    let (_, body) = cypher(
        &small,
        None,
        json!({ "query": "UNWIND range(1, 50) AS x RETURN 'a long enough string' AS s" }),
    )
    .await;
    assert_eq!(body["data"]["truncated_by"], "bytes", "{body}");
    assert!(body["data"]["row_count"].as_u64().unwrap() < 10);

    // Syntax errors carry the position.
    let (s, body) = cypher(&app, None, json!({ "query": "MATCH (n RETURN n" })).await;
    assert_error(s, &body, 400, "cypher_syntax_error");
    assert!(
        body["error"]["details"]["line"].as_u64().is_some(),
        "{body}"
    );
    assert!(
        body["error"]["details"]["column"].as_u64().is_some(),
        "{body}"
    );

    // Too slow: abandoned with a clear error.
    let (s, body) = cypher(
        &app,
        None,
        json!({ "query": "UNWIND range(1, 2000000) AS x WITH x WHERE x % 7 = 0 RETURN count(x)", "timeout_ms": 1 }),
    )
    .await;
    assert_error(s, &body, 408, "query_timeout");

    let (s, body) = cypher(&app, None, json!({ "query": "   " })).await;
    assert_error(s, &body, 400, "invalid_parameter");
}

#[tokio::test]
async fn writes_need_admin_and_say_which_clause() {
    let app = TestApp::start().await;
    let read = app.key("admin", "read", None).await;
    let write = app.key("admin", "write", None).await;
    let count = |app: &TestApp| {
        let app_state = app.app.clone();
        async move {
            app_state
                .store
                .read("MATCH (n:Note) RETURN count(n) AS n", Default::default())
                .await
                .unwrap()
                .first("n")
                .and_then(|v| v.as_u64())
                .unwrap()
        }
    };
    for key in [Some(read.as_str()), Some(write.as_str()), None] {
        let (s, body) = cypher(
            &app,
            key,
            json!({ "query": "MATCH (b:Binary)\nDETACH DELETE b" }),
        )
        .await;
        assert_error(s, &body, 403, "write_not_allowed");
        assert_eq!(body["error"]["details"]["clause"], "DETACH DELETE");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("line 2, column 1"),
            "{body}"
        );
    }
    for (q, clause) in [
        ("CREATE (n:Note {text: 'x'})", "CREATE"),
        ("MERGE (n:Note {text: 'x'})", "MERGE"),
        ("MATCH (n) SET n.hacked = true", "SET"),
        ("MATCH (n) REMOVE n.name", "REMOVE"),
        (
            "LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l",
            "LOAD CSV",
        ),
        (
            "CALL apoc.periodic.iterate('MATCH (n) RETURN n', 'DELETE n', {})",
            "CALL apoc.periodic.iterate",
        ),
    ] {
        let (s, body) = cypher(&app, Some(&read), json!({ "query": q })).await;
        assert_error(s, &body, 403, "write_not_allowed");
        assert_eq!(body["error"]["details"]["clause"], clause, "{q}");
    }
    // write: true is for admins only.
    let (s, body) = cypher(
        &app,
        Some(&write),
        json!({ "query": "CREATE (n:Note {text: 'x'})", "write": true }),
    )
    .await;
    assert_error(s, &body, 403, "insufficient_scope");
    assert_eq!(count(&app).await, 0, "nothing was written");
    let (s, body) = cypher(&app, None, json!({ "query": "CREATE (n:Note {text: $t}) RETURN n.text AS text", "params": { "t": "by admin" }, "write": true })).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["data"]["rows"][0][0], "by admin");
    assert_eq!(count(&app).await, 1);
    // Words that look like clauses inside strings, names and keys are fine.
    let (s, body) = cypher(&app, Some(&read), json!({ "query": "MATCH (n:Note) WHERE n.text <> 'CREATE (x)' RETURN n.text AS set, {delete: 1} AS m" })).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["data"]["columns"], json!(["set", "m"]));
}

#[tokio::test]
async fn saved_examples_are_listed_and_run() {
    let app = TestApp::start().await;
    let sha = app.ingest(&chain("cypher_examples", &["-O0"])).await;
    let list = app.data("/cypher/examples").await;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    for want in [
        "who_calls",
        "who_reaches",
        "binaries_sharing_imports",
        "imports_by_library",
        "most_called",
        "crypto_strings",
    ] {
        assert!(names.contains(&want), "{want} in {names:?}");
    }
    assert_eq!(list[0]["params"]["name"], "system");

    let run = |name: &str, body: Value| {
        app.client
            .post(format!("{}/cypher/examples/{name}", app.base))
            .json(&body)
            .send()
    };
    // Every example runs against a real binary.
    for name in &names {
        let res = run(name, json!({ "params": { "sha256": sha } }))
            .await
            .unwrap();
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 200, "{name}: {body}");
    }
    let body: Value = run("who_calls", json!({}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rows = body["data"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{body}");
    assert_eq!(rows[0][2], "b", "b calls system: {body}");

    let body: Value = run("who_reaches", json!({ "params": { "sha256": sha } }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let reach: Vec<(String, u64)> = body["data"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r[0].as_str().unwrap().to_string(), r[2].as_u64().unwrap()))
        .collect();
    assert_eq!(
        reach,
        [
            ("b".to_string(), 1),
            ("a".to_string(), 2),
            ("main".to_string(), 3)
        ],
        "{body}"
    );

    let body: Value = run("imports_by_library", json!({ "params": { "sha256": sha } }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let libc = body["data"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[0] == "libc.so.6")
        .expect("libc group");
    assert!(
        libc[2].as_array().unwrap().contains(&json!("system")),
        "{body}"
    );

    let res = run("drop_everything", json!({})).await.unwrap();
    assert_eq!(res.status().as_u16(), 404);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "example_not_found");
}
