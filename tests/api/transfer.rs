//! `bingraph export` / `bingraph import`: a whole graph moved to a fresh
//! embedded store and, when the test server is up, to ArcadeDB over Bolt.

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;

use bingraph::config::Config;
use bingraph::graph::{GraphStore, Params, Value};

use crate::support::{bolt_database, chain, TestApp};

/// Nodes per label and relationships per type.
async fn census(store: &dyn GraphStore) -> (BTreeMap<String, i64>, BTreeMap<String, i64>) {
    let tally = |rows: bingraph::graph::Rows| {
        rows.rows
            .into_iter()
            .map(|r| {
                (
                    r[0].as_str().unwrap_or("").to_string(),
                    r[1].as_i64().unwrap(),
                )
            })
            .collect::<BTreeMap<_, _>>()
    };
    let nodes = store
        .read(
            "MATCH (n) RETURN labels(n)[0] AS label, count(n) AS n",
            Params::new(),
        )
        .await
        .unwrap();
    let rels = store
        .read(
            "MATCH ()-[r]->() RETURN type(r) AS type, count(r) AS n",
            Params::new(),
        )
        .await
        .unwrap();
    (tally(nodes), tally(rels))
}

fn cli(env: &[(&'static str, String)], data_dir: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_bingraph"))
        .arg("--data-dir")
        .arg(data_dir)
        .envs(env.iter().cloned())
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "bingraph {args:?}: {stderr}");
    stderr
}

#[tokio::test]
async fn export_then_import_into_embedded_and_bolt() {
    let app = TestApp::start().await;
    app.ingest(&chain("transfer_o0", &["-O0"])).await;
    app.ingest(&chain("transfer_o2", &["-O2", "-s"])).await;
    app.user("mover", "mover-password-1", "read").await;
    let source = census(app.app.store.as_ref()).await;
    assert!(
        source.0["Function"] > 10 && source.1["CALLS"] > 10,
        "{source:?}"
    );
    // Accounts are not in the analysis graph, so not in its export.
    for label in ["User", "ApiKey", "Session", "Usage", "Upload", "Job"] {
        assert!(!source.0.contains_key(label), "{label}: {source:?}");
    }
    let accounts = census(app.app.auth.store()).await;
    assert_eq!(accounts.0["User"], 2, "{accounts:?}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("graph.jsonl");
    let said = cli(
        &app.cli_env(),
        &app.data_dir,
        &["export", "-o", file.to_str().unwrap()],
    );
    assert!(said.contains("exported"), "{said}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with(r#"{"format":"bingraph-graph","version":1"#),
        "{}",
        &text[..100]
    );
    assert!(!text.contains("mover") && !text.contains("argon2"));
    // The account store has an export of its own.
    let accounts_file = dir.path().join("accounts.jsonl");
    cli(
        &app.cli_env(),
        &app.data_dir,
        &[
            "export",
            "--accounts",
            "-o",
            accounts_file.to_str().unwrap(),
        ],
    );

    // Targets: a fresh embedded store, and a fresh ArcadeDB database.
    let mut targets: Vec<(Vec<(&'static str, String)>, Config)> = vec![(
        vec![("BINGRAPH_GRAPH", "embedded".into())],
        Config {
            data_dir: dir.path().join("embedded"),
            ..Config::default()
        },
    )];
    if let Some(bolt) = bolt_database().await {
        let env = vec![
            ("BINGRAPH_GRAPH", bolt.uri.clone()),
            ("BINGRAPH_GRAPH_USER", bolt.user.clone()),
            ("BINGRAPH_GRAPH_PASSWORD", bolt.password.clone()),
            ("BINGRAPH_GRAPH_DATABASE", bolt.database.clone().unwrap()),
        ];
        let config = Config {
            data_dir: dir.path().join("bolt"),
            graph: bolt.uri,
            graph_user: bolt.user,
            graph_password: Some(bingraph::auth::Secret::new(bolt.password)),
            graph_database: bolt.database,
            ..Config::default()
        };
        targets.push((env, config));
    }
    for (env, config) in targets {
        let said = cli(&env, &config.data_dir, &["import", file.to_str().unwrap()]);
        assert!(said.contains("imported"), "{said}");
        let store: Arc<dyn GraphStore> =
            bingraph::graph::open(&config.graph_config()).await.unwrap();
        assert_eq!(
            census(store.as_ref()).await,
            source,
            "{} target",
            store.backend()
        );
        // The moved graph answers the same questions.
        let rows = store
            .read(
                "MATCH (:Function {name: 'main'})-[:CALLS]->(:Function {name: 'a'})-[:CALLS]->(:Function {name: 'b'})-[:CALLS]->(i:Import) RETURN i.name AS name",
                Params::new(),
            )
            .await
            .unwrap();
        assert_eq!(
            rows.first("name"),
            Some(&Value::from("system")),
            "{}",
            store.backend()
        );
        let said = cli(
            &env,
            &config.data_dir,
            &["import", "--accounts", accounts_file.to_str().unwrap()],
        );
        assert!(said.contains("imported"), "{said}");
        let accounts = bingraph::graph::open_accounts(&config.graph_config())
            .await
            .unwrap();
        let rows = accounts
            .read(
                "MATCH (u:User {name: 'mover'}) RETURN u.scopes AS scopes",
                Params::new(),
            )
            .await
            .unwrap();
        assert_eq!(
            rows.first("scopes"),
            Some(&Value::List(vec![Value::from("read")]))
        );
        let in_graph = store
            .read("MATCH (u:User) RETURN count(u) AS n", Params::new())
            .await
            .unwrap();
        assert_eq!(in_graph.first("n"), Some(&Value::from(0)));
    }

    // An empty file, and a file that is not an export, are refused.
    std::fs::write(&file, "").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_bingraph"))
        .arg("--data-dir")
        .arg(dir.path().join("empty"))
        .args(["import", file.to_str().unwrap()])
        .env("BINGRAPH_GRAPH", "embedded")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty"));
    std::fs::write(
        &file,
        "{\"format\":\"something-else\",\"version\":1,\"model_version\":1,\"backend\":\"x\"}\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_bingraph"))
        .arg("--data-dir")
        .arg(dir.path().join("bad"))
        .args(["import", file.to_str().unwrap()])
        .env("BINGRAPH_GRAPH", "embedded")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("line 1"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
